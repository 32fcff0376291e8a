/**
 * Line channels over byte streams: the proxy's own stdin/stdout (the client side) and a
 * spawned upstream server's stdin/stdout. Both speak newline-delimited JSON-RPC.
 */
import { type ChunkReader, readIntoChunks, streamChunks } from "./chunk_reader.ts";
import { LineSplitter, type OversizeLine } from "./line_splitter.ts";
import { type ByteSink, LineWriter, writerSink } from "./line_writer.ts";

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

/**
 * Reads lines from `source` until it ends; returns when it has. A stream is read through a
 * reused buffer where it is a byte stream (see `streamChunks`).
 */
export async function pumpLines(
  source: ReadableStream<Uint8Array> | ChunkReader,
  maxBytes: number,
  handlers: LineChannelHandlers,
): Promise<void> {
  const splitter = new LineSplitter(maxBytes, handlers);
  const reader = source instanceof ReadableStream ? streamChunks(source) : source;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk === null) break;
      try {
        splitter.push(chunk);
        const wait = handlers.chunkEnd?.();
        if (wait) await wait;
      } catch (error) {
        // A handler's own failure must not end the stream as if it were closed.
        handlers.error?.(error as Error);
      }
    }
  } finally {
    reader.release();
  }
  splitter.end();
  handlers.end();
}

/** Our own stdin, read with `Deno.stdin.read` into one reused buffer (no stream layer). */
export function stdinChunks(): ChunkReader {
  return readIntoChunks(Deno.stdin);
}

/** Our own stdout, written with `Deno.stdout.write` (no stream layer). */
export const stdoutSink: ByteSink = { write: (bytes) => Deno.stdout.write(bytes) };

export class StreamChannel implements LineChannel {
  readonly #writer: LineWriter;
  readonly #close: () => Promise<void>;

  /** Writes to a stream, or to a sink (which `close()` leaves open). */
  constructor(
    destination: WritableStream<Uint8Array> | ByteSink,
    onWriteError: (error: Error) => void,
  ) {
    if (destination instanceof WritableStream) {
      const writer = destination.getWriter();
      this.#writer = new LineWriter(writerSink(writer), onWriteError);
      this.#close = () => writer.close();
    } else {
      this.#writer = new LineWriter(destination, onWriteError);
      this.#close = () => Promise.resolve();
    }
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
      await this.#close();
    } catch {
      // Already closed or broken: nothing left to flush.
    }
  }
}
