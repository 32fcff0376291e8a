/**
 * `deno task bench --http [--quick] [--json FILE] [--bridges all|cached|none]`: calls per
 * second, added p50/p99 and the proxy's CPU per call through `intercept --listen`, side by side
 * in one run with the stdio→HTTP bridges users pick today, all in front of the same minimal
 * stdio server, against that server reached directly over stdio. Medians of several runs with
 * min and max; ratios taken within each run. Figures never fail it; only a crash does.
 */
import { type Era, type PathKind, type PathSpec, POLICY, POOL_SIZE } from "./http_paths.ts";
import { measurePath, MIN_CPU_MS, type PathRun, type Plan } from "./http_measure.ts";
import {
  Figures,
  formatColumns,
  formatSpread,
  isBridge,
  pathTable,
  type RatioMetric,
  toJson,
} from "./http_report.ts";
import {
  type Bridge,
  type BridgeChoice,
  BRIDGES,
  nodeVersion,
  resolveBridge,
} from "./npm_bridges.ts";
import { cpuModel, loadAverage, sourceRevision } from "./proc_stats.ts";
import { BENCH_CALLS } from "./http_client.ts";

export const FULL: Plan = {
  runs: 5,
  sessions: 64,
  warmupMs: 1_000,
  latencyMs: 2_000,
  throughputMs: 3_000,
};

export const QUICK: Plan = {
  runs: 1,
  sessions: 4,
  warmupMs: 200,
  latencyMs: 300,
  throughputMs: 500,
};

const USAGE =
  "Usage: deno run -A scripts/bench.ts --http [--quick] [--json FILE] [--bridges all|cached|none]";

export interface Options {
  quick: boolean;
  json: string | null;
  bridges: BridgeChoice;
}

/** The options, or a usage error naming the argument. */
export function parseOptions(args: readonly string[]): Options | { error: string } | "help" {
  const options: Options = { quick: false, json: null, bridges: "all" };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (name: string) => {
      if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
      if (arg === name && i + 1 < args.length) return args[++i];
      return null;
    };
    if (arg === "--quick") options.quick = true;
    else if (arg === "--help" || arg === "-h") return "help";
    else if (arg === "--json" || arg.startsWith("--json=")) {
      const file = value("--json");
      if (!file) return { error: `--json needs a file name` };
      options.json = file;
    } else if (arg === "--bridges" || arg.startsWith("--bridges=")) {
      const choice = value("--bridges");
      if (choice !== "all" && choice !== "cached" && choice !== "none") {
        return { error: `--bridges takes all, cached or none, not "${choice ?? ""}"` };
      }
      options.bridges = choice;
    } else return { error: `Unknown argument "${arg}"` };
  }
  return options;
}

/** Every path, in the order the tables show them. */
export function pathSpecs(): PathSpec[] {
  const spec = (kind: PathKind, era: Era, label: string): PathSpec => ({
    id: era === "modern" ? `${kind}-modern` : kind,
    kind,
    era,
    label,
  });
  return [
    spec("direct", "stdio", "direct (stdio)"),
    spec("intercept", "legacy", "intercept"),
    spec("supergateway", "legacy", "supergateway"),
    spec("mcp-proxy", "legacy", "mcp-proxy"),
    spec("intercept", "modern", "intercept 2026-07-28"),
    spec("supergateway", "modern", "supergateway 2026-07-28"),
    spec("mcp-proxy", "modern", "mcp-proxy 2026-07-28"),
  ];
}

function progress(text: string): void {
  console.error(`bench --http: ${text}`);
}

/** Runs the benchmark with `args` (without `--http`); returns the exit code. */
export async function runHttpBench(args: readonly string[]): Promise<number> {
  const parsed = parseOptions(args);
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  if ("error" in parsed) {
    console.error(`bench --http: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  const options = parsed;
  const plan = options.quick ? QUICK : FULL;

  const bridges = new Map<string, Bridge>();
  const skipped: string[] = [];
  for (const spec of BRIDGES) {
    if (options.bridges === "none") {
      skipped.push(`${spec.name}@${spec.version}: --bridges none`);
      continue;
    }
    progress(`resolving ${spec.name}@${spec.version} through npm`);
    const found = await resolveBridge(spec, options.bridges);
    if ("skipped" in found) skipped.push(found.skipped);
    else bridges.set(spec.name, found);
  }
  const specs = pathSpecs().filter((spec) => !isBridge(spec) || bridges.has(spec.kind));

  const loadBefore = loadAverage();
  const header = await describeMachine(plan, options, loadBefore);
  for (const line of header) console.log(line);
  for (const line of skipped) console.log(`skipped: ${line}`);

  const figures = new Figures(plan.sessions);
  for (let run = 0; run < plan.runs; run++) {
    // Rotate the order, so that drift within a run favours no path.
    const order = specs.map((_, i) => specs[(i + run) % specs.length]);
    const results = new Map<string, PathRun>();
    for (const spec of order) {
      progress(`run ${run + 1} of ${plan.runs}: ${spec.label}`);
      results.set(spec.id, await measurePath(spec, plan, bridges.get(spec.kind) ?? null));
    }
    figures.record(specs, results);
  }
  const loadAfter = loadAverage();

  const n = plan.sessions;
  console.log();
  console.log(`1 session, sequential calls (latency):`);
  console.log(pathTable(figures, specs, [
    ["p50_us", "p50 µs"],
    ["p99_us", "p99 µs"],
    ["added_p50_us", "added p50 µs"],
    ["added_p99_us", "added p99 µs"],
    ["calls_per_s_1", "calls/s"],
    ["proxy_cpu_us_per_call_1", "proxy CPU µs/call"],
  ], plan.runs));
  console.log();
  console.log(`${n} sessions (modern, direct: clients) calling at once (throughput):`);
  console.log(pathTable(figures, specs, [
    ["calls_per_s_n", "calls/s"],
    ["ratio_to_direct_n", "× direct"],
    ["proxy_cpu_us_per_call_n", "proxy CPU µs/call"],
    ["calls_per_cpu_s_n", "calls/proxy CPU-s"],
    ["servers_cpu_us_per_call_n", "servers CPU µs/call"],
    ["servers_n", "servers"],
    ["proxy_peak_rss_mb", "proxy peak RSS MiB"],
  ], plan.runs));
  console.log();
  console.log(`setup, not measured (spawning each session's server where the path does):`);
  console.log(pathTable(figures, specs, [
    ["start_ms", "start ms"],
    ["open_sessions_ms", `open ${n} sessions ms`],
  ], plan.runs));
  const goal = goalLines(figures, specs, plan.runs);
  console.log();
  for (const line of goal.lines) console.log(line);
  console.log(`\nload average before: ${loadBefore}  after: ${loadAfter}`);
  for (const problem of figures.problems) console.log(`warning: ${problem}`);

  if (options.json) {
    const json = toJson(figures, specs, {
      meta: {
        date: new Date().toISOString(),
        quick: options.quick,
        plan,
        cores: navigator.hardwareConcurrency,
        deno: Deno.version.deno,
        node: await nodeVersion(),
        load_before: loadBefore,
        load_after: loadAfter,
        bridges: Object.fromEntries(
          BRIDGES.map((b) => [b.name, { version: b.version, mode: b.mode }]),
        ),
        skipped,
      },
      goal: goal.json,
    });
    await Deno.writeTextFile(options.json, JSON.stringify(json, null, 2) + "\n");
    console.log(`wrote ${options.json}`);
  }
  return 0;
}

/**
 * The goal: more calls per second per CPU than either bridge, while deciding every
 * call. Judged on calls per second of the proxy's own CPU with every session calling
 * (intercept ÷ bridge of the same era, per run; the median above 1), every intercept call
 * counted as decided by its /metrics. Calls per second of wall time are shown beside it.
 */
function goalLines(
  figures: Figures,
  specs: readonly PathSpec[],
  runs: number,
): { lines: string[]; json: Record<string, unknown> } {
  const rows = [[
    "intercept ÷ bridge, same run",
    "calls/proxy CPU-s",
    "1 session",
    "calls/s",
    "1 session",
    "goal",
  ]];
  const pairs: Record<string, boolean> = {};
  for (const ours of specs.filter((spec) => spec.kind === "intercept")) {
    for (const theirs of specs.filter((s) => s.era === ours.era && isBridge(s))) {
      const ratio = (metric: RatioMetric) => figures.ratio(ours.id, theirs.id, metric);
      const perCpu = ratio("calls_per_cpu_s_n");
      const met = perCpu === undefined ? null : perCpu.median > 1;
      if (met !== null) pairs[`${ours.id}/${theirs.id}`] = met;
      rows.push([
        `${ours.label} ÷ ${theirs.label}`,
        formatSpread(perCpu, runs),
        formatSpread(ratio("calls_per_cpu_s_1"), runs),
        formatSpread(ratio("calls_per_s_n"), runs),
        formatSpread(ratio("calls_per_s_1"), runs),
        met === null ? "n/a" : met ? "met" : "NOT met",
      ]);
    }
  }
  const decided = figures.problems.every((problem) => !problem.startsWith("intercept"));
  const judged = Object.values(pairs);
  const met = judged.length > 0 && judged.every(Boolean) && decided;
  const verdict = judged.length === 0
    ? "goal: not judged (no bridge measured, or windows too short for CPU figures)"
    : `goal (more calls per proxy CPU-second than each bridge, ${figures.sessions} sessions, ` +
      `every call decided): ${met ? "met" : "NOT met"} (${judged.filter(Boolean).length} of ` +
      `${judged.length} pairs${decided ? "" : "; some intercept calls not decided"})`;
  return { lines: [formatColumns(rows), verdict], json: { pairs, decided, met } };
}

async function describeMachine(plan: Plan, options: Options, load: string): Promise<string[]> {
  return [
    `cores: ${navigator.hardwareConcurrency}  cpu: ${cpuModel()}  load average: ${load}`,
    `deno: ${Deno.version.deno}  node: ${await nodeVersion()}  source: ${await sourceRevision()}`,
    `runs: ${plan.runs}${options.quick ? " (--quick)" : ""}; per run and path: ` +
    `${plan.warmupMs} ms warm-up, ${plan.latencyMs} ms of sequential calls on one session, ` +
    `${plan.throughputMs} ms with ${plan.sessions} sessions calling at once`,
    `server: scripts/bench/minimal_server.ts over stdio, the same for every path; calls: ` +
    `${BENCH_CALLS.map((call) => call.name).join(", ")} in turn, all allowed`,
    `intercept: -c ${POLICY.replace(/^.*\/scripts\//, "scripts/")} --listen 127.0.0.1:0 ` +
    `--pool-size ${POOL_SIZE} (a server per legacy session; 2026-07-28 requests share the pool)`,
    ...BRIDGES.map((bridge) => `${bridge.name}@${bridge.version} (node): ${bridge.mode}`),
    `client: fetch with keep-alive, hand-written JSON-RPC (no SDK), in this process`,
    `proxy CPU: utime+stime of the proxy's own process from /proc/PID/stat ` +
    `(threads included, children not), per call; not given under ${MIN_CPU_MS} ms a window`,
  ];
}
