/**
 * The proxy between an MCP client and an upstream server: the client's messages, the
 * upstream link, and the policy gate between them. Every `tools/call` is decided before it can
 * reach the upstream; every request with an id gets exactly one answer; everything else
 * passes through. Both protocol eras are served, per request.
 */
import type { OversizeLine } from "../transports/line_splitter.ts";
import type { LineChannel } from "../transports/stdio.ts";
import { type Batch, type ClientRequest, ClientRequests, newBatch } from "./client_requests.ts";
import { type ClientInfo, type Era, isKnownVersion, LATEST_LEGACY, readClientInfo } from "./era.ts";
import type { CallTracer, DecisionEvent } from "./events.ts";
import {
  ErrorCode,
  errorResponse,
  hasNonFinite,
  isObject,
  isValidId,
  type JsonObject,
  type JsonRpcId,
  mayOverflow,
} from "./jsonrpc.ts";
import type { PolicyGate } from "./policy_gate.ts";
import { sniffTopLevelId } from "./top_level_id.ts";
import { ClientRelay, type RequestKind } from "./client_relay.ts";
import { Approvals } from "./approvals.ts";
import { ClientQuestions } from "./client_questions.ts";
import { takesForms } from "./held_calls.ts";
import { Continuations } from "./continuations.ts";
import { ToolCalls } from "./tool_calls.ts";
import { classifyClientMessage, type ClientMessage } from "./client_message.ts";
import type { ToolSchemas } from "./tool_schemas.ts";
import type { ProxyLogger } from "./upstream_link.ts";
import { UpstreamSide } from "./upstream_side.ts";

export type { DecisionEvent } from "./events.ts";
export type { ProxyLogger } from "./upstream_link.ts";
export { MAX_TOOL_NAME } from "./client_message.ts";

export interface McpProxyOptions {
  gate: PolicyGate;
  /** The agent session: per-session quotas are keyed by it. */
  session: string;
  /** The authenticated caller: per-principal quotas are keyed by it (default: the session). */
  principal?: string;
  client: LineChannel;
  /** The upstream: a channel this session has to itself, or a side shared with others. */
  upstream: LineChannel | UpstreamSide;
  /** MRTR continuations, shared by the sessions of one principal (default: this session's own). */
  continuations?: Continuations;
  /** Calls held for a human, shared by every session of the proxy (default: this one's own). */
  approvals?: Approvals;
  log: ProxyLogger;
  onDecision?: (event: DecisionEvent) => void;
  /** An allowed call was answered upstream (or failed there), after `durationMs`. */
  onUpstreamAnswer?: (durationMs: number, ok: boolean) => void;
  /** Spans per call, when tracing is on. */
  tracer?: CallTracer | null;
  /** How long the proxy waits, in all, for its own requests to the upstream (tools/list). */
  upstreamTimeoutMs?: number;
  /** The size limit of one message; a batch's answer stays within it too. */
  maxBytes?: number;
  /** The proxy's own name and version, for its own requests to the upstream. */
  self?: ClientInfo;
  now?: () => number;
}

/** Requests taken on and not answered yet, at most (bounded memory). */
export const MAX_IN_FLIGHT = 10_000;

/** Elements of one JSON-RPC batch, at most: a larger batch gets one error. */
export const MAX_BATCH = 256;

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export class McpProxy {
  readonly #options: McpProxyOptions;
  readonly #requests: ClientRequests;
  readonly #side: UpstreamSide;
  readonly #relay: ClientRelay;
  readonly #calls: ToolCalls;
  /** Set while tool calls and lists must wait (the policy is loading). */
  #hold: Promise<void> | null = null;
  /** Work in progress (calls waiting for the policy, a schema, a digest) and its size in bytes. */
  readonly #work = new Set<Promise<void>>();
  #waitingBytes = 0;
  /** The size of the message being handled, charged to it if it has to wait. */
  #messageBytes = 0;
  #clientInfo: ClientInfo | null = null;
  /** The legacy client declared elicitation in its `initialize`. */
  #elicits = false;
  readonly #questions: ClientQuestions;
  readonly approvals: Approvals;
  /** Answers the messages handled by the current `fromClient` will get (0 or 1). */
  #promised = 0;

  constructor(options: McpProxyOptions) {
    this.#options = options;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const client = options.client;
    this.#requests = new ClientRequests(
      (line, origin, answer) => client.send(line, origin, answer),
      { maxInFlight: MAX_IN_FLIGHT, maxBytes },
    );
    const own = !(options.upstream instanceof UpstreamSide);
    this.#side = options.upstream instanceof UpstreamSide ? options.upstream : new UpstreamSide({
      channel: options.upstream,
      log: options.log,
      upstreamTimeoutMs: options.upstreamTimeoutMs,
    });
    this.#relay = new ClientRelay({
      gate: options.gate,
      requests: this.#requests,
      side: this.#side,
      client,
      log: options.log,
    });
    if (own) this.#side.defaultClient = this.#relay;
    this.approvals = options.approvals ?? new Approvals({ now: options.now });
    const notify = (message: JsonObject, origin: unknown) =>
      client.send(JSON.stringify(message), origin);
    this.#questions = new ClientQuestions(notify);
    this.#calls = new ToolCalls({
      gate: options.gate,
      requests: this.#requests,
      side: this.#side,
      relay: this.#relay,
      continuations: options.continuations ?? new Continuations({ now: options.now }),
      approvals: this.approvals,
      notify,
      askClient: (method, params, origin) => this.#questions.ask(method, params, origin),
      legacyElicitation: () => this.#elicits,
      session: options.session,
      principal: options.principal ?? options.session,
      self: options.self ?? { name: "intercept", version: "0" },
      legacyClient: () => this.#clientInfo,
      log: options.log,
      onDecision: options.onDecision,
      onUpstreamAnswer: options.onUpstreamAnswer,
      tracer: options.tracer,
      now: options.now ?? Date.now,
    });
  }

  /** The tool schemas learnt from the upstream. */
  get schemas(): ToolSchemas {
    return this.#side.schemas;
  }

  /** The client's requests from `origin` still open (an HTTP exchange the client left). */
  openRequestIds(origin: unknown): JsonRpcId[] {
    return this.#requests.idsFrom(origin);
  }

  /** Requests taken on and not answered yet (being decided, waiting or forwarded). */
  get inFlight(): number {
    return this.#requests.size;
  }

  /** The client's name and version from its `initialize`, or its latest modern request. */
  get clientInfo(): ClientInfo | null {
    return this.#calls.lastClient ?? this.#clientInfo;
  }

  /** The server's name and version, from its `initialize` or `server/discover` result. */
  get serverInfo(): ClientInfo | null {
    return this.#side.serverInfo;
  }

  /**
   * Lets the session start (initialize, ping, resources...) while the policy loads: tool
   * calls and tool lists wait until `ready` resolves. If it rejects they wait for good.
   */
  holdToolsUntil(ready: Promise<void>): void {
    const hold = this.#hold = ready.then(() => {
      if (this.#hold === hold) this.#hold = null;
    });
    hold.catch(() => {}); // The owner of `ready` reports its failure.
  }

  /**
   * Tells the client that the tools it may see changed (a live deny, a reload that changed
   * `hide` or `default`): legacy sessions once initialized, modern streams that asked for it.
   */
  notifyToolsChanged(): void {
    this.#relay.notifyToolsChanged();
  }

  /** Resolves when no call is being decided or waiting (for the policy, a schema). */
  async settled(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  /** Bytes of client messages waiting to be decided: the reader stops past a bound. */
  get waitingBytes(): number {
    return this.#waitingBytes;
  }

  // ---- client → upstream

  /**
   * Handles one line from the client. `origin` is where it came from (an HTTP exchange): its
   * answers go back there. Returns how many answers the line will get (0 or 1: a batch gets one
   * array), so that an HTTP exchange knows whether to wait.
   */
  fromClient(line: string, origin?: unknown): number {
    this.#promised = 0;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.#reply(null, null, ErrorCode.parseError, "Parse error: invalid JSON", origin);
      return this.#promised;
    }
    const overflow = mayOverflow(line);
    this.#messageBytes = line.length;
    if (!Array.isArray(message)) {
      this.#handleMessage(message, null, overflow, origin);
      return this.#promised;
    }
    if (message.length === 0) {
      this.#reply(null, null, ErrorCode.invalidRequest, "Invalid request: empty batch", origin);
      return this.#promised;
    }
    if (message.length > MAX_BATCH) {
      this.#reply(
        null,
        null,
        ErrorCode.invalidRequest,
        `Invalid request: a batch of ${message.length} messages is over the limit of ${MAX_BATCH}`,
        origin,
      );
      return this.#promised;
    }
    const batch = newBatch(origin);
    this.#messageBytes = Math.ceil(line.length / message.length);
    for (const element of message) this.#handleMessage(element, batch, overflow, origin);
    const answered = batch.open > 1 || batch.parts.length > 0;
    this.#requests.settle(batch);
    return answered ? 1 : 0;
  }

  clientOversize(line: OversizeLine, origin?: unknown): void {
    const id = sniffTopLevelId(line.head, line.tail);
    this.#options.log.warn(`Refused a ${line.size}-byte message from the client: over the limit`);
    this.#reply(
      null,
      id,
      ErrorCode.invalidRequest,
      `Message of ${line.size} bytes exceeds the proxy's size limit`,
      origin,
    );
  }

  /** One message; a failure of the proxy's own still answers a request it took on. */
  #handleMessage(message: unknown, batch: Batch | null, overflow: boolean, origin: unknown): void {
    const id = isObject(message) && isValidId(message.id) ? message.id : null;
    const before = id === null ? undefined : this.#requests.get(id);
    try {
      this.#fromClientMessage(message, batch, overflow, origin);
    } catch (error) {
      const taken = id === null ? undefined : this.#requests.get(id);
      this.#failed(taken !== before ? taken : undefined, error as Error);
    }
  }

  /** The proxy failed on a request: logged, and the request (if still open) gets an error. */
  #failed(request: ClientRequest | undefined, error: Error): void {
    this.#options.log.error(`Handling a request failed: ${error.stack ?? error.message}`);
    if (!request || request.done) return;
    this.#requests.answer(
      request,
      errorResponse(
        request.id,
        ErrorCode.internalError,
        `The proxy failed on this request: ${error.message}`,
      ),
    );
  }

  #fromClientMessage(
    raw: unknown,
    batch: Batch | null,
    overflow: boolean,
    origin: unknown,
  ): void {
    const classified = classifyClientMessage(raw, overflow);
    switch (classified.kind) {
      case "refused":
        return this.#reply(batch, classified.id, classified.code, classified.text, origin);
      case "dropped":
        return this.#options.log.warn(classified.warning);
      case "answer":
        return this.#fromClientAnswer(classified.message, classified.id);
      case "notification":
        return this.#fromClientNotification(classified.message);
      case "unsupported":
        return this.#unsupportedVersion(batch, classified.id, classified.version, origin);
      case "request":
        return this.#fromClientRequest(classified, batch, origin);
    }
  }

  #fromClientRequest(
    { message, id, era }: Extract<ClientMessage, { kind: "request" }>,
    batch: Batch | null,
    origin: unknown,
  ): void {
    switch (message.method) {
      case "tools/call": {
        const request = this.#reserve(id, batch, era, origin);
        if (!request) return;
        return this.#track(this.#calls.handle(request, message, era, this.#hold), request);
      }
      case "initialize":
        return this.#initialize(message, id, batch, origin);
      case "subscriptions/listen":
        return this.#forward(message, id, batch, era, "listen", origin);
      case "server/discover":
        return this.#forward(message, id, batch, era, "discover", origin);
      case "tools/list":
        return this.#forward(message, id, batch, era, "list", origin);
      default:
        return this.#forward(message, id, batch, era, "other", origin);
    }
  }

  /** The client answering a request of the server's (legacy sampling, elicitation, roots). */
  #fromClientAnswer(message: JsonObject, id: JsonRpcId): void {
    if (this.#questions.answered(id, message)) return;
    if (this.#side.link.ended !== null) return;
    const answer = hasNonFinite(message.result)
      ? errorResponse(id, ErrorCode.internalError, "The client's answer held a number out of range")
      : message;
    this.#side.link.notify(answer);
  }

  #fromClientNotification(message: JsonObject): void {
    if (message.method === "notifications/cancelled") return this.#cancel(message);
    if (this.#side.link.ended === null) this.#side.link.notify(message);
  }

  /** The client cancelled a request: its id is free at once, and the upstream is told. */
  #cancel(message: JsonObject): void {
    const params = isObject(message.params) ? message.params : {};
    const id = params.requestId;
    if (!isValidId(id)) return;
    const request = this.#requests.withdraw(id);
    // Not ours: the upstream never saw the id (every id it sees is the proxy's own).
    if (!request || request.upstreamId === null) return;
    this.#relay.cancelled(request.upstreamId);
    const { requestId: _, ...rest } = params;
    this.#side.link.cancel(request.upstreamId, rest);
  }

  #initialize(message: JsonObject, id: JsonRpcId, batch: Batch | null, origin: unknown): void {
    const params = isObject(message.params) ? message.params : null;
    this.#clientInfo = readClientInfo(params?.clientInfo) ?? this.#clientInfo;
    const capabilities = params?.capabilities;
    this.#elicits = isObject(capabilities) && takesForms(capabilities.elicitation);
    const asked = params?.protocolVersion;
    if (params && typeof asked === "string" && !isKnownVersion(asked)) {
      // As a server would: answer in a version we know; the client decides if it can speak it.
      this.#options.log.warn(
        `The client asked for protocol version "${asked.slice(0, 40)}"; offering ${LATEST_LEGACY}`,
      );
      message.params = { ...params, protocolVersion: LATEST_LEGACY };
    }
    this.#forward(message, id, batch, "legacy", "initialize", origin);
  }

  /** Takes on a request and sends it up; the answer comes back through the relay. */
  #forward(
    message: JsonObject,
    id: JsonRpcId,
    batch: Batch | null,
    era: Era,
    kind: RequestKind,
    origin: unknown,
  ): void {
    const request = this.#reserve(id, batch, era, origin);
    if (!request) return;
    if (kind === "listen" && this.#relay.subscriptionCount >= this.#relay.maxSubscriptions) {
      return this.#requests.answer(
        request,
        errorResponse(
          id,
          ErrorCode.invalidRequest,
          `Too many open subscriptions (${this.#relay.maxSubscriptions}); cancel one first`,
        ),
      );
    }
    const hold = this.#hold;
    if (kind === "list" && hold) {
      return this.#track(hold.then(() => this.#relay.send(request, message, kind)), request);
    }
    this.#relay.send(request, message, kind);
  }

  /** Reserves the request's id; answers it at once when that cannot be done. */
  #reserve(id: JsonRpcId, batch: Batch | null, era: Era, origin: unknown): ClientRequest | null {
    const request = this.#requests.reserve(id, batch, era, origin);
    if (request === "in use") {
      // Answered without the id: its one answer belongs to the request already in flight.
      this.#reply(
        batch,
        null,
        ErrorCode.invalidRequest,
        `Request id ${JSON.stringify(id).slice(0, 100)} is already in use by a request in flight`,
        origin,
      );
      return null;
    }
    if (request === "full") {
      this.#reply(
        batch,
        id,
        ErrorCode.invalidRequest,
        `Too many requests in flight (${MAX_IN_FLIGHT}); wait for answers first`,
        origin,
      );
      return null;
    }
    if (!batch) this.#promised++;
    return request;
  }

  #unsupportedVersion(batch: Batch | null, id: JsonRpcId, version: string, origin: unknown): void {
    const supported = this.#side.supportedVersions();
    if (!batch) this.#promised++;
    this.#requests.reply(batch, {
      jsonrpc: "2.0",
      id: this.#requests.has(id) ? null : id,
      error: {
        code: ErrorCode.unsupportedProtocolVersion,
        message: `Unsupported protocol version "${version.slice(0, 40)}"`,
        data: { supported, requested: version },
      },
    }, origin);
  }

  // ---- upstream → client

  fromUpstream(line: string): void {
    this.#side.link.fromUpstream(line);
  }

  upstreamOversize(line: OversizeLine): void {
    this.#side.link.oversize(line);
  }

  /**
   * The session is over (an HTTP session deleted or idle): every request still open gets an
   * error, and a call held for a human leaves the approval list.
   */
  end(reason: string): void {
    this.#questions.clear();
    for (const request of this.#requests.takeAll()) {
      this.#requests.answer(request, errorResponse(request.id, ErrorCode.internalError, reason));
    }
  }

  /**
   * The client closed its side (stdio: stdin ended). Nobody can be told what becomes of a call
   * held for a human any more: this session's approvals are withdrawn at once, rather than
   * left for an operator to approve into the void while the proxy winds down.
   */
  clientClosed(): void {
    for (const approval of this.approvals.list()) {
      if (approval.session === this.#options.session) this.approvals.withdraw(approval.id);
    }
  }

  /** The upstream is gone: every request still waiting, and every later one, gets an error. */
  upstreamEnded(exitCode: number): void {
    this.#side.link.end(exitCode);
    this.#questions.clear();
    const text = `The MCP server exited (code ${exitCode}) before answering`;
    for (const request of this.#requests.takeAll()) {
      this.#requests.answer(request, errorResponse(request.id, ErrorCode.internalError, text));
    }
  }

  /** An error answer to a message that was not taken on; never under an id in flight. */
  #reply(
    batch: Batch | null,
    id: JsonRpcId | null,
    code: number,
    text: string,
    origin: unknown,
  ): void {
    const safeId = id !== null && this.#requests.has(id) ? null : id;
    if (!batch) this.#promised++;
    this.#requests.reply(batch, errorResponse(safeId, code, text), origin);
  }

  #track(work: Promise<void> | void, request: ClientRequest): void {
    if (!work) return;
    const bytes = this.#messageBytes;
    const tracked = work.catch((error: Error) => this.#failed(request, error)).finally(() => {
      this.#work.delete(tracked);
      this.#waitingBytes -= bytes;
    });
    this.#work.add(tracked);
    this.#waitingBytes += bytes;
  }
}
