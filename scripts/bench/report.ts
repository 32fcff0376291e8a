/** The benchmark's figures, their targets, and how they are printed and saved. */
import { type Spread, spread } from "./stats.ts";

interface Target {
  readonly at: "max" | "min";
  readonly limit: number;
}

interface FieldSpec {
  readonly unit: string;
  readonly target?: Target;
  /** Shown in the table's "target" column in place of the limit (the ratio's meaning). */
  readonly targetText?: string;
}

const max = (limit: number): Target => ({ at: "max", limit });

/**
 * Every figure, in print order, with its unit and, where the issue sets one, its target. A
 * `*_ratio` figure is taken in each run from figures of that same run, then its median.
 */
const SPECS = {
  engine_ns_per_decision: { unit: "ns", target: max(500) },
  engine_large_ns_per_decision: { unit: "ns", target: max(1_000) },
  limiter_ns_per_take: { unit: "ns" },

  direct_p50_us: { unit: "µs" },
  byte_relay_p50_us: { unit: "µs" },
  parse_relay_p50_us: { unit: "µs" },
  proxied_p50_us: { unit: "µs" },
  direct_p99_us: { unit: "µs" },
  byte_relay_p99_us: { unit: "µs" },
  proxied_p99_us: { unit: "µs" },
  relay_overhead_p50_us: { unit: "µs" },
  parse_relay_overhead_p50_us: { unit: "µs" },
  overhead_p50_us: { unit: "µs" },
  overhead_p50_ratio: { unit: "×", target: max(1.15), targetText: "≤ 1.15 × relay" },
  overhead_p99_us: { unit: "µs", target: max(1_000) },

  server_cpu_us_per_call: { unit: "µs" },
  relay_cpu_us_per_call: { unit: "µs" },
  parse_relay_cpu_us_per_call: { unit: "µs" },
  proxy_cpu_us_per_call: { unit: "µs" },
  proxy_cpu_ratio: { unit: "×", target: max(1.5), targetText: "≤ 1.5 × parse relay" },
  audit_cpu_us_per_call: { unit: "µs" },
  audit_added_us_per_call: { unit: "µs", target: max(3) },
  dashboard_cpu_us_per_call: { unit: "µs" },
  dashboard_added_us_per_call: { unit: "µs" },

  direct_calls_per_s: { unit: "calls/s" },
  relay_calls_per_s: { unit: "calls/s" },
  proxied_calls_per_s: { unit: "calls/s" },
  throughput_ratio: { unit: "×" },
  relay_throughput_ratio: {
    unit: "×",
    target: { at: "min", limit: 0.9 },
    targetText: "≥ 0.9 × relay",
  },

  startup_direct_ms: { unit: "ms" },
  startup_relay_ms: { unit: "ms" },
  startup_proxied_ms: { unit: "ms" },
  first_call_direct_ms: { unit: "ms" },
  first_call_relay_ms: { unit: "ms" },
  first_call_proxied_ms: { unit: "ms" },
  first_call_cold_cache_ms: { unit: "ms" },
  startup_ratio: { unit: "×", target: max(1.5), targetText: "≤ 1.5 × relay" },
  first_call_ratio: { unit: "×", target: max(2), targetText: "≤ 2 × relay" },

  relay_rss_mb: { unit: "MiB" },
  proxy_rss_at_start_mb: { unit: "MiB" },
  proxy_rss_mb: { unit: "MiB", target: max(80) },
  proxy_rss_growth_pct: { unit: "%", target: max(5) },
} as const satisfies Record<string, FieldSpec>;

export type Field = keyof typeof SPECS;
export const FIELDS = Object.keys(SPECS) as Field[];

/** Per-run values of each figure, in the order they were first recorded. */
export class Samples<Name extends string> {
  readonly #values = new Map<Name, number[]>();

  record(name: Name, value: number): void {
    const values = this.#values.get(name);
    if (values) values.push(value);
    else this.#values.set(name, [value]);
  }

  spread(name: Name): Spread | undefined {
    const values = this.#values.get(name);
    return values ? spread(values) : undefined;
  }
}

export interface Meta {
  runs: number;
  cores: number;
  deno: string;
  date: string;
  quick: boolean;
  v8Flags: string;
}

/** A table of median, min, max, unit and, where the issue sets one, the target and its state. */
export function formatTable(samples: Samples<Field>): string {
  const lines: string[][] = [["field", "median", "min", "max", "unit", "target", ""]];
  for (const name of FIELDS) {
    const value = samples.spread(name);
    if (!value) continue;
    const spec: FieldSpec = SPECS[name];
    const target = spec.target;
    lines.push([
      name,
      formatNumber(value.median),
      formatNumber(value.min),
      formatNumber(value.max),
      spec.unit,
      target
        ? spec.targetText ?? `${target.at === "max" ? "≤" : "≥"} ${formatNumber(target.limit)}`
        : "",
      target ? (meets(target, value.median) ? "met" : "NOT MET") : "",
    ]);
  }
  const widths = lines[0].map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  return lines.map((line) =>
    line.map((cell, column) =>
      column === 0 || column >= 4 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])
    ).join("  ").trimEnd()
  ).join("\n");
}

function meets(target: Target, value: number): boolean {
  return target.at === "max" ? value <= target.limit : value >= target.limit;
}

export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** The `--json` object: every field's median, then `meta` and min/max `ranges`. */
export function toJson(samples: Samples<Field>, meta: Meta): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const field of FIELDS) {
    const value = samples.spread(field);
    if (!value) continue;
    out[field] = value.median;
    ranges[field] = { min: value.min, max: value.max };
  }
  return { ...out, meta, ranges };
}
