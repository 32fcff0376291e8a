/**
 * Writes JSON lines to a byte sink in batches: every line pushed while the previous write is
 * in flight (or in the same turn of the event loop) goes out in the next single write. The
 * buffer is bounded: while the sink stalls, new lines are dropped and counted, and the next
 * line that fits carries `"droppedBefore": N`. A write error is reported once; every later
 * line is dropped and counted. `push` never throws and never waits.
 */

/** Where bytes go: a file opened for append, stderr. `write` may write fewer bytes. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<number>;
}

export interface BatchWriterOptions {
  /** Lines held while the sink is busy before new ones are dropped. */
  maxLines?: number;
  /** Characters held while the sink is busy before new lines are dropped. */
  maxChars?: number;
  onError?: (error: Error) => void;
}

export const DEFAULT_MAX_LINES = 10_000;
export const DEFAULT_MAX_CHARS = 32 * 1024 * 1024;

export class BatchWriter {
  readonly #sink: ByteSink;
  readonly #maxLines: number;
  readonly #maxChars: number;
  readonly #onError: (error: Error) => void;
  readonly #encoder = new TextEncoder();
  #queue: string[] = [];
  #queuedChars = 0;
  #flushing: Promise<void> | null = null;
  #failed: Error | null = null;
  #dropped = 0;
  #unreported = 0;

  constructor(sink: ByteSink, options: BatchWriterOptions = {}) {
    this.#sink = sink;
    this.#maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
    this.#maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
    this.#onError = options.onError ?? (() => {});
  }

  /** Lines dropped so far (a full buffer, or after a write error). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Dropped lines no written line has reported yet. */
  get unreported(): number {
    return this.#unreported;
  }

  /** The write error that stopped this writer, if any. */
  get failed(): Error | null {
    return this.#failed;
  }

  /** Queues one line (a JSON object, no newline). False when it was dropped. */
  push(line: string): boolean {
    if (this.#failed) {
      this.#dropped++;
      return false;
    }
    if (
      this.#queue.length >= this.#maxLines || this.#queuedChars + line.length > this.#maxChars
    ) {
      this.#dropped++;
      this.#unreported++;
      return false;
    }
    if (this.#unreported > 0 && line.endsWith("}")) {
      line = `${line.slice(0, -1)},"droppedBefore":${this.#unreported}}`;
      this.#unreported = 0;
    }
    this.#queue.push(line);
    this.#queuedChars += line.length;
    this.#flushing ??= this.#flush();
    return true;
  }

  /** Resolves once every line pushed so far is written (or writing failed). */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #flush(): Promise<void> {
    await Promise.resolve();
    let inFlight = 0;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        this.#queuedChars = 0;
        inFlight = batch.length;
        const bytes = this.#encoder.encode(batch.join("\n") + "\n");
        for (let written = 0; written < bytes.length;) {
          const count = await this.#sink.write(bytes.subarray(written));
          if (!(count > 0)) throw new Error("The audit sink accepted no bytes");
          written += count;
        }
        inFlight = 0;
      }
    } catch (error) {
      this.#failed = error instanceof Error ? error : new Error(String(error));
      this.#dropped += inFlight + this.#queue.length;
      this.#queue = [];
      this.#queuedChars = 0;
      try {
        this.#onError(this.#failed);
      } catch {
        // The reporter failed too; the count still says what was lost.
      }
    } finally {
      this.#flushing = null;
    }
  }
}
