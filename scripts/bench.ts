/**
 * `deno task bench [--quick] [--json FILE]`: the engine's cost per decision and the proxy's
 * cost against a direct connection (same client, same minimal upstream, same run), each a
 * median over several runs with min and max. Figures never fail it; only a crash does.
 */
import { RUNTIME_V8_FLAGS } from "./runtime_flags.ts";
import { loadPolicyText } from "../src/policy/loader.ts";
import type { CompiledPolicy } from "../src/policy/compiled.ts";
import {
  ENGINE_MIX,
  ENGINE_STEP_MS,
  engineOutcomes,
  engineRun,
  limiterQuota,
  limiterRun,
} from "./bench/engine_bench.ts";
import {
  backtrackingRegexMs,
  craftedGlobRun,
  craftedRegexRun,
  withBacktrackingMatchers,
} from "./bench/matching_bench.ts";
import { loadAverage } from "./bench/proc_stats.ts";
import {
  aliasHeavyPolicy,
  fourMegabytePolicy,
  globsPolicy,
  idleStallMs,
  reloadRun,
} from "./bench/reload_bench.ts";
import { median } from "./bench/stats.ts";
import {
  FailureCount,
  latencyRun,
  memoryRun,
  type PathName,
  POLICY_PATH,
  ROUND_TRIP_CALLS,
  startPeer,
  startupRun,
  throughputRun,
} from "./bench/proxy_bench.ts";
import {
  type Diagnostic,
  DIAGNOSTICS,
  type Field,
  FIELDS,
  formatTable,
  type Meta,
  Samples,
  toJson,
} from "./bench/report.ts";

// `--http`: the HTTP benchmark (scripts/bench/http_bench.ts), its own options and report.
if (import.meta.main && Deno.args.includes("--http")) {
  const { runHttpBench } = await import("./bench/http_bench.ts");
  Deno.exit(await runHttpBench(Deno.args.filter((arg) => arg !== "--http")));
}

const FULL = {
  runs: 5,
  engine: { warmup: 100_000, batches: 20, batchSize: 10_000 },
  limiter: { batches: 20, batchSize: 100_000 },
  latency: { warmup: 1_000, calls: 5_000 },
  throughput: { warmup: 5_000, calls: 30_000, inFlight: 64 },
  startupSpawns: 3,
  memory: { first: 10_000, total: 100_000, inFlight: 64 },
};

const QUICK: typeof FULL = {
  runs: 3,
  engine: { warmup: 50_000, batches: 10, batchSize: 10_000 },
  limiter: { batches: 10, batchSize: 100_000 },
  latency: { warmup: 300, calls: 1_500 },
  throughput: { warmup: 2_000, calls: 10_000, inFlight: 64 },
  startupSpawns: 2,
  memory: { first: 10_000, total: 100_000, inFlight: 64 },
};

type Plan = typeof FULL;

const USAGE = "Usage: deno run -A scripts/bench.ts [--quick] [--json FILE]";

function parseOptions(args: readonly string[]): { quick: boolean; json: string | null } {
  let quick = false;
  let json: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--quick") quick = true;
    else if (arg === "--json" && i + 1 < args.length) json = args[++i];
    else if (arg.startsWith("--json=")) json = arg.slice("--json=".length);
    else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      Deno.exit(0);
    } else {
      console.error(`bench: Unknown argument "${arg}"\n${USAGE}`);
      Deno.exit(2);
    }
  }
  return { quick, json };
}

function progress(text: string): void {
  console.error(`bench: ${text}`);
}

interface Collected {
  figures: Samples<Field>;
  diagnostics: Samples<Diagnostic>;
  failures: FailureCount;
}

function measureEngine(policy: CompiledPolicy, plan: Plan, { figures }: Collected): void {
  progress("engine");
  engineRun(policy, { batches: 1, batchSize: plan.engine.warmup });
  const quota = limiterQuota(policy);
  limiterRun(quota, { batches: 1, batchSize: plan.limiter.batchSize });
  for (let run = 0; run < plan.runs; run++) {
    figures.record("engine_ns_per_decision", engineRun(policy, plan.engine));
    figures.record("limiter_ns_per_take", limiterRun(quota, plan.limiter));
  }
}

/** Crafted inputs, and the engine with its linear matchers against the old backtracking ones. */
function measureMatching(policy: CompiledPolicy, text: string, plan: Plan): string[] {
  progress("matching");
  const regex = craftedRegexRun(200);
  const glob = craftedGlobRun(200);
  const backtracking = backtrackingRegexMs([20, 22, 24]);
  const before = withBacktrackingMatchers(policy, text);
  engineRun(before, { batches: 1, batchSize: plan.engine.warmup });
  const linear: number[] = [];
  const old: number[] = [];
  for (let run = 0; run < plan.runs; run++) {
    // Alternate the order, so that drift within the run favours neither.
    if (run % 2 === 0) linear.push(engineRun(policy, plan.engine));
    old.push(engineRun(before, plan.engine));
    if (run % 2 === 1) linear.push(engineRun(policy, plan.engine));
  }
  return [
    `crafted regex ${JSON.stringify("^([a-z0-9]+-?)*$")} on a 10,000-character argument: ` +
    `${regex.ms.toFixed(3)} ms per decision (max ${regex.maxMs.toFixed(3)}; target < 1 ms)`,
    `  JavaScript's backtracking RegExp on the same pattern: ` +
    backtracking.map(([n, ms]) => `${n} chars ${ms.toFixed(1)} ms`).join(", ") +
    " (doubling with each character)",
    `crafted glob "*-*-*-*-prod" on a 256-character tool name: ${glob.ms.toFixed(4)} ms per ` +
    `decision (max ${glob.maxMs.toFixed(4)})`,
    `engine ns per decision, kafka_like_policy.yaml, same run: linear matchers ` +
    `${median(linear).toFixed(0)}, backtracking matchers (before) ${median(old).toFixed(0)}`,
  ];
}

/** The main thread's longest stall while large policies reload. */
async function measureReload(): Promise<string[]> {
  const lines: string[] = [];
  const policies: [string, () => string][] = [
    ["90,000 globs", () => globsPolicy()],
    ["4 MiB", () => fourMegabytePolicy()],
    ["alias-heavy (90,000 rules from 1,000)", () => aliasHeavyPolicy()],
  ];
  for (const [name, make] of policies) {
    progress(`reload: ${name}`);
    const figures = await reloadRun(name, make());
    const noise = await idleStallMs(Math.min(10_000, figures.totalMs));
    lines.push(
      `reload ${name} (${(figures.bytes / 1_048_576).toFixed(2)} MiB, ${figures.entries} ` +
        `entries): longest main-thread stall ${figures.maxStallMs.toFixed(0)} ms ` +
        `(idle probe ${noise.toFixed(0)} ms; target <= 50), total ${
          figures.totalMs.toFixed(0)
        } ms; ` +
        `the one-shot path blocks ${figures.oneShotMs.toFixed(0)} ms`,
    );
  }
  return lines;
}

async function measureRoundTrips(plan: Plan, collected: Collected): Promise<void> {
  const { figures, diagnostics, failures } = collected;
  for (let run = 0; run < plan.runs; run++) {
    progress(`round trips and throughput, run ${run + 1} of ${plan.runs}`);
    // Alternate which path goes first, so that drift within a run favours neither.
    const order: PathName[] = run % 2 === 0 ? ["direct", "proxied"] : ["proxied", "direct"];
    const latency = new Map<PathName, { p50: number; p99: number }>();
    const rate = new Map<PathName, { callsPerS: number; cpuUsPerCall: number }>();
    for (const path of order) {
      const peer = await startPeer(path);
      try {
        latency.set(path, await latencyRun(peer, { ...plan.latency, failures }));
        rate.set(path, await throughputRun(peer, { ...plan.throughput, failures }));
      } finally {
        await peer.close();
      }
    }
    const direct = latency.get("direct")!;
    const proxied = latency.get("proxied")!;
    figures.record("direct_p50_us", direct.p50);
    figures.record("direct_p99_us", direct.p99);
    figures.record("proxied_p50_us", proxied.p50);
    figures.record("proxied_p99_us", proxied.p99);
    figures.record("overhead_p50_us", proxied.p50 - direct.p50);
    figures.record("overhead_p99_us", proxied.p99 - direct.p99);
    const directRate = rate.get("direct")!;
    const proxiedRate = rate.get("proxied")!;
    figures.record("direct_calls_per_s", directRate.callsPerS);
    figures.record("proxied_calls_per_s", proxiedRate.callsPerS);
    figures.record("throughput_ratio", proxiedRate.callsPerS / directRate.callsPerS);
    diagnostics.record("server_cpu_us_per_call", directRate.cpuUsPerCall);
    diagnostics.record("proxy_cpu_us_per_call", proxiedRate.cpuUsPerCall);
  }
}

async function measureStartup(plan: Plan, { figures, diagnostics }: Collected): Promise<void> {
  progress("startup");
  await startupRun("direct", 1); // warms the page cache and Deno's module cache
  await startupRun("proxied", 1);
  for (let run = 0; run < plan.runs; run++) {
    const direct = await startupRun("direct", plan.startupSpawns);
    const proxied = await startupRun("proxied", plan.startupSpawns);
    figures.record("startup_direct_ms", direct);
    figures.record("startup_proxied_ms", proxied);
    diagnostics.record("startup_difference_ms", proxied - direct);
  }
}

async function measureMemory(plan: Plan, collected: Collected): Promise<void> {
  for (let run = 0; run < plan.runs; run++) {
    progress(`memory, run ${run + 1} of ${plan.runs}`);
    const memory = await memoryRun({ ...plan.memory, failures: collected.failures });
    collected.figures.record("proxy_rss_mb", memory.rssMb);
    collected.figures.record("proxy_rss_growth_pct", memory.growthPct);
    collected.diagnostics.record("proxy_rss_at_start_mb", memory.startMb);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const plan = options.quick ? QUICK : FULL;
  const cores = navigator.hardwareConcurrency;
  const loadBefore = loadAverage();
  console.log(`cores: ${cores}  cpu: ${cpuModel()}  load average: ${loadBefore}`);
  console.log(`deno: ${Deno.version.deno}  v8: ${Deno.version.v8}  os: ${Deno.build.os}`);
  console.log(`source: ${await sourceRevision()}`);
  console.log(`runs: ${plan.runs}${options.quick ? " (--quick)" : ""}`);

  const policyText = await Deno.readTextFile(POLICY_PATH);
  const policy = loadPolicyText(policyText, POLICY_PATH);
  const collected: Collected = {
    figures: new Samples(),
    diagnostics: new Samples(),
    failures: new FailureCount(),
  };
  measureEngine(policy, plan, collected);
  const matching = measureMatching(policy, policyText, plan);
  const reload = options.quick ? [] : await measureReload();
  await measureRoundTrips(plan, collected);
  await measureStartup(plan, collected);
  await measureMemory(plan, collected);

  console.log();
  console.log(describeWorkload(engineOutcomes(policy, ENGINE_MIX.length * 10_000)));
  console.log();
  console.log(formatTable(FIELDS, collected.figures));
  console.log();
  console.log("policy matching and reloads (not saved):");
  for (const line of [...matching, ...reload]) console.log(`  ${line}`);
  console.log();
  console.log("diagnostics (not saved):");
  console.log(formatTable(DIAGNOSTICS, collected.diagnostics));
  console.log(`\nload average before: ${loadBefore}  after: ${loadAverage()}`);
  if (collected.failures.count > 0) {
    console.log(`warning: ${collected.failures.count} calls were denied or failed; figures skewed`);
  }
  if (options.json) {
    const meta: Meta = {
      runs: plan.runs,
      cores,
      deno: Deno.version.deno,
      date: new Date().toISOString(),
      quick: options.quick,
    };
    const json = toJson(collected.figures, meta);
    await Deno.writeTextFile(options.json, JSON.stringify(json, null, 2) + "\n");
    console.log(`wrote ${options.json}`);
  }
}

function describeWorkload(outcomes: ReadonlyMap<string, number>): string {
  const tools = new Map<string, number>();
  for (const call of ENGINE_MIX) tools.set(call.tool, (tools.get(call.tool) ?? 0) + 1);
  const shares = [...outcomes].map(([kind, share]) => `${kind} ${(share * 100).toFixed(1)}%`);
  return [
    `engine: kafka_like_policy.yaml (70 tools), a ${ENGINE_MIX.length}-call cycle, one ` +
    `session, a fresh MemoryBackend per run, the clock +${ENGINE_STEP_MS} ms a call`,
    `  calls: ${[...tools].map(([tool, n]) => n > 1 ? `${tool} ×${n}` : tool).join(", ")}`,
    `  outcomes: ${shares.join(", ")}`,
    `limiter: one sliding-window take (lookup, retry check, add) on a warm per-session key`,
    `proxy: a raw newline-delimited JSON-RPC client (not the SDK Client), the same for both ` +
    `paths; upstream scripts/bench/minimal_server.ts; the proxy enforces kafka_like_policy.yaml`,
    `  the proxy runs from source with the compiled binary's V8 flags (${RUNTIME_V8_FLAGS})`,
    `  calls: ${ROUND_TRIP_CALLS.map((call) => call.name).join(", ")} in turn, all allowed`,
    `  latency: sequential; throughput: 64 in flight, pipelined; RSS: the proxy's VmHWM ` +
    `after 10,000 and 100,000 pipelined calls`,
  ].join("\n");
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The commit measured, and whether the working tree differs from it. */
async function sourceRevision(): Promise<string> {
  const git = async (...args: string[]) => {
    const root = new URL("../", import.meta.url);
    const out = await new Deno.Command("git", { args, cwd: root, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  };
  try {
    const head = await git("rev-parse", "--short", "HEAD");
    if (!head) return "unknown (not a git checkout)";
    const dirty = await git("status", "--porcelain", "--", "src");
    return `git ${head}${dirty ? " + uncommitted changes in src/" : ""}`;
  } catch {
    return "unknown (no git)";
  }
}

if (import.meta.main) await main();
