/**
 * One POST to `/mcp` as the proxy answers it: the proxy's answers to the messages in its body go
 * back as one JSON body when nothing comes before the answer, or as an SSE stream when
 * notifications (progress, a subscription's) come first or the request is a stream. A body with
 * nothing to answer gets `202 Accepted`. The client going away cancels what is still open.
 */
import { SseStream } from "../transports/sse.ts";

export interface HttpExchangeOptions {
  /** Bytes an SSE stream may hold for a slow reader before it is given up. */
  maxQueued: number;
  keepAliveMs: number;
  /** Headers every response of this exchange carries (the session id). */
  headers?: Record<string, string>;
  /** The HTTP status of a JSON answer that is an error with this code (default 200). */
  statusOf?: (code: number) => number;
  /** The client went away (or stopped reading) before every answer came. */
  onAbandoned?: () => void;
  /** The exchange is over: answered, given up or abandoned. */
  onFinished?: () => void;
}

export class HttpExchange {
  readonly response: Promise<Response>;
  /** Resolves once the exchange is over (answered, given up, abandoned or closed). */
  readonly done: Promise<void>;
  readonly #options: HttpExchangeOptions;
  #resolve!: (response: Response) => void;
  #resolveDone!: () => void;
  /** Answers still to come; null until the proxy said how many (`expect`). */
  #expected: number | null = null;
  /** Lines sent before `expect` was called, with whether each is an answer. */
  #early: [string, boolean][] = [];
  #stream: SseStream | null = null;
  #finished = false;

  constructor(options: HttpExchangeOptions) {
    this.#options = options;
    this.response = new Promise((resolve) => this.#resolve = resolve);
    this.done = new Promise((resolve) => this.#resolveDone = resolve);
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** The proxy took the body on: `answers` answers will come (0: nothing to wait for). */
  expect(answers: number): void {
    this.#expected = answers;
    const early = this.#early;
    this.#early = [];
    for (const [line, answer] of early) this.deliver(line, answer);
    if (this.#expected === 0 && !this.#finished) {
      if (this.#stream) this.#end();
      else this.#respond(new Response(null, { status: 202, headers: this.#options.headers }));
    }
  }

  /** Opens the stream at once (a `subscriptions/listen`), so the client gets its headers. */
  stream(): void {
    this.#openStream();
  }

  /** As a client channel (a modern request's): every message of its proxy comes here. */
  send(line: string, _origin?: unknown, answer?: boolean): void {
    this.deliver(line, answer === true);
  }

  /** One message of the proxy's for this exchange; `answer` when it is one of the answers. */
  deliver(line: string, answer = false): void {
    if (this.#finished) return;
    if (this.#expected === null) {
      this.#early.push([line, answer]);
      return;
    }
    if (answer && this.#expected === 1 && !this.#stream) {
      this.#expected = 0;
      const headers = new Headers(this.#options.headers);
      headers.set("content-type", "application/json");
      this.#respond(new Response(line, { status: this.#statusOf(line), headers }));
      return;
    }
    const stream = this.#openStream();
    if (!stream.send(line)) return; // given up: onClose reported it
    if (answer && --this.#expected === 0) this.#end();
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  /** The client's connection went away. */
  abort(): void {
    if (this.#finished) return;
    this.#stream?.close();
    this.#abandon();
  }

  /** Ends the exchange now (shutdown): a stream is closed, a waiting request gets 503. */
  close(): void {
    if (this.#finished) return;
    if (this.#stream) this.#stream.close();
    else {
      this.#respond(Response.json(
        {
          jsonrpc: "2.0",
          id: null,
          error: { code: -32603, message: "The proxy is shutting down" },
        },
        { status: 503 },
      ));
    }
  }

  #statusOf(line: string): number {
    const statusOf = this.#options.statusOf;
    if (!statusOf || !line.includes('"error"')) return 200;
    try {
      const answer = JSON.parse(line);
      const code = answer?.error?.code;
      return typeof code === "number" ? statusOf(code) : 200;
    } catch {
      return 200;
    }
  }

  #openStream(): SseStream {
    if (this.#stream) return this.#stream;
    const stream = this.#stream = new SseStream({
      maxQueued: this.#options.maxQueued,
      keepAliveMs: this.#options.keepAliveMs,
      headers: this.#options.headers,
      onClose: () => {
        // Closed before every answer came: the reader went away or stopped reading.
        if (!this.#finished) this.#abandon();
      },
    });
    this.#resolve(stream.response);
    return stream;
  }

  #end(): void {
    this.#finished = true;
    this.#stream?.close();
    this.#finish();
  }

  #abandon(): void {
    this.#finished = true;
    this.#options.onAbandoned?.();
    this.#finish();
  }

  #respond(response: Response): void {
    this.#finished = true;
    this.#resolve(response);
    this.#finish();
  }

  #finish(): void {
    this.#options.onFinished?.();
    this.#resolveDone();
  }
}

/**
 * Aborts `exchange` if the client disconnects before its response is handed over; after that
 * an SSE stream notices a disconnect itself (its reader cancels), and a JSON body is done.
 */
export function abortOnDisconnect(signal: AbortSignal, exchange: HttpExchange): void {
  const abort = () => exchange.abort();
  signal.addEventListener("abort", abort, { once: true });
  exchange.response.then(() => signal.removeEventListener("abort", abort));
}
