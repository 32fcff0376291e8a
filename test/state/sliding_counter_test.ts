/** SlidingCounter: a sum over a sliding window in fixed memory, never forgotten early. */
import { equal, ok } from "node:assert/strict";
import { SlidingCounter } from "../../src/state/sliding_counter.ts";

const MINUTE = 60_000;
const SLOT = MINUTE / 60;

Deno.test("SlidingCounter sums what was added within the window", () => {
  const counter = new SlidingCounter(MINUTE);
  equal(counter.sum(0), 0);
  counter.add(0, 5);
  counter.add(10, 2.5);
  counter.add(30_000, 1);
  equal(counter.sum(30_000), 8.5);
  equal(counter.windowMs, MINUTE);
});

Deno.test("SlidingCounter keeps an amount for at least the window, at most one slot longer", () => {
  const counter = new SlidingCounter(MINUTE);
  counter.add(999, 7);
  equal(counter.sum(999 + MINUTE - 1), 7);
  equal(counter.sum(999 + MINUTE), 7);
  equal(counter.sum(MINUTE + SLOT - 1), 7);
  equal(counter.sum(MINUTE + SLOT), 0);
});

Deno.test("SlidingCounter reuses a stale slot instead of adding to it", () => {
  const counter = new SlidingCounter(MINUTE);
  counter.add(0, 100);
  // 61 slots later the same ring index comes round again.
  counter.add(61 * SLOT, 1);
  equal(counter.sum(61 * SLOT), 1);
  counter.add(10 * MINUTE, 3);
  equal(counter.sum(10 * MINUTE), 3);
});

Deno.test("SlidingCounter resetInMs says when the oldest counted amount is forgotten", () => {
  const counter = new SlidingCounter(MINUTE);
  equal(counter.resetInMs(0), 0);
  counter.add(500, 1);
  counter.add(20_000, 1);
  equal(counter.resetInMs(1_000), MINUTE + SLOT - 1_000);
  equal(counter.resetInMs(MINUTE + SLOT), 20_000);
  equal(counter.resetInMs(3 * MINUTE), 0);
});

Deno.test("SlidingCounter over random adds stays between the exact and the slot-late sums", () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  for (const windowMs of [1_000, MINUTE, 86_400_000]) {
    const slot = windowMs / 60;
    const counter = new SlidingCounter(windowMs);
    const added: [number, number][] = [];
    let now = 0;
    for (let i = 0; i < 3_000; i++) {
      now += Math.floor(random() * windowMs / 20);
      if (random() < 0.6) {
        const amount = Math.floor(random() * 100);
        counter.add(now, amount);
        added.push([now, amount]);
      }
      const exact = added.filter(([t]) => t > now - windowMs).reduce((s, [, a]) => s + a, 0);
      const late = added.filter(([t]) => t > now - windowMs - slot).reduce((s, [, a]) => s + a, 0);
      const sum = counter.sum(now);
      ok(sum >= exact, `forgot early at ${now}: ${sum} < ${exact} (window ${windowMs})`);
      ok(sum <= late, `kept too long at ${now}: ${sum} > ${late} (window ${windowMs})`);
    }
  }
});
