/**
 * The Prometheus text exposition format (0.0.4), written by hand: counters, gauges and
 * histograms with labels, and a bound on label sets so that names an agent picks cannot grow a
 * metric without end. Small on purpose: the proxy needs a few metrics, not a client library.
 */

export type Labels = Readonly<Record<string, string>>;

/** Label sets one metric keeps, at most; past it, a new set has its agent-picked labels folded. */
export const MAX_SERIES = 2_000;

/** Folded label sets one metric keeps beyond `MAX_SERIES`; past them every label folds. */
export const MAX_FOLDED_SERIES = 100;

/** A label value longer than this is shown as `_other` (MCP tool names are at most 256 here). */
export const MAX_LABEL_CHARS = 256;

/** What a folded label value reads. */
export const OTHER = "_other";

export interface MetricOptions {
  /**
   * Labels whose values the agent picks (a tool name): past `maxSeries` label sets, a new set
   * keeps its other labels and has these read `_other`.
   */
  foldable?: readonly string[];
  /** Default `MAX_SERIES`. */
  maxSeries?: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

abstract class Metric<T> {
  readonly #series = new Map<string, T>();
  readonly #foldable: readonly string[];
  readonly #maxSeries: number;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
    options: MetricOptions = {},
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`Metric name "${name}" is not valid`);
    this.#foldable = options.foldable ?? [];
    this.#maxSeries = options.maxSeries ?? MAX_SERIES;
  }

  abstract lines(): string[];

  header(): string[] {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
  }

  /** How many label sets this metric holds. */
  get size(): number {
    return this.#series.size;
  }

  /** Rendered label sets (`a="x",b="y"`, no braces) and their values. */
  protected series(): IterableIterator<[string, T]> {
    return this.#series.entries();
  }

  /** The value of the series `labels` fall in (created with `fresh` when new), within bounds. */
  protected at(labels: Labels, fresh: () => T): T {
    const key = this.#keyWithin(labels);
    let value = this.#series.get(key);
    if (value === undefined) {
      for (const label of Object.keys(labels)) {
        if (!LABEL_NAME.test(label) || label.startsWith("__") || label === "le") {
          throw new Error(`Label name "${label}" of ${this.name} is not valid`);
        }
      }
      this.#series.set(key, value = fresh());
    }
    return value;
  }

  #keyWithin(labels: Labels): string {
    const key = renderLabels(labels, []);
    const size = this.#series.size;
    if (size < this.#maxSeries || this.#series.has(key)) return key;
    const folded = renderLabels(labels, this.#foldable);
    if (size < this.#maxSeries + MAX_FOLDED_SERIES || this.#series.has(folded)) return folded;
    return renderLabels(labels, Object.keys(labels));
  }
}

export class Counter extends Metric<{ value: number }> {
  constructor(name: string, help: string, options?: MetricOptions) {
    super(name, help, "counter", options);
  }

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0) || by === Infinity) {
      throw new RangeError(`Counter ${this.name} can only grow by a finite amount, not ${by}`);
    }
    this.at(labels, () => ({ value: 0 })).value += by;
  }

  lines(): string[] {
    return [...this.series()].map(([key, { value }]) =>
      `${this.name}${braces(key)} ${formatNumber(value)}`
    );
  }
}

/** A gauge read when scraped. */
export class Gauge extends Metric<never> {
  constructor(name: string, help: string, readonly read: () => number) {
    super(name, help, "gauge");
  }

  lines(): string[] {
    return [`${this.name} ${formatNumber(this.read())}`];
  }
}

interface HistogramSeries {
  /** Observations per bucket, not yet cumulative. */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramSeries> {
  readonly buckets: readonly number[];

  constructor(name: string, help: string, buckets: readonly number[], options?: MetricOptions) {
    super(name, help, "histogram", options);
    if (buckets.length === 0 || buckets.some((b, i) => !isFinite(b) || b <= buckets[i - 1])) {
      throw new Error(`Buckets of ${name} must be finite and increasing: ${buckets.join(", ")}`);
    }
    this.buckets = [...buckets];
  }

  /** Counts `value` (NaN is ignored: it would poison the sum for good). */
  observe(value: number, labels: Labels = {}): void {
    if (Number.isNaN(value)) return;
    const series = this.at(labels, () => ({
      counts: this.buckets.map(() => 0),
      sum: 0,
      count: 0,
    }));
    const bucket = this.buckets.findIndex((bound) => value <= bound);
    if (bucket >= 0) series.counts[bucket]++;
    series.sum += value;
    series.count++;
  }

  lines(): string[] {
    const out: string[] = [];
    for (const [key, series] of this.series()) {
      const base = key === "" ? "" : `${key},`;
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i];
        out.push(`${this.name}_bucket{${base}le="${formatNumber(bound)}"} ${cumulative}`);
      });
      out.push(`${this.name}_bucket{${base}le="+Inf"} ${series.count}`);
      out.push(`${this.name}_sum${braces(key)} ${formatNumber(series.sum)}`);
      out.push(`${this.name}_count${braces(key)} ${series.count}`);
    }
    return out;
  }
}

export class Registry {
  readonly #metrics = new Map<string, Metric<unknown>>();

  add<T extends Metric<unknown>>(metric: T): T {
    if (this.#metrics.has(metric.name)) throw new Error(`Metric ${metric.name} is added twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  /** Every metric in the text format, each line ended by a line feed. */
  render(): string {
    const lines = [...this.#metrics.values()].flatMap((metric) => [
      ...metric.header(),
      ...metric.lines(),
    ]);
    return lines.join("\n") + "\n";
  }
}

/** `a="x",b="y"`, with the `fold` labels (and any value over the length bound) as `_other`. */
function renderLabels(labels: Labels, fold: readonly string[]): string {
  let key = "";
  for (const name in labels) {
    const value = labels[name];
    const shown = value.length > MAX_LABEL_CHARS || fold.includes(name) ? OTHER : value;
    key += `${key === "" ? "" : ","}${name}="${escapeLabel(shown)}"`;
  }
  return key;
}

function braces(key: string): string {
  return key === "" ? "" : `{${key}}`;
}

const NEEDS_ESCAPE = /[\\"\n]/;

/** Backslash, double quote and line feed are escaped in label values. */
export function escapeLabel(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** Backslash and line feed are escaped in HELP text. */
function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
