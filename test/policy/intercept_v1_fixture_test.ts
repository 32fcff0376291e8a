import { decideNow } from "../../src/state/decide_now.ts";
/**
 * The full Intercept v1 example (test/fixtures/intercept_v1_full.yaml) loads unchanged and
 * behaves as Intercept documents: counters are checked after this call's increment, spend caps
 * sum `increment_from`, deny rules deny, `hide` and `default: deny` close the door.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";

import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyFile } from "../../src/policy/loader.ts";
import { call, newState } from "../engine/support.ts";

const FIXTURE = new URL("../fixtures/intercept_v1_full.yaml", import.meta.url).pathname;
const HOUR = 3_600_000;

async function load(): Promise<CompiledPolicy> {
  return await loadPolicyFile(FIXTURE);
}

const issue = { repo: "acme/api", title: "Crash", labels: ["triage", "bug"] };
const charge = (amount: unknown) => ({ amount, currency: "usd", customer: "cus_1" });

Deno.test("loadPolicyFile() loads the full Intercept v1 example with every entry", async () => {
  const policy = await load();
  equal(policy.defaultPosture, "deny");
  deepEqual([...policy.hiddenNames].sort(), ["drop_database", "transfer_repository"]);
  deepEqual([...policy.exact.keys()].sort(), [
    "create_charge",
    "create_issue",
    "create_refund",
    "delete_draft",
    "list_issues",
    "read_file",
  ]);
  equal(policy.globs.length, 1);
  equal(policy.wildcard?.key, "*");
  deepEqual([...policy.counters.keys()].sort(), [
    "_global.calls",
    "create_charge.daily_spend",
    "list_issues.lists",
  ]);
  const hourly = policy.exact.get("create_issue")!.rules[0];
  deepEqual([hourly.quota?.max, hourly.quota?.windowMs], [5, HOUR]);
  equal(hourly.reason, "Issue creation is limited to 5 an hour");
});

Deno.test("decideNow() on intercept_v1_full.yaml: a `lte 5` counter admits exactly 5 calls a minute", async () => {
  const policy = await load();
  const state = newState();
  for (let i = 0; i < 5; i++) {
    ok(decideNow(policy, call("list_issues"), state, i * 1_000).allowed, `call ${i + 1}`);
  }
  const sixth = decideNow(policy, call("list_issues"), state, 5_000);
  equal(sixth.allowed, false);
  equal(sixth.rule, "five lists a minute");
  equal(sixth.reason, "At most 5 issue lists a minute");
  // Denied calls are not counted, and the minute slides on.
  equal(decideNow(policy, call("list_issues"), state, 30_000).allowed, false);
  ok(decideNow(policy, call("list_issues"), state, 62_000).allowed);
});

Deno.test("decideNow() on intercept_v1_full.yaml: the daily spend cap denies once the sum would pass 1000", async () => {
  const policy = await load();
  const state = newState();
  ok(decideNow(policy, call("create_charge", charge(400)), state, 0).allowed);
  ok(decideNow(policy, call("create_charge", charge(400)), state, 1_000).allowed);
  const over = decideNow(policy, call("create_charge", charge(300)), state, 2_000);
  equal(over.allowed, false);
  equal(over.rule, "daily spend cap");
  equal(over.reason, "Daily spend cap of 1000 reached");
  // 800 + 200 = 1000 is still within `lte 1000`; then nothing more fits.
  ok(decideNow(policy, call("create_charge", charge(200)), state, 3_000).allowed);
  equal(decideNow(policy, call("create_charge", charge(1)), state, 4_000).allowed, false);
  // A day (and one counter slot) later the spend is forgotten.
  ok(decideNow(policy, call("create_charge", charge(450)), state, 25 * HOUR).allowed);
});

Deno.test("decideNow() on intercept_v1_full.yaml: a negative amount is denied with a clear reason", async () => {
  const policy = await load();
  const state = newState();
  const decision = decideNow(policy, call("create_charge", charge(-500)), state, 0);
  equal(decision.allowed, false);
  match(decision.reason!, /args\.amount is negative \(-500\)/);
  match(decision.reason!, /state\.create_charge\.daily_spend/);
  // A refund disguised as a negative charge must not raise the cap for later calls.
  ok(decideNow(policy, call("create_charge", charge(499)), state, 1).allowed);
  ok(decideNow(policy, call("create_charge", charge(499)), state, 2).allowed);
  equal(decideNow(policy, call("create_charge", charge(3)), state, 3).allowed, false);
});

Deno.test("decideNow() on intercept_v1_full.yaml: a non-numeric or missing amount is denied, never counted as 0", async () => {
  const policy = await load();
  const state = newState();
  const text = decideNow(policy, call("create_charge", charge("100")), state, 0);
  equal(text.allowed, false);
  match(text.reason!, /args\.amount must be a number/);
  const missing = decideNow(policy, call("create_charge", { currency: "usd" }), state, 0);
  equal(missing.allowed, false);
  match(missing.reason!, /args\.amount is missing/);
});

Deno.test("decideNow() on intercept_v1_full.yaml: conditions with every operator admit and deny", async () => {
  const policy = await load();
  const state = newState();
  ok(decideNow(policy, call("create_issue", issue), state, 0).allowed);
  const wrongRepo = decideNow(policy, call("create_issue", { ...issue, repo: "evil/x" }), state, 0);
  equal(wrongRepo.allowed, false);
  equal(wrongRepo.reason, "Issues go to an acme/ repo, with a title and the triage label");
  ok(decideNow(policy, call("create_issue", { ...issue, repo: "ACME/web" }), state, 0).allowed);
  equal(
    decideNow(policy, call("create_issue", { ...issue, labels: ["bug"] }), state, 0).allowed,
    false,
  );
  equal(
    decideNow(policy, call("create_charge", { ...charge(10), currency: "gbp" }), state, 0).allowed,
    false,
  );
  equal(
    decideNow(policy, call("create_charge", { ...charge(10), customer: "cus_blocked" }), state, 0)
      .allowed,
    false,
  );
  equal(decideNow(policy, call("create_charge", charge(500)), state, 0).allowed, false);
  const refund = { amount: 5, reason: "duplicate" };
  ok(decideNow(policy, call("create_refund", refund), state, 0).allowed);
  equal(
    decideNow(policy, call("create_refund", { ...refund, amount: 0 }), state, 0).allowed,
    false,
  );
  equal(
    decideNow(policy, call("create_refund", { ...refund, reason: "fraudulent" }), state, 0).allowed,
    false,
  );
  equal(
    decideNow(policy, call("create_refund", { ...refund, force: false }), state, 0).allowed,
    false,
  );
});

Deno.test("decideNow() on intercept_v1_full.yaml: deny rules deny, with and without conditions", async () => {
  const policy = await load();
  const state = newState();
  const test = decideNow(policy, call("create_refund", { amount: 5, account: "test" }), state, 0);
  equal(test.allowed, false);
  equal(test.rule, "no refunds to test accounts");
  equal(test.reason, "Refunds to test accounts are blocked");
  const glob = decideNow(policy, call("delete_repository"), state, 0);
  deepEqual([glob.allowed, glob.rule, glob.reason], [
    false,
    "block deletes",
    "Destructive tools need a human",
  ]);
  // The exact entry wins over the glob.
  ok(decideNow(policy, call("delete_draft"), state, 0).allowed);
});

Deno.test("decideNow() on intercept_v1_full.yaml: hidden and unlisted tools are denied", async () => {
  const policy = await load();
  const state = newState();
  const hidden = decideNow(policy, call("drop_database"), state, 0);
  deepEqual([hidden.allowed, hidden.rule], [false, "hide"]);
  const unlisted = decideNow(policy, call("send_email"), state, 0);
  deepEqual([unlisted.allowed, unlisted.rule], [false, "default"]);
  ok(decideNow(policy, call("read_file"), state, 0).allowed);
});

Deno.test("decideNow() on intercept_v1_full.yaml: `5/hour` admits 5 issues, then says when to retry", async () => {
  const policy = await load();
  const state = newState();
  for (let i = 0; i < 5; i++) ok(decideNow(policy, call("create_issue", issue), state, i).allowed);
  const sixth = decideNow(policy, call("create_issue", issue), state, 10);
  equal(sixth.allowed, false);
  equal(sixth.reason, "Issue creation is limited to 5 an hour");
  equal(sixth.retryAfterMs, HOUR - 10);
  ok(decideNow(policy, call("create_issue", issue), state, HOUR).allowed);
});

Deno.test("decideNow() on intercept_v1_full.yaml: the state._global budget counts calls to every tool", async () => {
  const policy = await load();
  const state = newState();
  for (let i = 0; i < 100; i++) ok(decideNow(policy, call("read_file"), state, i).allowed);
  const over = decideNow(policy, call("create_issue", issue), state, 100);
  equal(over.allowed, false);
  equal(over.rule, "hourly call budget");
  equal(over.reason, "This agent has used its 100 calls for the hour");
  // The denied call took none of create_issue's hourly quota.
  const rule = policy.exact.get("create_issue")!.rules[0];
  const [view] = state.backend.peek([{ rule, spec: rule.quota!, scope: "s:s1" }], 100);
  equal(view.remaining, rule.quota!.max);
  ok(decideNow(policy, call("read_file", {}, { session: "other" }), state, 100).allowed);
});
