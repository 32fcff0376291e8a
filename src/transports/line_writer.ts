/**
 * Writes newline-terminated messages to a byte stream, coalescing every message queued in
 * the same turn of the event loop into one write. Order is kept. `flush()` starts writing at
 * once (the end of a read chunk), without waiting for the end of the turn.
 */
export class LineWriter {
  #encoder = new TextEncoder();
  #queue: string[] = [];
  /** Characters queued or being written: what a reader may wait on (backpressure). */
  #backlog = 0;
  #scheduled = false;
  #writing: Promise<void> | null = null;
  #failed: Error | null = null;

  constructor(
    readonly writer: WritableStreamDefaultWriter<Uint8Array>,
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
        const batch = this.#queue.length === 1 ? this.#queue[0] : this.#queue.join("\n");
        this.#queue = [];
        await this.writer.write(this.#encoder.encode(batch + "\n"));
        this.#backlog -= batch.length + 1;
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
}
