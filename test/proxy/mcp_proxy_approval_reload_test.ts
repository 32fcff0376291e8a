/**
 * Calls held for a human while what decides calls changes (a policy reload, a live deny): each
 * is decided again at once, not left to wait out its timeout under a rule that is gone.
 */
import { deepEqual, equal, notEqual, ok } from "node:assert/strict";
import { type ApprovalEvent, Approvals } from "../../src/proxy/approvals.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { ProxyRuntime } from "../../src/proxy/proxy_runtime.ts";
import {
  answers,
  assertDenied,
  assertOneAnswerEach,
  call,
  flush,
  forwardedCalls,
  harness,
  line,
  type Message,
  serve,
} from "./support.ts";

const HELD = `version: "1"
tools:
  create-connector:
    rules:
      - name: connectors need a human
        action: require_approval
        approval: { timeout: 60, from: [operator] }
        reason: "New connectors are approved by a human"
  pay:
    rules:
      - name: payments need the user
        action: require_approval
        approval: { timeout: 60, from: [user] }
`;

/** The same tools, nothing held. */
const FREE = `version: "1"
tools:
  create-connector:
    rules:
      - name: one a minute
        rate_limit: { max: 1, window: 60 }
  pay:
    rules:
      - name: payments run
        action: allow
`;

const FROZEN = `version: "1"
tools:
  create-connector:
    rules:
      - name: connectors frozen
        action: deny
        reason: "Connectors are frozen for the migration"
`;

const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": { elicitation: {} },
};

/** A proxy with held calls and its runtime, whose next reload loads `next()`. */
function setUp() {
  const events: ApprovalEvent[] = [];
  const approvals = new Approvals({ onEvent: (event) => events.push(event) });
  const h = harness({ policy: HELD, approvals });
  let next = HELD;
  const runtime = new ProxyRuntime({
    gate: h.gate,
    session: "s1",
    info: {
      version: "0.1.0",
      upstreamCommand: ["server"],
      upstreamPid: 1,
      controlPath: null,
      state: "memory",
    },
    loadPolicy: () => Promise.resolve(loadPolicyText(next, "next.yaml")),
    upstreamTools: () => [],
    clientInfo: () => null,
    approvals,
    onToolsChanged: () => {},
  });
  const reload = async (text: string) => {
    next = text;
    ok((await runtime.reload()).ok);
  };
  return { h, approvals, events, runtime, reload };
}

function modernPay(id: number, retry?: { state: string; approve: boolean }): string {
  const params: Message = { name: "pay", arguments: { amount: 500 }, _meta: ENVELOPE };
  if (retry) {
    params.inputResponses = {
      "intercept-approval": { action: "accept", content: { approve: retry.approve } },
    };
    params.requestState = retry.state;
  }
  return line({ jsonrpc: "2.0", id, method: "tools/call", params });
}

Deno.test("ProxyRuntime reload forwards a held call the new policy no longer holds, taking its quota", async () => {
  const { h, approvals, events, reload } = setUp();
  h.proxy.fromClient(line(call(1, "create-connector", { name: "s3" })));
  h.proxy.fromClient(line(call(2, "create-connector", { name: "gcs" })));
  await flush();
  equal(approvals.size, 2);
  await reload(FREE);
  await serve(h, () => ({ content: [] }));
  equal(approvals.size, 0, "nothing waits for a rule that is gone");
  deepEqual(forwardedCalls(h), ["create-connector"], "decided under the new policy: one a minute");
  const [first, second] = assertOneAnswerEach(h, [1, 2]);
  ok(!first.result.isError, JSON.stringify(first));
  assertDenied(second, "one a minute");
  deepEqual(events.map((event) => event.type), [
    "approval_requested",
    "approval_requested",
    "approval_released",
    "approval_released",
  ]);
});

Deno.test("ProxyRuntime reload denies a held call the new policy denies, with the new reason", async () => {
  const { h, approvals, reload } = setUp();
  h.proxy.fromClient(line(call(1, "create-connector", {})));
  await flush();
  await reload(FROZEN);
  await h.proxy.settled();
  const text = assertDenied(assertOneAnswerEach(h, [1])[0], "connectors frozen");
  ok(text.includes("Connectors are frozen for the migration"), text);
  equal(approvals.size, 0);
  deepEqual(forwardedCalls(h), []);
});

Deno.test("ProxyRuntime reload keeps holding a call the new policy holds under the same rule", async () => {
  const { h, approvals, events, reload } = setUp();
  h.proxy.fromClient(line(call(1, "create-connector", {})));
  await flush();
  const [before] = approvals.list();
  await reload(HELD.replace("timeout: 60, from: [operator]", "timeout: 30, from: [operator]"));
  await flush();
  deepEqual(approvals.list().map((approval) => approval.id), [before.id], "the same approval");
  deepEqual(answers(h), []);
  ok(approvals.approve(before.id, "operator ann"));
  await serve(h, () => ({ content: [] }));
  deepEqual(forwardedCalls(h), ["create-connector"]);
  assertOneAnswerEach(h, [1]);
  ok(!events.some((event) => event.type === "approval_released"));
});

Deno.test("ProxyRuntime reload holds a call anew when another rule, or other approvers, now hold it", async () => {
  const { h, approvals, reload } = setUp();
  h.proxy.fromClient(line(call(1, "create-connector", {})));
  await flush();
  const [before] = approvals.list();
  await reload(HELD.replace("connectors need a human", "connectors need two humans"));
  await flush();
  const [after] = approvals.list();
  ok(after, "still held");
  notEqual(after.id, before.id);
  equal(after.rule, "connectors need two humans");
  deepEqual(answers(h), []);
  ok(approvals.reject(after.id, "operator ann", "no"));
  await h.proxy.settled();
  assertDenied(assertOneAnswerEach(h, [1])[0], "connectors need two humans");
});

Deno.test("ProxyRuntime live deny denies a held call of the tool at once", async () => {
  const { h, approvals, runtime } = setUp();
  h.proxy.fromClient(line(call(1, "create-connector", {})));
  await flush();
  runtime.deny("create-connector", "incident 42", "ann");
  await h.proxy.settled();
  const text = assertDenied(assertOneAnswerEach(h, [1])[0], "operator deny");
  ok(text.includes("incident 42"), text);
  equal(approvals.size, 0);
});

Deno.test("ProxyRuntime reload releases a modern user's question: a yes then runs the call, a no still stops it", async () => {
  const { h, approvals, reload } = setUp();
  h.proxy.fromClient(modernPay(1));
  h.proxy.fromClient(modernPay(2));
  await h.proxy.settled();
  const [yes, no] = assertOneAnswerEach(h, [1, 2]).map((asked: Message) => {
    equal(asked.result.resultType, "input_required");
    return asked.result.requestState as string;
  });
  await reload(FREE);
  equal(approvals.size, 0, "the questions leave the operators' list");
  h.proxy.fromClient(modernPay(3, { state: yes, approve: true }));
  h.proxy.fromClient(modernPay(4, { state: no, approve: false }));
  await serve(h, () => ({ resultType: "complete", content: [] }));
  deepEqual(forwardedCalls(h), ["pay"]);
  const [ran, stopped] = assertOneAnswerEach(h, [3, 4]);
  equal(ran.result.isError, undefined, JSON.stringify(ran));
  const text = assertDenied(stopped, "payments need the user");
  ok(text.includes("declined"), text);
});
