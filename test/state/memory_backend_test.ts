/** MemoryBackend: plans taken all or none, given back, per scope, reset and freed with sessions. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { conclude } from "../../src/engine/plan.ts";
import { MemoryBackend } from "../../src/state/memory_backend.ts";
import { policy } from "../engine/support.ts";
import { planOf, retryPlanOf } from "./backend_conformance.ts";

const POLICY_TEXT = `version: "1"
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
`;
const POLICY = policy(POLICY_TEXT);

/** A plan for a call under this file's policy (it adds a `"*"` entry to the suite's). */
const plan = (tool: string, args: Record<string, unknown> = {}, session = "s1", principal = "p1") =>
  planOf(POLICY, tool, args, session, principal);

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
    const verdict = planOf(global, tool);
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

Deno.test("MemoryBackend.take() of an MRTR retry checks its steps but takes nothing", () => {
  const store = new MemoryBackend();
  const retry = retryPlanOf(POLICY, "a", { amount: 3 });
  equal(retry.free, true);
  for (let i = 0; i < 3; i++) ok(conclude(retry, store.take(retry, i)).allowed);
  const [paced] = store.peek(plan("a", { amount: 1 }).quotas, 3);
  equal(paced.remaining, 2, "a retry of an admitted call spends no quota");
});

Deno.test("MemoryBackend.peek() reports 0 remaining, never less, once a reload lowers max", () => {
  const store = new MemoryBackend();
  store.take(plan("a.b"), 0);
  store.take(plan("a.b"), 1);
  const lowered = policy(
    POLICY_TEXT.replace("max: 2, window: 60 }\n  mine", "max: 1, window: 60 }\n  mine"),
  );
  const verdict = planOf(lowered, "a.b");
  equal(verdict.quotas[0].spec.max, 1);
  equal(store.peek(verdict.quotas, 2)[0].remaining, 0);
});

Deno.test("MemoryBackend.reset() clears the counters of its own entry, a dotted one included, or of all", () => {
  const counted = policy(`version: "1"
tools:
  a:
    rules:
      - name: spend
        state: { counter: n, window: day, increment_from: args.amount }
        conditions: [{ path: state.a.n, op: lte, value: 10 }]
  a.b:
    rules:
      - name: spend
        state: { counter: n, window: day, increment_from: args.amount }
        conditions: [{ path: state.a.b.n, op: lte, value: 10 }]
`);
  const store = new MemoryBackend();
  const take = (tool: string, amount: number, now: number) => {
    const verdict = planOf(counted, tool, { amount });
    return conclude(verdict, store.take(verdict, now)).allowed;
  };
  ok(take("a", 10, 0));
  ok(take("a.b", 10, 0));
  equal(take("a.b", 1, 0), false, "a.b's budget is spent");
  store.reset("a.b");
  ok(take("a.b", 10, 1), "a.b's own counter was reset");
  equal(take("a", 1, 1), false, "a's was not");
  store.reset();
  ok(take("a", 10, 2));
  ok(take("a.b", 10, 2));
});
