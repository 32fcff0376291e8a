/**
 * The engine's figures: `evaluate()` over a realistic mix of calls on the Kafka-like policy,
 * and one sliding-window quota take on a warm key. Each run uses a fresh `MemoryBackend` and an
 * injected clock that advances 50 ms a call, so quotas refill as they would at 20 calls/s. Time
 * is this process's own CPU time, so that other work on a shared machine does not count.
 */
import { BUILTIN_RULES, type Decision } from "../../src/engine/decision.ts";
import type { ToolCall } from "../../src/engine/evaluate.ts";
import { compilePolicy } from "../../src/policy/compile.ts";
import { decideNow, NO_LIVE_DENIES } from "../../src/state/decide_now.ts";
import { MemoryBackend } from "../../src/state/memory_backend.ts";
import { SlidingWindow } from "../../src/state/sliding_window.ts";
import type { CompiledPolicy, QuotaSpec } from "../../src/policy/compiled.ts";
import type { Policy } from "../../src/policy/schema.ts";
import { processCpuMs } from "./proc_stats.ts";
import { median } from "./stats.ts";

const SESSION = "bench-session";
const START_MS = 1_767_225_600_000;
export const ENGINE_STEP_MS = 50;

const orders = { topicNames: ["orders-eu"], maxMessages: 100, fromBeginning: false };

/** One cycle of the mix: reads, checked writes, and calls each kind of rule denies. */
export const ENGINE_MIX: readonly ToolCall[] = [
  { tool: "list-topics", args: {} },
  { tool: "consume-messages", args: orders },
  {
    tool: "produce-message",
    args: { topicName: "orders-eu", valueFormat: "json", value: { message: '{"id":1}' } },
  },
  { tool: "get-topic-config", args: { topicName: "audit-log" } },
  { tool: "list-topics", args: { clusterId: "lkc-1" } },
  { tool: "consume-messages", args: { ...orders, maxMessages: 5000 } },
  {
    tool: "produce-message",
    args: { topicName: "payments-raw", valueFormat: "json", value: { message: "{}" } },
  },
  { tool: "search-topics-by-name", args: { topicName: "orders" } },
  {
    tool: "create-topics",
    args: { topicNames: ["orders-apac"], partitionsCount: 6, replicationFactor: 3 },
  },
  { tool: "delete-connector", args: { connectorName: "s3-sink" } },
  {
    tool: "alter-topic-config",
    args: { topicName: "orders-eu", topicConfigs: [{ name: "retention.ms", value: "86400000" }] },
  },
  { tool: "list-tableflow-topics", args: {} },
  { tool: "drop-cluster", args: { clusterId: "lkc-1" } },
  { tool: "delete-topics", args: { topicNames: ["orders-eu"] } },
  {
    tool: "create-flink-statement",
    args: { statement: "SELECT * FROM orders LIMIT 10", computePoolId: "lfcp-abc123" },
  },
  { tool: "consume-messages", args: { ...orders, topicNames: ["audit-2026", "orders-us"] } },
].map((call) => ({ ...call, session: SESSION }));

function newState() {
  return { backend: new MemoryBackend(), liveDenies: NO_LIVE_DENIES };
}

/** How many timed batches of how many operations a run makes. */
export interface Batches {
  batches: number;
  batchSize: number;
}

/** Decides the mix from a fresh state; returns the median ns per decision over the batches. */
export function engineRun(policy: CompiledPolicy, { batches, batchSize }: Batches): number {
  const state = newState();
  const mix = ENGINE_MIX;
  let now = START_MS;
  let index = 0;
  let allowed = 0;
  const perBatch: number[] = [];
  for (let b = 0; b < batches; b++) {
    const started = processCpuMs();
    for (let i = 0; i < batchSize; i++) {
      if (decideNow(policy, mix[index], state, now).allowed) allowed++;
      index = index === mix.length - 1 ? 0 : index + 1;
      now += ENGINE_STEP_MS;
    }
    perBatch.push((processCpuMs() - started) * 1e6 / batchSize);
  }
  if (allowed === 0) throw new Error("The engine mix allowed nothing: the benchmark is broken");
  return median(perBatch);
}

/** Share of each outcome over `count` decisions of the mix, from a fresh state. */
export function engineOutcomes(policy: CompiledPolicy, count: number): Map<string, number> {
  const state = newState();
  const tally = new Map<string, number>();
  let now = START_MS;
  for (let i = 0; i < count; i++) {
    const kind = outcome(decideNow(policy, ENGINE_MIX[i % ENGINE_MIX.length], state, now));
    tally.set(kind, (tally.get(kind) ?? 0) + 1);
    now += ENGINE_STEP_MS;
  }
  return new Map([...tally].map(([kind, n]) => [kind, n / count]));
}

function outcome(decision: Decision): string {
  if (decision.allowed) return "allowed";
  if (decision.retryAfterMs !== null) return "denied by a quota";
  if (decision.rule === BUILTIN_RULES.hide) return "denied as hidden";
  if (decision.rule === BUILTIN_RULES.default) return "denied by default";
  return "denied by a rule";
}

/** A per-session quota of the policy: the key the limiter figure takes from. */
export function limiterQuota(policy: CompiledPolicy): QuotaSpec {
  const quota = policy.exact.get("produce-message")?.rules.find((rule) => rule.quota)?.quota;
  if (!quota) throw new Error("The benchmark policy has no quota on produce-message");
  return quota;
}

/**
 * Median ns of one take (window lookup, retry check, add) on a warm key; the clock moves so
 * that the window stays at 80% of its quota and every take is admitted.
 */
export function limiterRun(quota: QuotaSpec, { batches, batchSize }: Batches): number {
  const window = new SlidingWindow();
  const step = quota.windowMs / quota.max * 1.25;
  let now = START_MS;
  const take = () => {
    if (window.retryInMs(now, quota.windowMs, quota.max) === 0) window.add(now);
    now += step;
  };
  for (let i = 0; i < quota.max * 2; i++) take(); // fill the window to its steady state
  const perBatch: number[] = [];
  for (let b = 0; b < batches; b++) {
    const started = processCpuMs();
    for (let i = 0; i < batchSize; i++) take();
    perBatch.push((processCpuMs() - started) * 1e6 / batchSize);
  }
  const admitted = window.count(now, quota.windowMs);
  if (admitted === 0) throw new Error("The limiter admitted nothing: the benchmark is broken");
  return median(perBatch);
}

/** Tools and globs of the large policy. */
export const LARGE_TOOLS = 1_000;
export const LARGE_GLOBS = 200;

/**
 * A policy the size of a large fleet's: 1,000 named tools (reads free, writes with a condition)
 * and 200 globs with their wildcard at the end, the start or the middle, after a `"*"` quota.
 */
export function largePolicy(): CompiledPolicy {
  const tools: Policy["tools"] = {};
  for (let i = 0; i < LARGE_TOOLS; i++) {
    tools[`tool-${i}`] = i % 2 === 0 ? { rules: [] } : {
      rules: [{
        name: `tool-${i} topics`,
        conditions: [{ path: "args.topicName", op: "regex", value: "^(orders|audit)-" }],
      }],
    };
  }
  for (let i = 0; i < LARGE_GLOBS; i++) {
    const [pattern] = largeGlob(i);
    tools[pattern] = { rules: [{ action: "deny", reason: `${pattern} is for humans` }] };
  }
  tools["*"] = { rules: [{ rate_limit: { max: 1_000_000, window: 60 } }] };
  return compilePolicy({ version: "1", default: "deny", tools }, { source: "(large)" });
}

/** The large policy's glob `i` and a tool name it matches. */
function largeGlob(i: number): [pattern: string, name: string] {
  if (i % 3 === 0) return [`svc${i}-*`, `svc${i}-read`];
  if (i % 3 === 1) return [`*-admin${i}`, `orders-admin${i}`];
  return [`db${i}-*-drop`, `db${i}-orders-drop`];
}

/** Names that reach each kind of entry of the large policy; the glob ones at both ends. */
export const LARGE_NAMES: Readonly<Record<string, string>> = {
  "exact name": "tool-501",
  "first glob": largeGlob(0)[1],
  "last glob": largeGlob(LARGE_GLOBS - 1)[1],
  "no entry": "an-unknown-tool",
  "no entry, 128 chars": `svc1${"-admin".repeat(20)}`.padEnd(128, "1"),
};

/** Median ns per decision of each name of `LARGE_NAMES`, each from a fresh state. */
export function largePolicyRun(
  policy: CompiledPolicy,
  { batches, batchSize }: Batches,
): Map<string, number> {
  const out = new Map<string, number>();
  const args = { topicName: "orders-eu" };
  for (const [label, tool] of Object.entries(LARGE_NAMES)) {
    const state = newState();
    const call: ToolCall = { tool, args, session: SESSION };
    let now = START_MS;
    const perBatch: number[] = [];
    for (let b = 0; b < batches; b++) {
      const started = processCpuMs();
      for (let i = 0; i < batchSize; i++) decideNow(policy, call, state, now += ENGINE_STEP_MS);
      perBatch.push((processCpuMs() - started) * 1e6 / batchSize);
    }
    out.set(label, median(perBatch));
  }
  return out;
}
