/** Property-test helpers for the state stores: a seeded generator, random operations, invariants. */
import { ok } from "node:assert/strict";

/** mulberry32: a small seeded generator, so that a failing run can be replayed by its seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Op {
  kind: "take" | "release";
  /** Time before the operation. */
  advanceMs: number;
  /** Picks a session or a held take. */
  pick: number;
}

/** `count` operations: mostly takes, some releases, with pauses up to `maxAdvanceMs`. */
export function randomOps(random: () => number, count: number, maxAdvanceMs: number): Op[] {
  return Array.from({ length: count }, () => ({
    kind: random() < 0.85 ? "take" : "release",
    // Often no time at all, so that calls pile up within one instant.
    advanceMs: random() < 0.3 ? 0 : Math.floor(random() * maxAdvanceMs),
    pick: Math.floor(random() * 1_000),
  }));
}

/** Never more than `max` admitted calls in any interval of `windowMs` (per session, or all). */
export function checkWindowInvariant(
  admitted: readonly { at: number; session: string }[],
  limit: { windowMs: number; max: number; perSession: boolean },
): void {
  const groups = new Map<string, number[]>();
  for (const { at, session } of admitted) {
    const key = limit.perSession ? session : "all";
    groups.set(key, [...groups.get(key) ?? [], at]);
  }
  for (const [key, times] of groups) {
    times.sort((a, b) => a - b);
    for (let i = limit.max; i < times.length; i++) {
      ok(
        times[i] - times[i - limit.max] >= limit.windowMs,
        `${key}: ${limit.max + 1} calls within ${limit.windowMs} ms ending at ${times[i]}`,
      );
    }
  }
}
