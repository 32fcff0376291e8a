/**
 * An MCP server at a URL as the proxy's upstream (`--upstream URL`). Speaks Streamable HTTP:
 * every message the proxy sends is its own POST (many in flight at once), answered with JSON or
 * an SSE stream; a legacy session's `Mcp-Session-Id` goes on every later request, its GET
 * stream brings what the server starts on its own, and a DELETE ends it. A 2026-07-28 request
 * carries the headers its body calls for. A server that does not speak Streamable HTTP is
 * reached over the legacy HTTP+SSE transport instead (the 2025-03-26 backwards-compatibility
 * rule). Every request is answered: by the server, or with a JSON-RPC error when the exchange
 * fails or shows no sign of life for the timeout.
 */
import {
  errorLine,
  excerpt,
  isModernError,
  jsonRpcError,
  type JsonRpcId,
  type Oversize,
  pumpEvents,
  readBody,
  readErrorBody,
  serverErrorLine,
} from "./http_exchange.ts";
import { type PendingRequest, PendingRequests } from "./http_pending.ts";
import { ServerStream, STREAM_OPEN_TIMEOUT_MS } from "./http_server_stream.ts";
import { type LegacySse, openLegacySse } from "./legacy_sse_stream.ts";
import { mcpRequestHeaders, modernVersionOf } from "./mcp_request_headers.ts";
import type { LineChannelHandlers } from "./stdio.ts";
import type { Upstream, UpstreamChannel } from "./upstream.ts";
import { type ParamHeader, scanParamHeaders } from "./x_mcp_header.ts";

export interface UpstreamLog {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface HttpUpstreamOptions {
  url: URL;
  /** `--header` credentials, sent on every request to the server. */
  headers?: readonly (readonly [string, string])[];
  log: UpstreamLog;
  /** A request showing no sign of life this long is given up (default `REQUEST_TIMEOUT_MS`). */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

/** How long a request may go without any sign of life (headers, a byte of its stream). */
export const REQUEST_TIMEOUT_MS = 300_000;
/** How long later messages wait for the first POST's status before Streamable HTTP is assumed. */
export const DETECT_WAIT_MS = 10_000;
/** How long the DELETE that ends a session may take. */
export const CLOSE_TIMEOUT_MS = 2_000;
/** Tools whose `x-mcp-header` declarations are kept, at most (the table is reset past it). */
export const MAX_HEADER_TOOLS = 10_000;
const MAX_SESSION_ID_CHARS = 1_024;

type JsonObject = Record<string, unknown>;
type Mode = "unknown" | "probing" | "streamable" | "sse";

/** A message the proxy sent, read once. */
interface Outgoing {
  readonly line: string;
  readonly message: JsonObject;
  /** A request's id; null for a notification or an answer to the server. */
  readonly id: JsonRpcId | null;
  readonly method: string | null;
  readonly modern: boolean;
  /** The tool list was fetched again after a header mismatch (done once). */
  retried: boolean;
}

const SIGNAL_CODES: Partial<Record<Deno.Signal, number>> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGKILL: 137,
};

export class HttpUpstream implements Upstream {
  readonly description: readonly string[];
  readonly pid = null;
  readonly channel: UpstreamChannel;
  readonly exited: Promise<number>;
  readonly #url: URL;
  readonly #shown: string;
  readonly #userHeaders: readonly (readonly [string, string])[];
  readonly #log: UpstreamLog;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #pending: PendingRequests;
  readonly #paramHeaders = new Map<string, readonly ParamHeader[]>();
  #mode: Mode = "unknown";
  #queue: Outgoing[] = [];
  #queuedChars = 0;
  #drainWaiters: (() => void)[] = [];
  #detectTimer: ReturnType<typeof setTimeout> | undefined;
  #session: string | null = null;
  #legacyVersion: string | null = null;
  #serverStream: ServerStream | null = null;
  #legacySse: LegacySse | null = null;
  #handlers: LineChannelHandlers | null = null;
  #maxBytes = 16 * 1024 * 1024;
  #finished = false;
  #closing = false;
  #resolveExit: (code: number) => void = () => {};
  #resolveReceived: () => void = () => {};
  readonly #received: Promise<void>;

  constructor(options: HttpUpstreamOptions) {
    this.#url = options.url;
    this.#shown = shownUrl(options.url);
    this.description = [this.#shown];
    this.#userHeaders = options.headers ?? [];
    this.#log = options.log;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.#pending = new PendingRequests(this.#timeoutMs, (request) => this.#timedOut(request));
    this.exited = new Promise((resolve) => this.#resolveExit = resolve);
    this.#received = new Promise((resolve) => this.#resolveReceived = resolve);
    const queuedChars = () => this.#queuedChars;
    this.channel = {
      send: (line) => this.#send(line),
      drain: () => this.#drained(),
      flush: () => {},
      get backlog() {
        return queuedChars();
      },
    };
  }

  receive(handlers: LineChannelHandlers, maxBytes: number): Promise<void> {
    this.#handlers = handlers;
    this.#maxBytes = maxBytes;
    this.#flushQueue();
    return this.#received;
  }

  /** The client is done: answers still due may come (within `graceMs`), then the session ends. */
  async shutdown(graceMs: number): Promise<number> {
    if (this.#finished) return this.exited;
    this.#closing = true;
    await withTimeout(this.#pending.idle(), graceMs);
    await this.#endSession(Math.min(graceMs, CLOSE_TIMEOUT_MS));
    this.#finish(0);
    return this.exited;
  }

  async terminate(graceMs: number): Promise<number> {
    await this.#stop(SIGNAL_CODES.SIGTERM!, graceMs);
    return this.exited;
  }

  /** SIGINT and SIGTERM end the session (in-flight requests fail); SIGKILL ends at once. */
  signal(signal: Deno.Signal): void {
    const code = SIGNAL_CODES[signal];
    if (code === undefined || this.#finished) return;
    if (signal === "SIGKILL") return this.#finish(code);
    void this.#stop(code, CLOSE_TIMEOUT_MS);
  }

  cleanUp(_graceMs: number): Promise<void> {
    return Promise.resolve();
  }

  async #stop(code: number, graceMs: number): Promise<void> {
    if (this.#finished) return;
    this.#closing = true;
    this.#pending.clear();
    await this.#endSession(Math.min(graceMs, CLOSE_TIMEOUT_MS));
    this.#finish(code);
  }

  // ---- proxy → server

  #send(line: string): void {
    if (this.#finished) return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.#log.error(`Dropped a message to the upstream that is not JSON: ${excerpt(line)}`);
      return;
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      this.#log.error(`Dropped a message to the upstream that is not one JSON-RPC object`);
      return;
    }
    const object = message as JsonObject;
    const method = typeof object.method === "string" ? object.method : null;
    const hasId = method !== null &&
      (typeof object.id === "string" || typeof object.id === "number");
    const out: Outgoing = {
      line,
      message: object,
      id: hasId ? object.id as JsonRpcId : null,
      method,
      modern: modernVersionOf(object) !== null,
      retried: false,
    };
    if (out.id !== null) this.#pending.add(out.id, method!, out.modern);
    if (this.#handlers && this.#queue.length === 0 && this.#mode !== "probing") {
      return this.#dispatch(out);
    }
    this.#queue.push(out);
    this.#queuedChars += line.length;
  }

  #flushQueue(): void {
    while (this.#queue.length > 0 && this.#handlers && this.#mode !== "probing") {
      const out = this.#queue.shift()!;
      this.#queuedChars -= out.line.length;
      this.#dispatch(out);
    }
    if (this.#queue.length === 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  #drained(): Promise<void> {
    if (this.#queue.length === 0 || this.#finished) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #dispatch(out: Outgoing): void {
    if (this.#finished) return;
    if (out.method === "notifications/cancelled" && out.id === null) return this.#cancel(out);
    if (out.id !== null && !this.#pending.get(out.id)) return; // cancelled while queued
    if (this.#mode === "sse") return void this.#postLegacy(out);
    if (this.#mode === "unknown") {
      this.#mode = "probing";
      this.#detectTimer = setTimeout(() => this.#decide("streamable"), DETECT_WAIT_MS);
      return void this.#post(out, true);
    }
    void this.#post(out, false);
  }

  /** The first POST found the transport (or failed: "unknown"); queued messages go. */
  #decide(mode: Mode): void {
    if (this.#mode !== "probing") return;
    clearTimeout(this.#detectTimer);
    if (mode !== "unknown") this.#log.debug(`Upstream transport: ${mode}`);
    this.#mode = mode;
    this.#flushQueue();
  }

  /** The client cancelled a request: its stream is closed; a legacy server is also told. */
  #cancel(out: Outgoing): void {
    const params = out.message.params as JsonObject | undefined;
    const id = params?.requestId;
    const request = typeof id === "string" || typeof id === "number"
      ? this.#pending.abandon(id)
      : undefined;
    // On 2026-07-28 closing the response stream is the cancellation: no notification is sent.
    if (request?.modern || (!request && out.modern)) return;
    if (this.#mode === "sse") void this.#postLegacy(out);
    else void this.#post(out, false);
  }

  #headers(extra: Record<string, string>): Headers {
    const headers = new Headers();
    for (const [name, value] of this.#userHeaders) headers.set(name, value);
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    return headers;
  }

  /** One message as a Streamable HTTP POST; `probe`: the first one, which finds the transport. */
  async #post(out: Outgoing, probe: boolean): Promise<void> {
    const request = out.id === null ? undefined : this.#pending.get(out.id);
    const mcp = mcpRequestHeaders({
      message: out.message,
      paramHeaders: out.modern && out.method === "tools/call"
        ? this.#paramHeaders.get(String((out.message.params as JsonObject)?.name))
        : undefined,
      legacyVersion: this.#legacyVersion,
    });
    if (mcp instanceof Error) {
      if (probe) this.#decide("unknown");
      return this.#fail(out, mcp.message, -32600);
    }
    const headers = this.#headers({
      ...mcp,
      "Content-Type": "application/json",
      "Accept": "application/json, text/event-stream",
      ...(this.#session ? { "Mcp-Session-Id": this.#session } : {}),
    });
    const controller = new AbortController();
    if (request) request.controller = controller;
    let response: Response;
    try {
      response = await this.#fetch(this.#url, {
        method: "POST",
        headers,
        body: out.line,
        signal: controller.signal,
        redirect: "manual",
      });
    } catch (error) {
      if (controller.signal.aborted) return;
      if (probe) this.#decide("unknown");
      return this.#fail(out, `Cannot reach the upstream ${this.#shown}: ${reason(error)}`);
    }
    if (request) this.#pending.alive(request);
    try {
      if (probe && this.#mode === "probing" && !(await this.#probeAnswered(out, response))) {
        return;
      }
      await this.#answered(out, request, response, controller);
    } catch (error) {
      if (controller.signal.aborted || this.#finished) return;
      this.#fail(out, `The upstream's answer broke off: ${reason(error)}`);
    }
  }

  /**
   * The first POST's answer decides the transport: a 400, 404 or 405 without a 2026-07-28
   * error may come from a legacy HTTP+SSE server, tried next. False when `out` went that way.
   */
  async #probeAnswered(out: Outgoing, response: Response): Promise<boolean> {
    clearTimeout(this.#detectTimer); // an answer came: it decides, however long the rest takes
    const status = response.status;
    if (status !== 400 && status !== 404 && status !== 405) {
      this.#decide("streamable");
      return true;
    }
    const text = await readErrorBody(response.body);
    if (!isModernError(text)) {
      const sse = await this.#openLegacy();
      if (sse) {
        this.#legacySse = sse;
        this.#log.debug(`The upstream speaks the legacy HTTP+SSE transport (${this.#shown})`);
        void this.#postLegacy(out); // first, before what waited behind it
        this.#decide("sse");
        return false;
      }
    }
    this.#decide("streamable");
    this.#httpError(out, response, text);
    return false;
  }

  async #answered(
    out: Outgoing,
    request: PendingRequest | undefined,
    response: Response,
    controller: AbortController,
  ): Promise<void> {
    const status = response.status;
    if (out.method === "initialize" && response.ok) this.#takeSession(response);
    if (status >= 300 && status < 400) {
      await response.body?.cancel().catch(() => {});
      const location = response.headers.get("location");
      return this.#fail(
        out,
        `The upstream redirected to ${location ? excerpt(location) : "another URL"}; give ` +
          `that URL to --upstream (intercept does not follow redirects with credentials)`,
      );
    }
    if (!response.ok) return this.#httpError(out, response, await readErrorBody(response.body));
    if (out.method === "notifications/initialized" && !out.modern) this.#openServerStream();
    const type = (response.headers.get("content-type") ?? "").toLowerCase();
    if (!request || status === 202 || status === 204 || !response.body) {
      // Nothing to read: a notification, or an answer that comes on another stream.
      await response.body?.cancel().catch(() => {});
      return;
    }
    if (type.startsWith("text/event-stream")) {
      if (request.listen) this.#pending.open(request);
      await this.#pumpStream(response.body, request);
    } else if (type.startsWith("application/json")) {
      const body = await readBody(
        response.body,
        this.#maxBytes,
        () => this.#pending.alive(request),
      );
      if ("oversize" in body) this.#oversize(body.oversize, request.id);
      else if (body.text.trim() !== "") await this.#deliver(body.text);
    } else {
      controller.abort();
      return this.#fail(out, `The upstream answered with content type "${excerpt(type)}"`);
    }
    if (this.#pending.get(request.id) === request && !this.#finished) {
      this.#fail(out, "The upstream closed its answer without answering the request");
    }
  }

  async #pumpStream(body: ReadableStream<Uint8Array>, request: PendingRequest): Promise<void> {
    const lines: string[] = [];
    await pumpEvents(body, this.#maxBytes, {
      event: (event) => {
        if (event.type === "message" && event.data.trim() !== "") lines.push(event.data);
      },
      // Over the limit on the request's own stream: taken for its answer (the proxy finds it).
      oversize: (event) => {
        if (event.type === "message") this.#oversize(event, request.id);
      },
      chunkEnd: () => {
        if (!request.listen) this.#pending.alive(request);
        const batch = lines.splice(0);
        return this.#deliverAll(batch);
      },
    });
  }

  /** A POST the server refused (its error body read): a lost session, a retry, or an error. */
  #httpError(out: Outgoing, response: Response, text: string): void {
    if (response.status === 404 && this.#session !== null) {
      this.#fail(out, `The upstream no longer knows this session (HTTP 404)`);
      return this.#lose(`it answered HTTP 404 for the session: the session expired or ended`);
    }
    if (response.status === 400 && this.#mismatchRetry(out, text)) return;
    this.#refused(out, response.status, response.statusText, text);
  }

  /** A refused POST: a request gets the server's own JSON-RPC error, else one that says why. */
  #refused(out: Outgoing, status: number, statusText: string, text: string): void {
    const error = jsonRpcError(text);
    if (out.id === null) {
      this.#log.warn(
        `The upstream refused a ${out.method ?? "answer"} message: HTTP ${status} ${excerpt(text)}`,
      );
      return;
    }
    if (error && this.#pending.settle(out.id)) {
      return this.#emit(serverErrorLine(out.id, error));
    }
    const hint = status === 401 || status === 403 ? " (check the --header credentials)" : "";
    this.#fail(
      out,
      `The upstream answered HTTP ${status} ${statusText}${hint}` +
        (text.trim() ? `: ${excerpt(text)}` : ""),
    );
  }

  /**
   * A 2026-07-28 server refused a call's `Mcp-Param-*` headers: the tool list is fetched again
   * (its `x-mcp-header` declarations may have changed) and the call sent once more.
   */
  #mismatchRetry(out: Outgoing, text: string): boolean {
    if (out.retried || !out.modern || out.method !== "tools/call" || out.id === null) return false;
    if (jsonRpcError(text)?.code !== -32020) return false;
    out.retried = true;
    void this.#refreshToolHeaders(out).then(
      () => this.#pending.get(out.id!) && this.#dispatch(out),
      (error) =>
        this.#refused(out, 400, `(the tool list could not be fetched: ${reason(error)})`, text),
    );
    return true;
  }

  // ---- server → proxy

  async #deliverAll(texts: readonly string[]): Promise<void> {
    for (const text of texts) this.#deliverOne(text);
    await this.#handlers?.chunkEnd?.();
  }

  async #deliver(text: string): Promise<void> {
    await this.#deliverAll([text]);
  }

  /** One message from the server to the proxy, on one line; answers settle their request. */
  #deliverOne(text: string): void {
    if (this.#finished) return;
    // JSON allows raw line breaks only between tokens: as spaces they mean the same.
    let line = /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, " ") : text;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return this.#emit(line); // the proxy reports it
    }
    if (typeof message === "object" && message !== null && !Array.isArray(message)) {
      const object = message as JsonObject;
      const id = object.id;
      if (!("method" in object) && (typeof id === "string" || typeof id === "number")) {
        if (this.#pending.takeAbandoned(id)) return;
        const request = this.#pending.settle(id);
        if (request) line = this.#learn(request, object, line);
      }
    }
    this.#emit(line);
  }

  /** What an answer teaches: the legacy session's version, the tools' header declarations. */
  #learn(request: PendingRequest, answer: JsonObject, line: string): string {
    const result = answer.result;
    if (typeof result !== "object" || result === null) return line;
    if (request.method === "initialize" && !request.modern) {
      const version = (result as JsonObject).protocolVersion;
      if (typeof version === "string") this.#legacyVersion = version;
    }
    if (request.method === "tools/list" && request.modern) {
      const kept = this.#rememberTools(result as JsonObject);
      if (kept) return JSON.stringify({ ...answer, result: { ...result, tools: kept } });
    }
    return line;
  }

  /**
   * Keeps each tool's `x-mcp-header` declarations; a tool whose declarations are invalid is
   * left out of the list (the specification's MUST). Returns the list when it changed.
   */
  #rememberTools(result: JsonObject): unknown[] | null {
    if (!Array.isArray(result.tools)) return null;
    let dropped = false;
    const kept = result.tools.filter((tool) => {
      if (typeof tool !== "object" || tool === null) return true;
      const { name, inputSchema } = tool as JsonObject;
      if (typeof name !== "string") return true;
      const scan = scanParamHeaders(inputSchema);
      if (!scan.valid) {
        this.#log.warn(`Left the tool "${excerpt(name)}" out of tools/list: ${scan.reason}`);
        this.#paramHeaders.delete(name);
        dropped = true;
        return false;
      }
      if (scan.headers.length === 0) this.#paramHeaders.delete(name);
      else {
        if (this.#paramHeaders.size >= MAX_HEADER_TOOLS) this.#paramHeaders.clear();
        this.#paramHeaders.set(name, scan.headers);
      }
      return true;
    });
    return dropped ? kept : null;
  }

  #oversize(oversize: Oversize, id: JsonRpcId | null): void {
    if (id !== null) this.#pending.settle(id); // the proxy charges it to its request
    this.#handlers?.oversize({ size: oversize.size, head: oversize.head, tail: oversize.tail });
  }

  #emit(line: string): void {
    if (this.#finished || !this.#handlers) return;
    try {
      this.#handlers.line(line);
    } catch (error) {
      this.#handlers.error?.(error as Error);
    }
  }

  /** Answers `out` (a request) with an error of intercept's own; a notification is logged. */
  #fail(out: Outgoing, message: string, code = -32603): void {
    if (out.id === null) {
      this.#log.warn(`A ${out.method ?? "answer"} message did not reach the upstream: ${message}`);
      return;
    }
    if (!this.#pending.settle(out.id)) return;
    this.#log.warn(`Request ${out.id} (${out.method}) failed: ${message}`);
    this.#emit(errorLine(out.id, message, code));
  }

  #timedOut(request: PendingRequest): void {
    this.#pending.abandon(request.id);
    const message = `The upstream did not answer ${request.method} within ${this.#timeoutMs} ms ` +
      `(--upstream-timeout-ms)`;
    this.#log.warn(`Request ${request.id}: ${message}`);
    this.#emit(errorLine(request.id, message));
    if (!request.modern) {
      const cancel = JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: request.id, reason: "timed out" },
      });
      this.#send(cancel);
    }
  }

  // ---- sessions and streams

  #takeSession(response: Response): void {
    const session = response.headers.get("mcp-session-id");
    if (session === null) return;
    if (!/^[\x21-\x7e]+$/.test(session) || session.length > MAX_SESSION_ID_CHARS) {
      this.#log.warn("Ignored a session id from the upstream that is not visible ASCII");
      return;
    }
    this.#session = session;
  }

  #openServerStream(): void {
    if (this.#serverStream || this.#finished) return;
    const stream = this.#serverStream = new ServerStream({
      open: (lastEventId, signal) =>
        this.#fetch(this.#url, {
          method: "GET",
          headers: this.#headers({
            "Accept": "text/event-stream",
            ...(this.#session ? { "Mcp-Session-Id": this.#session } : {}),
            ...(this.#legacyVersion ? { "MCP-Protocol-Version": this.#legacyVersion } : {}),
            ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}),
          }),
          signal,
          redirect: "manual",
        }),
      maxBytes: this.#maxBytes,
      pump: this.#streamPump(),
      onGone: (why) => this.#lose(why),
      debug: (message) => this.#log.debug(message),
    });
    void stream.run();
  }

  #openLegacy(): Promise<LegacySse | null> {
    return openLegacySse({
      url: this.#url,
      open: (signal) =>
        this.#fetch(this.#url, {
          method: "GET",
          headers: this.#headers({ "Accept": "text/event-stream" }),
          signal,
          redirect: "manual",
        }),
      maxBytes: this.#maxBytes,
      pump: this.#streamPump(),
      onEnd: (why) => this.#lose(why),
      openTimeoutMs: STREAM_OPEN_TIMEOUT_MS,
    }).then((result) => {
      if (typeof result !== "string") return result;
      this.#log.debug(`Not a legacy HTTP+SSE server either: ${result}`);
      return null;
    });
  }

  /** Delivers a shared stream's messages (GET stream, legacy SSE stream). */
  #streamPump() {
    const lines: string[] = [];
    return {
      event: (event: { type: string; data: string }) => {
        if (event.type === "message" && event.data.trim() !== "") lines.push(event.data);
      },
      oversize: (event: Oversize & { type: string }) => {
        if (event.type === "message") this.#oversize(event, null);
      },
      chunkEnd: () => this.#deliverAll(lines.splice(0)),
    };
  }

  async #postLegacy(out: Outgoing): Promise<void> {
    const sse = this.#legacySse;
    if (!sse) return;
    const request = out.id === null ? undefined : this.#pending.get(out.id);
    const controller = new AbortController();
    if (request) request.controller = controller;
    let response: Response;
    try {
      response = await this.#fetch(sse.endpoint, {
        method: "POST",
        headers: this.#headers({ "Content-Type": "application/json" }),
        body: out.line,
        signal: controller.signal,
        redirect: "manual",
      });
    } catch (error) {
      if (controller.signal.aborted) return;
      return this.#fail(out, `Cannot reach the upstream ${this.#shown}: ${reason(error)}`);
    }
    if (response.ok) {
      await response.body?.cancel().catch(() => {}); // the answer comes on the stream
      return;
    }
    const text = await readErrorBody(response.body).catch(() => "");
    if (response.status === 404) {
      this.#fail(out, "The upstream no longer knows this session (HTTP 404)");
      return this.#lose("it answered HTTP 404 for the session's endpoint");
    }
    this.#refused(out, response.status, response.statusText, text);
  }

  /** Own request for the tool list after a header mismatch: every page, not shown to the proxy. */
  async #refreshToolHeaders(call: Outgoing): Promise<void> {
    const meta = (call.message.params as JsonObject)._meta;
    let cursor: unknown;
    for (let page = 0; page < 100; page++) {
      const id = `intercept-tools-${crypto.randomUUID()}`;
      const params: JsonObject = { _meta: meta };
      if (typeof cursor === "string") params.cursor = cursor;
      const message = { jsonrpc: "2.0", id, method: "tools/list", params };
      const result = await this.#ownRequest(message);
      this.#rememberTools(result);
      cursor = result.nextCursor;
      if (typeof cursor !== "string" || cursor === "") return;
    }
  }

  async #ownRequest(message: JsonObject): Promise<JsonObject> {
    const headers = mcpRequestHeaders({ message });
    if (headers instanceof Error) throw headers;
    const response = await this.#fetch(this.#url, {
      method: "POST",
      headers: this.#headers({
        ...headers,
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
      }),
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(this.#timeoutMs),
      redirect: "manual",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const type = (response.headers.get("content-type") ?? "").toLowerCase();
    let texts: string[] = [];
    if (type.startsWith("text/event-stream") && response.body) {
      await pumpEvents(response.body, this.#maxBytes, {
        event: (event) => texts.push(event.data),
        oversize: () => {},
        chunkEnd: () => {},
      });
    } else {
      const body = await readBody(response.body, this.#maxBytes);
      texts = "text" in body ? [body.text] : [];
    }
    for (const text of texts) {
      const answer = JSON.parse(text) as JsonObject;
      if (answer.id !== message.id) continue;
      if (typeof answer.result === "object" && answer.result !== null) {
        return answer.result as JsonObject;
      }
      throw new Error(excerpt(JSON.stringify(answer.error ?? answer)));
    }
    throw new Error("no answer");
  }

  async #endSession(timeoutMs: number): Promise<void> {
    this.#serverStream?.close();
    this.#legacySse?.close();
    const session = this.#session;
    this.#session = null; // ended once
    if (session === null || this.#mode !== "streamable") return;
    try {
      const response = await this.#fetch(this.#url, {
        method: "DELETE",
        headers: this.#headers({
          "Mcp-Session-Id": session,
          ...(this.#legacyVersion ? { "MCP-Protocol-Version": this.#legacyVersion } : {}),
        }),
        signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
        redirect: "manual",
      });
      await response.body?.cancel().catch(() => {});
    } catch (error) {
      this.#log.debug(`Ending the upstream session failed: ${reason(error)}`);
    }
  }

  /** The upstream is gone for good: the proxy ends with code 1. */
  #lose(why: string): void {
    if (this.#finished || this.#closing) return;
    this.#log.error(`The upstream ${this.#shown} is gone: ${why}`);
    this.#finish(1);
  }

  #finish(code: number): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#closing = true;
    clearTimeout(this.#detectTimer);
    this.#pending.clear();
    this.#serverStream?.close();
    this.#legacySse?.close();
    this.#queue = [];
    this.#queuedChars = 0;
    for (const wake of this.#drainWaiters.splice(0)) wake();
    this.#resolveExit(code);
    this.#handlers?.end();
    this.#resolveReceived();
  }
}

/** The URL as logs and status show it: without its query, which may hold a key. */
export function shownUrl(url: URL): string {
  return `${url.origin}${url.pathname}${url.search ? "?…" : ""}`;
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return excerpt(message);
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}
