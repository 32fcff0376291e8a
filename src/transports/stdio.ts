/**
 * Line channels over byte streams: the proxy's own stdin/stdout (the client side) and a
 * spawned upstream server's stdin/stdout. Both speak newline-delimited JSON-RPC.
 */
import { LineSplitter, type OversizeLine } from "./line_splitter.ts";
import { LineWriter } from "./line_writer.ts";

export interface LineChannelHandlers {
  line(text: string): void;
  oversize(line: OversizeLine): void;
  /** The input stream ended (the peer closed it, or it broke). */
  end(): void;
  /**
   * Every line of a read chunk was handled: a moment to flush what they produced. A promise
   * returned here is waited for before reading on (backpressure).
   */
  chunkEnd?(): void | Promise<void>;
  /** A handler threw; the stream goes on. */
  error?(error: Error): void;
}

/** A bidirectional newline-delimited channel. */
export interface LineChannel {
  /**
   * Sends one message. `origin` is where the request it answers or relates to came from (an
   * HTTP exchange, say) and `answer` says it is that request's (or batch's) one answer; a
   * channel with one peer ignores both.
   */
  send(line: string, origin?: unknown, answer?: boolean): void;
  /** Resolves when everything sent so far has been written. */
  drain(): Promise<void>;
}

/** Reads lines from `readable` until it ends; returns when it has. */
export async function pumpLines(
  readable: ReadableStream<Uint8Array>,
  maxBytes: number,
  handlers: LineChannelHandlers,
): Promise<void> {
  const splitter = new LineSplitter(maxBytes, handlers);
  const reader = readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      try {
        splitter.push(value);
        const wait = handlers.chunkEnd?.();
        if (wait) await wait;
      } catch (error) {
        // A handler's own failure must not end the stream as if it were closed.
        handlers.error?.(error as Error);
      }
    }
  } catch {
    // A broken pipe ends the stream like EOF does.
  } finally {
    reader.releaseLock();
  }
  splitter.end();
  handlers.end();
}

export class StreamChannel implements LineChannel {
  readonly #writer: LineWriter;

  constructor(writable: WritableStream<Uint8Array>, onWriteError: (error: Error) => void) {
    this.#writer = new LineWriter(writable.getWriter(), onWriteError);
  }

  send(line: string): void {
    this.#writer.send(line);
  }

  drain(): Promise<void> {
    return this.#writer.drain();
  }

  /** Characters queued and not yet written. */
  get backlog(): number {
    return this.#writer.backlog;
  }

  /** Starts writing what is queued now rather than at the end of the turn. */
  flush(): void {
    this.#writer.flush();
  }

  async close(): Promise<void> {
    await this.drain();
    try {
      await this.#writer.writer.close();
    } catch {
      // Already closed or broken: nothing left to flush.
    }
  }
}
