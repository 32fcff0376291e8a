/**
 * OpenTelemetry spans per tools/call: a `traceparent` in `_meta` is continued only when it is
 * valid as a whole (the agent writes it); spans carry tool, decision and rule, never arguments;
 * held calls get an approval wait; every span ends once. Driven through a real McpProxy.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { callTracerFromEnv, OtelCallTracer, parentContext } from "../../src/metrics/tracing.ts";
import { Approvals } from "../../src/proxy/approvals.ts";
import {
  answerLatest,
  call,
  flush,
  harness,
  type HarnessOptions,
  line,
  serve,
} from "../proxy/support.ts";
import { type RecordedSpan, RecordingTracer } from "./recording_tracer.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const PARENT_ID = "b7ad6b7169203331";
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;

const POLICY = `version: "1"
default: allow
tools:
  echo:
    rules:
      - name: no secrets
        action: deny
        conditions: [{ path: args.message, op: contains, value: "secret" }]
        reason: "No secrets"
  pay:
    rules:
      - name: payments need a human
        action: require_approval
        approval: { timeout: 60, from: [operator] }
`;

function traced(options: HarnessOptions = {}) {
  const tracer = new RecordingTracer();
  const h = harness({ policy: POLICY, tracer: new OtelCallTracer(tracer), ...options });
  return { h, tracer };
}

function callWithMeta(id: number, name: string, args: unknown, meta: unknown) {
  const message = call(id, name, args);
  (message.params as Record<string, unknown>)._meta = meta;
  return message;
}

function assertEndedOnce(spans: readonly RecordedSpan[]): void {
  for (const span of spans) equal(span.ends, 1, `${span.name} ended ${span.ends} times`);
}

Deno.test("parentContext() continues a valid traceparent as a remote parent", () => {
  const parent = trace.getSpanContext(parentContext({ traceparent: VALID, other: 1 }));
  deepEqual(parent, { traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: 1, isRemote: true });
});

Deno.test("parentContext() trusts no part of a malformed, oversized or foreign traceparent", () => {
  const inherited = Object.create({ traceparent: VALID });
  const bad: unknown[] = [
    undefined,
    null,
    "00",
    [VALID],
    { traceparent: 1 },
    { traceparent: null },
    { traceparent: [VALID] },
    { traceparent: { toString: () => VALID } },
    { traceparent: VALID.toUpperCase() },
    { traceparent: `01-${TRACE_ID}-${PARENT_ID}-01` },
    { traceparent: `ff-${TRACE_ID}-${PARENT_ID}-01` },
    { traceparent: `${VALID}-extra` },
    { traceparent: ` ${VALID}` },
    { traceparent: `${VALID}\n` },
    { traceparent: VALID.slice(0, -1) },
    { traceparent: `00-${"0".repeat(32)}-${PARENT_ID}-01` },
    { traceparent: `00-${TRACE_ID}-${"0".repeat(16)}-01` },
    { traceparent: `00-${TRACE_ID.slice(0, 31)}g-${PARENT_ID}-01` },
    { traceparent: `00_${TRACE_ID}_${PARENT_ID}_01` },
    { traceparent: VALID + "0".repeat(1_000_000) },
    { traceparent: "0".repeat(55) },
    inherited,
  ];
  for (const meta of bad) {
    equal(parentContext(meta), context.active(), JSON.stringify(meta)?.slice(0, 80));
    equal(trace.getSpanContext(parentContext(meta)), undefined);
  }
});

Deno.test("OtelCallTracer continues the agent's trace: the call span's parent is the traceparent's", async () => {
  const { h, tracer } = traced();
  h.proxy.fromClient(line(callWithMeta(1, "echo", { message: "hi" }, { traceparent: VALID })));
  await serve(h, () => ({ content: [] }));
  const root = tracer.named("tools/call echo");
  equal(root.kind, SpanKind.SERVER);
  deepEqual(root.parent, { traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: 1, isRemote: true });
  equal(root.spanContext().traceId, TRACE_ID);
  for (const child of ["intercept.decide", "intercept.upstream"]) {
    equal(tracer.named(child).parent?.spanId, root.spanContext().spanId, child);
    equal(tracer.named(child).spanContext().traceId, TRACE_ID, child);
  }
  equal(tracer.named("intercept.upstream").kind, SpanKind.CLIENT);
  assertEndedOnce(tracer.spans);
});

Deno.test("OtelCallTracer starts a fresh root span for a call with a malformed traceparent", async () => {
  const { h, tracer } = traced();
  const forged = `00-${TRACE_ID}-${PARENT_ID}-01-and-more`;
  h.proxy.fromClient(line(callWithMeta(1, "echo", { message: "hi" }, { traceparent: forged })));
  await serve(h, () => ({ content: [] }));
  const root = tracer.named("tools/call echo");
  equal(root.parent, null);
  ok(root.spanContext().traceId !== TRACE_ID, "a trace of its own");
  equal(tracer.named("intercept.decide").parent?.spanId, root.spanContext().spanId);
});

Deno.test("OtelCallTracer puts tool, decision and rule on the spans, and never the arguments", async () => {
  const { h, tracer } = traced();
  h.proxy.fromClient(line(call(1, "echo", { message: "the allowed raw argument" })));
  h.proxy.fromClient(line(call(2, "echo", { message: "a secret raw argument" })));
  await serve(h, () => ({ content: [] }));
  const [allowed, denied] = tracer.spans.filter((span) => span.name === "tools/call echo");
  deepEqual(allowed.attributes, {
    "mcp.method.name": "tools/call",
    "gen_ai.tool.name": "echo",
    "intercept.decision": "allow",
    "intercept.rule": "echo",
  });
  deepEqual(denied.attributes, {
    "mcp.method.name": "tools/call",
    "gen_ai.tool.name": "echo",
    "intercept.decision": "deny",
    "intercept.rule": "no secrets",
  });
  const decides = tracer.spans.filter((span) => span.name === "intercept.decide");
  deepEqual(decides.map((span) => span.attributes), [
    { "intercept.decision": "allow", "intercept.rule": "echo" },
    { "intercept.decision": "deny", "intercept.rule": "no secrets" },
  ]);
  equal(
    tracer.spans.filter((span) => span.name === "intercept.upstream").length,
    1,
    "denied: none",
  );
  const everything = JSON.stringify(tracer.spans.map((span) => [span.name, span.attributes]));
  ok(!everything.includes("raw argument"), everything);
  assertEndedOnce(tracer.spans);
});

Deno.test("OtelCallTracer marks the upstream span as an error when the server answers with one", async () => {
  const { h, tracer } = traced();
  h.proxy.fromClient(line(call(1, "echo", { message: "hi" })));
  await flush();
  answerLatest(h, { error: { code: -32000, message: "boom" } });
  await flush();
  deepEqual(tracer.named("intercept.upstream").status, { code: SpanStatusCode.ERROR });
  assertEndedOnce(tracer.spans);
});

Deno.test("OtelCallTracer gives a held call an approval span, then its upstream span once granted", async () => {
  const approvals = new Approvals();
  const { h, tracer } = traced({ approvals });
  h.proxy.fromClient(line(call(1, "pay", { amount: 5 })));
  await flush();
  const decide = tracer.named("intercept.decide");
  deepEqual(decide.attributes, {
    "intercept.decision": "held",
    "intercept.rule": "payments need a human",
  });
  equal(decide.ends, 1);
  const wait = tracer.named("intercept.approval");
  equal(wait.ends, 0, "still waiting");
  const root = tracer.named("tools/call pay");
  equal(wait.parent?.spanId, root.spanContext().spanId);
  approvals.approve(approvals.list()[0].id, "operator ann");
  await serve(h, () => ({ content: [] }));
  equal(tracer.named("intercept.upstream").parent?.spanId, root.spanContext().spanId);
  equal(root.attributes["intercept.decision"], "allow");
  assertEndedOnce(tracer.spans);
});

Deno.test("OtelCallTracer records a rejected held call as denied by the holding rule", async () => {
  const approvals = new Approvals();
  const { h, tracer } = traced({ approvals });
  h.proxy.fromClient(line(call(1, "pay", {})));
  await flush();
  approvals.reject(approvals.list()[0].id, "operator ann", "no");
  await flush();
  const root = tracer.named("tools/call pay");
  equal(root.attributes["intercept.decision"], "deny");
  equal(root.attributes["intercept.rule"], "payments need a human");
  equal(tracer.spans.filter((span) => span.name === "intercept.upstream").length, 0);
  assertEndedOnce(tracer.spans);
});

Deno.test("OtelCallTracer ends each span once whatever order its steps come in", () => {
  const tracer = new RecordingTracer();
  const steps = new OtelCallTracer(tracer).start("echo", undefined);
  steps.held("r");
  steps.decided(true, "r");
  steps.forwarded();
  steps.answered(true);
  steps.end();
  steps.answered(false);
  steps.decided(false, "late");
  steps.held("late");
  steps.forwarded();
  deepEqual(tracer.spans.map((span) => span.name), [
    "tools/call echo",
    "intercept.decide",
    "intercept.approval",
    "intercept.upstream",
  ]);
  assertEndedOnce(tracer.spans);
});

Deno.test("callTracerFromEnv() traces only when OTEL_DENO is exactly true, as Deno reads it", () => {
  ok(callTracerFromEnv("0.1.0", "true") instanceof OtelCallTracer);
  for (const value of [undefined, "", "1", "TRUE", "false", "yes"]) {
    equal(callTracerFromEnv("0.1.0", value), null, String(value));
  }
});
