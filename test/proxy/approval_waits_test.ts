/** ApprovalWaits: modern approval questions kept for their retries, matched once, bounded. */
import { equal, ok } from "node:assert/strict";
import {
  ANSWERED_WAIT_KEPT_MS,
  type ApprovalWait,
  ApprovalWaits,
  MAX_ANSWERED_WAITS,
  MAX_ANSWERED_WAITS_PER_PRINCIPAL,
} from "../../src/proxy/approval_waits.ts";
import type { ApprovalOutcome } from "../../src/proxy/approvals.ts";

const RETRY = { principal: "alice", tool: "pay", digest: "d1" };

function wait(outcome: Promise<ApprovalOutcome> = new Promise(() => {})): ApprovalWait {
  return {
    approvalId: "a1",
    ...RETRY,
    rule: "r",
    reason: "why",
    timeoutMs: 1_000,
    outcome,
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("ApprovalWaits.take() matches principal, tool and arguments, and only once", () => {
  const waits = new ApprovalWaits();
  waits.add("t", wait());
  equal(waits.take("t", { ...RETRY, principal: "bob" }), null);
  equal(waits.take("t", { ...RETRY, tool: "other" }), null);
  equal(waits.take("t", { ...RETRY, digest: "d2" }), null);
  equal(waits.take("unknown", RETRY), null);
  ok(waits.take("t", RETRY));
  equal(waits.take("t", RETRY), null, "taken already");
});

Deno.test("ApprovalWaits forgets an answered wait after its time, never a pending one", async () => {
  const clock = { now: 0 };
  const waits = new ApprovalWaits(() => clock.now);
  waits.add("answered", wait(Promise.resolve({ kind: "expired" })));
  waits.add("kept", wait(Promise.resolve({ kind: "expired" })));
  waits.add("pending", wait());
  await flush();
  clock.now += ANSWERED_WAIT_KEPT_MS - 1;
  ok(waits.take("kept", RETRY), "kept until its time is up");
  clock.now += 2;
  equal(waits.take("answered", RETRY), null, "forgotten");
  ok(waits.take("pending", RETRY), "still waits for its approval");
});

Deno.test("ApprovalWaits drops the oldest answered waits past its bound, never a pending one", async () => {
  const waits = new ApprovalWaits();
  waits.add("pending", wait());
  // Many principals, each within its share: the total bound applies.
  for (let i = 0; i <= MAX_ANSWERED_WAITS + 10; i++) {
    waits.add(`answered-${i}`, {
      ...wait(Promise.resolve({ kind: "expired" })),
      principal: `p${i % 20}`,
    });
  }
  await flush();
  equal(waits.size, MAX_ANSWERED_WAITS + 1);
  equal(waits.take("answered-0", { ...RETRY, principal: "p0" }), null, "the oldest went first");
  const last = MAX_ANSWERED_WAITS + 10;
  ok(waits.take(`answered-${last}`, { ...RETRY, principal: `p${last % 20}` }));
  ok(waits.take("pending", RETRY));
});

Deno.test("ApprovalWaits: one principal's answered waits push out only its own", async () => {
  const waits = new ApprovalWaits();
  waits.add("alice", wait(Promise.resolve({ kind: "expired" })));
  await flush();
  for (let i = 0; i <= MAX_ANSWERED_WAITS + 10; i++) {
    waits.add(`mallory-${i}`, {
      ...wait(Promise.resolve({ kind: "expired" })),
      principal: "mallory",
    });
  }
  await flush();
  equal(waits.size, MAX_ANSWERED_WAITS_PER_PRINCIPAL + 1);
  const mallory = { ...RETRY, principal: "mallory" };
  equal(waits.take("mallory-0", mallory), null, "her oldest went first");
  ok(waits.take(`mallory-${MAX_ANSWERED_WAITS + 10}`, mallory));
  ok(waits.take("alice", RETRY), "alice's answer still waits for her retry");
});
