/**
 * OpenTelemetry spans for `tools/call` (through `@opentelemetry/api`; Deno's built-in exporter
 * sends them when `OTEL_DENO=true`): one span per call, children for its decision, its wait for a
 * human (a held call) and its time upstream. A W3C `traceparent` in the request's `_meta` is
 * continued, so the agent's trace goes on through the proxy. Spans carry the tool, the decision
 * and the rule, never the arguments.
 */
import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import type { CallTrace, CallTracer } from "../proxy/events.ts";

/** Version 00 exactly, lower-case hex (W3C Trace Context): anything else starts a new trace. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const TRACEPARENT_LENGTH = 55;

/** A tracer when tracing is on (`OTEL_DENO=true`, as Deno reads it), else null: no cost then. */
export function callTracerFromEnv(
  version: string,
  env = Deno.env.get("OTEL_DENO"),
): CallTracer | null {
  return env === "true" ? new OtelCallTracer(trace.getTracer("intercept", version)) : null;
}

export class OtelCallTracer implements CallTracer {
  constructor(readonly tracer: Tracer) {}

  start(tool: string, meta: unknown): CallTrace {
    const parent = parentContext(meta);
    const call = this.tracer.startSpan(`tools/call ${tool}`, {
      kind: SpanKind.SERVER,
      attributes: { "mcp.method.name": "tools/call", "gen_ai.tool.name": tool },
    }, parent);
    const inside = trace.setSpan(parent, call);
    let decide: Span | null = this.tracer.startSpan("intercept.decide", {}, inside);
    let approval: Span | null = null;
    let upstream: Span | null = null;
    let ended = false;
    const endDecide = (decision: string | null, rule: string | null) => {
      if (decision !== null && rule !== null) {
        decide?.setAttributes({ "intercept.decision": decision, "intercept.rule": rule });
      }
      decide?.end();
      decide = null;
    };
    const endApproval = () => {
      approval?.end();
      approval = null;
    };
    const finish = () => {
      endDecide(null, null);
      endApproval();
      if (ended) return;
      ended = true;
      call.end();
    };
    return {
      decided: (allowed, rule) => {
        const decision = allowed ? "allow" : "deny";
        endDecide(decision, rule);
        endApproval();
        call.setAttributes({ "intercept.decision": decision, "intercept.rule": rule });
      },
      held: (rule) => {
        endDecide("held", rule);
        if (ended || approval) return;
        approval = this.tracer.startSpan("intercept.approval", {
          attributes: { "intercept.rule": rule },
        }, inside);
      },
      forwarded: () => {
        if (ended) return;
        upstream = this.tracer.startSpan("intercept.upstream", { kind: SpanKind.CLIENT }, inside);
      },
      answered: (ok) => {
        if (!ok) upstream?.setStatus({ code: SpanStatusCode.ERROR });
        upstream?.end();
        upstream = null;
        finish();
      },
      end: finish,
    };
  }
}

/**
 * The context a `traceparent` in `_meta` names, or the active one. The value is the agent's: it
 * is taken whole or not at all (wrong type, length, version, case, or an all-zero id).
 */
export function parentContext(meta: unknown): Context {
  const active = context.active();
  if (typeof meta !== "object" || meta === null || !Object.hasOwn(meta, "traceparent")) {
    return active;
  }
  const value = (meta as Record<string, unknown>).traceparent;
  if (typeof value !== "string" || value.length !== TRACEPARENT_LENGTH) return active;
  const match = TRACEPARENT.exec(value);
  if (!match || /^0+$/.test(match[1]) || /^0+$/.test(match[2])) return active;
  return trace.setSpanContext(active, {
    traceId: match[1],
    spanId: match[2],
    traceFlags: parseInt(match[3], 16),
    isRemote: true,
  });
}
