/**
 * How many events happened in the last minute, in 12 buckets of 5 s: constant memory per
 * counter, and a count that slides forward every 5 s rather than jumping once a minute.
 */
const BUCKET_MS = 5_000;
const BUCKETS = 12;

export class RateWindow {
  readonly #counts = new Array<number>(BUCKETS).fill(0);
  /** The bucket number (time / BUCKET_MS) each slot last counted. */
  readonly #slots = new Array<number>(BUCKETS).fill(-Infinity);

  /** Counts one event at `ts`; one older than a minute before `now` is ignored. */
  record(ts: number, now: number): void {
    const bucket = Math.floor(ts / BUCKET_MS);
    if (bucket <= Math.floor(now / BUCKET_MS) - BUCKETS) return;
    const slot = ((bucket % BUCKETS) + BUCKETS) % BUCKETS;
    if (this.#slots[slot] !== bucket) {
      if (this.#slots[slot] > bucket) return; // older than what the slot holds now
      this.#slots[slot] = bucket;
      this.#counts[slot] = 0;
    }
    this.#counts[slot]++;
  }

  /** Events in the minute up to `now`. */
  count(now: number): number {
    const newest = Math.floor(now / BUCKET_MS);
    let total = 0;
    for (let slot = 0; slot < BUCKETS; slot++) {
      const bucket = this.#slots[slot];
      if (bucket > newest - BUCKETS && bucket <= newest) total += this.#counts[slot];
    }
    return total;
  }
}
