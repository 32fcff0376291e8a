/**
 * An MCP server at a URL as the proxy's upstream (`--upstream URL`). Speaks Streamable HTTP:
 * every message the proxy sends is its own POST (many in flight at once), answered with JSON or
 * an SSE stream; a legacy session's `Mcp-Session-Id` goes on every later request, its GET
 * stream brings what the server starts on its own, and a DELETE ends it. A 2026-07-28 request
 * carries the headers its body calls for. A server that does not speak Streamable HTTP is
 * reached over the legacy HTTP+SSE transport instead (the 2025-03-26 backwards-compatibility
 * rule, tried on the first POST). Every request is answered: by the server, or with a
 * JSON-RPC error when the exchange fails or shows no sign of life for the timeout.
 */
import {
  type HttpContext,
  type JsonObject,
  type Outgoing,
  shownUrl,
  type UpstreamLog,
} from "./http_context.ts";
import { excerpt, isModernError, type JsonRpcId, readErrorBody } from "./http_exchange.ts";
import { Inbox } from "./http_inbox.ts";
import { type PendingRequest, PendingRequests } from "./http_pending.ts";
import { STREAM_OPEN_TIMEOUT_MS } from "./http_server_stream.ts";
import { LegacySession } from "./http_session.ts";
import { ToolHeaders } from "./http_tool_headers.ts";
import { type LegacySse, openLegacySse, postLegacy } from "./legacy_sse_stream.ts";
import { modernVersionOf } from "./mcp_request_headers.ts";
import type { LineChannelHandlers } from "./stdio.ts";
import { httpError, postStreamable } from "./streamable_post.ts";
import type { Upstream, UpstreamChannel } from "./upstream.ts";

export { shownUrl, type UpstreamLog } from "./http_context.ts";

export interface HttpUpstreamOptions {
  url: URL;
  /** `--header` credentials, sent on every request to the server. */
  headers?: readonly (readonly [string, string])[];
  log: UpstreamLog;
  /** A request showing no sign of life this long is given up (default `REQUEST_TIMEOUT_MS`). */
  requestTimeoutMs?: number;
  /** How long what follows the first POST waits for its status (default `DETECT_WAIT_MS`). */
  detectWaitMs?: number;
  fetch?: typeof fetch;
}

/** How long a request may go without any sign of life (headers, a byte of its stream). */
export const REQUEST_TIMEOUT_MS = 300_000;
/** How long later messages wait for the first POST's status before Streamable HTTP is assumed. */
export const DETECT_WAIT_MS = 10_000;
/** How long the DELETE that ends a session may take. */
export const CLOSE_TIMEOUT_MS = 2_000;

type Mode = "unknown" | "probing" | "streamable" | "sse";

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
  readonly #detectWaitMs: number;
  readonly #pending: PendingRequests;
  readonly #tools: ToolHeaders;
  readonly #session: LegacySession;
  readonly #inbox: Inbox;
  readonly #context: HttpContext;
  #mode: Mode = "unknown";
  #queue: Outgoing[] = [];
  #queuedChars = 0;
  #drainWaiters: (() => void)[] = [];
  #detectTimer: ReturnType<typeof setTimeout> | undefined;
  #legacySse: LegacySse | null = null;
  #attached = false;
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
    this.#detectWaitMs = options.detectWaitMs ?? DETECT_WAIT_MS;
    this.#pending = new PendingRequests(this.#timeoutMs, (request) => this.#timedOut(request));
    this.#tools = new ToolHeaders((message) => this.#log.warn(message));
    this.#session = new LegacySession({
      fetch: this.#fetch,
      url: this.#url,
      headers: (extra) => this.#headers(extra),
      pump: () => this.#inbox.sharedPump(),
      maxBytes: () => this.#maxBytes,
      onGone: (why) => this.#lose(why),
      log: this.#log,
    });
    this.#inbox = new Inbox({
      pending: this.#pending,
      tools: this.#tools,
      session: this.#session,
      log: this.#log,
    });
    this.#context = {
      url: this.#url,
      shown: this.#shown,
      fetch: this.#fetch,
      log: this.#log,
      pending: this.#pending,
      inbox: this.#inbox,
      session: this.#session,
      tools: this.#tools,
      timeoutMs: this.#timeoutMs,
      maxBytes: () => this.#maxBytes,
      headers: (extra) => this.#headers(extra),
      dispatch: (out) => this.#dispatch(out),
      lose: (why) => this.#lose(why),
    };
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
    this.#inbox.attach(handlers);
    this.#attached = true;
    this.#maxBytes = maxBytes;
    this.#flushQueue();
    return this.#received;
  }

  /** The client is done: answers still due may come (within `graceMs`), then the session ends. */
  async shutdown(graceMs: number): Promise<number> {
    if (this.#finished) return this.exited;
    this.#closing = true;
    await withTimeout(this.#pending.idle(), graceMs);
    await this.#session.end(Math.min(graceMs, CLOSE_TIMEOUT_MS));
    this.#finish(0);
    return this.exited;
  }

  async terminate(graceMs: number): Promise<number> {
    await this.#stop(SIGNAL_CODES.SIGTERM!, graceMs);
    return this.exited;
  }

  /** SIGINT and SIGTERM end the session (requests in flight fail); SIGKILL ends it at once. */
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
    await this.#session.end(Math.min(graceMs, CLOSE_TIMEOUT_MS));
    this.#finish(code);
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
    this.#session.close();
    this.#legacySse?.close();
    this.#queue = [];
    this.#queuedChars = 0;
    for (const wake of this.#drainWaiters.splice(0)) wake();
    this.#resolveExit(code);
    this.#inbox.end();
    this.#resolveReceived();
  }

  // ---- proxy → server

  #send(line: string): void {
    if (this.#finished) return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return this.#log.error(
        `Dropped a message to the upstream that is not JSON: ${excerpt(line)}`,
      );
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      return this.#log.error("Dropped a message to the upstream that is not one JSON-RPC object");
    }
    const object = message as JsonObject;
    const method = typeof object.method === "string" ? object.method : null;
    const isRequest = method !== null &&
      (typeof object.id === "string" || typeof object.id === "number");
    const out: Outgoing = {
      line,
      message: object,
      id: isRequest ? object.id as JsonRpcId : null,
      method,
      modern: modernVersionOf(object) !== null,
      retried: false,
    };
    if (out.id !== null) this.#pending.add(out.id, method!, out.modern);
    if (this.#attached && this.#queue.length === 0 && this.#mode !== "probing") {
      return this.#dispatch(out);
    }
    this.#queue.push(out);
    this.#queuedChars += line.length;
  }

  #flushQueue(): void {
    while (this.#queue.length > 0 && this.#attached && this.#mode !== "probing") {
      const out = this.#queue.shift()!;
      this.#queuedChars -= out.line.length;
      this.#dispatch(out);
    }
    if (this.#queue.length > 0) return;
    for (const wake of this.#drainWaiters.splice(0)) wake();
  }

  #drained(): Promise<void> {
    if (this.#queue.length === 0 || this.#finished) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #dispatch(out: Outgoing): void {
    if (this.#finished) return;
    if (out.method === "notifications/cancelled" && out.id === null) return this.#cancel(out);
    if (out.id !== null && !this.#pending.get(out.id)) return; // cancelled while it waited
    if (this.#mode === "sse") return void postLegacy(this.#context, this.#legacySse!.endpoint, out);
    const probe = this.#mode === "unknown";
    if (probe) {
      this.#mode = "probing";
      this.#detectTimer = setTimeout(() => this.#decide("streamable"), this.#detectWaitMs);
    }
    void this.#post(out, probe);
  }

  /** The first POST found the transport (or failed: "unknown"); what waited goes. */
  #decide(mode: Mode): void {
    if (this.#mode !== "probing") return;
    clearTimeout(this.#detectTimer);
    if (mode !== "unknown") this.#log.debug(`Upstream transport: ${mode}`);
    this.#mode = mode;
    this.#flushQueue();
  }

  /** The client cancelled a request: its stream is closed; a legacy server is also told. */
  #cancel(out: Outgoing): void {
    const id = (out.message.params as JsonObject | undefined)?.requestId;
    const request = typeof id === "string" || typeof id === "number"
      ? this.#pending.abandon(id)
      : undefined;
    // On 2026-07-28 closing the response stream is the cancellation: no notification is sent.
    if (request?.modern || (!request && out.modern)) return;
    if (this.#mode === "sse") void postLegacy(this.#context, this.#legacySse!.endpoint, out);
    else void this.#post(out, false);
  }

  #headers(extra: Record<string, string>): Headers {
    const headers = new Headers();
    for (const [name, value] of this.#userHeaders) headers.set(name, value);
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    return headers;
  }

  /** One message as a Streamable HTTP POST; `probe`: the first, which finds the transport. */
  #post(out: Outgoing, probe: boolean): Promise<void> {
    if (!probe) return postStreamable(this.#context, out);
    return postStreamable(this.#context, out, {
      answered: (response) => this.#probeAnswered(out, response),
      unreachable: () => this.#decide("unknown"),
    });
  }

  /**
   * The first POST's answer decides the transport: a 400, 404 or 405 without a 2026-07-28
   * error may come from a legacy HTTP+SSE server, tried next. False when `out` is dealt with.
   */
  async #probeAnswered(out: Outgoing, response: Response): Promise<boolean> {
    if (this.#mode !== "probing") return true; // decided meanwhile (it took too long)
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
        void postLegacy(this.#context, sse.endpoint, out); // first, before what waited
        this.#decide("sse");
        return false;
      }
    }
    this.#decide("streamable");
    httpError(this.#context, out, response, text);
    return false;
  }

  #timedOut(request: PendingRequest): void {
    const message = `The upstream did not answer ${request.method} within ${this.#timeoutMs} ms ` +
      `(--upstream-timeout-ms)`;
    this.#log.warn(`Request ${request.id}: ${message}`);
    this.#inbox.abandon(request, message);
    if (request.modern) return; // its stream is closed: that cancels it
    this.#send(JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: request.id, reason: "timed out" },
    }));
  }

  // ---- the legacy HTTP+SSE transport

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
      pump: this.#inbox.sharedPump(),
      onEnd: (why) => this.#lose(why),
      openTimeoutMs: STREAM_OPEN_TIMEOUT_MS,
    }).then((result) => {
      if (typeof result !== "string") return result;
      this.#log.debug(`Not a legacy HTTP+SSE server either: ${result}`);
      return null;
    });
  }
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}
