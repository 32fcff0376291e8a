/** The benchmark's figures, their targets, and how they are printed and saved. */
import { type Spread, spread } from "./stats.ts";

/** The figures, in its order, with their units: the `--json` fields. */
export const FIELDS = [
  ["engine_ns_per_decision", "ns"],
  ["limiter_ns_per_take", "ns"],
  ["direct_p50_us", "µs"],
  ["direct_p99_us", "µs"],
  ["proxied_p50_us", "µs"],
  ["proxied_p99_us", "µs"],
  ["overhead_p50_us", "µs"],
  ["overhead_p99_us", "µs"],
  ["direct_calls_per_s", "calls/s"],
  ["proxied_calls_per_s", "calls/s"],
  ["throughput_ratio", "×"],
  ["startup_direct_ms", "ms"],
  ["startup_proxied_ms", "ms"],
  ["proxy_rss_mb", "MiB"],
  ["proxy_rss_growth_pct", "%"],
] as const;
export type Field = typeof FIELDS[number][0];

/** Printed to explain the figures, never saved: the startup target is on the difference. */
export const DIAGNOSTICS = [
  ["startup_difference_ms", "ms"],
  ["server_cpu_us_per_call", "µs"],
  ["proxy_cpu_us_per_call", "µs"],
  ["proxy_rss_at_start_mb", "MiB"],
] as const;
export type Diagnostic = typeof DIAGNOSTICS[number][0];
type Row = Field | Diagnostic;

interface Target {
  readonly at: "max" | "min";
  readonly limit: number;
}

const TARGETS: Partial<Record<Row, Target>> = {
  engine_ns_per_decision: { at: "max", limit: 2_000 },
  overhead_p50_us: { at: "max", limit: 150 },
  overhead_p99_us: { at: "max", limit: 1_000 },
  throughput_ratio: { at: "min", limit: 0.8 },
  startup_difference_ms: { at: "max", limit: 80 },
  proxy_rss_mb: { at: "max", limit: 80 },
  proxy_rss_growth_pct: { at: "max", limit: 5 },
};

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
}

/** A table of median, min, max, unit and, where the issue sets one, the target and its state. */
export function formatTable<Name extends Row>(
  rows: readonly (readonly [Name, string])[],
  samples: Samples<Name>,
): string {
  const lines: string[][] = [["field", "median", "min", "max", "unit", "target", ""]];
  for (const [name, unit] of rows) {
    const value = samples.spread(name);
    if (!value) continue;
    const target = TARGETS[name];
    lines.push([
      name,
      formatNumber(value.median),
      formatNumber(value.min),
      formatNumber(value.max),
      unit,
      target ? `${target.at === "max" ? "≤" : "≥"} ${formatNumber(target.limit)}` : "",
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

function formatNumber(value: number): string {
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
  for (const [field] of FIELDS) {
    const value = samples.spread(field);
    if (!value) continue;
    out[field] = value.median;
    ranges[field] = { min: value.min, max: value.max };
  }
  return { ...out, meta, ranges };
}
