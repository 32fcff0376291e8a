/**
 * What the audit log costs a decision, in process: each stage alone (canonical JSON, SHA-256,
 * the line), then the CPU time of the whole process (all its threads, the garbage collector's
 * included) for calls decided with the audit log on against the same calls with it off, in
 * interleaved pairs. Calls come in turns of 64 as in the proxy's benchmark; each call's
 * arguments are freshly parsed, as the proxy's are.
 * Run: deno run -A --v8-flags=--max-semi-space-size=1,--heap-growing-percent=10 \
 *   scripts/bench/audit_cost.ts   (the proxy's flags: scripts/runtime_flags.ts)
 */
import { AuditLog } from "../../src/audit/audit_log.ts";
import { argsSha256, decisionLine } from "../../src/audit/audit_record.ts";
import { canonicalJson } from "../../src/audit/canonical_json.ts";

import type { DecisionEvent } from "../../src/proxy/events.ts";
import { processCpuMs } from "./proc_stats.ts";
import { ROUND_TRIP_CALLS } from "./proxy_bench.ts";
import { median } from "./stats.ts";

const PAIRS = 9;
const CALLS = 20_000;
const TURN = 64;

/** The arguments of the proxy benchmark's calls, as the text the client sends. */
const ARGS_TEXT = ROUND_TRIP_CALLS.map((call) => JSON.stringify(call.arguments));
const large = JSON.stringify({
  topicName: "orders-eu",
  records: Array.from({ length: 100 }, (_, i) => ({
    id: i,
    customer: `customer-${i}`,
    amount: i * 1.25,
    tags: ["eu", "web"],
    note: "x",
  })),
});

function eventOf(argsText: string, session: string): DecisionEvent {
  return {
    ts: Date.now(),
    session,
    principal: "uid:bench",
    client: "bench",
    era: "legacy",
    round: 1,
    decision: {
      allowed: true,
      tool: "consume-messages",
      rule: "reads are free",
      reason: null,
      retryAfterMs: null,
      quotas: [],
    },
    args: JSON.parse(argsText),
    latencyMs: performance.now() % 1,
  };
}

/** Least microseconds per call of `body` over 7 rounds (the least disturbed by other load). */
function microsPerCall(body: () => void): number {
  for (let i = 0; i < CALLS / 10; i++) body();
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) body();
    best = Math.min(best, (performance.now() - start) * 1000 / CALLS);
  }
  return best;
}

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Process CPU µs per call for CALLS calls, each event handed to `observe`. */
async function cpuPerCall(
  argsTexts: readonly string[],
  calls: number,
  observe: (e: DecisionEvent) => void,
) {
  const session = crypto.randomUUID();
  const start = processCpuMs();
  for (let i = 0; i < calls; i++) {
    observe(eventOf(argsTexts[i % argsTexts.length], session));
    if (i % TURN === TURN - 1) await nextTurn();
  }
  return (processCpuMs() - start) * 1000 / calls;
}

/** Added CPU µs per call with the audit log on: median and range over interleaved pairs. */
async function addedPerCall(argsTexts: readonly string[], includeArgs: boolean, calls: number) {
  const dir = await Deno.makeTempDir({ prefix: "intercept-audit-bench-" });
  let sink = 0;
  const off = (event: DecisionEvent) => {
    sink += event.latencyMs;
  };
  try {
    const added: number[] = [];
    for (let pair = -1; pair < PAIRS; pair++) {
      const audit = await AuditLog.open(`${dir}/audit.jsonl`, { includeArgs });
      const on = (event: DecisionEvent) => audit.decision(event);
      // Alternate which goes first so that drift favours neither.
      const first = pair % 2 === 0;
      const a = await cpuPerCall(argsTexts, calls, first ? on : off);
      const b = await cpuPerCall(argsTexts, calls, first ? off : on);
      await audit.close();
      if (audit.dropped > 0) console.log(`  (pair ${pair} dropped ${audit.dropped} lines)`);
      if (pair >= 0) added.push(first ? a - b : b - a); // pair -1 warms up
      await Deno.remove(`${dir}/audit.jsonl`);
    }
    return { median: median(added), min: Math.min(...added), max: Math.max(...added), sink };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const small = eventOf(ARGS_TEXT[1], "s");
const smallText = canonicalJson(small.args);
const largeArgs = JSON.parse(large);
const stages: [string, number][] = [
  [`canonicalJson, ${smallText.length} B`, microsPerCall(() => canonicalJson(small.args))],
  [`argsSha256, ${smallText.length} B`, microsPerCall(() => argsSha256(small.args))],
  [`argsSha256, ${large.length} B`, microsPerCall(() => argsSha256(largeArgs))],
  [`decisionLine, ${smallText.length} B`, microsPerCall(() => decisionLine(small))],
];
console.log("Stages (least µs per call of 7 rounds):");
for (const [label, micros] of stages) {
  console.log(`  ${micros.toFixed(3).padStart(8)} µs  ${label}`);
}
console.log(`Added process CPU per call, audit on − off (${PAIRS} interleaved pairs):`);
for (
  const [label, texts, includeArgs, calls] of [
    ["the proxy benchmark's 3 calls", ARGS_TEXT, false, CALLS],
    ["the same with --audit-args", ARGS_TEXT, true, CALLS],
    [`${large.length} B of arguments`, [large], false, CALLS / 10],
  ] as const
) {
  const { median, min, max } = await addedPerCall(texts, includeArgs, calls);
  console.log(
    `  ${median.toFixed(2).padStart(8)} µs  (${min.toFixed(2)} – ${max.toFixed(2)})  ${label}`,
  );
}
