/**
 * The proxy between an MCP client and an upstream server: two line channels and the policy
 * gate between them. Every `tools/call` is decided before it can reach the upstream; every
 * request with an id gets exactly one answer; everything else passes through.
 */
import type { Decision } from "../engine/decision.ts";
import type { OversizeLine } from "../transports/line_splitter.ts";
import type { LineChannel } from "../transports/stdio.ts";
import { denialResult } from "./denial.ts";
import {
  ErrorCode,
  errorResponse,
  isObject,
  isValidId,
  type JsonObject,
  type JsonRpcId,
  resultResponse,
  sniffId,
  sniffIds,
} from "./jsonrpc.ts";
import { type Batch, newBatch, type Pending, PendingRequests } from "./pending_requests.ts";
import type { PolicyGate } from "./policy_gate.ts";
import { ToolSchemas } from "./tool_schemas.ts";

export interface DecisionEvent {
  readonly ts: number;
  readonly session: string;
  readonly decision: Decision;
  readonly args: Readonly<Record<string, unknown>>;
  readonly latencyMs: number;
}

export interface ProxyLogger {
  warn(message: string): void;
  error(message: string): void;
}

export interface McpProxyOptions {
  gate: PolicyGate;
  session: string;
  client: LineChannel;
  upstream: LineChannel;
  log: ProxyLogger;
  onDecision?: (event: DecisionEvent) => void;
  /** How long the proxy waits for its own requests to the upstream (tools/list). */
  upstreamTimeoutMs?: number;
  now?: () => number;
}

/** Requests forwarded and not yet answered, at most (bounded memory). */
export const MAX_IN_FLIGHT = 10_000;

/** MCP tool names are short (the spec suggests at most 128): longer ones are refused. */
export const MAX_TOOL_NAME = 256;

const TOOLS_CHANGED = JSON.stringify({
  jsonrpc: "2.0",
  method: "notifications/tools/list_changed",
});

export class McpProxy {
  readonly #options: McpProxyOptions;
  readonly #gate: PolicyGate;
  readonly #pending: PendingRequests;
  readonly #ownRequests = new Map<string, (message: JsonObject) => void>();
  readonly #ownPrefix = `intercept-${crypto.randomUUID()}-`;
  #ownCounter = 0;
  /** Client lines waiting while an earlier call is decided asynchronously (order is kept). */
  #waiting: string[] | null = null;
  /** Set while tools must wait (the policy is loading). */
  #hold: Promise<void> | null = null;
  /** The asynchronous decision in progress, if any. */
  #busy: Promise<void> | null = null;
  /** The upstream's exit code once it is gone. */
  #ended: number | null = null;
  /** The upstream answered `initialize`: notifications may go to the client. */
  #initialized = false;
  #clientInfo: { name: string; version: string } | null = null;
  #serverInfo: { name: string; version: string } | null = null;
  readonly schemas: ToolSchemas;

  constructor(options: McpProxyOptions) {
    this.#options = options;
    this.#gate = options.gate;
    this.#pending = new PendingRequests((answer) => options.client.send(JSON.stringify(answer)));
    this.schemas = new ToolSchemas((cursor) =>
      this.#request("tools/list", cursor === undefined ? {} : { cursor })
    );
  }

  /** Requests forwarded upstream and not answered yet. */
  get inFlight(): number {
    return this.#pending.size;
  }

  // ---- client → upstream

  fromClient(line: string): void {
    if (this.#waiting) {
      this.#waiting.push(line);
      return;
    }
    const work = this.#handleClientLine(line);
    if (work) this.#waitFor(work);
  }

  clientOversize(line: OversizeLine): void {
    const id = sniffId(line.head, line.tail);
    this.#options.log.warn(`Refused a ${line.size}-byte message from the client: over the limit`);
    this.#options.client.send(JSON.stringify(errorResponse(
      id,
      ErrorCode.invalidRequest,
      `Message of ${line.size} bytes exceeds the proxy's size limit`,
    )));
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

  /** The client's name and version from its `initialize`, once it sent one. */
  get clientInfo(): { name: string; version: string } | null {
    return this.#clientInfo;
  }

  /** The server's name and version from its `initialize` result, once it answered. */
  get serverInfo(): { name: string; version: string } | null {
    return this.#serverInfo;
  }

  /**
   * Tells the client that the tools it may see changed (a live deny, a reload that changed
   * `hide` or `default`), so it lists them again. Only once the session is initialized.
   */
  notifyToolsChanged(): void {
    if (!this.#initialized || this.#ended !== null) return;
    this.#options.client.send(TOOLS_CHANGED);
  }

  /** Client lines held behind a decision in progress. */
  get waitingLines(): number {
    return this.#waiting?.length ?? 0;
  }

  /** Resolves when no decision is in progress (client lines held behind one are handled). */
  async settled(): Promise<void> {
    while (this.#busy) await this.#busy;
  }

  #waitFor(work: Promise<void>): void {
    this.#waiting = [];
    this.#busy = work.catch((error: Error) => {
      this.#options.log.error(`Deciding a call failed: ${error.message}`);
    }).then(() => {
      const waiting = this.#waiting ?? [];
      this.#waiting = null;
      this.#busy = null;
      for (let i = 0; i < waiting.length; i++) {
        const next = this.#handleClientLine(waiting[i]);
        if (next) {
          this.#waitFor(next);
          this.#waiting!.unshift(...waiting.slice(i + 1));
          return;
        }
      }
    });
  }

  #handleClientLine(line: string): Promise<void> | void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.#pending.answer(
        null,
        errorResponse(null, ErrorCode.parseError, "Parse error: invalid JSON"),
      );
      return;
    }
    if (!Array.isArray(message)) return this.#handleClientMessage(message, null);
    if (message.length === 0) {
      this.#pending.answer(null, errorResponse(null, ErrorCode.invalidRequest, "Empty batch"));
      return;
    }
    return this.#handleBatch(message, 0, newBatch());
  }

  #handleBatch(elements: unknown[], from: number, batch: Batch): Promise<void> | void {
    for (let i = from; i < elements.length; i++) {
      const work = this.#handleClientMessage(elements[i], batch);
      if (work) return work.then(() => this.#handleBatch(elements, i + 1, batch));
    }
    this.#pending.settle(batch);
  }

  #handleClientMessage(message: unknown, batch: Batch | null): Promise<void> | void {
    if (!isObject(message) || message.jsonrpc !== "2.0") {
      const id = isObject(message) && isValidId(message.id) ? message.id : null;
      return this.#reply(batch, id, ErrorCode.invalidRequest, `Invalid request: not JSON-RPC 2.0`);
    }
    const hasId = Object.hasOwn(message, "id");
    if (hasId && !isValidId(message.id)) {
      return this.#reply(batch, null, ErrorCode.invalidRequest, "Invalid request: bad id");
    }
    const id = hasId ? message.id as JsonRpcId : null;
    if (!Object.hasOwn(message, "method")) {
      if (id !== null && (Object.hasOwn(message, "result") || Object.hasOwn(message, "error"))) {
        this.#options.upstream.send(JSON.stringify(message)); // the client answering the server
        return;
      }
      return this.#reply(batch, id, ErrorCode.invalidRequest, "Invalid request: no method");
    }
    if (typeof message.method !== "string") {
      return this.#reply(batch, id, ErrorCode.invalidRequest, "Invalid request: bad method");
    }
    if (this.#hold && (message.method === "tools/call" || message.method === "tools/list")) {
      // The policy is still loading: this message, and every one after it, waits.
      return this.#hold.then(() => this.#handleClientMessage(message, batch));
    }
    if (message.method === "tools/call") {
      if (id === null) {
        this.#options.log.warn("Dropped a tools/call sent as a notification (it had no id)");
        return;
      }
      return this.#handleCall(message, id, batch);
    }
    if (id === null) {
      if (this.#ended === null) this.#options.upstream.send(JSON.stringify(message));
      return;
    }
    if (message.method === "initialize") this.#rememberClient(message.params);
    const kind = message.method === "tools/list"
      ? "list"
      : message.method === "initialize"
      ? "initialize"
      : "other";
    this.#forward(message, { id, kind, batch });
  }

  /** Sends a request upstream and waits for its answer; refuses an id already in flight. */
  #forward(message: JsonObject, pending: Pending): void {
    if (this.#ended !== null) {
      return this.#reply(
        pending.batch,
        pending.id,
        ErrorCode.internalError,
        `The MCP server has exited (code ${this.#ended})`,
      );
    }
    if (this.#pending.size >= MAX_IN_FLIGHT) {
      return this.#reply(
        pending.batch,
        pending.id,
        ErrorCode.invalidRequest,
        `Too many requests in flight (${MAX_IN_FLIGHT}); wait for answers first`,
      );
    }
    if (!this.#pending.add(pending)) {
      return this.#reply(
        pending.batch,
        pending.id,
        ErrorCode.invalidRequest,
        `Request id ${JSON.stringify(pending.id)} is already in use by a request in flight`,
      );
    }
    this.#options.upstream.send(JSON.stringify(message));
  }

  #handleCall(message: JsonObject, id: JsonRpcId, batch: Batch | null): Promise<void> | void {
    const params = message.params;
    if (!isObject(params)) {
      return this.#reply(batch, id, ErrorCode.invalidParams, "tools/call params must be an object");
    }
    if (typeof params.name !== "string") {
      return this.#reply(batch, id, ErrorCode.invalidParams, "tools/call name must be a string");
    }
    if (params.name.length > MAX_TOOL_NAME) {
      return this.#reply(
        batch,
        id,
        ErrorCode.invalidParams,
        `tools/call name is longer than ${MAX_TOOL_NAME} characters`,
      );
    }
    if (params.arguments !== undefined && !isObject(params.arguments)) {
      return this.#reply(
        batch,
        id,
        ErrorCode.invalidParams,
        "tools/call arguments must be an object",
      );
    }
    if (this.#pending.has(id)) {
      return this.#reply(
        batch,
        id,
        ErrorCode.invalidRequest,
        `Request id ${JSON.stringify(id)} is already in use by a request in flight`,
      );
    }
    const tool = params.name;
    const args = (params.arguments ?? {}) as Record<string, unknown>;
    const started = performance.now();
    if (!this.#gate.needsInputSchema(tool) || !this.#gate.isVisible(tool)) {
      this.#decided(message, id, batch, tool, args, undefined, started);
      return;
    }
    return this.schemas.get(tool)
      .catch((error: Error) => {
        this.#options.log.error(`Cannot fetch tools/list to check "${tool}": ${error.message}`);
        return undefined; // Unknown schema: the rule denies (fail closed).
      })
      .then((schema) => this.#decided(message, id, batch, tool, args, schema, started))
      .catch((error: Error) =>
        this.#reply(batch, id, ErrorCode.internalError, `Internal error: ${error.message}`)
      );
  }

  #decided(
    message: JsonObject,
    id: JsonRpcId,
    batch: Batch | null,
    tool: string,
    args: Record<string, unknown>,
    inputSchema: unknown,
    started: number,
  ): void {
    const decision = this.#gate.decide({
      tool,
      args,
      session: this.#options.session,
      inputSchema,
    });
    if (decision.allowed) this.#forward(message, { id, kind: "other", batch });
    else this.#pending.answer(batch, resultResponse(id, denialResult(decision)));
    try {
      this.#options.onDecision?.({
        ts: (this.#options.now ?? Date.now)(),
        session: this.#options.session,
        decision,
        args,
        latencyMs: performance.now() - started,
      });
    } catch (error) {
      this.#options.log.error(`A decision observer failed: ${(error as Error).message}`);
    }
  }

  // ---- upstream → client

  fromUpstream(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.#options.log.warn(
        `Dropped a line from the upstream that is not JSON: ${line.slice(0, 80)}`,
      );
      return;
    }
    if (!Array.isArray(message)) {
      const out = this.#fromUpstreamMessage(message);
      if (out === message) this.#options.client.send(line);
      else if (out !== null) this.#options.client.send(JSON.stringify(out));
      return;
    }
    let changed = false;
    const kept: unknown[] = [];
    for (const element of message) {
      const out = this.#fromUpstreamMessage(element);
      if (out !== element) changed = true;
      if (out !== null) kept.push(out);
    }
    if (!changed) this.#options.client.send(line);
    else if (kept.length > 0) this.#options.client.send(JSON.stringify(kept));
  }

  upstreamOversize(line: OversizeLine): void {
    this.#options.log.error(
      `Dropped a ${line.size}-byte message from the upstream: over the limit`,
    );
    const id = sniffIds(line.head, line.tail).find((candidate) => this.#pending.has(candidate));
    const pending = id === undefined ? undefined : this.#pending.take(id);
    if (!pending) return;
    this.#pending.answerPending(
      pending,
      errorResponse(
        pending.id,
        ErrorCode.internalError,
        `The server's answer of ${line.size} bytes exceeds the proxy's size limit`,
      ),
    );
  }

  /** Returns what to send on: the line itself (unchanged), a new message, or null (nothing). */
  #fromUpstreamMessage(message: unknown): unknown {
    if (!isObject(message)) return message;
    if (!Object.hasOwn(message, "method") && isValidId(message.id)) {
      if (typeof message.id === "string" && message.id.startsWith(this.#ownPrefix)) {
        // The proxy's own request; a late answer (after its timeout) is dropped too.
        this.#ownRequests.get(message.id)?.(message);
        this.#ownRequests.delete(message.id);
        return null;
      }
      const pending = this.#pending.take(message.id);
      if (!pending) return message;
      let out: JsonObject = message;
      if (pending.kind === "list") out = this.#filterToolList(message);
      else if (pending.kind === "initialize") out = this.#advertiseListChanged(message);
      if (pending.batch) {
        this.#pending.answerPending(pending, out);
        return null;
      }
      return out;
    }
    if (message.method === "notifications/tools/list_changed") this.schemas.invalidate();
    return message;
  }

  #rememberClient(params: unknown): void {
    const info = isObject(params) ? params.clientInfo : undefined;
    if (isObject(info) && typeof info.name === "string") {
      this.#clientInfo = {
        name: info.name,
        version: typeof info.version === "string" ? info.version : "",
      };
    }
  }

  /** Relays the server's `initialize` result, saying the tool list may change. */
  #advertiseListChanged(message: JsonObject): JsonObject {
    const result = message.result;
    if (!isObject(result)) return message;
    this.#initialized = true;
    const server = result.serverInfo;
    if (isObject(server) && typeof server.name === "string") {
      // Shown to operators: bounded, whatever the server sends.
      this.#serverInfo = {
        name: server.name.slice(0, MAX_TOOL_NAME),
        version: typeof server.version === "string" ? server.version.slice(0, 64) : "",
      };
    }
    const capabilities = result.capabilities;
    if (!isObject(capabilities) || !isObject(capabilities.tools)) return message;
    if (capabilities.tools.listChanged === true) return message;
    return {
      ...message,
      result: {
        ...result,
        capabilities: { ...capabilities, tools: { ...capabilities.tools, listChanged: true } },
      },
    };
  }

  #filterToolList(message: JsonObject): JsonObject {
    const result = message.result;
    if (!isObject(result) || !Array.isArray(result.tools)) return message;
    this.schemas.remember(result.tools);
    const tools = result.tools.filter((tool) =>
      isObject(tool) && typeof tool.name === "string" && this.#gate.isVisible(tool.name)
    );
    if (tools.length === result.tools.length) return message;
    return { ...message, result: { ...result, tools } };
  }

  /** The upstream is gone: every request still waiting, and every later one, gets an error. */
  upstreamEnded(exitCode: number): void {
    this.#ended = exitCode;
    const text = `The MCP server exited (code ${exitCode}) before answering`;
    for (const pending of this.#pending.takeAll()) {
      this.#pending.answerPending(
        pending,
        errorResponse(pending.id, ErrorCode.internalError, text),
      );
    }
    for (const [id, resolve] of this.#ownRequests) {
      resolve(errorResponse(id, ErrorCode.internalError, text));
    }
    this.#ownRequests.clear();
  }

  #reply(batch: Batch | null, id: JsonRpcId | null, code: number, text: string): void {
    this.#pending.answer(batch, errorResponse(id, code, text));
  }

  #request(method: string, params: JsonObject): Promise<JsonObject> {
    const id = this.#ownPrefix + ++this.#ownCounter;
    if (this.#ended !== null) {
      return Promise.reject(new Error(`the MCP server has exited (code ${this.#ended})`));
    }
    const timeoutMs = this.#options.upstreamTimeoutMs ?? 10_000;
    return new Promise<JsonObject>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#ownRequests.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#ownRequests.set(id, (message) => {
        clearTimeout(timer);
        if (isObject(message.result)) resolve(message.result);
        else reject(new Error(`${method} failed: ${JSON.stringify(message.error ?? message)}`));
      });
      this.#options.upstream.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }
}
