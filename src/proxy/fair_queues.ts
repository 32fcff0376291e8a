/**
 * The bound of a table several principals share (MRTR continuations, answered approval
 * questions), kept fair: items are queued per owner, oldest first. Past an owner's share its own
 * oldest goes; past the total, the oldest of whoever holds the most. So one principal filling
 * the table pushes out only its own items, never those of one that holds fewer.
 */
export class FairQueues<T> {
  readonly #queues = new Map<string, T[]>();
  #size = 0;
  readonly #maxPerOwner: number;
  readonly #maxTotal: number;

  constructor(maxPerOwner: number, maxTotal: number) {
    this.#maxPerOwner = maxPerOwner;
    this.#maxTotal = maxTotal;
  }

  get size(): number {
    return this.#size;
  }

  /** Queues `item` for `owner`; returns the items put out to stay within the bounds. */
  add(owner: string, item: T): T[] {
    const queue = this.#queues.get(owner);
    if (queue) queue.push(item);
    else this.#queues.set(owner, [item]);
    this.#size++;
    const out: T[] = [];
    while (this.#queues.get(owner)!.length > this.#maxPerOwner) out.push(this.#shift(owner));
    while (this.#size > this.#maxTotal) out.push(this.#shift(this.#largest()));
    return out;
  }

  /** Takes `item` out of `owner`'s queue; false when it is not there. */
  remove(owner: string, item: T): boolean {
    const queue = this.#queues.get(owner);
    const index = queue?.indexOf(item) ?? -1;
    if (index < 0) return false;
    queue!.splice(index, 1);
    this.#size--;
    if (queue!.length === 0) this.#queues.delete(owner);
    return true;
  }

  #shift(owner: string): T {
    const queue = this.#queues.get(owner)!;
    const item = queue.shift()!;
    this.#size--;
    if (queue.length === 0) this.#queues.delete(owner);
    return item;
  }

  /** The owner with the longest queue (the first such, in order of arrival). */
  #largest(): string {
    let largest = "";
    let length = -1;
    for (const [owner, queue] of this.#queues) {
      if (queue.length > length) [largest, length] = [owner, queue.length];
    }
    return largest;
  }
}
