/**
 * The proxy's metrics fed through its one event bus: decisions by tool, decision and rule,
 * latencies, approvals, state store errors, and the gauges read at scrape time; then the same
 * fed by a real McpProxy.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { BUILTIN_RULES, type Decision } from "../../src/engine/decision.ts";
import { feedMetrics, ProxyMetrics } from "../../src/metrics/proxy_metrics.ts";
import { MAX_FOLDED_SERIES, MAX_SERIES } from "../../src/metrics/prometheus.ts";
import { Approvals, type PendingApproval } from "../../src/proxy/approvals.ts";
import { EventBus } from "../../src/proxy/event_bus.ts";
import type { DecisionEvent } from "../../src/proxy/events.ts";
import { PolicyGate } from "../../src/proxy/policy_gate.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { MemoryBackend } from "../../src/state/memory_backend.ts";
import { call, flush, harness, line, serve } from "../proxy/support.ts";

/** Every sample of `text` by `name{labels}`. */
function parse(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of text.split("\n")) {
    if (entry === "" || entry.startsWith("#")) continue;
    const space = entry.lastIndexOf(" ");
    found.set(entry.slice(0, space), Number(entry.slice(space + 1)));
  }
  return found;
}

function decisionEvent(decision: Partial<Decision>, latencyMs = 0.2): DecisionEvent {
  return {
    ts: 0,
    session: "s1",
    principal: "alice",
    client: "agent",
    era: "legacy",
    decision: {
      allowed: true,
      tool: "echo",
      rule: "echo",
      reason: null,
      retryAfterMs: null,
      quotas: [],
      ...decision,
    },
    args: { message: "the raw argument" },
    latencyMs,
    round: 1,
  };
}

const APPROVAL: PendingApproval = {
  id: "a1",
  tool: "pay",
  args: {},
  session: "s1",
  principal: "alice",
  client: null,
  rule: "payments need a human",
  reason: null,
  requestedAt: 0,
  expiresAt: 1,
  from: ["operator"],
  askingUser: false,
};

function fed(sources = { sessions: () => 2, inflight: () => 5, approvalsPending: () => 1 }) {
  const bus = new EventBus((error) => {
    throw error;
  });
  const metrics = new ProxyMetrics(sources);
  const unsubscribe = feedMetrics(bus, metrics);
  return { bus, metrics, unsubscribe, scrape: () => parse(metrics.render()) };
}

Deno.test("feedMetrics() counts decisions by tool, decision and rule", () => {
  const { bus, scrape } = fed();
  bus.emit({ type: "decision", event: decisionEvent({}) });
  bus.emit({ type: "decision", event: decisionEvent({}) });
  bus.emit({
    type: "decision",
    event: decisionEvent({ allowed: false, rule: "no secrets", reason: "No" }),
  });
  bus.emit({ type: "decision", event: decisionEvent({ tool: "add", rule: "add" }) });
  const got = scrape();
  equal(got.get('intercept_decisions_total{tool="echo",decision="allow",rule="echo"}'), 2);
  equal(got.get('intercept_decisions_total{tool="echo",decision="deny",rule="no secrets"}'), 1);
  equal(got.get('intercept_decisions_total{tool="add",decision="allow",rule="add"}'), 1);
});

Deno.test("feedMetrics() puts decision latencies in seconds into intercept_decision_seconds", () => {
  const { bus, scrape } = fed();
  bus.emit({ type: "decision", event: decisionEvent({}, 0.03) }); // 30 µs
  bus.emit({ type: "decision", event: decisionEvent({}, 2) }); // 2 ms
  const got = scrape();
  equal(got.get('intercept_decision_seconds_bucket{le="0.00005"}'), 1);
  equal(got.get('intercept_decision_seconds_bucket{le="0.001"}'), 1);
  equal(got.get('intercept_decision_seconds_bucket{le="0.0025"}'), 2);
  equal(got.get('intercept_decision_seconds_bucket{le="+Inf"}'), 2);
  equal(got.get("intercept_decision_seconds_count"), 2);
  ok(Math.abs(got.get("intercept_decision_seconds_sum")! - 0.00203) < 1e-12);
});

Deno.test("feedMetrics() times upstream answers by outcome in intercept_upstream_seconds", () => {
  const { bus, scrape } = fed();
  bus.emit({ type: "upstream_answer", durationMs: 40, ok: true });
  bus.emit({ type: "upstream_answer", durationMs: 3_000, ok: false });
  const got = scrape();
  equal(got.get('intercept_upstream_seconds_bucket{outcome="ok",le="0.05"}'), 1);
  equal(got.get('intercept_upstream_seconds_bucket{outcome="ok",le="0.025"}'), 0);
  equal(got.get('intercept_upstream_seconds_count{outcome="ok"}'), 1);
  equal(got.get('intercept_upstream_seconds_bucket{outcome="error",le="2.5"}'), 0);
  equal(got.get('intercept_upstream_seconds_bucket{outcome="error",le="5"}'), 1);
  equal(got.get('intercept_upstream_seconds_sum{outcome="error"}'), 3);
});

Deno.test("feedMetrics() counts approvals by outcome", () => {
  const { bus, scrape } = fed();
  bus.emit({ type: "approval", event: { type: "approval_requested", approval: APPROVAL } });
  bus.emit({ type: "approval", event: { type: "approval_requested", approval: APPROVAL } });
  for (const type of ["approval_granted", "approval_expired"] as const) {
    bus.emit({ type: "approval", event: { type, approval: APPROVAL, by: null, reason: null } });
  }
  const got = scrape();
  equal(got.get('intercept_approvals_total{outcome="requested"}'), 2);
  equal(got.get('intercept_approvals_total{outcome="granted"}'), 1);
  equal(got.get('intercept_approvals_total{outcome="expired"}'), 1);
});

Deno.test("feedMetrics() counts calls decided by a state store failure, and shows 0 before any", () => {
  const { bus, scrape } = fed();
  equal(scrape().get("intercept_state_errors_total"), 0);
  bus.emit({ type: "decision", event: decisionEvent({ allowed: false, rule: "a rule" }) });
  equal(scrape().get("intercept_state_errors_total"), 0);
  bus.emit({
    type: "decision",
    event: decisionEvent({ allowed: false, rule: BUILTIN_RULES.state }),
  });
  bus.emit({ type: "decision", event: decisionEvent({ rule: BUILTIN_RULES.stateFailOpen }) });
  equal(scrape().get("intercept_state_errors_total"), 2);
});

Deno.test("ProxyMetrics reads sessions, in-flight requests and pending approvals at every scrape", () => {
  let sessions = 2;
  const { scrape } = fed({
    sessions: () => sessions,
    inflight: () => 5,
    approvalsPending: () => 1,
  });
  const first = scrape();
  deepEqual(
    [
      first.get("intercept_sessions"),
      first.get("intercept_inflight"),
      first.get("intercept_approvals_pending"),
    ],
    [2, 5, 1],
  );
  sessions = 7;
  equal(scrape().get("intercept_sessions"), 7);
});

Deno.test("ProxyMetrics names and types every metric DESIGN.md lists", () => {
  const { metrics } = fed();
  const types = [...metrics.render().matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) =>
    `${m[1]} ${m[2]}`
  );
  deepEqual(types, [
    "intercept_decisions_total counter",
    "intercept_decision_seconds histogram",
    "intercept_upstream_seconds histogram",
    "intercept_sessions gauge",
    "intercept_inflight gauge",
    "intercept_approvals_pending gauge",
    "intercept_state_errors_total counter",
    "intercept_approvals_total counter",
  ]);
});

Deno.test("feedMetrics() stops counting once unsubscribed", () => {
  const { bus, unsubscribe, scrape } = fed();
  bus.emit({ type: "decision", event: decisionEvent({}) });
  unsubscribe();
  bus.emit({ type: "decision", event: decisionEvent({}) });
  equal(scrape().get('intercept_decisions_total{tool="echo",decision="allow",rule="echo"}'), 1);
});

Deno.test("ProxyMetrics never shows a call's arguments", () => {
  const { bus, metrics } = fed();
  bus.emit({ type: "decision", event: decisionEvent({}) });
  ok(!metrics.render().includes("the raw argument"));
});

const POLICY = `version: "1"
default: allow
tools:
  echo:
    rules:
      - name: no secrets
        action: deny
        conditions: [{ path: args.message, op: contains, value: "secret" }]
        reason: "No secrets"
  paced:
    rules:
      - name: one a minute
        rate_limit: { max: 1, window: 60 }
`;

Deno.test("ProxyMetrics fed by a real McpProxy counts its decisions and upstream answers", async () => {
  const bus = new EventBus();
  const metrics = new ProxyMetrics({
    sessions: () => 1,
    inflight: () => 0,
    approvalsPending: () => 0,
  });
  feedMetrics(bus, metrics);
  const h = harness({ policy: POLICY, ...bus.sinks });
  h.proxy.fromClient(line(call(1, "echo", { message: "hello" })));
  h.proxy.fromClient(line(call(2, "echo", { message: "a secret" })));
  h.proxy.fromClient(line(call(3, "paced", {})));
  h.proxy.fromClient(line(call(4, "paced", {})));
  await serve(h, () => ({ content: [] }));
  const got = parse(metrics.render());
  equal(got.get('intercept_decisions_total{tool="echo",decision="allow",rule="echo"}'), 1);
  equal(got.get('intercept_decisions_total{tool="echo",decision="deny",rule="no secrets"}'), 1);
  equal(got.get('intercept_decisions_total{tool="paced",decision="allow",rule="paced"}'), 1);
  equal(got.get('intercept_decisions_total{tool="paced",decision="deny",rule="one a minute"}'), 1);
  equal(got.get("intercept_decision_seconds_count"), 4);
  equal(got.get('intercept_upstream_seconds_count{outcome="ok"}'), 2);
  equal(got.get("intercept_state_errors_total"), 0);
});

Deno.test("ProxyMetrics fed by a real McpProxy counts a state store failure", async () => {
  const bus = new EventBus();
  const metrics = new ProxyMetrics({
    sessions: () => 1,
    inflight: () => 0,
    approvalsPending: () => 0,
  });
  feedMetrics(bus, metrics);
  const broken = new MemoryBackend();
  broken.take = () => {
    throw new Error("the store is down");
  };
  const gate = new PolicyGate(loadPolicyText(POLICY, "p.yaml"), { backend: broken });
  const h = harness({ gate, ...bus.sinks });
  h.proxy.fromClient(line(call(1, "paced", {})));
  await flush();
  const got = parse(metrics.render());
  equal(got.get("intercept_state_errors_total"), 1);
  equal(got.get('intercept_decisions_total{tool="paced",decision="deny",rule="state store"}'), 1);
});

Deno.test("ProxyMetrics fed by a real McpProxy counts a held call's approval and its decision", async () => {
  const bus = new EventBus();
  const approvals = new Approvals({ onEvent: (event) => bus.emit({ type: "approval", event }) });
  const metrics = new ProxyMetrics({
    sessions: () => 1,
    inflight: () => 0,
    approvalsPending: () => approvals.size,
  });
  feedMetrics(bus, metrics);
  const h = harness({
    policy: `version: "1"
tools:
  pay:
    rules:
      - name: payments need a human
        action: require_approval
        approval: { timeout: 60, from: [operator] }
`,
    approvals,
    ...bus.sinks,
  });
  h.proxy.fromClient(line(call(1, "pay", {})));
  await flush();
  let got = parse(metrics.render());
  equal(got.get("intercept_approvals_pending"), 1);
  equal(got.get('intercept_approvals_total{outcome="requested"}'), 1);
  equal(got.get("intercept_decision_seconds_count"), undefined, "not decided while held");
  approvals.reject(approvals.list()[0].id, "operator ann", "no");
  await flush();
  got = parse(metrics.render());
  equal(got.get("intercept_approvals_pending"), 0);
  equal(got.get('intercept_approvals_total{outcome="rejected"}'), 1);
  equal(
    got.get('intercept_decisions_total{tool="pay",decision="deny",rule="payments need a human"}'),
    1,
  );
});

Deno.test("ProxyMetrics fed by a real McpProxy stays bounded when the agent calls random tools", async () => {
  const bus = new EventBus();
  const metrics = new ProxyMetrics({
    sessions: () => 1,
    inflight: () => 0,
    approvalsPending: () => 0,
  });
  feedMetrics(bus, metrics);
  const h = harness({ policy: `version: "1"\ndefault: deny\ntools: {}\n`, ...bus.sinks });
  const calls = MAX_SERIES + MAX_FOLDED_SERIES + 500;
  for (let i = 0; i < calls; i++) h.proxy.fromClient(line(call(i, `tool-${i}`, {})));
  await flush();
  const got = parse(metrics.render());
  const series = [...got.keys()].filter((key) => key.startsWith("intercept_decisions_total{"));
  equal(series.length, MAX_SERIES + 1);
  equal(got.get('intercept_decisions_total{tool="_other",decision="deny",rule="default"}'), 600);
  equal(got.get("intercept_decision_seconds_count"), calls);
});
