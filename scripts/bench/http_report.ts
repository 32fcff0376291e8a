/**
 * The HTTP benchmark's figures: per path and run, what follows from them within the same run
 * (added latency against the direct path, intercept against each bridge), and how they are
 * printed and saved (median with min and max over the runs).
 */
import type { PathRun } from "./http_measure.ts";
import type { PathSpec } from "./http_paths.ts";
import { Samples } from "./report.ts";
import type { Spread } from "./stats.ts";

/** Per-path figures, with their units, in the order the tables show them. */
export const METRICS = {
  start_ms: "ms",
  open_sessions_ms: "ms",
  p50_us: "µs",
  p99_us: "µs",
  added_p50_us: "µs",
  added_p99_us: "µs",
  calls_per_s_1: "calls/s",
  proxy_cpu_us_per_call_1: "µs",
  calls_per_cpu_s_1: "calls/CPU-s",
  calls_per_s_n: "calls/s",
  ratio_to_direct_n: "×",
  proxy_cpu_us_per_call_n: "µs",
  calls_per_cpu_s_n: "calls/CPU-s",
  servers_cpu_us_per_call_n: "µs",
  servers_n: "processes",
  proxy_peak_rss_mb: "MiB",
} as const;
export type Metric = keyof typeof METRICS;

/** intercept against a bridge of the same era, per run: above 1 is intercept ahead. */
export const RATIOS = [
  "calls_per_cpu_s_n",
  "calls_per_cpu_s_1",
  "calls_per_s_n",
  "calls_per_s_1",
] as const;
export type RatioMetric = typeof RATIOS[number];

export class Figures {
  /** Sessions calling at once in the throughput window. */
  readonly sessions: number;
  readonly paths = new Samples<string>();
  readonly ratios = new Samples<string>();
  readonly problems: string[] = [];

  constructor(sessions: number) {
    this.sessions = sessions;
  }

  /** Records one run of every path; `direct` is the reference of the same run. */
  record(specs: readonly PathSpec[], runs: ReadonlyMap<string, PathRun>): void {
    const direct = runs.get("direct");
    for (const spec of specs) {
      const run = runs.get(spec.id);
      if (!run) continue;
      const put = (metric: Metric, value: number | null) => {
        if (value !== null && Number.isFinite(value)) {
          this.paths.record(`${spec.id}.${metric}`, value);
        }
      };
      put("start_ms", spec.kind === "direct" ? null : run.startMs);
      put("open_sessions_ms", spec.era === "modern" ? null : run.setupMs);
      put("p50_us", run.p50Us);
      put("p99_us", run.p99Us);
      if (direct && spec.kind !== "direct") {
        put("added_p50_us", run.p50Us - direct.p50Us);
        put("added_p99_us", run.p99Us - direct.p99Us);
        put("ratio_to_direct_n", run.callsPerSN / direct.callsPerSN);
      }
      put("calls_per_s_1", run.callsPerS1);
      put("proxy_cpu_us_per_call_1", run.proxyCpuUs1);
      put("calls_per_cpu_s_1", perCpuSecond(run.proxyCpuUs1));
      put("calls_per_s_n", run.callsPerSN);
      put("proxy_cpu_us_per_call_n", run.proxyCpuUsN);
      put("calls_per_cpu_s_n", perCpuSecond(run.proxyCpuUsN));
      put("servers_cpu_us_per_call_n", run.serversCpuUsN);
      put("servers_n", run.servers);
      put("proxy_peak_rss_mb", run.proxyPeakMb);
      this.#check(spec, run);
    }
    this.#recordRatios(specs, runs);
  }

  #recordRatios(specs: readonly PathSpec[], runs: ReadonlyMap<string, PathRun>): void {
    for (const ours of specs.filter((spec) => spec.kind === "intercept")) {
      const mine = runs.get(ours.id);
      if (!mine) continue;
      for (const theirs of specs.filter((s) => s.era === ours.era && isBridge(s))) {
        const bridge = runs.get(theirs.id);
        if (!bridge) continue;
        const pairs: Record<RatioMetric, [number | null, number | null]> = {
          calls_per_cpu_s_n: [perCpuSecond(mine.proxyCpuUsN), perCpuSecond(bridge.proxyCpuUsN)],
          calls_per_cpu_s_1: [perCpuSecond(mine.proxyCpuUs1), perCpuSecond(bridge.proxyCpuUs1)],
          calls_per_s_n: [mine.callsPerSN, bridge.callsPerSN],
          calls_per_s_1: [mine.callsPerS1, bridge.callsPerS1],
        };
        for (const metric of RATIOS) {
          const [a, b] = pairs[metric];
          if (a !== null && b !== null && b > 0) {
            this.ratios.record(ratioKey(ours.id, theirs.id, metric), a / b);
          }
        }
      }
    }
  }

  #check(spec: PathSpec, run: PathRun): void {
    if (run.failures > 0) {
      this.problems.push(
        `${spec.label}: ${run.failures} of ${run.calls} calls failed` +
          (run.firstError ? ` (first: ${run.firstError})` : ""),
      );
    }
    if (spec.kind === "intercept") {
      const decided = run.decisions;
      if (!decided || decided.total < run.calls || decided.allowed < run.calls - run.failures) {
        this.problems.push(
          `${spec.label}: /metrics counted ${decided?.total ?? "no"} decisions ` +
            `(${decided?.allowed ?? 0} allowed) for ${run.calls} calls`,
        );
      }
    }
  }

  metric(id: string, metric: Metric): Spread | undefined {
    return this.paths.spread(`${id}.${metric}`);
  }

  ratio(ours: string, theirs: string, metric: RatioMetric): Spread | undefined {
    return this.ratios.spread(ratioKey(ours, theirs, metric));
  }
}

export function isBridge(spec: PathSpec): boolean {
  return spec.kind === "supergateway" || spec.kind === "mcp-proxy";
}

function ratioKey(ours: string, theirs: string, metric: RatioMetric): string {
  return `${ours}/${theirs}.${metric}`;
}

function perCpuSecond(cpuUsPerCall: number | null): number | null {
  return cpuUsPerCall === null || cpuUsPerCall <= 0 ? null : 1_000_000 / cpuUsPerCall;
}

export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  const digits = Number.isInteger(value) || abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** "median (min–max)", or the median alone for one run, or "n/a". */
export function formatSpread(value: Spread | undefined, runs: number): string {
  if (!value) return "n/a";
  if (runs === 1) return formatNumber(value.median);
  return `${formatNumber(value.median)} (${formatNumber(value.min)}–${formatNumber(value.max)})`;
}

/** Columns padded to their widest cell; the first left-aligned, the others right-aligned. */
export function formatColumns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])
    ).join("  ").trimEnd()
  ).join("\n");
}

/** A table of `metrics` for every path, headed by `titles`. */
export function pathTable(
  figures: Figures,
  specs: readonly PathSpec[],
  columns: readonly [Metric, string][],
  runs: number,
): string {
  const rows = [["path", ...columns.map(([, title]) => title)]];
  for (const spec of specs) {
    rows.push([
      spec.label,
      ...columns.map(([metric]) => formatSpread(figures.metric(spec.id, metric), runs)),
    ]);
  }
  return formatColumns(rows);
}

/** The `--json` object: every figure's median, min and max, per path and per ratio. */
export function toJson(
  figures: Figures,
  specs: readonly PathSpec[],
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const spec of specs) {
    const values: Record<string, Spread> = {};
    for (const metric of Object.keys(METRICS) as Metric[]) {
      const value = figures.metric(spec.id, metric);
      if (value) values[metric] = value;
    }
    paths[spec.id] = { label: spec.label, era: spec.era, ...values };
  }
  const ratios: Record<string, Record<string, Spread>> = {};
  for (const ours of specs.filter((spec) => spec.kind === "intercept")) {
    for (const theirs of specs.filter((s) => s.era === ours.era && isBridge(s))) {
      const values: Record<string, Spread> = {};
      for (const metric of RATIOS) {
        const value = figures.ratio(ours.id, theirs.id, metric);
        if (value) values[metric] = value;
      }
      ratios[`${ours.id}/${theirs.id}`] = values;
    }
  }
  return { ...extra, units: METRICS, paths, ratios, problems: figures.problems };
}
