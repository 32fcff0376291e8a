/** The Prometheus text format (0.0.4) written by hand, and its bound on label sets. */
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  Counter,
  escapeLabel,
  Gauge,
  Histogram,
  MAX_FOLDED_SERIES,
  MAX_LABEL_CHARS,
  MAX_SERIES,
  Registry,
} from "../../src/metrics/prometheus.ts";

/** The sample lines (no comments) of `text`, as `name{labels} value`. */
function samples(text: string): string[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

Deno.test("Registry.render() writes HELP and TYPE before each metric's samples, ending in a line feed", () => {
  const registry = new Registry();
  const calls = registry.add(new Counter("app_calls_total", "Calls by tool"));
  registry.add(new Gauge("app_open", "Open things", () => 3));
  calls.inc({ tool: "echo" });
  calls.inc({ tool: "echo" }, 2);
  equal(
    registry.render(),
    [
      "# HELP app_calls_total Calls by tool",
      "# TYPE app_calls_total counter",
      'app_calls_total{tool="echo"} 3',
      "# HELP app_open Open things",
      "# TYPE app_open gauge",
      "app_open 3",
      "",
    ].join("\n"),
  );
});

Deno.test("Registry.render() escapes backslash and line feed in HELP", () => {
  const registry = new Registry();
  registry.add(new Gauge("app_g", "a \\ back\nslash", () => 0));
  ok(registry.render().startsWith("# HELP app_g a \\\\ back\\nslash\n# TYPE app_g gauge\n"));
});

Deno.test("Counter escapes backslash, double quote and line feed in label values", () => {
  equal(escapeLabel('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const counter = new Counter("app_total", "x");
  counter.inc({ tool: 'say "hi"\\\nnow' });
  deepEqual(counter.lines(), ['app_total{tool="say \\"hi\\"\\\\\\nnow"} 1']);
});

Deno.test("Counter shows an unlabelled series and one per label set, in first-seen order", () => {
  const counter = new Counter("app_total", "x");
  counter.inc({}, 0);
  counter.inc({ tool: "b", decision: "deny" });
  counter.inc({ tool: "a", decision: "allow" });
  counter.inc({ tool: "b", decision: "deny" });
  deepEqual(counter.lines(), [
    "app_total 0",
    'app_total{tool="b",decision="deny"} 2',
    'app_total{tool="a",decision="allow"} 1',
  ]);
});

Deno.test("Counter refuses to go down or by a non-finite amount", () => {
  const counter = new Counter("app_total", "x");
  throws(() => counter.inc({}, -1), /can only grow by a finite amount, not -1/);
  throws(() => counter.inc({}, NaN), /not NaN/);
  throws(() => counter.inc({}, Infinity), /not Infinity/);
  deepEqual(counter.lines(), [], "nothing half-applied");
});

Deno.test("Histogram buckets are cumulative, end with +Inf, then _sum and _count", () => {
  const histogram = new Histogram("app_seconds", "x", [0.1, 1, 10]);
  for (const value of [0.05, 0.1, 0.5, 5, 50]) histogram.observe(value);
  deepEqual(histogram.lines(), [
    'app_seconds_bucket{le="0.1"} 2',
    'app_seconds_bucket{le="1"} 3',
    'app_seconds_bucket{le="10"} 4',
    'app_seconds_bucket{le="+Inf"} 5',
    "app_seconds_sum 55.65",
    "app_seconds_count 5",
  ]);
});

Deno.test("Histogram puts its labels before le on buckets and on _sum and _count", () => {
  const histogram = new Histogram("app_seconds", "x", [0.00005, 1]);
  histogram.observe(0.5, { outcome: "ok" });
  histogram.observe(2, { outcome: "error" });
  deepEqual(histogram.lines(), [
    'app_seconds_bucket{outcome="ok",le="0.00005"} 0',
    'app_seconds_bucket{outcome="ok",le="1"} 1',
    'app_seconds_bucket{outcome="ok",le="+Inf"} 1',
    'app_seconds_sum{outcome="ok"} 0.5',
    'app_seconds_count{outcome="ok"} 1',
    'app_seconds_bucket{outcome="error",le="0.00005"} 0',
    'app_seconds_bucket{outcome="error",le="1"} 0',
    'app_seconds_bucket{outcome="error",le="+Inf"} 1',
    'app_seconds_sum{outcome="error"} 2',
    'app_seconds_count{outcome="error"} 1',
  ]);
});

Deno.test("Histogram ignores NaN, which would poison its sum for good", () => {
  const histogram = new Histogram("app_seconds", "x", [1]);
  histogram.observe(NaN);
  histogram.observe(0.5);
  deepEqual(samples(histogram.lines().join("\n")).slice(-2), [
    "app_seconds_sum 0.5",
    "app_seconds_count 1",
  ]);
});

Deno.test("Histogram refuses buckets that are empty, unsorted, repeated or not finite", () => {
  for (const buckets of [[], [1, 0.5], [1, 1], [1, Infinity], [NaN]]) {
    throws(() => new Histogram("app_seconds", "x", buckets), /must be finite and increasing/);
  }
});

Deno.test("Metric names and label names must be valid, and le is the histogram's own", () => {
  throws(() => new Counter("app-calls", "x"), /Metric name "app-calls" is not valid/);
  throws(() => new Counter("app_total", "x").inc({ "a-b": "x" }), /Label name "a-b"/);
  throws(() => new Counter("app_total", "x").inc({ __name: "x" }), /Label name "__name"/);
  throws(() => new Histogram("app_s", "x", [1]).observe(1, { le: "1" }), /Label name "le"/);
  const registry = new Registry();
  registry.add(new Counter("app_total", "x"));
  throws(() => registry.add(new Counter("app_total", "y")), /app_total is added twice/);
});

Deno.test("Counter folds the agent's label into _other past its series bound, keeping the rest", () => {
  const counter = new Counter("app_total", "x", { foldable: ["tool"], maxSeries: 3 });
  for (const tool of ["a", "b", "c", "d", "e"]) counter.inc({ tool, decision: "deny" });
  counter.inc({ tool: "f", decision: "allow" });
  counter.inc({ tool: "a", decision: "deny" });
  deepEqual(counter.lines(), [
    'app_total{tool="a",decision="deny"} 2',
    'app_total{tool="b",decision="deny"} 1',
    'app_total{tool="c",decision="deny"} 1',
    'app_total{tool="_other",decision="deny"} 2',
    'app_total{tool="_other",decision="allow"} 1',
  ]);
});

Deno.test("Counter keeps at most MAX_SERIES + MAX_FOLDED_SERIES + 1 series whatever the agent sends", () => {
  const counter = new Counter("app_total", "x", { foldable: ["tool"] });
  // Random tool names, and (worst case) a second label that is never the same either.
  for (let i = 0; i < MAX_SERIES + 5_000; i++) counter.inc({ tool: `random-${i}`, rule: `r${i}` });
  equal(counter.size, MAX_SERIES + MAX_FOLDED_SERIES + 1);
  const lines = counter.lines();
  ok(lines.includes(`app_total{tool="_other",rule="_other"} ${5_000 - MAX_FOLDED_SERIES}`));
  const total = lines.reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
  equal(total, MAX_SERIES + 5_000, "every call is still counted");
});

Deno.test("Counter shows a label value longer than MAX_LABEL_CHARS as _other", () => {
  const counter = new Counter("app_total", "x");
  counter.inc({ tool: "x".repeat(MAX_LABEL_CHARS) });
  counter.inc({ tool: "y".repeat(MAX_LABEL_CHARS + 1) });
  deepEqual(counter.lines(), [
    `app_total{tool="${"x".repeat(MAX_LABEL_CHARS)}"} 1`,
    'app_total{tool="_other"} 1',
  ]);
});

Deno.test("Histogram folds past its series bound as Counter does", () => {
  const histogram = new Histogram("app_seconds", "x", [1], { foldable: ["tool"], maxSeries: 1 });
  histogram.observe(0.5, { tool: "a" });
  histogram.observe(2, { tool: "b" });
  histogram.observe(3, { tool: "c" });
  deepEqual(histogram.lines().filter((line) => line.includes("_count")), [
    'app_seconds_count{tool="a"} 1',
    'app_seconds_count{tool="_other"} 2',
  ]);
});

Deno.test("Gauge is read at every render and writes NaN and infinities as Prometheus does", () => {
  let value = 1;
  const gauge = new Gauge("app_g", "x", () => value);
  deepEqual(gauge.lines(), ["app_g 1"]);
  value = NaN;
  deepEqual(gauge.lines(), ["app_g NaN"]);
  value = -Infinity;
  deepEqual(gauge.lines(), ["app_g -Inf"]);
});

Deno.test("Registry.render() parses back line by line as the 0.0.4 grammar says", () => {
  const registry = new Registry();
  registry.add(new Counter("app_total", "x", { foldable: ["tool"] })).inc({
    tool: 'we"ird\\\nname',
    rule: "r",
  });
  registry.add(new Histogram("app_seconds", "x", [0.5])).observe(0.25);
  const sample =
    /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\[\\"n]|[^\\"\n])*",?)*\})? [-+]?(\d+(\.\d+)?(e[-+]?\d+)?|Inf|NaN)$/;
  for (const line of samples(registry.render())) ok(sample.test(line), line);
});
