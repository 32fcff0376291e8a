/**
 * An exact sliding-window log: the times of admitted calls in a ring. A call at `now` is
 * admitted while fewer than `max` calls happened in (now - window, now], so no interval of
 * the window's length ever holds more than `max` admitted calls.
 */
export class SlidingWindow {
  #times = new Float64Array(4);
  #head = 0;
  #size = 0;

  /** Calls admitted within the window that ends at `now`. */
  count(now: number, windowMs: number): number {
    this.#expire(now - windowMs);
    return this.#size;
  }

  /** Milliseconds until the oldest admitted call leaves the window (0 when empty). */
  resetInMs(now: number, windowMs: number): number {
    this.#expire(now - windowMs);
    if (this.#size === 0) return 0;
    return Math.max(0, this.#times[this.#head] + windowMs - now);
  }

  /** Milliseconds until a call could be admitted under `max`. */
  retryInMs(now: number, windowMs: number, max: number): number {
    this.#expire(now - windowMs);
    if (this.#size < max) return 0;
    const index = (this.#head + this.#size - max) % this.#times.length;
    return Math.max(1, this.#times[index] + windowMs - now);
  }

  /** Records one admitted call; the caller has checked `count() < max`. */
  add(now: number): void {
    if (this.#size === this.#times.length) this.#grow();
    this.#times[(this.#head + this.#size) % this.#times.length] = now;
    this.#size++;
  }

  /** Takes back one call admitted at `at` (it could not go up after all); false if gone. */
  remove(at: number): boolean {
    const length = this.#times.length;
    for (let i = this.#size - 1; i >= 0; i--) {
      if (this.#times[(this.#head + i) % length] !== at) continue;
      for (let j = i; j < this.#size - 1; j++) {
        this.#times[(this.#head + j) % length] = this.#times[(this.#head + j + 1) % length];
      }
      this.#size--;
      return true;
    }
    return false;
  }

  get empty(): boolean {
    return this.#size === 0;
  }

  #expire(cutoff: number): void {
    while (this.#size > 0 && this.#times[this.#head] <= cutoff) {
      this.#head = (this.#head + 1) % this.#times.length;
      this.#size--;
    }
  }

  #grow(): void {
    const next = new Float64Array(this.#times.length * 2);
    for (let i = 0; i < this.#size; i++) {
      next[i] = this.#times[(this.#head + i) % this.#times.length];
    }
    this.#times = next;
    this.#head = 0;
  }
}
