/**
 * The way from an HTTP upstream back to the proxy: each message on one line, an answer
 * settling its request (and teaching what it can: a session's version, the tools' header
 * declarations), late answers to requests given up dropped, and the error lines intercept
 * makes up for requests that failed on the way.
 */
import {
  errorLine,
  type EventPump,
  type JsonRpcId,
  type Oversize,
  serverErrorLine,
} from "./http_exchange.ts";
import type { PendingRequest, PendingRequests } from "./http_pending.ts";
import type { LegacySession } from "./http_session.ts";
import type { ToolHeaders } from "./http_tool_headers.ts";
import type { LineChannelHandlers } from "./stdio.ts";

type JsonObject = Record<string, unknown>;

export interface InboxOptions {
  pending: PendingRequests;
  tools: ToolHeaders;
  session: LegacySession;
  log: { warn(message: string): void };
}

export class Inbox {
  readonly #options: InboxOptions;
  #handlers: LineChannelHandlers | null = null;
  #ended = false;

  constructor(options: InboxOptions) {
    this.#options = options;
  }

  attach(handlers: LineChannelHandlers): void {
    this.#handlers = handlers;
  }

  /** Nothing more is delivered; the proxy is told the upstream ended. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#handlers?.end();
  }

  /** Delivers messages, then waits while the proxy's client is backed up. */
  async deliverAll(texts: readonly string[]): Promise<void> {
    for (const text of texts) this.#deliver(text);
    await this.#handlers?.chunkEnd?.();
  }

  /** The `message` events of a stream shared by many requests (GET stream, legacy SSE). */
  sharedPump(): Omit<EventPump, "retry"> {
    return this.requestPump(null, () => {});
  }

  /** The events of one request's stream; `alive` marks each chunk. */
  requestPump(request: PendingRequest | null, alive: () => void): Omit<EventPump, "retry"> {
    const texts: string[] = [];
    return {
      event: (event) => {
        if (event.type === "message" && event.data.trim() !== "") texts.push(event.data);
      },
      // Over the limit on a request's own stream: taken for its answer (the proxy finds it).
      oversize: (event) => {
        if (event.type === "message") this.oversize(event, request?.id ?? null);
      },
      chunkEnd: () => {
        alive();
        return this.deliverAll(texts.splice(0));
      },
    };
  }

  /** A message over the size limit: the proxy charges it to the id it finds in its ends. */
  oversize(oversize: Oversize, id: JsonRpcId | null): void {
    if (id !== null) this.#options.pending.settle(id);
    if (this.#ended) return;
    this.#handlers?.oversize({ size: oversize.size, head: oversize.head, tail: oversize.tail });
  }

  /** Answers a pending request with intercept's own error; false when it was not pending. */
  fail(id: JsonRpcId, message: string, code = -32603): boolean {
    if (!this.#options.pending.settle(id)) return false;
    this.#emit(errorLine(id, message, code));
    return true;
  }

  /** Answers a pending request with the server's error (from a refused POST's body). */
  serverError(id: JsonRpcId, error: object): boolean {
    if (!this.#options.pending.settle(id)) return false;
    this.#emit(serverErrorLine(id, error));
    return true;
  }

  /** Gives a request up (it timed out): answered with an error, a late answer dropped. */
  abandon(request: PendingRequest, message: string): void {
    if (!this.#options.pending.abandon(request.id)) return;
    this.#emit(errorLine(request.id, message));
  }

  #deliver(text: string): void {
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
        if (this.#options.pending.takeAbandoned(id)) return;
        const request = this.#options.pending.settle(id);
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
      this.#options.session.negotiated(result as JsonObject);
    }
    if (request.method === "tools/list" && request.modern) {
      const kept = this.#options.tools.remember(result as JsonObject);
      if (kept) return JSON.stringify({ ...answer, result: { ...result, tools: kept } });
    }
    return line;
  }

  #emit(line: string): void {
    if (this.#ended || !this.#handlers) return;
    try {
      this.#handlers.line(line);
    } catch (error) {
      this.#handlers.error?.(error as Error);
    }
  }
}
