/**
 * Writes newline-terminated messages to a byte sink, coalescing every message queued in the
 * same turn of the event loop into one write. Order is kept. `flush()` starts writing at once
 * (the end of a read chunk), without waiting for the end of the turn. One write is in flight
 * at a time, so a batch that fits is encoded into one reused buffer rather than a fresh one.
 */

/** Where bytes go. `write` may take fewer bytes than given, and says how many. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<number>;
}

/** A stream writer as a sink: each write takes every byte. */
export function writerSink(writer: WritableStreamDefaultWriter<Uint8Array>): ByteSink {
  return { write: (bytes) => writer.write(bytes).then(() => bytes.length) };
}

/** Batches up to this size are encoded into the reused buffer; larger ones get their own. */
const ENCODE_BUFFER_BYTES = 64 * 1024;

export class LineWriter {
  #encoder = new TextEncoder();
  #buffer: Uint8Array | null = null;
  #queue: string[] = [];
  /** Characters queued or being written: what a reader may wait on (backpressure). */
  #backlog = 0;
  #scheduled = false;
  #writing: Promise<void> | null = null;
  #failed: Error | null = null;

  constructor(
    readonly sink: ByteSink,
    readonly onError: (error: Error) => void = () => {},
  ) {}

  send(line: string): void {
    if (this.#failed) return;
    this.#queue.push(line);
    this.#backlog += line.length + 1;
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Starts writing what is queued, unless a write is already under way (it takes it next). */
  flush(): void {
    if (this.#writing || this.#queue.length === 0 || this.#failed) return;
    this.#writing = this.#writeAll();
  }

  get backlog(): number {
    return this.#backlog;
  }

  /** Resolves once everything queued so far is written (or writing failed). */
  async drain(): Promise<void> {
    this.flush();
    while (this.#writing) {
      await this.#writing;
      this.flush();
    }
  }

  async #writeAll(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.length === 1
          ? this.#queue[0] + "\n"
          : this.#queue.join("\n") + "\n";
        this.#queue = [];
        const bytes = this.#encode(batch);
        for (let written = 0; written < bytes.length;) {
          const count = await this.sink.write(written === 0 ? bytes : bytes.subarray(written));
          if (!(count > 0)) throw new Error("The stream accepted no bytes");
          written += count;
        }
        this.#backlog -= batch.length;
      }
    } catch (error) {
      this.#failed = error as Error;
      this.#queue = [];
      this.#backlog = 0;
      this.onError(error as Error);
    } finally {
      this.#writing = null;
    }
  }

  /** UTF-8 of `text`: in the reused buffer when it surely fits (valid until the next batch). */
  #encode(text: string): Uint8Array {
    if (text.length * 3 > ENCODE_BUFFER_BYTES) return this.#encoder.encode(text);
    const buffer = this.#buffer ??= new Uint8Array(ENCODE_BUFFER_BYTES);
    const { written } = this.#encoder.encodeInto(text, buffer);
    return buffer.subarray(0, written);
  }
}
