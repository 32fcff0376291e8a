/**
 * The one conformance suite every state store passes (memory, SQLite, Redis): plans taken all
 * or none, counter conditions with every operator, counters, release, reset, session end,
 * principal scopes, fleet denies, and sliding-window exactness under a property test against
 * the memory store (the reference semantics), with an injected clock or the server's.
 */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { evaluate } from "../../src/engine/evaluate.ts";
import { conclude, isPlan, type Plan, type TakeFacts } from "../../src/engine/plan.ts";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { NO_LIVE_DENIES } from "../../src/state/decide_now.ts";
import { MAX_LIVE_DENIES } from "../../src/state/live_denies.ts";
import { MemoryBackend } from "../../src/state/memory_backend.ts";
import type { StateBackend } from "../../src/state/state_backend.ts";
import { call, policy } from "../engine/support.ts";
import { checkWindowInvariant, randomOps, seeded } from "./property_support.ts";

export interface Harness {
  /** A fresh, empty store. */
  open(): Promise<StateBackend>;
  /** A second handle on the store `open` gave last (another process's view); if any. */
  sibling?(): Promise<StateBackend>;
  /** "injected": takes use the `now` given; "server": the store's own clock (facts.at). */
  clock: "injected" | "server";
  /** Whether the store keeps fleet-wide live denies (a shared store does; memory does not). */
  fleet: boolean;
  /** Why the suite cannot run here (then every test is skipped with this message). */
  skip?: string;
}

export const POLICY = policy(`version: "1"
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
  both:
    rules:
      - name: roomy
        rate_limit: { max: 5, window: 60 }
      - name: tight
        rate_limit: { max: 1, window: 60, per: global }
  fleet-spend:
    rules:
      - name: shared spend
        state: { counter: money, window: day, increment_from: args.amount, per: global }
      - name: shared budget
        conditions: [{ path: state.fleet-spend.money, op: lt, value: 1 }]
  "*":
    rules:
      - name: shared
        rate_limit: { max: 100, window: 60, per: global }
`);

export function planOf(
  compiled: CompiledPolicy,
  tool: string,
  args: Record<string, unknown> = {},
  session = "s1",
  principal = "p1",
): Plan {
  const verdict = evaluate(compiled, call(tool, args, { session, principal }), NO_LIVE_DENIES);
  if (!isPlan(verdict)) throw new Error(`no plan for ${tool}`);
  return verdict;
}

/** A plan for a retry of an admitted call (MRTR): checked, not taken. */
export function retryPlanOf(
  compiled: CompiledPolicy,
  tool: string,
  args: Record<string, unknown>,
): Plan {
  const verdict = evaluate(compiled, { ...call(tool, args), continuation: true }, NO_LIVE_DENIES);
  if (!isPlan(verdict)) throw new Error(`no plan for ${tool}`);
  return verdict;
}

function freePlan(tool: string, args: Record<string, unknown>): Plan {
  return retryPlanOf(POLICY, tool, args);
}

const OPERATOR_CASES = [
  "{ op: eq, value: 2 }",
  "{ op: neq, value: 2 }",
  '{ op: eq, value: "2" }',
  "{ op: in, value: [1, 3, x] }",
  '{ op: not_in, value: [2, "y"] }',
  "{ op: lt, value: 3 }",
  "{ op: lte, value: 3 }",
  "{ op: gt, value: 1 }",
  "{ op: gte, value: 2.5 }",
  "{ op: exists, value: true }",
  "{ op: exists, value: false }",
  '{ op: regex, value: "^1" }',
  "{ op: contains, value: 1 }",
];

function operatorPolicy(condition: string, action: "allow" | "deny"): CompiledPolicy {
  return policy(`version: "1"
tools:
  t:
    rules:
      - name: count
        state: { counter: c, window: day, increment: 1, per: global }
      - name: check
        action: ${action}
        conditions: [{ path: state.t.c, ${condition.slice(2)}]
`);
}

export function runConformance(name: string, harness: Harness): void {
  const test = (title: string, fn: (store: StateBackend) => Promise<void>) =>
    Deno.test({
      name: `${name} ${title}`,
      ignore: harness.skip !== undefined,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const store = await harness.open();
        try {
          await fn(store);
        } finally {
          await store.close();
        }
      },
    });
  const now = (n: number) => harness.clock === "injected" ? 1_000_000 + n : Date.now();

  test("takes every quota and counter of a plan at once, or none", async (store) => {
    ok((await store.take(planOf(POLICY, "both"), now(0))).taken);
    const second = await store.take(planOf(POLICY, "both"), now(1));
    equal(second.taken, false);
    deepEqual(second.exhausted.map((spent) => spent.quota), [1], "the global quota is spent");
    const [roomy] = (await store.take(planOf(POLICY, "both", {}, "s2"), now(2))).statuses;
    equal(roomy.remaining, 5, "another session's roomy quota is whole");
    const [mine] = store.peek(planOf(POLICY, "both").quotas, now(3));
    if (harness.clock === "injected") equal(mine.remaining, 4, "the denied call took nothing");
    const a = planOf(POLICY, "a", { amount: 6 });
    ok(conclude(a, await store.take(a, now(4))).allowed);
    const over = await store.take(planOf(POLICY, "a", { amount: 6 }), now(5));
    deepEqual([over.taken, over.denied], [false, { step: 0, check: 0 }], "6 + 6 > 10");
    equal(over.statuses[0].remaining, 1, "the counter condition took no quota");
  });

  test("checks counter conditions with every operator like the memory store", async (store) => {
    for (const condition of OPERATOR_CASES) {
      for (const action of ["allow", "deny"] as const) {
        const compiled = operatorPolicy(condition, action);
        const reference = new MemoryBackend();
        await store.reset();
        const got: boolean[] = [];
        const want: boolean[] = [];
        for (let i = 0; i < 4; i++) {
          const plan = planOf(compiled, "t");
          got.push(conclude(plan, await store.take(plan, now(i))).allowed);
          want.push(conclude(plan, reference.take(planOf(compiled, "t"), now(i))).allowed);
        }
        deepEqual(got, want, `${action} when ${condition}`);
      }
    }
  });

  test("sums counter amounts exactly, fractions included", async (store) => {
    const reference = new MemoryBackend();
    const amounts = [0.1, 0.2, 0.30000000000000004, 0.15, 0.1, 0.05, 0.1];
    for (const [i, amount] of amounts.entries()) {
      const plan = planOf(POLICY, "fleet-spend", { amount });
      const got = conclude(plan, await store.take(plan, now(i)));
      const want = conclude(
        plan,
        reference.take(planOf(POLICY, "fleet-spend", { amount }), now(i)),
      );
      deepEqual([got.allowed, got.rule], [want.allowed, want.rule], `amount ${i}: ${amount}`);
    }
  });

  test("release() gives back a take's quotas and counter amounts", async (store) => {
    const plan = planOf(POLICY, "a", { amount: 10 });
    const facts = await store.take(plan, now(0));
    ok(facts.taken);
    await store.release(plan, facts.receipt);
    const again = planOf(POLICY, "a", { amount: 10 });
    const retaken = await store.take(again, now(1));
    ok(retaken.taken, "the counter has room for 10 again");
    equal(retaken.statuses[0].remaining, 1, "one quota unit spent, the released one back");
  });

  test("keeps per-principal quotas across sessions of one principal", async (store) => {
    ok((await store.take(planOf(POLICY, "mine", {}, "s1", "alice"), now(0))).taken);
    equal((await store.take(planOf(POLICY, "mine", {}, "s2", "alice"), now(1))).taken, false);
    ok((await store.take(planOf(POLICY, "mine", {}, "s3", "bob"), now(2))).taken);
  });

  test("endSession() frees that session's quotas only", async (store) => {
    await store.take(planOf(POLICY, "a", { amount: 1 }, "s1"), now(0));
    await store.take(planOf(POLICY, "a", { amount: 1 }, "s2"), now(0));
    // The store's next answer comes after the session's state is gone (one connection, in order).
    store.endSession("s1");
    const s1 = await store.take(planOf(POLICY, "a", { amount: 1 }, "s1"), now(1));
    equal(s1.statuses[0].remaining, 1, "s1 starts afresh");
    const s2 = await store.take(planOf(POLICY, "a", { amount: 1 }, "s2"), now(1));
    equal(s2.statuses[0].remaining, 0, "s2 keeps its state");
  });

  test("reset() of an entry leaves a dotted sibling and the wildcard alone", async (store) => {
    await store.take(planOf(POLICY, "a", { amount: 1 }), now(0));
    await store.take(planOf(POLICY, "a.b"), now(0));
    await store.reset("a");
    const a = await store.take(planOf(POLICY, "a", { amount: 1 }), now(1));
    deepEqual(a.statuses.map((s) => s.remaining), [1, 97], "a's own quota afresh, global kept");
    const ab = await store.take(planOf(POLICY, "a.b"), now(1));
    equal(ab.statuses[0].remaining, 0, "a.b is not a's");
    await store.reset("*");
    const wild = await store.take(planOf(POLICY, "a.b"), now(2));
    deepEqual(wild.exhausted.map((spent) => spent.quota), [0]);
    equal(wild.statuses[1].remaining, 100, "the wildcard's quota afresh");
    await store.reset();
    ok((await store.take(planOf(POLICY, "a.b"), now(3))).taken);
  });

  test("a retry of an admitted call is checked, never taken", async (store) => {
    ok((await store.take(planOf(POLICY, "a", { amount: 4 }), now(0))).taken);
    ok((await store.take(planOf(POLICY, "a", { amount: 4 }), now(1))).taken);
    const retry = freePlan("a", { amount: 4 });
    const facts = await store.take(retry, now(2));
    deepEqual([facts.taken, facts.denied, facts.exhausted.length], [false, null, 0]);
    ok(conclude(retry, facts).allowed, "the spent quota does not deny a retry");
    equal(facts.statuses[0].remaining, 0);
  });

  if (harness.sibling) {
    test("shares global quotas and counters between handles on one store", async (store) => {
      const other = await harness.sibling!();
      try {
        ok((await store.take(planOf(POLICY, "both", {}, "s1"), now(0))).taken);
        const elsewhere = await other.take(planOf(POLICY, "both", {}, "s9"), now(1));
        deepEqual(elsewhere.exhausted.map((spent) => spent.quota), [1]);
        const spend = planOf(POLICY, "fleet-spend", { amount: 0.5 });
        ok((await store.take(spend, now(2))).taken);
        const more = await other.take(planOf(POLICY, "fleet-spend", { amount: 0.6 }), now(3));
        equal(more.taken, false, "0.5 + 0.6 is past the shared budget");
      } finally {
        await other.close();
      }
    });
  }

  if (harness.clock === "injected") {
    test("admits exactly what the memory log admits (property, injected clock)", async (store) => {
      for (let seed = 1; seed <= 12; seed++) {
        await store.reset();
        await replayAgainstMemory(store, seed, 150, (offset) => 5_000_000 + offset);
      }
    });
  } else {
    test("admits exactly what the memory log admits (property, server clock)", async (store) => {
      for (let seed = 1; seed <= 2; seed++) {
        await store.reset();
        await replayAgainstMemory(store, seed, 40, null);
      }
    });
  }

  if (!harness.fleet) {
    test("keeps no fleet denies (it is no shared store)", (store) => {
      equal(store.fleet, undefined);
      return Promise.resolve();
    });
    return;
  }

  test("fleet denies: set, replace, list, lift, with a version that moves", async (store) => {
    const fleet = store.fleet!;
    const v0 = await fleet.version();
    await fleet.set({ pattern: "get-*", reason: "incident 42", by: "ann via ctl", at: 1 });
    await fleet.set({ pattern: "put", reason: "first", by: null, at: 2 });
    await fleet.set({ pattern: "put", reason: "second", by: null, at: 3 });
    const v1 = await fleet.version();
    ok(v1 !== v0);
    const list = await fleet.list();
    equal(list.version, v1);
    deepEqual(list.denies, [
      { pattern: "get-*", reason: "incident 42", by: "ann via ctl", at: 1 },
      { pattern: "put", reason: "second", by: null, at: 3 },
    ]);
    ok(await fleet.delete("put"));
    equal(await fleet.delete("put"), false);
    ok((await fleet.version()) !== v1);
    ok(await fleet.delete("get-*"));
  });

  test("fleet denies: refuses one past the bound, changing nothing", async (store) => {
    const fleet = store.fleet!;
    for (let i = 0; i < MAX_LIVE_DENIES; i++) {
      await fleet.set({ pattern: `t${i}`, reason: "r", by: null, at: i });
    }
    const before = await fleet.version();
    await rejects(fleet.set({ pattern: "one-more", reason: "r", by: null, at: 0 }), RangeError);
    equal(await fleet.version(), before);
    await fleet.set({ pattern: "t0", reason: "replaced", by: null, at: 0 });
    for (let i = 0; i < MAX_LIVE_DENIES; i++) await fleet.delete(`t${i}`);
    equal((await fleet.list()).denies.length, 0);
  });
}

/**
 * Random takes and releases on two quotas, compared step by step with the memory store fed
 * the same calls at the same times (the store's own clock when `clock` is null).
 */
async function replayAgainstMemory(
  store: StateBackend,
  seed: number,
  count: number,
  clock: ((offset: number) => number) | null,
): Promise<void> {
  const reference = new MemoryBackend();
  const compiled = policy(`version: "1"
tools:
  p:
    rules:
      - name: fast
        rate_limit: { max: 3, window: 1 }
      - name: slow
        rate_limit: { max: 5, window: 3, per: global }
`);
  const random = seeded(seed);
  const held: { plan: Plan; mine: TakeFacts; theirs: TakeFacts }[] = [];
  const admitted: { at: number; session: string }[] = [];
  let offset = 0;
  for (const op of randomOps(random, count, clock ? 600 : 150)) {
    offset += op.advanceMs;
    if (!clock && op.advanceMs > 0) await new Promise((r) => setTimeout(r, op.advanceMs));
    if (op.kind === "release" && held.length > 0) {
      const { plan, mine, theirs } = held.splice(op.pick % held.length, 1)[0];
      await store.release(plan, mine.receipt);
      reference.release(plan, theirs.receipt);
      const i = admitted.findIndex((a) => a.at === theirs.at && a.session === plan.quotas[0].scope);
      if (i >= 0) admitted.splice(i, 1);
      continue;
    }
    const session = op.pick % 2 === 0 ? "s1" : "s2";
    const plan = planOf(compiled, "p", {}, session);
    const mine = await store.take(plan, clock ? clock(offset) : Date.now());
    const at = clock ? clock(offset) : mine.at;
    ok(at !== undefined, "the store says when it decided");
    const theirs = { ...reference.take(plan, at!), at };
    const where = `seed ${seed}, offset ${offset} ms`;
    deepEqual(
      { taken: mine.taken, exhausted: mine.exhausted, statuses: mine.statuses },
      { taken: theirs.taken, exhausted: theirs.exhausted, statuses: theirs.statuses },
      where,
    );
    if (mine.taken) {
      held.push({ plan, mine, theirs });
      admitted.push({ at: at!, session: plan.quotas[0].scope });
    }
  }
  checkWindowInvariant(admitted, { windowMs: 1_000, max: 3, perSession: true });
  checkWindowInvariant(admitted, { windowMs: 3_000, max: 5, perSession: false });
}
