/**
 * OpenTelemetry spans for `tools/call` (through `@opentelemetry/api`; Deno's built-in exporter
 * sends them when `OTEL_DENO=true`): one span per call, a child for its decision and one for its
 * time upstream. A W3C `traceparent` in the request's `_meta` is continued, so the agent's trace
 * goes on through the proxy.
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

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A tracer when tracing is on (`OTEL_DENO=true`), else null: no span costs anything then. */
export function callTracerFromEnv(
  version: string,
  env = Deno.env.get("OTEL_DENO"),
): CallTracer | null {
  return env === "true" || env === "1"
    ? new OtelCallTracer(trace.getTracer("intercept", version))
    : null;
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
    const decide = this.tracer.startSpan("intercept.decide", {}, inside);
    let upstream: Span | null = null;
    let decideOpen = true;
    let ended = false;
    const endDecide = () => {
      if (!decideOpen) return;
      decideOpen = false;
      decide.end();
    };
    const finish = () => {
      if (ended) return;
      ended = true;
      call.end();
    };
    return {
      decided: (allowed, rule) => {
        decide.setAttribute("intercept.decision", allowed ? "allow" : "deny");
        decide.setAttribute("intercept.rule", rule);
        endDecide();
        call.setAttribute("intercept.decision", allowed ? "allow" : "deny");
      },
      forwarded: () => {
        upstream = this.tracer.startSpan("intercept.upstream", { kind: SpanKind.CLIENT }, inside);
      },
      answered: (ok) => {
        if (!ok) upstream?.setStatus({ code: SpanStatusCode.ERROR });
        upstream?.end();
        finish();
      },
      end: () => {
        endDecide();
        finish();
      },
    };
  }
}

/** The context a `traceparent` in `_meta` names, or the active one. */
export function parentContext(meta: unknown): Context {
  const active = context.active();
  if (typeof meta !== "object" || meta === null) return active;
  const value = (meta as Record<string, unknown>).traceparent;
  const match = typeof value === "string" ? TRACEPARENT.exec(value) : null;
  if (!match || /^0+$/.test(match[1]) || /^0+$/.test(match[2])) return active;
  return trace.setSpanContext(active, {
    traceId: match[1],
    spanId: match[2],
    traceFlags: parseInt(match[3], 16),
    isRemote: true,
  });
}
