/**
 * The lines waiting for one control connection, in order. Responses are always kept;
 * notifications are bounded: past the bound the oldest are dropped, and the next notification
 * written carries `"dropped": N` in its params so the reader knows it missed N.
 */

type Entry =
  | { kind: "response"; line: string }
  /** `params` is the notification's params as JSON; null once dropped. */
  | { kind: "notice"; method: string; params: string | null };

export class OutboundQueue {
  #items: Entry[] = [];
  #head = 0;
  /** No live notice sits before this index. */
  #scan = 0;
  #notices = 0;
  #responses = 0;
  #unreported = 0;
  #droppedTotal = 0;

  constructor(readonly maxNotices: number) {
    if (!(maxNotices >= 1)) {
      throw new RangeError(`maxNotices must be at least 1, got ${maxNotices}`);
    }
  }

  get size(): number {
    return this.#notices + this.#responses;
  }

  get responses(): number {
    return this.#responses;
  }

  /** Notifications dropped since the queue was made. */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  pushResponse(line: string): void {
    this.#items.push({ kind: "response", line });
    this.#responses++;
  }

  /** Queues a notification; returns how many older ones were dropped to make room. */
  pushNotice(method: string, params: string): number {
    this.#items.push({ kind: "notice", method, params });
    this.#notices++;
    let dropped = 0;
    while (this.#notices > this.maxNotices) {
      this.#dropOldestNotice();
      dropped++;
    }
    return dropped;
  }

  /** Takes up to `max` lines off the front, ready to write. */
  take(max: number): string[] {
    const lines: string[] = [];
    while (lines.length < max && this.#head < this.#items.length) {
      const entry = this.#items[this.#head++];
      if (entry.kind === "response") {
        this.#responses--;
        lines.push(entry.line);
      } else if (entry.params !== null) {
        this.#notices--;
        lines.push(this.#noticeLine(entry.method, entry.params));
      }
    }
    this.#compact();
    return lines;
  }

  clear(): void {
    this.#items = [];
    this.#head =
      this.#scan =
      this.#notices =
      this.#responses =
        0;
  }

  #dropOldestNotice(): void {
    let i = Math.max(this.#scan, this.#head);
    for (; i < this.#items.length; i++) {
      const entry = this.#items[i];
      if (entry.kind === "notice" && entry.params !== null) {
        entry.params = null;
        break;
      }
    }
    this.#scan = i + 1;
    this.#notices--;
    this.#unreported++;
    this.#droppedTotal++;
  }

  #noticeLine(method: string, params: string): string {
    if (this.#unreported > 0 && params.startsWith("{")) {
      const rest = params === "{}" ? "}" : `,${params.slice(1)}`;
      params = `{"dropped":${this.#unreported}${rest}`;
      this.#unreported = 0;
    }
    return `{"jsonrpc":"2.0","method":${JSON.stringify(method)},"params":${params}}`;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = this.#scan = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#scan = Math.max(0, this.#scan - this.#head);
      this.#head = 0;
    }
  }
}
