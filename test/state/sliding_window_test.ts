/** SlidingWindow: an exact log, never more than max admitted in any window-length interval. */
import { equal, ok } from "node:assert/strict";
import { decideNow } from "../../src/state/decide_now.ts";
import { SlidingWindow } from "../../src/state/sliding_window.ts";
import { call, newState, policy } from "../engine/support.ts";

/** A tiny seeded generator (mulberry32): the same seed, the same "random" calls. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Increasing call times: bursts, steady pacing near the limit, and long pauses. */
function callTimes(random: () => number, count: number, max: number, windowMs: number): number[] {
  const times: number[] = [];
  let now = Math.floor(random() * 1_000_000);
  for (let i = 0; i < count; i++) {
    const kind = random();
    const pace = windowMs / max;
    if (kind < 0.35) now += Math.floor(random() * pace / 4);
    else if (kind < 0.9) now += Math.floor(random() * pace * 2);
    else now += Math.floor(random() * windowMs * 2);
    times.push(now);
  }
  return times;
}

/** The largest number of `times` (sorted) in any half-open interval [a, a + windowMs). */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let busiest = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    if (j < i) j = i;
    while (j < times.length && times[j] - times[i] < windowMs) j++;
    busiest = Math.max(busiest, j - i);
  }
  return busiest;
}

/** How many of `times` (sorted) fall in (end - windowMs, end]. */
function countIn(times: readonly number[], end: number, windowMs: number): number {
  const upper = firstAbove(times, end);
  return upper - firstAbove(times, end - windowMs);
}

function firstAbove(times: readonly number[], value: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const PAIRS: [number, number][] = [[1, 1_000], [3, 1_000], [5, 60_000], [10, 250], [30, 60_000]];

Deno.test("SlidingWindow never admits more than max in any interval of the window's length", () => {
  for (const [seed, [max, windowMs]] of PAIRS.entries()) {
    const random = mulberry32(seed + 1);
    const window = new SlidingWindow();
    const admitted: number[] = [];
    const denied: { at: number; retry: number }[] = [];
    for (const now of callTimes(random, 5_000, max, windowMs)) {
      const retry = window.retryInMs(now, windowMs, max);
      equal(retry === 0, window.count(now, windowMs) < max, `retry and count agree at ${now}`);
      if (retry === 0) {
        window.add(now);
        admitted.push(now);
      } else denied.push({ at: now, retry });
    }
    const label = `max ${max}, window ${windowMs}ms`;
    ok(busiestWindow(admitted, windowMs) <= max, `${label}: over max`);
    // Not simply denying: most of the traffic gets through, and calls come back after denials.
    ok(admitted.length > 1_000, `${label}: only ${admitted.length} admitted`);
    ok(denied.length > 100, `${label}: only ${denied.length} denied; the test is too gentle`);
    const last = admitted[admitted.length - 1];
    ok(denied.some((d) => d.at < last), `${label}: nothing admitted after a denial`);
    for (const { at, retry } of denied) {
      // A denial is justified: the window ending now is full...
      equal(countIn(admitted, at, windowMs), max, `${label}: denied at ${at} below max`);
      // ...and retryAfter is exact: one millisecond earlier it would still be full.
      const before = admitted.slice(0, firstAbove(admitted, at));
      ok(countIn(before, at + retry, windowMs) < max, `${label}: still full at retry`);
      equal(countIn(before, at + retry - 1, windowMs), max, `${label}: retry too late`);
    }
  }
});

Deno.test("evaluate() keeps a tool quota and the * quota both under max with random calls", () => {
  const limited = policy(`version: "1"
tools:
  a:
    rules:
      - rate_limit: { max: 4, window: 1s }
  b:
    rules:
      - rate_limit: { max: 6, window: 2s }
  "*":
    rules:
      - rate_limit: { max: 7, window: 1s, per: global }
`);
  const random = mulberry32(42);
  const state = newState();
  const admitted: Record<string, number[]> = { a: [], b: [], all: [] };
  let now = 0;
  for (let i = 0; i < 5_000; i++) {
    now += Math.floor(random() * 150);
    const tool = random() < 0.5 ? "a" : "b";
    if (decideNow(limited, call(tool), state, now).allowed) {
      admitted[tool].push(now);
      admitted.all.push(now);
    }
  }
  ok(busiestWindow(admitted.a, 1_000) <= 4);
  ok(busiestWindow(admitted.b, 2_000) <= 6);
  ok(busiestWindow(admitted.all, 1_000) <= 7);
  ok(admitted.a.length > 500 && admitted.b.length > 500);
});

Deno.test("SlidingWindow counts calls in (now - window, now]", () => {
  const window = new SlidingWindow();
  ok(window.empty);
  window.add(0);
  window.add(500);
  equal(window.count(999, 1_000), 2);
  equal(window.count(1_000, 1_000), 1);
  equal(window.count(1_500, 1_000), 0);
  ok(window.empty);
});

Deno.test("SlidingWindow reports when its oldest call leaves, and 0 when empty", () => {
  const window = new SlidingWindow();
  equal(window.resetInMs(0, 1_000), 0);
  window.add(100);
  window.add(700);
  equal(window.resetInMs(400, 1_000), 700);
  equal(window.resetInMs(1_100, 1_000), 600);
  equal(window.resetInMs(1_700, 1_000), 0);
});

Deno.test("SlidingWindow retryInMs is 0 under max and waits for the right call when full", () => {
  const window = new SlidingWindow();
  equal(window.retryInMs(0, 1_000, 2), 0);
  for (const t of [0, 100, 200]) window.add(t);
  // Full at max 3: wait for the call at 0. At max 2: the call at 100 must leave as well.
  equal(window.retryInMs(300, 1_000, 3), 700);
  equal(window.retryInMs(300, 1_000, 2), 800);
  equal(window.retryInMs(1_000, 1_000, 3), 0);
});

Deno.test("SlidingWindow grows past its first ring and keeps order", () => {
  const window = new SlidingWindow();
  for (let t = 0; t < 3; t++) window.add(t);
  equal(window.count(1_001, 1_000), 1);
  for (let t = 1_001; t < 1_021; t++) window.add(t);
  equal(window.count(1_020, 1_000), 20);
  equal(window.resetInMs(1_020, 1_000), 981);
  equal(window.count(2_005, 1_000), 15);
  equal(window.retryInMs(2_005, 1_000, 15), 1);
});
