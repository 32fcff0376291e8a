/**
 * The requests an HTTP upstream has sent and not seen answered, each with its deadline: a
 * request that shows no sign of life for the timeout is given up (its POST aborted) and
 * answered with an error, so that no caller waits on the proxy for ever. Answers that come
 * after a request was given up or cancelled are dropped here.
 */
import type { JsonRpcId } from "./http_exchange.ts";

export interface PendingRequest {
  readonly id: JsonRpcId;
  readonly method: string;
  /** A 2026-07-28 request (its version in `_meta`): no sessions, no cancel notification. */
  readonly modern: boolean;
  /** A `subscriptions/listen` stream: once open, it may stay silent for ever. */
  readonly listen: boolean;
  /** Aborts its POST (and the response stream); null before it is sent. */
  controller: AbortController | null;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Ids given up on that are remembered, to drop their late answers (oldest forgotten first). */
export const ABANDONED_KEPT = 10_000;

export class PendingRequests {
  readonly #requests = new Map<JsonRpcId, PendingRequest>();
  readonly #abandoned = new Set<JsonRpcId>();
  readonly #timeoutMs: number;
  readonly #onTimeout: (request: PendingRequest) => void;
  #idleWaiters: (() => void)[] = [];

  constructor(timeoutMs: number, onTimeout: (request: PendingRequest) => void) {
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
  }

  get size(): number {
    return this.#requests.size;
  }

  get(id: JsonRpcId): PendingRequest | undefined {
    return this.#requests.get(id);
  }

  add(id: JsonRpcId, method: string, modern: boolean): PendingRequest {
    this.#abandoned.delete(id);
    const request: PendingRequest = {
      id,
      method,
      modern,
      listen: method === "subscriptions/listen",
      controller: null,
      timer: undefined,
    };
    this.#requests.set(id, request);
    this.alive(request);
    return request;
  }

  /** A sign of life (response headers, bytes of its stream): the deadline starts again. */
  alive(request: PendingRequest): void {
    clearTimeout(request.timer);
    if (this.#requests.get(request.id) !== request) return;
    request.timer = setTimeout(() => {
      if (this.#requests.get(request.id) === request) this.#onTimeout(request);
    }, this.#timeoutMs);
  }

  /** An open listen stream may stay silent: it has no deadline any more. */
  open(request: PendingRequest): void {
    clearTimeout(request.timer);
    request.timer = undefined;
  }

  /** The request got its answer: it is forgotten. Returns it, or undefined when not pending. */
  settle(id: JsonRpcId): PendingRequest | undefined {
    const request = this.#requests.get(id);
    if (!request) return undefined;
    clearTimeout(request.timer);
    this.#requests.delete(id);
    this.#wakeIfIdle();
    return request;
  }

  /** Given up (timed out, cancelled): forgotten, and an answer that still comes is dropped. */
  abandon(id: JsonRpcId): PendingRequest | undefined {
    const request = this.settle(id);
    if (!request) return undefined;
    request.controller?.abort();
    this.#abandoned.add(id);
    if (this.#abandoned.size > ABANDONED_KEPT) {
      this.#abandoned.delete(this.#abandoned.values().next().value!);
    }
    return request;
  }

  /** Whether an answer with `id` comes for a request given up on (it is then dropped, once). */
  takeAbandoned(id: JsonRpcId): boolean {
    return this.#abandoned.delete(id);
  }

  /** Ends every request: timers cleared, POSTs aborted. */
  clear(): void {
    for (const request of this.#requests.values()) {
      clearTimeout(request.timer);
      request.controller?.abort();
    }
    this.#requests.clear();
    this.#wakeIfIdle();
  }

  /** Resolves once no request but listen streams is waiting for its answer. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #isIdle(): boolean {
    for (const request of this.#requests.values()) if (!request.listen) return false;
    return true;
  }

  #wakeIfIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
