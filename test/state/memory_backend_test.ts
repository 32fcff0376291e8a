/** MemoryBackend: plans taken all or none, given back, per scope, reset and freed with sessions. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { evaluate } from "../../src/engine/evaluate.ts";
import { conclude, isPlan, type Plan } from "../../src/engine/plan.ts";
import { NO_LIVE_DENIES } from "../../src/state/decide_now.ts";
import { MemoryBackend } from "../../src/state/memory_backend.ts";
import { call, policy } from "../engine/support.ts";

const POLICY = policy(`version: "1"
tools:
  a:
    rules:
      - name: paced
        rate_limit: { max: 2, window: 60 }
      - name: spend
        state: { counter: n, window: day, increment_from: args.amount }
      - name: budget
        conditions: [{ path: state.a.n, op: lte, value: 10 }]
  a.b:
    rules:
      - name: paced
        rate_limit: { max: 2, window: 60 }
  mine:
    rules:
      - name: per principal
        rate_limit: { max: 1, window: 60, per: principal }
  "*":
    rules:
      - name: shared
        rate_limit: { max: 100, window: 60, per: global }
`);

function plan(
  tool: string,
  args: Record<string, unknown> = {},
  session = "s1",
  principal = "p1",
): Plan {
  const verdict = evaluate(POLICY, call(tool, args, { session, principal }), NO_LIVE_DENIES);
  if (!isPlan(verdict)) throw new Error(`no plan for ${tool}`);
  return verdict;
}

Deno.test("MemoryBackend.take() takes every quota and counter at once, or none", () => {
  const store = new MemoryBackend();
  ok(conclude(plan("a", { amount: 6 }), store.take(plan("a", { amount: 6 }), 0)).allowed);
  // 6 + 6 > 10: the counter condition denies, and nothing of the call is taken.
  const denied = conclude(plan("a", { amount: 6 }), store.take(plan("a", { amount: 6 }), 1));
  deepEqual([denied.allowed, denied.rule], [false, "budget"]);
  const [paced] = store.peek(plan("a", { amount: 1 }).quotas, 2);
  equal(paced.remaining, 1, "the denied call took no quota");
});

Deno.test("MemoryBackend.release() gives a take back", () => {
  const store = new MemoryBackend();
  const p = plan("a", { amount: 4 });
  const facts = store.take(p, 10);
  ok(facts.taken);
  store.release(p, facts.receipt);
  const [paced] = store.peek(p.quotas, 11);
  equal(paced.remaining, 2);
  ok(conclude(plan("a", { amount: 10 }), store.take(plan("a", { amount: 10 }), 12)).allowed);
});

Deno.test("MemoryBackend keeps per-principal quotas across sessions of one principal", () => {
  const store = new MemoryBackend();
  ok(store.take(plan("mine", {}, "s1", "alice"), 0).taken);
  equal(
    store.take(plan("mine", {}, "s2", "alice"), 1).taken,
    false,
    "a new session, the same quota",
  );
  ok(store.take(plan("mine", {}, "s3", "bob"), 2).taken);
});

Deno.test("MemoryBackend.endSession() frees that session's state only", () => {
  const store = new MemoryBackend();
  store.take(plan("a", { amount: 1 }, "s1"), 0);
  store.take(plan("a", { amount: 1 }, "s2"), 0);
  equal(store.sessionCount, 2);
  store.endSession("s1");
  equal(store.sessionCount, 1);
  equal(store.peek(plan("a", { amount: 1 }, "s2").quotas, 1)[0].remaining, 1);
});

Deno.test("MemoryBackend.reset() of an entry leaves a dotted sibling and the wildcard alone", () => {
  const store = new MemoryBackend();
  store.take(plan("a", { amount: 1 }), 0);
  store.take(plan("a.b"), 0);
  store.reset("a");
  const [pacedA, sharedA] = store.peek(plan("a", { amount: 1 }).quotas, 1);
  equal(pacedA.remaining, 2);
  equal(sharedA.remaining, 98, "the global quota is the wildcard's");
  equal(store.peek(plan("a.b").quotas, 1)[0].remaining, 1, "a.b is not a's");
  store.reset("*");
  equal(store.peek(plan("a.b").quotas, 1)[1].remaining, 100);
  store.reset();
  equal(store.peek(plan("a.b").quotas, 1)[0].remaining, 2);
});

Deno.test('MemoryBackend.reset("*") clears the wildcard\'s state._global counters too', () => {
  const global = policy(`version: "1"
tools:
  a: { rules: [] }
  "*":
    rules:
      - name: budget
        state: { counter: calls, window: day }
        conditions: [{ path: state._global.calls, op: lte, value: 2 }]
`);
  const take = (tool: string, store: MemoryBackend, now: number) => {
    const verdict = evaluate(global, call(tool), NO_LIVE_DENIES);
    if (!isPlan(verdict)) throw new Error(`no plan for ${tool}`);
    return conclude(verdict, store.take(verdict, now));
  };
  const store = new MemoryBackend();
  ok(take("x", store, 0).allowed);
  ok(take("y", store, 1).allowed);
  equal(take("z", store, 2).allowed, false, "the global budget is spent");
  store.reset("a");
  equal(take("z", store, 3).allowed, false, "another entry's reset leaves it alone");
  store.reset("*");
  ok(take("z", store, 4).allowed, "reset of * starts the budget again");
});
