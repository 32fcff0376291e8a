/** Continuations: an MRTR retry continues one logical call once, only when it matches. */
import { deepEqual, equal } from "node:assert/strict";
import { type ContinuationOptions, Continuations, isRetry } from "../../src/proxy/continuations.ts";

const CALL = { principal: "alice", tool: "confirm", argsDigest: "d1" };
const ASKED = {
  resultType: "input_required",
  inputRequests: { approve: { method: "elicitation/create", params: {} } },
  requestState: "s-1",
};
const RETRY = {
  name: "confirm",
  inputResponses: { approve: { action: "accept" } },
  requestState: "s-1",
};

function table(options: ContinuationOptions = {}) {
  const clock = { now: 1_000 };
  return { clock, table: new Continuations({ now: () => clock.now, ...options }) };
}

Deno.test("Continuations.take() matches a retry once, and counts its round", () => {
  const { table: t } = table();
  equal(t.remember(CALL, ASKED, 1), true);
  equal(t.take(CALL, RETRY)?.round, 2);
  equal(t.take(CALL, RETRY), null, "a second retry with the same fields pays");
  equal(t.size, 0);
});

Deno.test("Continuations.take() refuses a retry of another principal, tool or arguments", () => {
  const { table: t } = table();
  t.remember(CALL, ASKED, 1);
  equal(t.take({ ...CALL, principal: "mallory" }, RETRY), null);
  equal(t.take({ ...CALL, tool: "other" }, RETRY), null);
  equal(t.take({ ...CALL, argsDigest: "d2" }, RETRY), null);
  equal(t.take(CALL, RETRY)?.round, 2, "the real retry still matches");
});

Deno.test("Continuations.take() refuses a forged requestState or other answered keys", () => {
  const { table: t } = table();
  t.remember(CALL, ASKED, 1);
  equal(t.take(CALL, { ...RETRY, requestState: "s-forged" }), null);
  equal(t.take(CALL, { ...RETRY, requestState: undefined }), null);
  equal(t.take(CALL, { ...RETRY, inputResponses: {} }), null);
  equal(t.take(CALL, { ...RETRY, inputResponses: { approve: {}, extra: {} } }), null);
  equal(t.take(CALL, { ...RETRY, requestState: 7 }), null);
  equal(t.take(CALL, { ...RETRY, inputResponses: "yes" }), null);
  equal(t.take(CALL, RETRY)?.round, 2);
});

Deno.test("Continuations.take() matches a requestState-only continuation without responses", () => {
  const { table: t } = table();
  t.remember(CALL, { resultType: "input_required", requestState: "busy" }, 1);
  equal(t.take(CALL, { name: "confirm", requestState: "busy" })?.round, 2);
});

Deno.test("Continuations expire after their lifetime", () => {
  const { clock, table: t } = table({ ttlMs: 60_000 });
  t.remember(CALL, ASKED, 1);
  clock.now += 60_000;
  equal(t.take(CALL, RETRY), null);
  equal(t.size, 0, "the expired one is dropped");
});

Deno.test("Continuations stop after their rounds: the next retry pays", () => {
  const { table: t } = table({ maxRounds: 3 });
  equal(t.remember(CALL, ASKED, 2), true);
  equal(t.take(CALL, RETRY)?.round, 3);
  equal(t.remember(CALL, ASKED, 3), false);
  equal(t.take(CALL, RETRY), null);
});

Deno.test("Continuations keep at most maxEntries, the oldest going first", () => {
  const { table: t } = table({ maxEntries: 2 });
  t.remember({ ...CALL, argsDigest: "a" }, ASKED, 1);
  t.remember({ ...CALL, argsDigest: "b" }, ASKED, 1);
  t.remember({ ...CALL, argsDigest: "c" }, ASKED, 1);
  equal(t.size, 2);
  equal(t.take({ ...CALL, argsDigest: "a" }, RETRY), null);
  equal(t.take({ ...CALL, argsDigest: "c" }, RETRY)?.round, 2);
});

Deno.test("Continuations key a long requestState by its digest", () => {
  const digests: string[] = [];
  const t = new Continuations({ digest: (text) => (digests.push(text), `h${text.length}`) });
  const state = "x".repeat(10_000);
  t.remember(CALL, { ...ASKED, requestState: state }, 1);
  equal(t.take(CALL, { ...RETRY, requestState: state })?.round, 2);
  equal(digests.length, 2);
});

Deno.test("isRetry() is true when a call carries inputResponses or requestState", () => {
  equal(isRetry({ name: "t" }), false);
  equal(isRetry({ name: "t", requestState: "x" }), true);
  equal(isRetry({ name: "t", inputResponses: {} }), true);
});

Deno.test("Continuations carry what a human approved for the call to its retries", () => {
  const { table: t } = table();
  const approved = [{ rule: "needs a human", by: "operator" as const }];
  t.remember(CALL, ASKED, 1, approved);
  deepEqual(t.take(CALL, RETRY)?.approvals, approved);
});

Deno.test("Continuations: one principal filling the table pushes out only its own", () => {
  const { table: t } = table({ maxEntries: 10, maxPerPrincipal: 4 });
  t.remember(CALL, ASKED, 1);
  const mallory = { ...CALL, principal: "mallory" };
  for (let i = 0; i < 50; i++) t.remember({ ...mallory, argsDigest: `m${i}` }, ASKED, 1);
  equal(t.size, 5, "mallory keeps her share, alice her one");
  equal(t.take({ ...mallory, argsDigest: "m0" }, RETRY), null, "mallory's oldest went");
  equal(t.take({ ...mallory, argsDigest: "m49" }, RETRY)?.round, 2);
  equal(t.take(CALL, RETRY)?.round, 2, "alice's retry still continues her call");
});

Deno.test("Continuations: past the total, the principal holding the most loses its oldest", () => {
  const { table: t } = table({ maxEntries: 6, maxPerPrincipal: 4 });
  t.remember(CALL, ASKED, 1);
  for (const who of ["m1", "m2"]) {
    for (let i = 0; i < 3; i++) {
      t.remember({ ...CALL, principal: who, argsDigest: `${i}` }, ASKED, 1);
    }
  }
  equal(t.size, 6, "at the total");
  equal(t.take(CALL, RETRY)?.round, 2, "alice, holding one, keeps it");
  equal(t.take({ ...CALL, principal: "m1", argsDigest: "0" }, RETRY), null, "m1 lost its oldest");
  equal(t.take({ ...CALL, principal: "m2", argsDigest: "0" }, RETRY)?.round, 2);
});

Deno.test("Continuations keep a digest, not the text, of a server's long list of requested keys", () => {
  const digests: string[] = [];
  const t = new Continuations({ digest: (text) => (digests.push(text), `h${text.length}`) });
  const keys = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, {}]));
  t.remember(CALL, { ...ASKED, inputRequests: keys }, 1);
  equal(digests.length, 1, "the keys' text was digested");
  equal(t.take(CALL, { ...RETRY, inputResponses: { k1: {} } }), null, "other keys");
  equal(t.take(CALL, { ...RETRY, inputResponses: keys })?.round, 2);
});
