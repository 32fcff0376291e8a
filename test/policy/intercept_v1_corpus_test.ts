import { decideNow } from "../../src/state/decide_now.ts";
/**
 * The project's own Intercept v1 compatibility corpus (test/fixtures/intercept_v1/): files in
 * the layout Intercept's generator writes (four-space indents, quoted scalars, `rules: []`,
 * box-drawing comments, snake_case, camelCase and Kebab-Case names, the commented-out and the
 * live global rate limit) and one edited by hand with v1 rules. Each loads unchanged and keeps
 * every entry it lists.
 */
import { deepEqual, equal, ok } from "node:assert/strict";

import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyFile } from "../../src/policy/loader.ts";
import { call, newState } from "../engine/support.ts";

const CORPUS = new URL("../fixtures/intercept_v1/", import.meta.url).pathname;

async function corpus(): Promise<Map<string, { text: string; policy: CompiledPolicy }>> {
  const files = new Map<string, { text: string; policy: CompiledPolicy }>();
  for await (const entry of Deno.readDir(CORPUS)) {
    if (!entry.isFile || !entry.name.endsWith(".yaml")) continue;
    const text = await Deno.readTextFile(CORPUS + entry.name);
    files.set(entry.name, { text, policy: await loadPolicyFile(CORPUS + entry.name) });
  }
  return files;
}

async function load(name: string): Promise<CompiledPolicy> {
  return await loadPolicyFile(CORPUS + name);
}

Deno.test("loadPolicyFile() loads every file of the v1 corpus with every entry it lists", async () => {
  const files = await corpus();
  equal(files.size, 4);
  for (const [name, { text, policy }] of files) {
    // Each uncommented `rules:` line is one tool entry.
    const listed = text.split("\n").filter((line) => /^\s+rules:/.test(line)).length;
    const loaded = policy.exact.size + policy.globs.length + (policy.wildcard ? 1 : 0);
    equal(loaded, listed, name);
  }
});

Deno.test("decideNow() allows every tool of a generated scaffold, listed or not", async () => {
  for (const name of ["ticket_tracker.yaml", "wiki_camel.yaml"]) {
    const policy = await load(name);
    equal(policy.defaultPosture, "allow");
    equal(policy.wildcard, null);
    for (const tool of [...policy.exact.keys(), "not_listed"]) {
      ok(decideNow(policy, call(tool), newState(), 0).allowed, `${name}: ${tool}`);
    }
  }
  const wiki = await load("wiki_camel.yaml");
  ok(wiki.exact.has("searchPagesUsingQuery") && wiki.exact.has("addLabelToPage"));
});

Deno.test("decideNow() applies the scaffold's global rate limit to Kebab-Case tools", async () => {
  const policy = await load("metrics_kebab.yaml");
  ok(policy.exact.has("Get-Event-Names") && policy.exact.has("metrics-drop-project-data"));
  const state = newState();
  for (let i = 0; i < 60; i++) {
    ok(decideNow(policy, call(i % 2 ? "Run-Funnel-Query" : "other-tool"), state, i).allowed);
  }
  const over = decideNow(policy, call("Get-Event-Names"), state, 100);
  deepEqual([over.allowed, over.rule], [false, "global rate limit"]);
  ok(decideNow(policy, call("Get-Event-Names"), state, 60_001).allowed);
});

Deno.test("decideNow() on the edited v1 scaffold: deny default, hide, counter, in, deny, glob", async () => {
  const policy = await load("payments_locked.yaml");
  const decide = (tool: string, args: Record<string, unknown> = {}, state = newState()) =>
    decideNow(policy, call(tool, args), state, 0);
  equal(decide("not_listed").allowed, false);
  equal(decide("wipe_ledger").rule, "hide");
  ok(decide("list_payments").allowed);
  equal(decide("cancel_subscription").reason, "Subscriptions are cancelled by a person");
  equal(decide("delete_customer").reason, "Deletes are done by a person");
  const state = newState();
  ok(decide("create_refund", { amount: 60_000, currency: "usd" }, state).allowed);
  ok(decide("create_refund", { amount: 40_000, currency: "eur" }, state).allowed);
  const capped = decide("create_refund", { amount: 1, currency: "usd" }, state);
  deepEqual([capped.allowed, capped.reason], [false, "Refunds are capped at 1,000.00 a day"]);
  equal(
    decide("create_refund", { amount: 1, currency: "jpy" }).reason,
    "Refunds in usd, eur or gbp only",
  );
  const reads = newState();
  for (let i = 0; i < 10; i++) ok(decide("retrieve_balance", {}, reads).allowed);
  equal(decide("retrieve_balance", {}, reads).reason, "Balance is read at most 10 times a minute");
});
