/**
 * The proxy's Prometheus metrics, fed by its events: decisions (by tool, decision and rule),
 * decision and upstream latencies, sessions, requests in flight, approvals waiting, state store
 * errors. Tool names are the agent's to pick: past a bound they share one series.
 */
import { BUILTIN_RULES } from "../engine/decision.ts";
import type { EventBus } from "../proxy/event_bus.ts";
import type { DecisionEvent } from "../proxy/events.ts";
import { Counter, Gauge, Histogram, Registry } from "./prometheus.ts";

/** The rules the gate decides by when the state store failed (denied, or allowed fail-open). */
const STATE_RULES: readonly string[] = [BUILTIN_RULES.state, BUILTIN_RULES.stateFailOpen];

/** Seconds: 50 µs to 10 s. */
const DECISION_BUCKETS = [
  0.00005,
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.05,
  0.1,
  1,
  10,
];
const UPSTREAM_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface ProxyMetricsSources {
  sessions(): number;
  inflight(): number;
  approvalsPending(): number;
}

export class ProxyMetrics {
  readonly #registry = new Registry();
  readonly #decisions: Counter;
  readonly #decisionSeconds: Histogram;
  readonly #upstreamSeconds: Histogram;
  readonly #stateErrors: Counter;
  readonly #approvals: Counter;

  constructor(sources: ProxyMetricsSources) {
    const r = this.#registry;
    this.#decisions = r.add(
      new Counter("intercept_decisions_total", "tools/call decisions by tool, decision and rule", {
        foldable: ["tool"],
      }),
    );
    this.#decisionSeconds = r.add(
      new Histogram(
        "intercept_decision_seconds",
        "Time from a call's arrival to its decision",
        DECISION_BUCKETS,
      ),
    );
    this.#upstreamSeconds = r.add(
      new Histogram(
        "intercept_upstream_seconds",
        "Time the upstream took to answer an allowed call",
        UPSTREAM_BUCKETS,
      ),
    );
    r.add(new Gauge("intercept_sessions", "Agent sessions being served", sources.sessions));
    r.add(
      new Gauge("intercept_inflight", "Requests taken on and not answered yet", sources.inflight),
    );
    r.add(
      new Gauge(
        "intercept_approvals_pending",
        "Calls waiting for a human",
        sources.approvalsPending,
      ),
    );
    this.#stateErrors = r.add(
      new Counter(
        "intercept_state_errors_total",
        "Calls decided by a state store error or time-out (denied, or allowed fail-open)",
      ),
    );
    this.#stateErrors.inc({}, 0); // shown from the start: rate() needs the zero
    this.#approvals = r.add(
      new Counter(
        "intercept_approvals_total",
        "Calls held for a human, by outcome: requested, granted, rejected, expired, withdrawn, released",
      ),
    );
  }

  decision(event: DecisionEvent): void {
    const { decision } = event;
    this.#decisions.inc({
      tool: decision.tool,
      decision: decision.allowed ? "allow" : "deny",
      rule: decision.rule,
    });
    this.#decisionSeconds.observe(event.latencyMs / 1000);
    if (STATE_RULES.includes(decision.rule)) this.#stateErrors.inc();
  }

  upstreamAnswered(durationMs: number, outcome: "ok" | "error"): void {
    this.#upstreamSeconds.observe(durationMs / 1000, { outcome });
  }

  approval(outcome: string): void {
    this.#approvals.inc({ outcome });
  }

  render(): string {
    return this.#registry.render();
  }
}

/** Feeds `metrics` from the proxy's event bus; returns the unsubscribe. */
export function feedMetrics(bus: EventBus, metrics: ProxyMetrics): () => void {
  return bus.subscribe((event) => {
    if (event.type === "decision") metrics.decision(event.event);
    else if (event.type === "upstream_answer") {
      metrics.upstreamAnswered(event.durationMs, event.ok ? "ok" : "error");
    } else if (event.type === "approval") {
      metrics.approval(event.event.type.replace(/^approval_/, ""));
    }
  });
}
