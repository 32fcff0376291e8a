/**
 * The Prometheus text exposition format (0.0.4), written by hand: counters, gauges and
 * histograms with labels, and a bound on label sets so that names an agent picks cannot grow a
 * metric without end. Small on purpose: the proxy needs seven metrics, not a client library.
 */

export type Labels = Readonly<Record<string, string>>;

/** Label sets per metric, at most; past it new sets are counted under `{overflow="true"}`. */
export const MAX_SERIES = 2_000;

abstract class Metric {
  constructor(readonly name: string, readonly help: string, readonly type: string) {}
  abstract lines(): string[];

  header(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
  }
}

export class Counter extends Metric {
  readonly #values = new Map<string, number>();

  constructor(name: string, help: string) {
    super(name, help, "counter");
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = seriesKey(labels, this.#values);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  lines(): string[] {
    return [...this.#values].map(([key, value]) => `${this.name}${key} ${formatNumber(value)}`);
  }
}

/** A gauge read when scraped. */
export class Gauge extends Metric {
  constructor(name: string, help: string, readonly read: () => number) {
    super(name, help, "gauge");
  }

  lines(): string[] {
    return [`${this.name} ${formatNumber(this.read())}`];
  }
}

export class Histogram extends Metric {
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, readonly buckets: readonly number[]) {
    super(name, help, "histogram");
  }

  observe(value: number, labels: Labels = {}): void {
    const key = seriesKey(labels, this.#series);
    let series = this.#series.get(key);
    if (!series) {
      this.#series.set(
        key,
        series = { counts: this.buckets.map(() => 0), sum: 0, count: 0 },
      );
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) series.counts[i]++;
    series.sum += value;
    series.count++;
  }

  lines(): string[] {
    const out: string[] = [];
    for (const [key, series] of this.#series) {
      const base = key === "" ? "" : key.slice(1, -1) + ",";
      this.buckets.forEach((bound, i) => {
        out.push(`${this.name}_bucket{${base}le="${bound}"} ${series.counts[i]}`);
      });
      out.push(`${this.name}_bucket{${base}le="+Inf"} ${series.count}`);
      out.push(`${this.name}_sum${key} ${formatNumber(series.sum)}`);
      out.push(`${this.name}_count${key} ${series.count}`);
    }
    return out;
  }
}

export class Registry {
  readonly #metrics: Metric[] = [];

  add<T extends Metric>(metric: T): T {
    this.#metrics.push(metric);
    return metric;
  }

  render(): string {
    return this.#metrics.flatMap((metric) => [...metric.header(), ...metric.lines()]).join("\n") +
      "\n";
  }
}

function seriesKey(labels: Labels, existing: Map<string, unknown>): string {
  const names = Object.keys(labels);
  if (names.length === 0) return "";
  const key = `{${names.map((name) => `${name}="${escapeLabel(labels[name])}"`).join(",")}}`;
  if (existing.has(key) || existing.size < MAX_SERIES) return key;
  return `{overflow="true"}`;
}

/** Backslash, double quote and line feed are escaped in label values. */
export function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
