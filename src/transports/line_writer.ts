/**
 * Writes newline-terminated messages to a byte stream, coalescing every message queued in
 * the same turn of the event loop into one write. Order is kept.
 */
export class LineWriter {
  #encoder = new TextEncoder();
  #queue: string[] = [];
  #flushing: Promise<void> | null = null;
  #failed: Error | null = null;

  constructor(
    readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    readonly onError: (error: Error) => void = () => {},
  ) {}

  send(line: string): void {
    if (this.#failed) return;
    this.#queue.push(line);
    this.#flushing ??= this.#flush();
  }

  /** Resolves once everything queued so far is written (or writing failed). */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #flush(): Promise<void> {
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.length === 1 ? this.#queue[0] : this.#queue.join("\n");
        this.#queue = [];
        await this.writer.write(this.#encoder.encode(batch + "\n"));
      }
    } catch (error) {
      this.#failed = error as Error;
      this.#queue = [];
      this.onError(error as Error);
    } finally {
      this.#flushing = null;
    }
  }
}
