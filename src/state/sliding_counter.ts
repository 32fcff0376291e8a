/**
 * A sum over a sliding window in fixed memory (Intercept's `state` counters, such as a daily
 * spend). The window is cut into `SLOTS` sub-windows; an amount counts until between one
 * window and one window plus a sub-window after it was added: never forgotten early.
 */
const SLOTS = 60;
const RING = SLOTS + 1;

/** Sub-windows remembered: an amount in sub-window `id` counts while `id > current - RING`. */
export const COUNTER_RING = RING;

/** The sub-window `now` falls in, for a counter over `windowMs` (shared by every store). */
export function counterSlot(now: number, windowMs: number): number {
  return Math.floor(now / (windowMs / SLOTS));
}

/** When sub-window `slot` is forgotten. */
export function counterSlotEnd(slot: number, windowMs: number): number {
  return (slot + RING) * (windowMs / SLOTS);
}

/**
 * The sum of sub-window amounts still counted at sub-window `current`, added in the memory
 * store's order (ring position), so that every store gets the same floating-point sum.
 */
export function sumOfSlots(slots: readonly { slot: number; sum: number }[], current: number) {
  const live = slots.filter(({ slot }) => slot > current - RING);
  live.sort((a, b) => (a.slot % RING) - (b.slot % RING));
  let total = 0;
  for (const { sum } of live) total += sum;
  return total;
}

export class SlidingCounter {
  #sums = new Float64Array(RING);
  #slotIds = new Float64Array(RING).fill(-1);

  constructor(readonly windowMs: number) {}

  sum(now: number): number {
    const current = this.#slotId(now);
    let total = 0;
    for (let i = 0; i < RING; i++) {
      if (this.#slotIds[i] > current - RING) total += this.#sums[i];
    }
    return total;
  }

  add(now: number, amount: number): void {
    const current = this.#slotId(now);
    const index = current % RING;
    if (this.#slotIds[index] !== current) {
      this.#slotIds[index] = current;
      this.#sums[index] = 0;
    }
    this.#sums[index] += amount;
  }

  /** Takes back `amount` added at `at`, unless its sub-window is already forgotten. */
  remove(at: number, amount: number): void {
    const id = this.#slotId(at);
    const index = id % RING;
    if (this.#slotIds[index] === id) this.#sums[index] -= amount;
  }

  /** Milliseconds until the oldest amount still counted is forgotten (0 when none). */
  resetInMs(now: number): number {
    const current = this.#slotId(now);
    let oldest = Infinity;
    for (let i = 0; i < RING; i++) {
      const id = this.#slotIds[i];
      if (id > current - RING && this.#sums[i] !== 0 && id < oldest) oldest = id;
    }
    if (oldest === Infinity) return 0;
    return Math.max(0, (oldest + RING) * this.#slotMs - now);
  }

  get #slotMs(): number {
    return this.windowMs / SLOTS;
  }

  #slotId(now: number): number {
    return Math.floor(now / this.#slotMs);
  }
}
