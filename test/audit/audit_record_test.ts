/** decisionLine and lifecycleLine: the audit log's JSON lines. */
import { deepEqual, equal, match } from "node:assert/strict";
import { argsSha256, decisionLine, lifecycleLine } from "../../src/audit/audit_record.ts";
import type { DecisionEvent } from "../../src/proxy/events.ts";
import { allowed, decisionEvent, T0 } from "./support.ts";

Deno.test("decisionLine() writes every field of a denial in order", () => {
  const event = decisionEvent("produce-message", { topicName: "orders" }, {
    decision: allowed("produce-message", {
      allowed: false,
      rule: "writes are paced",
      reason: "Writes are limited to 30 a minute",
      retryAfterMs: 12000,
      quotas: [{
        rule: "writes are paced",
        max: 30,
        windowMs: 60000,
        remaining: 0,
        resetInMs: 12000,
        per: "session",
      }],
    }),
    latencyMs: 0.0456789,
  });
  const line = decisionLine({ ...event, client: "claude-code" });
  equal(line.includes("\n"), false);
  const record = JSON.parse(line);
  deepEqual(Object.keys(record), [
    "ts",
    "type",
    "session",
    "principal",
    "client",
    "era",
    "tool",
    "decision",
    "rule",
    "reason",
    "retryAfterMs",
    "quotas",
    "latencyMs",
    "argsSha256",
  ]);
  deepEqual(record, {
    ts: "2026-01-01T12:00:00.250Z",
    type: "decision",
    session: "session-1",
    principal: "uid:tester",
    client: "claude-code",
    era: "legacy",
    tool: "produce-message",
    decision: "deny",
    rule: "writes are paced",
    reason: "Writes are limited to 30 a minute",
    retryAfterMs: 12000,
    quotas: [{ rule: "writes are paced", remaining: 0, max: 30, windowMs: 60000, per: "session" }],
    latencyMs: 0.046,
    argsSha256: argsSha256({ topicName: "orders" }),
  });
});

Deno.test("decisionLine() writes the round of an MRTR retry, and only past the first", () => {
  equal("round" in JSON.parse(decisionLine(decisionEvent("t"))), false);
  equal(JSON.parse(decisionLine({ ...decisionEvent("t"), round: 2 })).round, 2);
});

Deno.test("decisionLine() writes an allowed call with null reason and client", () => {
  const record = JSON.parse(decisionLine(decisionEvent("list-topics")));
  equal(record.decision, "allow");
  equal(record.reason, null);
  equal(record.retryAfterMs, null);
  equal(record.client, null);
  deepEqual(record.quotas, []);
  equal(record.latencyMs, 0.123);
  match(record.argsSha256, /^[0-9a-f]{64}$/);
});

Deno.test("decisionLine() writes the raw arguments only when asked", () => {
  const args = { b: 2, a: { text: "secret" } };
  equal("args" in JSON.parse(decisionLine(decisionEvent("t", args))), false);
  const record = JSON.parse(decisionLine(decisionEvent("t", args), true));
  deepEqual(record.args, args);
  equal(record.argsSha256, argsSha256(args));
});

Deno.test("decisionLine() still writes a line when the arguments cannot be hashed", () => {
  const record = JSON.parse(decisionLine(decisionEvent("t", { n: 1n }), true));
  equal(record.argsSha256, null);
  equal(record.args, null);
  match(record.argsError, /BigInt/);
});

Deno.test("lifecycleLine() puts ts and type first and data cannot override them", () => {
  const line = lifecycleLine("live_deny", { type: "forged", tool: "x", reason: "r" }, T0);
  equal(line, '{"ts":"2026-01-01T12:00:00.250Z","type":"live_deny","tool":"x","reason":"r"}');
});

Deno.test("lifecycleLine() writes a line even for data JSON cannot hold", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const record = JSON.parse(lifecycleLine("start", { cyclic }, T0));
  equal(record.type, "start");
  match(record.dataError, /circular/i);
});

Deno.test("lifecycleLine() writes a null ts for a clock that is not a time", () => {
  equal(JSON.parse(lifecycleLine("stop", {}, NaN)).ts, null);
});

Deno.test("decisionLine() writes the time as toISOString() does, for every millisecond", () => {
  for (const ms of [0, 1, 999, 1_000, 1_767_225_600_123, 1_767_225_600_999, 1_767_225_601_000]) {
    equal(
      JSON.parse(decisionLine({ ...decisionEvent("t"), ts: ms })).ts,
      new Date(ms).toISOString(),
    );
  }
  equal(
    JSON.parse(decisionLine({ ...decisionEvent("t"), ts: 1.5 })).ts,
    new Date(1.5).toISOString(),
  );
  equal(JSON.parse(decisionLine({ ...decisionEvent("t"), ts: -1 })).ts, new Date(-1).toISOString());
});

Deno.test("decisionLine() writes the same text as JSON.stringify of its record", () => {
  const names = ['quote " and \\ back', "tab\tnew\nline", "é😀\u2028", "x".repeat(300)];
  for (const name of names) {
    const event = decisionEvent(name, { a: [1, 2] }, {
      client: name,
      latencyMs: 1 / 3,
      decision: allowed(name, {
        allowed: false,
        rule: name,
        reason: name,
        retryAfterMs: 1.5,
        quotas: [{
          rule: name,
          max: 3,
          windowMs: 60000,
          remaining: 0,
          resetInMs: 1,
          per: "global",
        }],
      }),
    });
    const line = decisionLine(event, true);
    equal(line, JSON.stringify(JSON.parse(line)), "compact JSON, as JSON.stringify writes it");
    const record = JSON.parse(line);
    deepEqual([record.tool, record.client, record.rule, record.reason], [name, name, name, name]);
    deepEqual(record.args, { a: [1, 2] });
    equal(record.latencyMs, 0.333);
    equal(record.retryAfterMs, 1.5);
  }
  const odd = decisionLine({ ...decisionEvent("t"), latencyMs: NaN });
  equal(JSON.parse(odd).latencyMs, null, "a number JSON cannot hold is null, as JSON.stringify");
});

Deno.test("decisionLine() writes each line's own fields when lines of one tool differ", () => {
  const base = decisionEvent("produce-message", { a: 1 });
  const variants: DecisionEvent[] = [
    base,
    { ...base, session: "session-2" },
    { ...base, principal: "uid:other" },
    { ...base, client: "claude-code" },
    { ...base, era: "modern" },
    { ...base, decision: allowed("produce-message", { allowed: false, reason: "No" }) },
    { ...base, decision: allowed("produce-message", { rule: "another rule" }) },
    { ...base, decision: allowed("produce-message", { reason: "A reason" }) },
    base,
  ];
  // Twice over, so that each line follows another of the same tool with other fields.
  for (const event of [...variants, ...variants]) {
    const record = JSON.parse(decisionLine(event));
    equal(record.session, event.session);
    equal(record.principal, event.principal);
    equal(record.client, event.client);
    equal(record.era, event.era);
    equal(record.tool, "produce-message");
    equal(record.decision, event.decision.allowed ? "allow" : "deny");
    equal(record.rule, event.decision.rule);
    equal(record.reason, event.decision.reason);
  }
});

Deno.test("decisionLine() writes each millisecond of a second, and any time Date can show", () => {
  for (const ms of [0, 7, 99, 250, 999]) {
    equal(
      JSON.parse(decisionLine(decisionEvent("t", {}, { ts: T0 - 250 + ms }))).ts,
      new Date(T0 - 250 + ms).toISOString(),
    );
  }
  equal(JSON.parse(decisionLine(decisionEvent("t", {}, { ts: 0 }))).ts, "1970-01-01T00:00:00.000Z");
  equal(
    JSON.parse(decisionLine(decisionEvent("t", {}, { ts: 8.64e15 }))).ts,
    "+275760-09-13T00:00:00.000Z",
  );
  // Past Date's range, or not a time: null, and the line is still written.
  equal(JSON.parse(decisionLine(decisionEvent("t", {}, { ts: 8.64e15 + 1 }))).ts, null);
  equal(JSON.parse(decisionLine(decisionEvent("t", {}, { ts: NaN }))).ts, null);
  equal(
    JSON.parse(decisionLine(decisionEvent("t", {}, { ts: -1 }))).ts,
    "1969-12-31T23:59:59.999Z",
  );
});

Deno.test("decisionLine() writes long names (past what it keeps) and many tools in full", () => {
  const long = "c".repeat(5000);
  for (let round = 0; round < 2; round++) {
    for (const client of [long, "short", long]) {
      const record = JSON.parse(decisionLine({ ...decisionEvent("t"), client }));
      equal(record.client, client);
    }
  }
  // More tools than heads kept: each line still names its own tool and fields.
  for (let i = 0; i < 1100; i++) {
    const tool = `tool-${i % 600}`;
    const record = JSON.parse(decisionLine(decisionEvent(tool, {}, { session: `s-${i % 3}` })));
    equal(record.tool, tool);
    equal(record.session, `s-${i % 3}`);
  }
});
