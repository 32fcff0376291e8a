/** QuotaStore: windows and counters per session or global, freed with the session. */
import { equal, notEqual, ok } from "node:assert/strict";
import { QuotaStore } from "../../src/engine/quota_store.ts";
import type { CounterSpec, QuotaSpec } from "../../src/policy/compiled.ts";
import { policy } from "./support.ts";

const POLICY = policy(`version: "1"
tools:
  a:
    rules:
      - name: paced
        rate_limit: 5/minute
      - name: spend
        state: { counter: n, window: day }
  a.b:
    rules:
      - name: paced
        rate_limit: 5/minute
      - name: spend
        state: { counter: n, window: day }
  "*":
    rules:
      - name: shared
        rate_limit: { max: 5, window: 60, per: global }
`);

const quotaOf = (entry: string): QuotaSpec => POLICY.exact.get(entry)!.rules[0].quota!;
const counterOf = (entry: string): CounterSpec => POLICY.exact.get(entry)!.rules[1].counter!;
const GLOBAL = POLICY.wildcard!.rules[0].quota!;

Deno.test("QuotaStore.window() returns one window per quota and session", () => {
  const store = new QuotaStore();
  const first = store.window(quotaOf("a"), "s1");
  equal(store.window(quotaOf("a"), "s1"), first);
  notEqual(store.window(quotaOf("a"), "s2"), first);
  notEqual(store.window(quotaOf("a.b"), "s1"), first);
  equal(store.sessionCount, 2);
});

Deno.test("QuotaStore.window() shares a per: global window across sessions", () => {
  const store = new QuotaStore();
  equal(store.window(GLOBAL, "s1"), store.window(GLOBAL, "s2"));
  equal(store.sessionCount, 0);
});

Deno.test("QuotaStore.counter() returns one counter per counter and session", () => {
  const store = new QuotaStore();
  const counter = store.counter(counterOf("a"), "s1");
  counter.add(0, 3);
  equal(store.counter(counterOf("a"), "s1").sum(0), 3);
  equal(store.counter(counterOf("a"), "s2").sum(0), 0);
  equal(store.counter(counterOf("a"), "s1").windowMs, 86_400_000);
});

Deno.test("QuotaStore.endSession() frees the session's windows and counters only", () => {
  const store = new QuotaStore();
  store.window(quotaOf("a"), "s1").add(0);
  store.counter(counterOf("a"), "s1").add(0, 4);
  store.window(GLOBAL, "s1").add(0);
  store.window(quotaOf("a"), "s2").add(0);
  store.endSession("s1");
  equal(store.sessionCount, 1);
  ok(store.window(quotaOf("a"), "s1").empty);
  equal(store.counter(counterOf("a"), "s1").sum(0), 0);
  equal(store.window(GLOBAL, "s3").count(0, 60_000), 1);
  equal(store.window(quotaOf("a"), "s2").count(0, 60_000), 1);
  store.endSession("never-seen");
});

Deno.test("QuotaStore.reset() with no entry forgets everything", () => {
  const store = new QuotaStore();
  store.window(quotaOf("a"), "s1").add(0);
  store.window(GLOBAL, "s1").add(0);
  store.counter(counterOf("a"), "s1").add(0, 1);
  store.reset();
  ok(store.window(quotaOf("a"), "s1").empty);
  ok(store.window(GLOBAL, "s1").empty);
  equal(store.counter(counterOf("a"), "s1").sum(0), 0);
});

Deno.test("QuotaStore.reset() of one entry forgets its quotas and counters only", () => {
  const store = new QuotaStore();
  store.window(quotaOf("a"), "s1").add(0);
  store.counter(counterOf("a"), "s1").add(0, 1);
  store.window(GLOBAL, "s1").add(0);
  store.reset("a");
  ok(store.window(quotaOf("a"), "s1").empty);
  equal(store.counter(counterOf("a"), "s1").sum(0), 0);
  equal(store.window(GLOBAL, "s1").count(0, 60_000), 1);
  store.reset("*");
  ok(store.window(GLOBAL, "s1").empty);
});

Deno.test({
  name: "QuotaStore.reset() of one entry leaves a dotted sibling entry alone",
  fn() {
    const store = new QuotaStore();
    store.window(quotaOf("a.b"), "s1").add(0);
    store.counter(counterOf("a.b"), "s1").add(0, 1);
    store.reset("a");
    equal(store.window(quotaOf("a.b"), "s1").count(0, 60_000), 1);
    equal(store.counter(counterOf("a.b"), "s1").sum(0), 1);
  },
});
