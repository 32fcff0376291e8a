/** Shared helpers for McpProxy tests: in-memory channels, a policy gate, a fake upstream. */
import { deepEqual, equal, ok } from "node:assert/strict";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { type DecisionEvent, McpProxy } from "../../src/proxy/mcp_proxy.ts";
import type { Approvals } from "../../src/proxy/approvals.ts";
import type { CallTracer } from "../../src/proxy/events.ts";
import { PolicyGate } from "../../src/proxy/policy_gate.ts";
import type { LineChannel } from "../../src/transports/stdio.ts";

/** A parsed JSON-RPC message, read loosely: tests index into it freely. */
// deno-lint-ignore no-explicit-any
export type Message = any;

/** The policy most proxy tests run under. */
export const POLICY = `version: "1"
default: allow
hide: [secret-tool, "admin_*"]
tools:
  denied-tool:
    rules:
      - name: no denied
        action: deny
        reason: "Denied by the test policy"
  paced-tool:
    rules:
      - name: paced
        rate_limit: { max: 1, window: 60 }
        reason: "One a minute"
  checked-tool:
    rules:
      - name: args checked
        validate: { required_args: true }
`;

/** A line channel that records what is sent on it. */
export class RecordingChannel implements LineChannel {
  readonly lines: string[] = [];

  send(line: string): void {
    this.lines.push(line);
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  /** Every line sent so far, parsed. */
  get messages(): Message[] {
    return this.lines.map((line) => JSON.parse(line));
  }
}

export interface Harness {
  proxy: McpProxy;
  gate: PolicyGate;
  /** What the proxy sent to the client. */
  client: RecordingChannel;
  /** What the proxy sent to the upstream. */
  upstream: RecordingChannel;
  warnings: string[];
  errors: string[];
  decisions: DecisionEvent[];
  clock: { now: number };
  /** How many upstream lines `serve` has looked at. */
  served: number;
}

export interface HarnessOptions {
  policy?: string | CompiledPolicy;
  gate?: PolicyGate;
  upstreamTimeoutMs?: number;
  maxBytes?: number;
  approvals?: Approvals;
  /** The agent session and principal (default "s1", and the session). */
  session?: string;
  principal?: string;
  /** Replaces the harness's own decision recorder. */
  onDecision?: (event: DecisionEvent) => void;
  onUpstreamAnswer?: (durationMs: number, ok: boolean) => void;
  tracer?: CallTracer;
}

export function harness(options: HarnessOptions = {}): Harness {
  const clock = { now: 1_000_000 };
  const policy = typeof options.policy === "object"
    ? options.policy
    : loadPolicyText(options.policy ?? POLICY, "test.yaml");
  const gate = options.gate ?? new PolicyGate(policy, { now: () => clock.now });
  const client = new RecordingChannel();
  const upstream = new RecordingChannel();
  const warnings: string[] = [];
  const errors: string[] = [];
  const decisions: DecisionEvent[] = [];
  const proxy = new McpProxy({
    gate,
    session: options.session ?? "s1",
    principal: options.principal,
    client,
    upstream,
    log: { warn: (message) => warnings.push(message), error: (message) => errors.push(message) },
    onDecision: options.onDecision ?? ((event) => decisions.push(event)),
    onUpstreamAnswer: options.onUpstreamAnswer,
    tracer: options.tracer,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    maxBytes: options.maxBytes,
    approvals: options.approvals,
    now: () => clock.now,
  });
  return { proxy, gate, client, upstream, warnings, errors, decisions, clock, served: 0 };
}

/** Lets promise callbacks and zero-delay timers run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export function request(id: unknown, method: string, params?: unknown): Record<string, unknown> {
  const message: Record<string, unknown> = { jsonrpc: "2.0", id, method };
  if (params !== undefined) message.params = params;
  return message;
}

export function call(id: unknown, name: string, args?: unknown): Record<string, unknown> {
  return request(id, "tools/call", args === undefined ? { name } : { name, arguments: args });
}

export function line(message: unknown): string {
  return JSON.stringify(message);
}

/** Every answer the client got, batch elements included, in order. */
export function answers(h: Harness): Message[] {
  return h.client.messages.flat();
}

/** The answers the client got for `id`. */
export function answersFor(h: Harness, id: unknown): Message[] {
  return answers(h).filter((message) => "id" in message && message.id === id && !message.method);
}

/** Asserts that each id got exactly one answer, and returns those answers in the ids' order. */
export function assertOneAnswerEach(h: Harness, ids: readonly unknown[]): Message[] {
  return ids.map((id) => {
    const found = answersFor(h, id);
    equal(found.length, 1, `id ${JSON.stringify(id)} got ${found.length} answers`);
    return found[0];
  });
}

/** A message without its `id`: what the upstream got, whatever id the proxy gave it. */
export function withoutId(message: Message): Message {
  const { id: _, ...rest } = message;
  return rest;
}

/** What the upstream received, ids left out (the proxy gives every request its own). */
export function sentUp(h: Harness): Message[] {
  return h.upstream.messages.flat().map(withoutId);
}

/** Answers the upstream request the proxy sent `index`-th (from 0), under the proxy's id. */
export function answerUp(h: Harness, index: number, answer: Record<string, unknown>): void {
  const sent = h.upstream.messages.flat()[index];
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: sent.id, ...answer }));
}

/** Answers the latest request the proxy sent up, under the proxy's id. */
export function answerLatest(h: Harness, answer: Record<string, unknown>): void {
  const requests = h.upstream.messages.flat().filter((message: Message) => "id" in message);
  const latest = requests[requests.length - 1];
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: latest.id, ...answer }));
}

/** Tool names of every tools/call the upstream received (batches included). */
export function forwardedCalls(h: Harness): string[] {
  return h.upstream.messages.flat()
    .filter((message) => message?.method === "tools/call")
    .map((message) => message.params?.name);
}

export function assertNothingForwarded(h: Harness): void {
  deepEqual(h.upstream.lines, [], "nothing may reach the upstream");
}

export function assertDenied(answer: Message, rule: string): string {
  ok(answer.result, `expected a denial result, got ${JSON.stringify(answer)}`);
  equal(answer.result.isError, true);
  equal(answer.result._meta["intercept/decision"].rule, rule);
  const text: string = answer.result.content[0].text;
  ok(text.startsWith("[INTERCEPT POLICY DENIED] "), text);
  return text;
}

export function assertError(answer: Message, code: number): void {
  ok(answer.error, `expected an error, got ${JSON.stringify(answer)}`);
  equal(answer.error.code, code);
  equal(answer.jsonrpc, "2.0");
  equal(answer.result, undefined);
}

export type UpstreamHandler = (request: Message) => unknown;

/**
 * Plays the upstream: answers every request the proxy forwarded since the last call, with
 * `handler(request)` as its result, until no new request arrives. Returns the requests served.
 */
export async function serve(
  h: Harness,
  handler: UpstreamHandler = () => ({}),
): Promise<Message[]> {
  const served: Message[] = [];
  for (;;) {
    await flush();
    const fresh = h.upstream.messages.slice(h.served).flat();
    h.served = h.upstream.lines.length;
    const requests = fresh.filter((message) => message?.method && "id" in message);
    if (requests.length === 0) return served;
    for (const message of requests) {
      served.push(message);
      h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: message.id, result: handler(message) }));
    }
  }
}
