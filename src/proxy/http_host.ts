/**
 * MCP over Streamable HTTP for many agents (`--listen`), both eras on one endpoint:
 * - a legacy client's `initialize` opens a session (`Mcp-Session-Id`) with an upstream of its
 *   own, until DELETE, the idle timeout or `--max-sessions` pressure ends it;
 * - a 2026-07-28 request is stateless: its headers are checked against its body, then it is
 *   served by the pool of shared upstreams, its per-session quotas keyed by its principal.
 */
import type { Logger } from "../cli/log.ts";
import type { McpEndpoint, McpHttpRequest } from "../transports/http_listener.ts";
import { jsonError } from "../transports/http_listener.ts";
import type { Upstream } from "../transports/upstream.ts";
import { Continuations } from "./continuations.ts";
import {
  type ClientInfo,
  declaredVersion,
  envelopeLike,
  MODERN_VERSIONS,
  modernClientInfo,
} from "./era.ts";
import type { Approvals } from "./approvals.ts";
import type { EventBus } from "./event_bus.ts";
import type { CallTracer } from "./events.ts";
import { abortOnDisconnect, HttpExchange } from "./http_exchange.ts";
import { paramHeaderProblem, standardHeaderProblem } from "./http_headers.ts";
import { HttpSession } from "./http_session.ts";
import { ErrorCode, isObject, isValidId, type JsonObject } from "./jsonrpc.ts";
import { McpProxy } from "./mcp_proxy.ts";
import type { PolicyGate } from "./policy_gate.ts";
import { UpstreamPool } from "./upstream_pool.ts";

export interface HttpHostOptions {
  gate: PolicyGate;
  /** Starts (or connects) one upstream: one per legacy session, `poolSize` for modern requests. */
  startUpstream: () => Upstream;
  maxBytes: number;
  poolSize: number;
  maxSessions: number;
  /** Legacy sessions of one principal at once (default `maxSessions`). */
  maxSessionsPerPrincipal?: number;
  /** A legacy session with no request for this long is ended. */
  sessionIdleMs: number;
  keepAliveMs?: number;
  upstreamTimeoutMs?: number;
  graceMs: number;
  self: ClientInfo;
  log: Logger;
  /** Where every decision and upstream answer goes. */
  bus: EventBus;
  /** Calls held for a human, over every session. */
  approvals: Approvals;
  tracer?: CallTracer | null;
}

export interface HttpSessionView {
  id: string;
  principal: string;
  client: ClientInfo | null;
  startedAt: number;
  era: "legacy" | "modern";
}

const KEEP_ALIVE_MS = 15_000;

export class HttpHost implements McpEndpoint {
  readonly #options: HttpHostOptions;
  readonly #sessions = new Map<
    string,
    { session: HttpSession; principal: string; startedAt: number }
  >();
  /** Legacy sessions per principal. */
  readonly #sessionsOf = new Map<string, number>();
  readonly #pool: UpstreamPool;
  /** Modern requests being served, to tell their streams when tools change. */
  readonly #live = new Set<McpProxy>();
  /** Per principal: an MRTR retry may arrive on another connection than its first round. */
  readonly #continuations = new Continuations();
  readonly #modernClients = new Map<string, { client: ClientInfo | null; seen: number }>();
  /** POSTs being answered, but for streams (`subscriptions/listen`): a drain waits for them. */
  readonly #pending = new Set<Promise<unknown>>();
  /** Open `subscriptions/listen` streams: a drain closes them. */
  readonly #streams = new Set<HttpExchange>();
  readonly #sweep: ReturnType<typeof setInterval>;
  #draining = false;

  constructor(options: HttpHostOptions) {
    this.#options = options;
    this.#pool = new UpstreamPool({
      size: options.poolSize,
      start: options.startUpstream,
      maxBytes: options.maxBytes,
      upstreamTimeoutMs: options.upstreamTimeoutMs,
      log: options.log,
    });
    this.#pool.pick(); // warm: /readyz says whether the server can be reached
    this.#sweep = setInterval(
      () => this.#endIdleSessions(),
      Math.max(1_000, Math.min(options.sessionIdleMs / 2, 30_000)),
    );
    Deno.unrefTimer(this.#sweep as unknown as number);
  }

  /** Why the proxy cannot serve yet, or null. */
  ready(): string | null {
    if (this.#draining) return "shutting down";
    return this.#pool.live > 0 ? null : "no upstream server is running";
  }

  sessions(): HttpSessionView[] {
    const legacy = [...this.#sessions.entries()].map(([id, entry]) => ({
      id,
      principal: entry.principal,
      client: entry.session.proxy.clientInfo,
      startedAt: entry.startedAt,
      era: "legacy" as const,
    }));
    const modern = [...this.#modernClients.entries()].map(([principal, entry]) => ({
      id: principal,
      principal,
      client: entry.client,
      startedAt: entry.seen,
      era: "modern" as const,
    }));
    return [...legacy, ...modern];
  }

  /** The tools agents may see changed: every session and open stream is told. */
  notifyToolsChanged(): void {
    for (const { session } of this.#sessions.values()) session.proxy.notifyToolsChanged();
    for (const proxy of this.#live) proxy.notifyToolsChanged();
  }

  /** Tool names the upstreams listed, as far as the proxy has seen. */
  upstreamTools(): string[] {
    const names = new Set<string>();
    for (const side of this.#pool.sides()) for (const name of side.schemas.names()) names.add(name);
    for (const { session } of this.#sessions.values()) {
      for (const name of session.proxy.schemas.names()) names.add(name);
    }
    return [...names];
  }

  serverInfo(): ClientInfo | null {
    for (const side of this.#pool.sides()) if (side.serverInfo) return side.serverInfo;
    for (const { session } of this.#sessions.values()) {
      if (session.proxy.serverInfo) return session.proxy.serverInfo;
    }
    return null;
  }

  handle(request: McpHttpRequest): Promise<Response> {
    if (this.#draining) return Promise.resolve(jsonError(503, "The proxy is shutting down"));
    const sessionId = request.headers.get("mcp-session-id");
    if (request.method === "DELETE") return Promise.resolve(this.#delete(sessionId, request));
    if (request.method === "GET") return Promise.resolve(this.#getStream(sessionId, request));
    const handled = this.#post(request, sessionId);
    const work = handled.then(({ done }) => done, () => {});
    this.#pending.add(work);
    work.finally(() => this.#pending.delete(work));
    return handled.then(({ response }) => response);
  }

  /** Waits for what is being answered (within `graceMs`), then ends sessions and streams. */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    clearInterval(this.#sweep);
    const deadline = Date.now() + graceMs;
    while (this.#pending.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.allSettled([...this.#pending]),
        new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()))),
      ]);
    }
    for (const exchange of this.#streams) exchange.close();
    for (const { session } of [...this.#sessions.values()]) session.end(this.#options.graceMs);
    await this.#pool.close(Math.max(0, deadline - Date.now()));
  }

  async #post(request: McpHttpRequest, sessionId: string | null): Promise<Answered> {
    let message: unknown;
    try {
      message = JSON.parse(request.body ?? "");
    } catch {
      return now(jsonError(400, "Parse error: the body is not JSON", {}, ErrorCode.parseError));
    }
    if (sessionId !== null) {
      const entry = this.#sessions.get(sessionId);
      if (!entry || entry.principal !== request.principal) {
        return now(jsonError(404, "Session not found: it ended, or never was; initialize again"));
      }
      return await answered(entry.session.post(request.body!, request.signal));
    }
    const version = isObject(message) ? declaredVersion(message.params) : null;
    if (version !== null) return await this.#modern(request, message as JsonObject, version);
    if (isObject(message) && message.method === "initialize") {
      return await this.#initialize(request);
    }
    // Neither era: a 2026-07-28 server calls a missing envelope invalid params, under the id.
    const id = isObject(message) && isValidId(message.id) ? message.id : null;
    return now(modernError(
      400,
      id,
      ErrorCode.invalidParams,
      "Bad request: send initialize first (legacy) or the 2026-07-28 _meta envelope on every request",
    ));
  }

  async #initialize(request: McpHttpRequest): Promise<Answered> {
    if (this.#sessions.size >= this.#options.maxSessions) {
      return now(
        jsonError(503, `Too many sessions (${this.#options.maxSessions}); try again later`, {
          "retry-after": "5",
        }),
      );
    }
    const principal = request.principal;
    const mine = this.#sessionsOf.get(principal) ?? 0;
    const share = this.#options.maxSessionsPerPrincipal ?? this.#options.maxSessions;
    if (mine >= share) {
      return now(
        jsonError(429, `Too many sessions of ${principal} (${share}); end one first`, {
          "retry-after": "5",
        }),
      );
    }
    const id = crypto.randomUUID();
    let upstream: Upstream;
    try {
      upstream = this.#options.startUpstream();
    } catch (error) {
      this.#options.log.error(
        `Cannot start an upstream for a new session: ${(error as Error).message}`,
      );
      return now(
        jsonError(502, "The MCP server could not be started", {}, ErrorCode.internalError),
      );
    }
    const session = new HttpSession({
      id,
      upstream,
      proxy: this.#proxyOptions(request.principal),
      maxBytes: this.#options.maxBytes,
      keepAliveMs: this.#options.keepAliveMs ?? KEEP_ALIVE_MS,
      onEnded: (ended) => {
        this.#sessions.delete(ended.id);
        const left = (this.#sessionsOf.get(principal) ?? 1) - 1;
        if (left > 0) this.#sessionsOf.set(principal, left);
        else this.#sessionsOf.delete(principal);
        this.#options.gate.backend.endSession(ended.id);
      },
    });
    this.#sessions.set(id, { session, principal, startedAt: Date.now() });
    this.#sessionsOf.set(principal, mine + 1);
    return await answered(session.post(request.body!, request.signal));
  }

  async #modern(request: McpHttpRequest, message: JsonObject, version: string): Promise<Answered> {
    const id = isValidId(message.id) ? message.id : null;
    const header = request.headers.get("mcp-protocol-version");
    if (header !== null && header !== version) {
      // What the headers say must be what the body says, whatever the version (checked next).
      return now(modernError(
        400,
        id,
        ErrorCode.headerMismatch,
        `Header mismatch: MCP-Protocol-Version header "${header.slice(0, 40)}" does not match ` +
          `the body's "${version.slice(0, 40)}"`,
      ));
    }
    if (!MODERN_VERSIONS.includes(version)) {
      return now(modernError(
        400,
        id,
        ErrorCode.unsupportedProtocolVersion,
        `Unsupported protocol version "${version.slice(0, 40)}"`,
        {
          supported: this.#pool.sides()[0]?.supportedVersions() ?? [...MODERN_VERSIONS],
          requested: version,
        },
      ));
    }
    const problem = standardHeaderProblem(request.headers, message, version);
    if (problem) {
      return now(modernError(400, id, ErrorCode.headerMismatch, `Header mismatch: ${problem}`));
    }
    const side = this.#pool.pick();
    if (await side.servesModern(this.#options.self) === false) {
      // As the server itself would answer: the client falls back to `initialize` (a session).
      return now(modernError(
        400,
        id,
        ErrorCode.unsupportedProtocolVersion,
        `Unsupported protocol version "${version}": the MCP server behind this proxy speaks ` +
          "only the initialize-based versions; initialize a session",
        { supported: side.supportedVersions(), requested: version },
      ));
    }
    if (message.method === "initialize") {
      // Not a 2026-07-28 method; and the pool's servers are shared, so none may be switched to
      // a session of one client's making.
      return now(modernError(
        404,
        id,
        ErrorCode.methodNotFound,
        "Method not found: initialize is not part of MCP 2026-07-28 (send it without the _meta " +
          "envelope to open a legacy session)",
      ));
    }
    const params = isObject(message.params) ? message.params : {};
    if (message.method === "tools/call" && typeof params.name === "string") {
      const schema = await side.schemas.get(params.name, envelopeLike(params, this.#options.self))
        .catch(() => undefined);
      const args = isObject(params.arguments) ? params.arguments : {};
      const paramProblem = paramHeaderProblem(request.headers, args, schema);
      if (paramProblem) {
        return now(
          modernError(400, id, ErrorCode.headerMismatch, `Header mismatch: ${paramProblem}`),
        );
      }
    }
    this.#modernClients.set(request.principal, {
      client: modernClientInfo(params),
      seen: Date.now(),
    });
    const listen = message.method === "subscriptions/listen";
    const exchange: HttpExchange = new HttpExchange({
      maxQueued: 2 * this.#options.maxBytes,
      keepAliveMs: this.#options.keepAliveMs ?? KEEP_ALIVE_MS,
      statusOf: modernStatus,
      onAbandoned: () => cancelOpen(proxy, exchange),
      onFinished: () => {
        this.#live.delete(proxy);
        this.#streams.delete(exchange);
      },
    });
    const proxy = new McpProxy({
      ...this.#proxyOptions(request.principal),
      session: request.principal,
      client: exchange,
      upstream: side,
      continuations: this.#continuations,
    });
    this.#live.add(proxy);
    abortOnDisconnect(request.signal, exchange);
    if (listen) {
      this.#streams.add(exchange);
      exchange.stream();
    }
    exchange.expect(proxy.fromClient(request.body!, exchange));
    // A stream stays open until the client leaves: a drain does not wait for it.
    return { response: await exchange.response, done: listen ? Promise.resolve() : exchange.done };
  }

  #proxyOptions(principal: string) {
    const { gate, log, maxBytes, self, upstreamTimeoutMs, tracer, approvals } = this.#options;
    return {
      gate,
      approvals,
      log,
      maxBytes,
      self,
      upstreamTimeoutMs,
      tracer,
      principal,
      ...this.#options.bus.sinks,
    };
  }

  /** Requests taken on and not answered yet, over every session and request. */
  inflight(): number {
    let count = 0;
    for (const { session } of this.#sessions.values()) count += session.proxy.inFlight;
    for (const proxy of this.#live) count += proxy.inFlight;
    return count;
  }

  #delete(sessionId: string | null, request: McpHttpRequest): Response {
    const entry = sessionId === null ? undefined : this.#sessions.get(sessionId);
    if (!entry || entry.principal !== request.principal) {
      return jsonError(404, "Session not found");
    }
    entry.session.end(this.#options.graceMs);
    return new Response(null, { status: 204 });
  }

  #getStream(sessionId: string | null, request: McpHttpRequest): Response {
    if (sessionId === null) {
      return jsonError(
        405,
        "GET /mcp opens a legacy session's stream: it needs an Mcp-Session-Id",
        {
          allow: "POST, DELETE",
        },
      );
    }
    const entry = this.#sessions.get(sessionId);
    if (!entry || entry.principal !== request.principal) return jsonError(404, "Session not found");
    return entry.session.openStream(request.signal);
  }

  #endIdleSessions(): void {
    const cutoff = Date.now() - this.#options.sessionIdleMs;
    for (const { session } of [...this.#sessions.values()]) {
      if (session.lastActive < cutoff) {
        this.#options.log.info(
          `Ending session ${session.id}: idle for ${this.#options.sessionIdleMs} ms`,
        );
        session.end(this.#options.graceMs);
      }
    }
    for (const [principal, entry] of this.#modernClients) {
      if (entry.seen < cutoff) this.#modernClients.delete(principal);
    }
  }
}

/** The HTTP response to a POST, and when its exchange is over (a drain waits for it). */
interface Answered {
  response: Response;
  done: Promise<void>;
}

function now(response: Response): Answered {
  return { response, done: Promise.resolve() };
}

async function answered(exchange: HttpExchange): Promise<Answered> {
  return { response: await exchange.response, done: exchange.done };
}

function cancelOpen(proxy: McpProxy, exchange: HttpExchange): void {
  for (const id of proxy.openRequestIds(exchange)) {
    proxy.fromClient(JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: id, reason: "The HTTP client went away" },
    }));
  }
}

/** The HTTP status a modern error answer goes with (the spec names some). */
function modernStatus(code: number): number {
  switch (code) {
    case ErrorCode.methodNotFound:
      return 404;
    case ErrorCode.invalidParams:
    case ErrorCode.invalidRequest:
    case ErrorCode.headerMismatch:
    case ErrorCode.unsupportedProtocolVersion:
    case -32021: // MissingRequiredClientCapability
      return 400;
    default:
      return 200;
  }
}

function modernError(
  status: number,
  id: unknown,
  code: number,
  message: string,
  data?: unknown,
): Response {
  const error: JsonObject = { code, message };
  if (data !== undefined) error.data = data;
  return Response.json({ jsonrpc: "2.0", id: id ?? null, error }, { status });
}
