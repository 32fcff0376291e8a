/**
 * `deno task bench [--quick] [--runs N] [--only PARTS] [--json FILE]`: the engine's cost per
 * decision, and the proxy's cost against yardsticks measured in the same run on the same
 * client and server (direct, a byte relay, a parse relay), each figure a median over several
 * runs with min and max. Figures never fail it; only a crash does.
 */
import { RUNTIME_V8_FLAGS } from "./runtime_flags.ts";
import { loadPolicyText } from "../src/policy/loader.ts";
import type { CompiledPolicy } from "../src/policy/compiled.ts";
import {
  ENGINE_MIX,
  ENGINE_STEP_MS,
  engineOutcomes,
  engineRun,
  LARGE_GLOBS,
  LARGE_NAMES,
  LARGE_TOOLS,
  largePolicy,
  largePolicyRun,
  limiterQuota,
  limiterRun,
} from "./bench/engine_bench.ts";
import {
  backtrackingRegexMs,
  craftedGlobRun,
  craftedRegexRun,
  withBacktrackingMatchers,
} from "./bench/matching_bench.ts";
import {
  cpuModel,
  cpuSnapshot,
  cpuUsBetween,
  loadAverage,
  sourceRevision,
} from "./bench/proc_stats.ts";
import {
  aliasHeavyPolicy,
  fourMegabytePolicy,
  globsPolicy,
  idleStallMs,
  reloadRun,
} from "./bench/reload_bench.ts";
import { median } from "./bench/stats.ts";
import { SPLIT_PARENT, type StateFigures, stateFigures, stateLines } from "./bench/state_bench.ts";
import {
  FailureCount,
  latencyRun,
  memoryRun,
  type PathName,
  pipelined,
  POLICY_PATH,
  ROUND_TRIP_CALLS,
  Scratch,
  startPeer,
  type Startup,
  startupRun,
  type Throughput,
  throughputRun,
} from "./bench/proxy_bench.ts";
import {
  type Field,
  formatNumber,
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
  large: { batches: 10, batchSize: 10_000 },
  limiter: { batches: 20, batchSize: 100_000 },
  latency: { warmup: 1_000, calls: 5_000 },
  throughput: { warmup: 5_000, calls: 30_000, inFlight: 64 },
  startupSpawns: 3,
  memory: { first: 10_000, total: 100_000, inFlight: 64 },
  // Each proxy makes (pairs + 1) × calls calls: within the policy's global budget of 500,000 an
  // hour, past which every call would be a denial and the figure the cost of those.
  audit: { pairs: 40, calls: 10_000 },
};

const QUICK: typeof FULL = {
  runs: 3,
  engine: { warmup: 50_000, batches: 10, batchSize: 10_000 },
  large: { batches: 5, batchSize: 10_000 },
  limiter: { batches: 10, batchSize: 100_000 },
  latency: { warmup: 300, calls: 1_500 },
  throughput: { warmup: 2_000, calls: 10_000, inFlight: 64 },
  startupSpawns: 2,
  memory: { first: 10_000, total: 100_000, inFlight: 64 },
  audit: { pairs: 20, calls: 10_000 },
};

type Plan = typeof FULL;

const PARTS = ["state", "engine", "trips", "audit", "startup", "memory"] as const;
type Part = typeof PARTS[number];

/** The paths each round-trip run measures, in the order of its first run. */
const TRIP_PATHS: readonly PathName[] = [
  "direct",
  "byte_relay",
  "parse_relay",
  "proxied",
  "proxied_dashboard",
];

const USAGE =
  "Usage: deno run -A scripts/bench.ts [--quick] [--runs N] [--only state,engine,trips,audit,startup,memory] " +
  "[--json FILE]";

interface Options {
  quick: boolean;
  runs: number | null;
  only: ReadonlySet<Part>;
  json: string | null;
}

function parseOptions(args: readonly string[]): Options {
  const options: Options = { quick: false, runs: null, only: new Set(PARTS), json: null };
  const fail = (message: string): never => {
    console.error(`bench: ${message}\n${USAGE}`);
    Deno.exit(2);
  };
  for (let i = 0; i < args.length; i++) {
    const [arg, inline] = args[i].startsWith("--") && args[i].includes("=")
      ? [args[i].slice(0, args[i].indexOf("=")), args[i].slice(args[i].indexOf("=") + 1)]
      : [args[i], undefined];
    const value = () => inline ?? (i + 1 < args.length ? args[++i] : fail(`${arg} needs a value`));
    if (arg === "--quick") options.quick = true;
    else if (arg === "--json") options.json = value();
    else if (arg === "--runs") {
      const runs = Number(value());
      if (!Number.isInteger(runs) || runs < 1 || runs > 100) fail("--runs must be 1 to 100");
      options.runs = runs;
    } else if (arg === "--only") {
      const parts = value().split(",");
      const unknown = parts.find((part) => !(PARTS as readonly string[]).includes(part));
      if (unknown !== undefined) fail(`Unknown part "${unknown}" (${PARTS.join(", ")})`);
      options.only = new Set(parts as Part[]);
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      Deno.exit(0);
    } else fail(`Unknown argument "${arg}"`);
  }
  return options;
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

function progress(text: string): void {
  console.error(`bench: ${text}`);
}

interface Collected {
  figures: Samples<Field>;
  failures: FailureCount;
  scratch: Scratch;
}

function measureEngine(policy: CompiledPolicy, plan: Plan, { figures }: Collected): void {
  progress("engine");
  engineRun(policy, { batches: 1, batchSize: plan.engine.warmup });
  const quota = limiterQuota(policy);
  limiterRun(quota, { batches: 1, batchSize: plan.limiter.batchSize });
  const large = largePolicy();
  largePolicyRun(large, { batches: 1, batchSize: plan.large.batchSize });
  for (let run = 0; run < plan.runs; run++) {
    figures.record("engine_ns_per_decision", engineRun(policy, plan.engine));
    figures.record("limiter_ns_per_take", limiterRun(quota, plan.limiter));
    // "Any name": the slowest kind of name sets the figure.
    figures.record(
      "engine_large_ns_per_decision",
      Math.max(...largePolicyRun(large, plan.large).values()),
    );
  }
}

interface PathFigures {
  p50: number;
  p99: number;
  rate: Throughput;
}

async function measurePath(path: PathName, plan: Plan, collected: Collected) {
  const { failures, scratch } = collected;
  const peer = await startPeer(path, scratch);
  try {
    const latency = await latencyRun(peer, { ...plan.latency, failures });
    const rate = await throughputRun(peer, { ...plan.throughput, failures });
    if (path === "proxied_dashboard" && peer.events() === 0) {
      throw new Error("The subscribed dashboard received no decision: the variant is broken");
    }
    return { ...latency, rate };
  } finally {
    await peer.close();
  }
}

async function measureRoundTrips(plan: Plan, collected: Collected): Promise<void> {
  const { figures } = collected;
  for (let run = 0; run < plan.runs; run++) {
    progress(`round trips and throughput, run ${run + 1} of ${plan.runs}`);
    // Rotate which path goes first, so that drift within a run favours none.
    const shift = run % TRIP_PATHS.length;
    const order = [...TRIP_PATHS.slice(shift), ...TRIP_PATHS.slice(0, shift)];
    const got = new Map<PathName, PathFigures>();
    for (const path of order) got.set(path, await measurePath(path, plan, collected));
    const at = (path: PathName) => got.get(path)!;
    const direct = at("direct");
    const relay = at("byte_relay");
    const parse = at("parse_relay");
    const proxied = at("proxied");
    figures.record("direct_p50_us", direct.p50);
    figures.record("byte_relay_p50_us", relay.p50);
    figures.record("parse_relay_p50_us", parse.p50);
    figures.record("proxied_p50_us", proxied.p50);
    figures.record("direct_p99_us", direct.p99);
    figures.record("byte_relay_p99_us", relay.p99);
    figures.record("proxied_p99_us", proxied.p99);
    figures.record("relay_overhead_p50_us", relay.p50 - direct.p50);
    figures.record("parse_relay_overhead_p50_us", parse.p50 - direct.p50);
    figures.record("overhead_p50_us", proxied.p50 - direct.p50);
    figures.record("overhead_p50_ratio", (proxied.p50 - direct.p50) / (relay.p50 - direct.p50));
    figures.record("overhead_p99_us", proxied.p99 - direct.p99);

    figures.record("server_cpu_us_per_call", direct.rate.cpuUsPerCall);
    figures.record("relay_cpu_us_per_call", relay.rate.cpuUsPerCall);
    figures.record("parse_relay_cpu_us_per_call", parse.rate.cpuUsPerCall);
    figures.record("proxy_cpu_us_per_call", proxied.rate.cpuUsPerCall);
    figures.record("proxy_cpu_ratio", proxied.rate.cpuUsPerCall / parse.rate.cpuUsPerCall);
    const dashboard = at("proxied_dashboard").rate.cpuUsPerCall;
    figures.record("dashboard_cpu_us_per_call", dashboard);
    figures.record("dashboard_added_us_per_call", dashboard - proxied.rate.cpuUsPerCall);

    figures.record("direct_calls_per_s", direct.rate.callsPerS);
    figures.record("relay_calls_per_s", relay.rate.callsPerS);
    figures.record("proxied_calls_per_s", proxied.rate.callsPerS);
    figures.record("throughput_ratio", proxied.rate.callsPerS / direct.rate.callsPerS);
    figures.record("relay_throughput_ratio", proxied.rate.callsPerS / relay.rate.callsPerS);
    figures.record("relay_rss_mb", relay.rate.rssMb);
  }
}

/**
 * The audit log's added CPU per call: one proxy with `--audit FILE` and one without, both kept
 * running and driven at the same time (64 calls in flight each), `audit.pairs` times. Each pair
 * gives one difference of the two proxies' own CPU per call, taken over the same moments, so
 * that the machine's other load weighs on both sides of it alike.
 */
async function measureAudit(plan: Plan, collected: Collected): Promise<void> {
  const { figures, failures, scratch } = collected;
  const plain = await startPeer("proxied", scratch);
  try {
    const audited = await startPeer("proxied_audit", scratch);
    try {
      const run = { ...plan.throughput, calls: plan.audit.calls, failures };
      const both = () => Promise.all([pipelined(plain.rpc, run), pipelined(audited.rpc, run)]);
      await both(); // warm-up
      for (let pair = 0; pair < plan.audit.pairs; pair++) {
        progress(`audit, pair ${pair + 1} of ${plan.audit.pairs}`);
        const off = cpuSnapshot(plain.rpc.pid);
        const on = cpuSnapshot(audited.rpc.pid);
        await both();
        const offUs = cpuUsBetween(off, cpuSnapshot(plain.rpc.pid)) / run.calls;
        const onUs = cpuUsBetween(on, cpuSnapshot(audited.rpc.pid)) / run.calls;
        figures.record("audit_cpu_us_per_call", onUs);
        figures.record("audit_added_us_per_call", onUs - offUs);
      }
    } finally {
      await audited.close();
    }
  } finally {
    await plain.close();
  }
}

async function measureStartup(plan: Plan, collected: Collected): Promise<void> {
  const { figures, scratch } = collected;
  progress("startup");
  // Warms the page cache, Deno's module cache and the proxy's policy cache.
  for (const path of ["direct", "byte_relay", "proxied"] as const) {
    await startupRun(path, 1, scratch);
  }
  for (let run = 0; run < plan.runs; run++) {
    const got = new Map<PathName, Startup>();
    for (const path of ["direct", "byte_relay", "proxied"] as const) {
      got.set(path, await startupRun(path, plan.startupSpawns, scratch));
    }
    const direct = got.get("direct")!;
    const relay = got.get("byte_relay")!;
    const proxied = got.get("proxied")!;
    figures.record("startup_direct_ms", direct.initializeMs);
    figures.record("startup_relay_ms", relay.initializeMs);
    figures.record("startup_proxied_ms", proxied.initializeMs);
    figures.record("first_call_direct_ms", direct.firstCallMs);
    figures.record("first_call_relay_ms", relay.firstCallMs);
    figures.record("first_call_proxied_ms", proxied.firstCallMs);
    figures.record(
      "startup_ratio",
      (proxied.initializeMs - direct.initializeMs) / (relay.initializeMs - direct.initializeMs),
    );
    figures.record(
      "first_call_ratio",
      (proxied.firstCallMs - direct.firstCallMs) / (relay.firstCallMs - direct.firstCallMs),
    );
    // A policy the proxy has not seen before (a fresh cache folder each time).
    const cold = await startupRun("proxied", 1, scratch, {
      INTERCEPT_POLICY_CACHE: scratch.path("cold-cache"),
    });
    figures.record("first_call_cold_cache_ms", cold.firstCallMs);
  }
}

async function measureMemory(plan: Plan, collected: Collected): Promise<void> {
  for (let run = 0; run < plan.runs; run++) {
    progress(`memory, run ${run + 1} of ${plan.runs}`);
    const memory = await memoryRun(collected.scratch, {
      ...plan.memory,
      failures: collected.failures,
    });
    collected.figures.record("proxy_rss_mb", memory.rssMb);
    collected.figures.record("proxy_rss_growth_pct", memory.growthPct);
    collected.figures.record("proxy_rss_at_start_mb", memory.startMb);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const plan = { ...(options.quick ? QUICK : FULL) };
  if (options.runs !== null) plan.runs = options.runs;
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
    failures: new FailureCount(),
    scratch: await Scratch.create(),
  };
  let largeRun: Map<string, number> | null = null;
  let policyLines: string[] = [];
  let state: StateFigures | null = null;
  try {
    // The state stores first: their engine comparison wants code that has run nothing else.
    if (options.only.has("state")) {
      progress("state stores");
      state = await stateFigures({
        quick: options.quick,
        redis: Deno.env.get("INTERCEPT_TEST_REDIS") || null,
        before: options.quick ? null : SPLIT_PARENT,
      });
    }
    if (options.only.has("engine")) {
      measureEngine(policy, plan, collected);
      largeRun = largePolicyRun(largePolicy(), plan.large);
      policyLines = measureMatching(policy, policyText, plan);
      if (!options.quick) policyLines.push(...await measureReload());
    }
    if (options.only.has("trips")) await measureRoundTrips(plan, collected);
    if (options.only.has("audit")) await measureAudit(plan, collected);
    if (options.only.has("startup")) await measureStartup(plan, collected);
    if (options.only.has("memory")) await measureMemory(plan, collected);
  } finally {
    await collected.scratch.remove();
  }

  console.log();
  console.log(describeWorkload(engineOutcomes(policy, ENGINE_MIX.length * 10_000), largeRun));
  console.log();
  console.log(formatTable(collected.figures));
  if (state) {
    console.log();
    console.log("state stores:");
    for (const line of stateLines(state)) console.log(`  ${line}`);
  }
  if (policyLines.length > 0) {
    console.log();
    console.log("policy matching and reloads (not saved):");
    for (const line of policyLines) console.log(`  ${line}`);
  }
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
      v8Flags: RUNTIME_V8_FLAGS,
    };
    const json = { ...toJson(collected.figures, meta), ...(state ? { state } : {}) };
    await Deno.writeTextFile(options.json, JSON.stringify(json, null, 2) + "\n");
    console.log(`wrote ${options.json}`);
  }
}

function describeWorkload(
  outcomes: ReadonlyMap<string, number>,
  large: ReadonlyMap<string, number> | null,
): string {
  const tools = new Map<string, number>();
  for (const call of ENGINE_MIX) tools.set(call.tool, (tools.get(call.tool) ?? 0) + 1);
  const shares = [...outcomes].map(([kind, share]) => `${kind} ${(share * 100).toFixed(1)}%`);
  const names = large
    ? [...large].map(([kind, ns]) => `${kind} ${formatNumber(ns)} ns`).join(", ")
    : Object.keys(LARGE_NAMES).join(", ");
  return [
    `engine: kafka_like_policy.yaml (70 tools), a ${ENGINE_MIX.length}-call cycle, one ` +
    `session, a fresh MemoryBackend per run, the clock +${ENGINE_STEP_MS} ms a call`,
    `  calls: ${[...tools].map(([tool, n]) => n > 1 ? `${tool} ×${n}` : tool).join(", ")}`,
    `  outcomes: ${shares.join(", ")}`,
    `engine_large: ${LARGE_TOOLS.toLocaleString("en-US")} named tools and ${LARGE_GLOBS} globs; ` +
    `the figure is the slowest of: ${names}`,
    `limiter: one sliding-window take (lookup, retry check, add) on a warm per-session key`,
    `paths: a raw newline-delimited JSON-RPC client (not the SDK Client), the same for every ` +
    `path, to scripts/bench/minimal_server.ts: direct; behind byte_relay.ts (copies bytes); ` +
    `behind parse_relay.ts (parses and re-serialises every line both ways); behind intercept ` +
    `enforcing kafka_like_policy.yaml (alone, with --audit FILE, with a subscribed dashboard)`,
    `  the proxy runs from source with the compiled binary's V8 flags (${RUNTIME_V8_FLAGS}); ` +
    `the relays with Deno's defaults`,
    `  calls: ${ROUND_TRIP_CALLS.map((call) => call.name).join(", ")} in turn, all allowed`,
    `  latency: sequential; throughput and CPU (the relay's or proxy's own, not the server's): ` +
    `64 in flight, pipelined; startup: spawn to initialize answered, and to the first ` +
    `tools/call answered; RSS: the proxy's VmHWM after 10,000 and 100,000 pipelined calls`,
    `  ratios are taken within each run, against the yardstick of that run`,
  ].join("\n");
}

if (import.meta.main) await main();
