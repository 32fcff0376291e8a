import { decideNow } from "../../src/state/decide_now.ts";
/** decideNow(): Intercept `state` counters, spend caps and their increments. */
import { deepEqual, equal, match, ok } from "node:assert/strict";

import { call, newState, policy } from "./support.ts";

const DAY = 86_400_000;

const SPEND = policy(`version: "1"
tools:
  pay:
    rules:
      - name: daily cap
        state: { counter: spent, window: day, increment_from: args.payment.amount }
        conditions:
          - { path: state.pay.spent, op: lte, value: 100 }
        on_deny: Daily cap reached
  count:
    rules:
      - name: three
        state: { counter: n, window: 1h, increment: 1 }
        conditions:
          - { path: state.count.n, op: lt, value: 4 }
  weighted:
    rules:
      - name: heavy
        state: { counter: w, window: 1h, increment: 5, per: global }
        conditions:
          - { path: state.weighted.w, op: lte, value: 10 }
  peek:
    rules:
      - name: watch spend
        conditions:
          - { path: state.pay.spent, op: lt, value: 50 }
`);

const pay = (amount: unknown) => call("pay", { payment: { amount } });

Deno.test("decideNow() checks a counter condition after adding this call's increment", () => {
  const state = newState();
  ok(decideNow(SPEND, call("count"), state, 0).allowed);
  ok(decideNow(SPEND, call("count"), state, 1).allowed);
  ok(decideNow(SPEND, call("count"), state, 2).allowed);
  const fourth = decideNow(SPEND, call("count"), state, 3);
  deepEqual([fourth.allowed, fourth.rule, fourth.reason], [
    false,
    "three",
    "Condition failed: state.count.n lt 4",
  ]);
});

Deno.test("decideNow() sums increment_from into a spend cap and denies past it", () => {
  const state = newState();
  ok(decideNow(SPEND, pay(60), state, 0).allowed);
  const over = decideNow(SPEND, pay(41), state, 1);
  deepEqual([over.allowed, over.rule, over.reason], [false, "daily cap", "Daily cap reached"]);
  ok(decideNow(SPEND, pay(40), state, 2).allowed);
  equal(decideNow(SPEND, pay(0.5), state, 3).allowed, false);
  ok(decideNow(SPEND, pay(0), state, 4).allowed);
  // Forgotten a day (plus at most one slot) later.
  ok(decideNow(SPEND, pay(100), state, DAY + DAY / 60).allowed);
});

Deno.test("decideNow() counts nothing for a denied call", () => {
  const state = newState();
  ok(decideNow(SPEND, pay(90), state, 0).allowed);
  for (let i = 0; i < 5; i++) equal(decideNow(SPEND, pay(50), state, i).allowed, false);
  ok(decideNow(SPEND, pay(10), state, 10).allowed);
});

Deno.test("decideNow() denies a negative increment_from with a clear reason", () => {
  const state = newState();
  const negative = decideNow(SPEND, pay(-20), state, 0);
  equal(negative.allowed, false);
  equal(negative.rule, "daily cap");
  equal(
    negative.reason,
    "args.payment.amount is negative (-20); a negative amount cannot count against state.pay.spent",
  );
  ok(decideNow(SPEND, pay(100), state, 1).allowed);
  equal(decideNow(SPEND, pay(1), state, 2).allowed, false);
});

Deno.test("decideNow() denies a non-numeric increment_from with a clear reason", () => {
  for (const amount of ["20", null, true, [5], { v: 5 }, Number.POSITIVE_INFINITY, Number.NaN]) {
    const decision = decideNow(SPEND, pay(amount), newState(), 0);
    equal(decision.allowed, false, String(amount));
    equal(decision.reason, "args.payment.amount must be a number to count against state.pay.spent");
  }
});

Deno.test("decideNow() denies a missing increment_from with a clear reason", () => {
  for (const args of [{}, { payment: {} }, { payment: 5 }, { payment: [] }]) {
    const decision = decideNow(SPEND, call("pay", args), newState(), 0);
    equal(decision.allowed, false);
    equal(
      decision.reason,
      "args.payment.amount is missing, so the call cannot be counted against state.pay.spent",
    );
  }
});

Deno.test("decideNow() adds a fixed increment per call", () => {
  const state = newState();
  ok(decideNow(SPEND, call("weighted"), state, 0).allowed);
  ok(decideNow(SPEND, call("weighted", {}, { session: "other" }), state, 1).allowed);
  equal(decideNow(SPEND, call("weighted", {}, { session: "third" }), state, 2).allowed, false);
});

Deno.test("decideNow() keeps per-session counters apart and frees them with the session", () => {
  const state = newState();
  ok(decideNow(SPEND, pay(100), state, 0).allowed);
  equal(decideNow(SPEND, pay(1), state, 1).allowed, false);
  ok(
    decideNow(SPEND, call("pay", { payment: { amount: 100 } }, { session: "s2" }), state, 1)
      .allowed,
  );
  state.backend.endSession("s1");
  ok(decideNow(SPEND, pay(100), state, 2).allowed);
});

Deno.test("decideNow() lets another tool read a counter without adding to it", () => {
  const state = newState();
  ok(decideNow(SPEND, call("peek"), state, 0).allowed);
  ok(decideNow(SPEND, pay(49), state, 1).allowed);
  ok(decideNow(SPEND, call("peek"), state, 2).allowed);
  ok(decideNow(SPEND, pay(1), state, 3).allowed);
  const blocked = decideNow(SPEND, call("peek"), state, 4);
  deepEqual([blocked.allowed, blocked.reason], [false, "Condition failed: state.pay.spent lt 50"]);
});

Deno.test("decideNow() counts every tool's calls in a state._global counter under *", () => {
  const global = policy(`version: "1"
tools:
  "*":
    rules:
      - name: budget
        state: { counter: calls, window: minute }
        conditions: [{ path: state._global.calls, op: lte, value: 3 }]
`);
  const state = newState();
  for (const tool of ["a", "b", "c"]) ok(decideNow(global, call(tool), state, 0).allowed);
  const denied = decideNow(global, call("d"), state, 1);
  deepEqual([denied.allowed, denied.rule], [false, "budget"]);
  match(denied.reason!, /state\._global\.calls lte 3/);
});

Deno.test({
  name: "decideNow() lets an earlier deny rule decide before a later counter's bad increment",
  fn() {
    const ordered = policy(`version: "1"
tools:
  refund:
    rules:
      - name: no test accounts
        action: deny
        conditions: [{ path: args.account, op: eq, value: test }]
      - name: spend
        state: { counter: spent, window: day, increment_from: args.amount }
        conditions: [{ path: state.refund.spent, op: lte, value: 10 }]
`);
    const decision = decideNow(ordered, call("refund", { account: "test" }), newState(), 0);
    deepEqual([decision.allowed, decision.rule], [false, "no test accounts"]);
  },
});
