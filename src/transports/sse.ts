/**
 * A Server-Sent Events response: each JSON-RPC message one `message` event, comment lines as
 * keep-alives. A reader that stops reading does not grow the proxy's memory: past `maxQueued`
 * bytes waiting, the stream is closed (the client sees a broken stream; its request is
 * cancelled, as a closed stream means on Streamable HTTP).
 */

export interface SseOptions {
  /** Bytes waiting for a slow reader before the stream is given up. */
  maxQueued: number;
  /** A comment line this often while nothing else is sent (0: none). */
  keepAliveMs: number;
  /** Called once when the stream ends, whoever ended it. */
  onClose?: () => void;
  headers?: HeadersInit;
}

const encoder = new TextEncoder();

export class SseStream {
  readonly response: Response;
  readonly #options: SseOptions;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastWrite = Date.now();

  constructor(options: SseOptions) {
    this.#options = options;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => this.#finish(),
    }, { highWaterMark: options.maxQueued, size: (chunk) => chunk.byteLength });
    const headers = new Headers(options.headers);
    headers.set("content-type", "text/event-stream");
    headers.set("cache-control", "no-cache, no-transform");
    headers.set("x-accel-buffering", "no");
    this.response = new Response(stream, { status: 200, headers });
    if (options.keepAliveMs > 0) {
      this.#timer = setInterval(() => {
        if (Date.now() - this.#lastWrite >= options.keepAliveMs) this.#write(":\n\n");
      }, options.keepAliveMs);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one message as an event; false when the stream is closed (or was just given up). */
  send(message: string): boolean {
    return this.#write(`event: message\ndata: ${message}\n\n`);
  }

  close(): void {
    if (this.#closed) return;
    try {
      this.#controller.close();
    } catch {
      // The reader went away first.
    }
    this.#finish();
  }

  #write(text: string): boolean {
    if (this.#closed) return false;
    if ((this.#controller.desiredSize ?? 0) <= 0) {
      // The reader stopped reading: give the stream up rather than hold its backlog.
      this.#controller.error(new Error("the client stopped reading"));
      this.#finish();
      return false;
    }
    this.#controller.enqueue(encoder.encode(text));
    this.#lastWrite = Date.now();
    return true;
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#options.onClose?.();
  }
}
