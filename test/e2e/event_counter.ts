/** Counts events of one kind and lets a test wait for the n-th, without polling or sleeping. */
export class EventCounter {
  #count = 0;
  #waiters = new Set<() => void>();

  constructor(readonly what: string) {}

  get count(): number {
    return this.#count;
  }

  add(): void {
    this.#count++;
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves once `count >= target`; rejects after `timeoutMs` naming what was awaited. */
  waitFor(target: number, timeoutMs = 10_000): Promise<void> {
    if (this.#count >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (this.#count < target) return;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`Only ${this.#count} of ${target} ${this.what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(wake);
    });
  }
}
