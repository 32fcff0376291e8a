import { decideNow } from "../../src/state/decide_now.ts";
/** decideNow(): rate limits as sliding windows, taken all at once or not at all. */
import { deepEqual, equal, ok } from "node:assert/strict";

import { call, newState, policy } from "./support.ts";

const MINUTE = 60_000;

const LIMITED = policy(`version: "1"
tools:
  produce:
    rules:
      - name: paced
        rate_limit: { max: 3, window: 60 }
  consume:
    rules:
      - name: own
        rate_limit: 10/minute
        reason: Consume is paced
  "*":
    rules:
      - name: global budget
        rate_limit: { max: 5, window: 60, per: global }
`);

Deno.test("decideNow() admits max calls in a window, then denies with a retry time", () => {
  const state = newState();
  for (let i = 0; i < 3; i++) ok(decideNow(LIMITED, call("produce"), state, i * 1_000).allowed);
  const denied = decideNow(LIMITED, call("produce"), state, 10_000);
  equal(denied.allowed, false);
  equal(denied.rule, "paced");
  equal(denied.reason, "Rate limit of 3 calls per 1m reached");
  equal(denied.retryAfterMs, 50_000);
  // The window slides: the first call leaves it at 60s, the second at 61s.
  equal(decideNow(LIMITED, call("produce"), state, 59_999).allowed, false);
  ok(decideNow(LIMITED, call("produce"), state, MINUTE).allowed);
  equal(decideNow(LIMITED, call("produce"), state, MINUTE + 500).allowed, false);
});

Deno.test("decideNow() reports remaining quota and reset time for every quota involved", () => {
  const state = newState();
  const first = decideNow(LIMITED, call("produce"), state, 1_000);
  deepEqual(first.quotas, [
    { rule: "paced", max: 3, windowMs: MINUTE, remaining: 2, resetInMs: MINUTE, per: "session" },
    {
      rule: "global budget",
      max: 5,
      windowMs: MINUTE,
      remaining: 4,
      resetInMs: MINUTE,
      per: "global",
    },
  ]);
  const second = decideNow(LIMITED, call("produce"), state, 21_000);
  deepEqual(second.quotas.map((quota) => [quota.remaining, quota.resetInMs]), [
    [1, 40_000],
    [3, 40_000],
  ]);
});

Deno.test("decideNow() reports quotas on a quota denial, and none on a condition denial", () => {
  const state = newState();
  for (let i = 0; i < 3; i++) decideNow(LIMITED, call("produce"), state, 0);
  const denied = decideNow(LIMITED, call("produce"), state, 30_000);
  deepEqual(denied.quotas.map((quota) => [quota.rule, quota.remaining, quota.resetInMs]), [
    ["paced", 0, 30_000],
    ["global budget", 2, 30_000],
  ]);
  const unlimited = policy(`version: "1"\ntools:\n  t: { rules: [] }\n`);
  deepEqual(decideNow(unlimited, call("t"), newState(), 0).quotas, []);
});

Deno.test("decideNow() uses a rule's reason for its quota denial", () => {
  const own = policy(`version: "1"
tools:
  t:
    rules:
      - rate_limit: 1/minute
        reason: One a minute
`);
  const ownState = newState();
  ok(decideNow(own, call("t"), ownState, 0).allowed);
  equal(decideNow(own, call("t"), ownState, 1).reason, "One a minute");
});

Deno.test("decideNow() takes no quota from the tool when the * quota denies the call", () => {
  const state = newState();
  for (let i = 0; i < 5; i++) {
    ok(decideNow(LIMITED, call("consume", {}, { session: `s${i}` }), state, 0).allowed);
  }
  const denied = decideNow(LIMITED, call("produce"), state, 1_000);
  equal(denied.allowed, false);
  equal(denied.rule, "global budget");
  equal(denied.retryAfterMs, 59_000);
  // produce's own quota is untouched: all 3 calls are still there once the global frees up.
  equal(denied.quotas[0].remaining, 3);
  for (let i = 0; i < 3; i++) {
    ok(decideNow(LIMITED, call("produce"), state, MINUTE + i).allowed, `produce ${i + 1}`);
  }
});

Deno.test("decideNow() takes no * quota when the tool's own quota denies the call", () => {
  const state = newState();
  for (let i = 0; i < 3; i++) ok(decideNow(LIMITED, call("produce"), state, 0).allowed);
  for (let i = 0; i < 4; i++) equal(decideNow(LIMITED, call("produce"), state, 1).allowed, false);
  // 3 of 5 global calls taken; the 4 denied calls took none.
  ok(decideNow(LIMITED, call("consume"), state, 2).allowed);
  ok(decideNow(LIMITED, call("consume"), state, 3).allowed);
  equal(decideNow(LIMITED, call("consume"), state, 4).rule, "global budget");
});

Deno.test("decideNow() takes no quota for a call denied by a later condition", () => {
  const guarded = policy(`version: "1"
tools:
  t:
    rules:
      - name: paced
        rate_limit: 2/minute
      - name: shape
        conditions: [{ path: args.ok, op: eq, value: true }]
`);
  const state = newState();
  for (let i = 0; i < 10; i++) {
    equal(decideNow(guarded, call("t", { ok: false }), state, i).allowed, false);
  }
  ok(decideNow(guarded, call("t", { ok: true }), state, 20).allowed);
  ok(decideNow(guarded, call("t", { ok: true }), state, 21).allowed);
  equal(decideNow(guarded, call("t", { ok: true }), state, 22).rule, "paced");
});

Deno.test("decideNow() sets retryAfterMs to the longest wait when several quotas are spent", () => {
  const two = policy(`version: "1"
tools:
  t:
    rules:
      - name: short
        rate_limit: 1/10s
  "*":
    rules:
      - name: long
        rate_limit: 1/minute
`);
  const state = newState();
  ok(decideNow(two, call("t"), state, 0).allowed);
  const denied = decideNow(two, call("t"), state, 1_000);
  deepEqual([denied.rule, denied.retryAfterMs], ["short", 59_000]);
  equal(decideNow(two, call("t"), state, 10_000).rule, "long");
});

Deno.test("decideNow() keeps per-session quotas apart", () => {
  const state = newState();
  for (let i = 0; i < 3; i++) {
    ok(decideNow(LIMITED, call("produce", {}, { session: "a" }), state, 0).allowed);
  }
  equal(decideNow(LIMITED, call("produce", {}, { session: "a" }), state, 1).allowed, false);
  const other = decideNow(LIMITED, call("produce", {}, { session: "b" }), state, 1);
  ok(other.allowed);
  equal(other.quotas[0].remaining, 2);
});

Deno.test("decideNow() shares a per: global quota across sessions", () => {
  const state = newState();
  for (let i = 0; i < 5; i++) {
    ok(decideNow(LIMITED, call("consume", {}, { session: `s${i}` }), state, 0).allowed);
  }
  const denied = decideNow(LIMITED, call("consume", {}, { session: "fresh" }), state, 1);
  deepEqual([denied.allowed, denied.rule], [false, "global budget"]);
});

Deno.test("decideNow() gives an ended session a fresh quota", () => {
  const state = newState();
  for (let i = 0; i < 3; i++) decideNow(LIMITED, call("produce", {}, { session: "a" }), state, 0);
  equal(decideNow(LIMITED, call("produce", {}, { session: "a" }), state, 1).allowed, false);
  state.backend.endSession("a");
  const again = decideNow(LIMITED, call("produce", {}, { session: "a" }), state, 2);
  ok(again.allowed);
  equal(again.quotas[0].remaining, 2);
  // The global quota is not a session's: the 3 earlier calls still count there.
  equal(again.quotas[1].remaining, 1);
});

Deno.test("decideNow() lets a denied call through after retryAfterMs", () => {
  const state = newState();
  const times = [0, 7_000, 8_000];
  for (const t of times) ok(decideNow(LIMITED, call("produce"), state, t).allowed);
  const denied = decideNow(LIMITED, call("produce"), state, 30_000);
  const retryAt = 30_000 + denied.retryAfterMs!;
  equal(decideNow(LIMITED, call("produce"), state, retryAt - 1).allowed, false);
  ok(decideNow(LIMITED, call("produce"), state, retryAt).allowed);
});
