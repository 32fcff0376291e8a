/**
 * What the audit log costs a decision: hashing the arguments (node:crypto SHA-256 of their
 * canonical JSON), building the line, and `AuditLog.decision()` end to end into a temporary
 * file (the synchronous part the proxy pays, then the time `close()` takes to flush).
 * Run: deno run -A scripts/bench/audit_cost.ts
 */
import { AuditLog } from "../../src/audit/audit_log.ts";
import { argsSha256, decisionLine } from "../../src/audit/audit_record.ts";
import type { DecisionEvent } from "../../src/proxy/mcp_proxy.ts";
import { median } from "./stats.ts";

const ROUNDS = 7;
const CALLS = 20_000;

const small = {
  topicName: "orders-eu",
  valueFormat: "json",
  value: { message: '{"id":1,"amount":12.5}' },
  key: { message: "customer-42" },
};
const large = { topicName: "orders-eu", records: Array.from({ length: 100 }, recordOf) };

function recordOf(_: unknown, i: number) {
  return { id: i, customer: `customer-${i}`, amount: i * 1.25, tags: ["eu", "web"], note: "x" };
}

function eventOf(args: Record<string, unknown>): DecisionEvent {
  return {
    ts: Date.now(),
    session: crypto.randomUUID(),
    principal: "uid:bench",
    client: "bench",
    era: "legacy",
    round: 1,
    decision: {
      allowed: true,
      tool: "produce-message",
      rule: "writes are paced",
      reason: null,
      retryAfterMs: null,
      quotas: [{
        rule: "writes are paced",
        max: 30,
        windowMs: 60_000,
        remaining: 29,
        resetInMs: 60_000,
        per: "session",
      }],
    },
    args,
    latencyMs: 0.0421,
  };
}

/** Median microseconds per call of `body` over ROUNDS rounds of CALLS calls. */
function microsPerCall(body: () => void): number {
  for (let i = 0; i < CALLS / 10; i++) body();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) body();
    rounds.push((performance.now() - start) * 1000 / CALLS);
  }
  return median(rounds);
}

async function auditMicros(
  args: Record<string, unknown>,
  includeArgs: boolean,
): Promise<{ decision: number; close: number }> {
  const dir = await Deno.makeTempDir({ prefix: "intercept-audit-bench-" });
  try {
    const decisions: number[] = [];
    const closes: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const audit = await AuditLog.open(`${dir}/audit-${r}.jsonl`, { includeArgs });
      const event = eventOf(args);
      const start = performance.now();
      // Yield every 1,000 calls as a proxy does between messages, so the buffer drains.
      for (let i = 0; i < CALLS; i++) {
        audit.decision(event);
        if (i % 1000 === 999) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      const pushed = performance.now();
      await audit.close();
      decisions.push((pushed - start) * 1000 / CALLS);
      closes.push(performance.now() - pushed);
      if (audit.dropped > 0) console.log(`  (round ${r} dropped ${audit.dropped} lines)`);
    }
    return { decision: median(decisions), close: median(closes) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const smallBytes = JSON.stringify(small).length;
const largeBytes = JSON.stringify(large).length;
const rows: [string, number][] = [
  [`argsSha256, ${smallBytes} B of arguments`, microsPerCall(() => argsSha256(small))],
  [`argsSha256, ${largeBytes} B of arguments`, microsPerCall(() => argsSha256(large))],
  [`decisionLine, ${smallBytes} B`, microsPerCall(() => decisionLine(eventOf(small)))],
  [
    `decisionLine with args, ${smallBytes} B`,
    microsPerCall(() => decisionLine(eventOf(small), true)),
  ],
  [`decisionLine, ${largeBytes} B`, microsPerCall(() => decisionLine(eventOf(large)))],
];
for (
  const [includeArgs, args, label] of [[false, small, "small"], [true, small, "small"], [
    false,
    large,
    "large",
  ]] as const
) {
  const { decision, close } = await auditMicros(args, includeArgs);
  rows.push([
    `AuditLog.decision(), ${label} args${includeArgs ? " + raw args" : ""} (close: ${
      close.toFixed(2)
    } ms)`,
    decision,
  ]);
}

console.log(`Audit cost per decision (median of ${ROUNDS} rounds of ${CALLS} calls):`);
for (const [label, micros] of rows) console.log(`  ${micros.toFixed(2).padStart(8)} µs  ${label}`);
