/**
 * Writes JSON lines to a byte sink in batches: every line pushed while the previous write is
 * in flight (or in the same turn of the event loop) goes out in the next single write. A line
 * may be pushed as the function that makes it: it is made at the end of the turn, off the path
 * of whoever pushed it (a proxy deciding a call), and never later. With `delayMs`, a batch
 * waits that long before it is written, so that a busy log costs one write per interval rather
 * than one per turn (`drain()` cuts the wait short). The buffer is bounded:
 * while the sink stalls, new lines are dropped and counted, and the next line that fits
 * carries `"droppedBefore": N`. A write error is reported once; every later line is dropped
 * and counted. `push` never throws and never waits.
 */

/** Where bytes go: a file opened for append, stderr. `write` may write fewer bytes. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<number>;
}

export interface BatchWriterOptions {
  /** Lines held while the sink is busy before new ones are dropped. */
  maxLines?: number;
  /** Characters (bytes once encoded) held while the sink is busy before lines are dropped. */
  maxChars?: number;
  /** How long a batch gathers lines before it is written (default 0: the end of the turn). */
  delayMs?: number;
  onError?: (error: Error) => void;
}

/** Makes one line (a JSON object, no newline); it must not throw. */
export type LineMaker = () => string;

export const DEFAULT_MAX_LINES = 10_000;
export const DEFAULT_MAX_CHARS = 32 * 1024 * 1024;

/** The encoded batch starts this large, and is let go of after a write this large or more. */
const BUFFER_BYTES = 64 * 1024;
const KEPT_BUFFER_BYTES = 1024 * 1024;

export class BatchWriter {
  readonly #sink: ByteSink;
  readonly #maxLines: number;
  readonly #maxChars: number;
  readonly #onError: (error: Error) => void;
  readonly #delayMs: number;
  /** Ends the current batch's wait at once (drain). */
  #hurry: (() => void) | null = null;
  /** Calls of `drain()` waiting: batches do not wait meanwhile. */
  #draining = 0;
  readonly #encoder = new TextEncoder();
  /** Lines (or makers) pushed this turn; encoded at its end. */
  #queue: (string | LineMaker)[] = [];
  #queuedChars = 0;
  #encodeScheduled = false;
  /**
   * The next batch, encoded: bytes outside the JavaScript heap, so that lines waiting for the
   * sink cost the garbage collector nothing. Two buffers take turns: one is being written.
   */
  #bytes: Uint8Array = new Uint8Array(BUFFER_BYTES);
  #spare: Uint8Array | null = null;
  #used = 0;
  #lines = 0;
  #flushing: Promise<void> | null = null;
  #failed: Error | null = null;
  #dropped = 0;
  #unreported = 0;

  constructor(sink: ByteSink, options: BatchWriterOptions = {}) {
    this.#sink = sink;
    this.#maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
    this.#maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
    this.#delayMs = options.delayMs ?? 0;
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

  /**
   * Queues one line (a JSON object, no newline), or its maker. False when it was dropped (a
   * made line that does not fit is dropped when it is made).
   */
  push(line: string | LineMaker): boolean {
    if (this.#failed) {
      this.#dropped++;
      return false;
    }
    const size = typeof line === "string" ? line.length : 0;
    if (
      this.#lines + this.#queue.length >= this.#maxLines ||
      this.#used + this.#queuedChars + size > this.#maxChars
    ) {
      this.#drop();
      return false;
    }
    if (typeof line === "string") {
      line = this.#withDropped(line);
      this.#queuedChars += line.length;
    } else if (this.#unreported > 0) line = this.#makerWithDropped(line);
    this.#queue.push(line);
    if (!this.#encodeScheduled) {
      this.#encodeScheduled = true;
      queueMicrotask(() => this.#encode());
    }
    this.#flushing ??= this.#flush();
    return true;
  }

  /**
   * Makes and encodes this turn's lines: what makers hold is let go of at once. The lines are
   * joined and encoded in one call: one view and one native call per turn, not per line.
   */
  #encode(): void {
    this.#encodeScheduled = false;
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    this.#queuedChars = 0;
    let text = "";
    let count = 0;
    for (const entry of queue) {
      const line = typeof entry === "string" ? entry : entry();
      if (typeof entry !== "string" && this.#used + text.length + line.length > this.#maxChars) {
        this.#drop(); // reported by the next line pushed
        continue;
      }
      text += line;
      text += "\n";
      count++;
    }
    if (count === 0) return;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const room = text.length * 3;
    if (this.#used + room > this.#bytes.length) this.#grow(this.#used + room);
    this.#used += this.#encoder.encodeInto(text, this.#bytes.subarray(this.#used)).written;
    this.#lines += count;
  }

  #grow(size: number): void {
    const bytes = new Uint8Array(Math.max(size, this.#bytes.length * 2));
    bytes.set(this.#bytes.subarray(0, this.#used));
    this.#bytes = bytes;
  }

  #drop(): void {
    this.#dropped++;
    this.#unreported++;
  }

  #withDropped(line: string): string {
    if (this.#unreported === 0) return line;
    const dropped = this.#unreported;
    this.#unreported = 0;
    return withDropped(line, dropped);
  }

  /** The lines dropped so far are reported by this one, whenever it is made. */
  #makerWithDropped(make: LineMaker): LineMaker {
    const dropped = this.#unreported;
    this.#unreported = 0;
    return () => withDropped(make(), dropped);
  }

  /** Resolves once every line pushed so far is written (or writing failed). */
  async drain(): Promise<void> {
    this.#draining++;
    try {
      while (this.#flushing) {
        this.#hurry?.();
        await this.#flushing;
      }
    } finally {
      this.#draining--;
    }
  }

  async #flush(): Promise<void> {
    await Promise.resolve();
    let inFlight = 0;
    try {
      while (this.#queue.length > 0 || this.#used > 0) {
        if (this.#delayMs > 0 && this.#draining === 0) await this.#gather();
        this.#encode();
        if (this.#used === 0) continue;
        const bytes = this.#bytes.subarray(0, this.#used);
        inFlight = this.#lines;
        // The next batch goes to the other buffer, free since its own write ended.
        this.#bytes = this.#spare ?? new Uint8Array(BUFFER_BYTES);
        this.#spare = null;
        this.#used = 0;
        this.#lines = 0;
        for (let written = 0; written < bytes.length;) {
          const count = await this.#sink.write(bytes.subarray(written));
          if (!(count > 0)) throw new Error("The audit sink accepted no bytes");
          written += count;
        }
        if (bytes.buffer.byteLength < KEPT_BUFFER_BYTES) {
          this.#spare = new Uint8Array(bytes.buffer);
        }
        inFlight = 0;
      }
    } catch (error) {
      this.#failed = error instanceof Error ? error : new Error(String(error));
      this.#dropped += inFlight + this.#lines + this.#queue.length;
      this.#queue = [];
      this.#queuedChars = 0;
      this.#used = 0;
      this.#lines = 0;
      try {
        this.#onError(this.#failed);
      } catch {
        // The reporter failed too; the count still says what was lost.
      }
    } finally {
      this.#flushing = null;
    }
  }

  /** Waits `delayMs`, or until `drain()` is called, while more lines join the batch. */
  #gather(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#hurry = null;
        resolve();
      };
      const timer = setTimeout(done, this.#delayMs);
      this.#hurry = done;
    });
  }
}

/** `line` saying that `dropped` lines were lost before it. */
function withDropped(line: string, dropped: number): string {
  return line.endsWith("}") ? `${line.slice(0, -1)},"droppedBefore":${dropped}}` : line;
}
