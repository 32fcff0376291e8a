/**
 * The proxy's side of one upstream connection. Every request sent up gets an id of the
 * proxy's own, so an answer reaches the request it belongs to and no other: a late answer to
 * a cancelled request, a second answer, or an answer to an id nobody asked is dropped. The
 * proxy's own requests (its `tools/list` for argument checks) share the same id space.
 */
import type { OversizeLine } from "../transports/line_splitter.ts";
import type { LineChannel } from "../transports/stdio.ts";
import { ErrorCode, isObject, isValidId, type JsonObject, type JsonRpcId } from "./jsonrpc.ts";
import { sniffTopLevelId } from "./top_level_id.ts";

export interface ProxyLogger {
  warn(message: string): void;
  error(message: string): void;
}

/** Where the upstream's answer to one forwarded request goes. */
export interface AnswerHandler {
  /**
   * The upstream's answer; its `id` is still the proxy's own. `line` is its exact text (null
   * when it came inside a batch).
   */
  answered(response: JsonObject, line: string | null): void;
  /** No answer will come: the upstream exited, or its answer was over the size limit. */
  failed(code: number, message: string): void;
}

export interface UpstreamLinkOptions {
  channel: LineChannel;
  log: ProxyLogger;
  /** A request or notification the upstream sent on its own; `line` is its exact text. */
  onMessage(message: JsonObject, line: string): void;
}

/** How many unmatched answers are reported one by one before the reports are summed up. */
const REPORTED_STRAYS = 10;

export class UpstreamLink {
  readonly #options: UpstreamLinkOptions;
  readonly #pending = new Map<number, AnswerHandler>();
  #nextId = 1;
  #ended: number | null = null;
  #strays = 0;

  constructor(options: UpstreamLinkOptions) {
    this.#options = options;
  }

  /** Requests sent up and not answered yet (the proxy's own included). */
  get size(): number {
    return this.#pending.size;
  }

  /** The upstream's exit code once it is gone, else null. */
  get ended(): number | null {
    return this.#ended;
  }

  /**
   * Sends `message` up under a fresh id of the proxy's own (it is given the id: the caller
   * hands it over) and returns that id. The upstream must not have ended.
   */
  forward(message: JsonObject, handler: AnswerHandler): number {
    if (this.#ended !== null) throw new Error(`the MCP server has exited (code ${this.#ended})`);
    const id = this.#nextId++;
    message.id = id;
    this.#pending.set(id, handler);
    this.#options.channel.send(JSON.stringify(message));
    return id;
  }

  /** Whether `id` is a request of the proxy's still waiting for its answer. */
  has(id: JsonRpcId): boolean {
    return typeof id === "number" && this.#pending.has(id);
  }

  /** Forgets a request (no answer is wanted any more) and tells the upstream to stop it. */
  cancel(id: number, params: JsonObject = {}): void {
    if (!this.#pending.delete(id) || this.#ended !== null) return;
    this.#options.channel.send(JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { ...params, requestId: id },
    }));
  }

  /** A message that needs no answer from the upstream: a notification, or an answer to it. */
  notify(message: JsonObject): void {
    if (this.#ended === null) this.#options.channel.send(JSON.stringify(message));
  }

  /** Forgets a request without telling the upstream (it ended the request itself). */
  forget(id: number): void {
    this.#pending.delete(id);
  }

  /** An error answer to a request the upstream sent (one nobody else can answer). */
  answerServer(id: unknown, message: string): void {
    if (!isValidId(id) || this.#ended !== null) return;
    this.#options.channel.send(JSON.stringify({
      jsonrpc: "2.0",
      id,
      error: { code: ErrorCode.methodNotFound, message },
    }));
  }

  /** The proxy's own request: resolves with its result, rejects on an error or after `timeoutMs`. */
  request(method: string, params: JsonObject, timeoutMs: number): Promise<JsonObject> {
    if (this.#ended !== null) {
      return Promise.reject(new Error(`the MCP server has exited (code ${this.#ended})`));
    }
    return new Promise<JsonObject>((resolve, reject) => {
      const id = this.forward({ jsonrpc: "2.0", method, params }, {
        answered: (response) => {
          clearTimeout(timer);
          if (isObject(response.result)) resolve(response.result);
          else reject(new Error(`${method} failed: ${JSON.stringify(response.error ?? response)}`));
        },
        failed: (_code, message) => {
          clearTimeout(timer);
          reject(new Error(message));
        },
      });
      const timer = setTimeout(() => {
        this.cancel(id, { reason: "timed out" });
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

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
    if (!Array.isArray(message)) return this.#fromUpstreamMessage(message, line);
    // A batch from the upstream (2025-03-26 allowed them): each element on its own.
    for (const element of message) this.#fromUpstreamMessage(element, null);
  }

  oversize(line: OversizeLine): void {
    const id = sniffTopLevelId(line.head, line.tail);
    const handler = typeof id === "number" ? this.#pending.get(id) : undefined;
    this.#options.log.error(
      `Dropped a ${line.size}-byte message from the upstream: over the limit` +
        (handler ? ` (the answer to request ${id})` : ""),
    );
    if (!handler) return;
    this.#pending.delete(id as number);
    handler.failed(
      ErrorCode.internalError,
      `The server's answer of ${line.size} bytes exceeds the proxy's size limit`,
    );
  }

  /** The upstream is gone: every request still waiting gets `failed`, later ones are refused. */
  end(exitCode: number): void {
    this.#ended = exitCode;
    const handlers = [...this.#pending.values()];
    this.#pending.clear();
    const text = `The MCP server exited (code ${exitCode}) before answering`;
    for (const handler of handlers) handler.failed(ErrorCode.internalError, text);
  }

  #fromUpstreamMessage(message: unknown, line: string | null): void {
    if (!isObject(message)) {
      this.#options.log.warn(`Dropped a message from the upstream that is not an object`);
      return;
    }
    if (Object.hasOwn(message, "method")) {
      this.#options.onMessage(message, line ?? JSON.stringify(message));
      return;
    }
    const id = message.id;
    const handler = typeof id === "number" ? this.#pending.get(id) : undefined;
    if (!handler) return this.#stray(id);
    this.#pending.delete(id as number);
    handler.answered(message, line);
  }

  #stray(id: unknown): void {
    this.#strays++;
    if (this.#strays <= REPORTED_STRAYS || this.#strays % 1_000 === 0) {
      const shown = isValidId(id) ? JSON.stringify(id) : "none";
      this.#options.log.warn(
        `Dropped an answer from the upstream to a request it was not asked or already ` +
          `answered (id ${shown.slice(0, 80)}; ${this.#strays} so far)`,
      );
    }
  }
}
