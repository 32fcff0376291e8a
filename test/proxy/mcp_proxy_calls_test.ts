/** McpProxy and single tools/call messages: decided first, malformed refused, denials as agents read them. */
import { deepEqual, doesNotThrow, equal, notEqual, ok } from "node:assert/strict";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { type Decided, PolicyGate } from "../../src/proxy/policy_gate.ts";
import { MemoryBackend } from "../../src/state/memory_backend.ts";
import type { StateBackend } from "../../src/state/state_backend.ts";
import { MAX_IN_FLIGHT, MAX_TOOL_NAME } from "../../src/proxy/mcp_proxy.ts";
import {
  answers,
  assertDenied,
  assertError,
  assertNothingForwarded,
  assertOneAnswerEach,
  call,
  forwardedCalls,
  harness,
  line,
  POLICY,
  request,
  sentUp,
  serve,
  withoutId,
} from "./support.ts";

Deno.test("McpProxy forwards an allowed call re-serialised, as it was evaluated", async () => {
  const h = harness();
  const raw = '{ "jsonrpc": "2.0", "id": 1, "method": "tools/call",\t"params": ' +
    '{ "name": "echo", "arguments": { "text": "caf\\u00e9", "n": 1.50 } } }';
  h.proxy.fromClient(raw);
  // Re-serialised under the proxy's own id: the value the policy saw, and nothing else.
  const up = JSON.parse(h.upstream.lines[0]);
  deepEqual(withoutId(up), withoutId(JSON.parse(raw)));
  equal(h.upstream.lines[0], JSON.stringify({ ...JSON.parse(raw), id: up.id }));
  notEqual(h.upstream.lines[0], raw);
  equal(h.proxy.inFlight, 1);
  await serve(h, () => ({ content: [{ type: "text", text: "ok" }] }));
  const [answer] = assertOneAnswerEach(h, [1]);
  deepEqual(answer.result, { content: [{ type: "text", text: "ok" }] });
  equal(h.proxy.inFlight, 0);
  equal(h.decisions.length, 1);
  equal(h.decisions[0].decision.allowed, true);
});

Deno.test("McpProxy denies a call without forwarding it, in the agent-facing format", () => {
  const h = harness();
  h.proxy.fromClient(line(call("d-1", "denied-tool", { x: 1 })));
  assertNothingForwarded(h);
  const [answer] = assertOneAnswerEach(h, ["d-1"]);
  equal(answer.jsonrpc, "2.0");
  equal(answer.error, undefined);
  deepEqual(answer.result, {
    content: [{ type: "text", text: "[INTERCEPT POLICY DENIED] Denied by the test policy" }],
    isError: true,
    _meta: {
      "intercept/decision": {
        rule: "no denied",
        reason: "Denied by the test policy",
        retryAfterMs: null,
      },
    },
  });
  equal(h.decisions[0].decision.allowed, false);
  deepEqual(h.decisions[0].args, { x: 1 });
});

Deno.test("McpProxy decides by the last of duplicate keys, as JSON.parse reads them", () => {
  const h = harness();
  // A naive scanner sees tools/list; JSON.parse (and the upstream) see tools/call.
  h.proxy.fromClient(
    '{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"denied-tool"}}',
  );
  h.proxy.fromClient(
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","name":"denied-tool"}}',
  );
  assertNothingForwarded(h);
  for (const answer of assertOneAnswerEach(h, [1, 2])) assertDenied(answer, "no denied");
});

Deno.test("McpProxy forwards the parsed message, never the raw bytes with duplicate keys", () => {
  const h = harness();
  const raw =
    '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"denied-tool"},"params":{"name":"echo"}}';
  h.proxy.fromClient(raw);
  deepEqual(sentUp(h), [{ jsonrpc: "2.0", method: "tools/call", params: { name: "echo" } }]);
  ok(!h.upstream.lines[0].includes("denied-tool"));
});

Deno.test("McpProxy drops a tools/call sent as a notification", () => {
  const h = harness();
  h.proxy.fromClient(line({ jsonrpc: "2.0", method: "tools/call", params: { name: "echo" } }));
  h.proxy.fromClient(
    line({ jsonrpc: "2.0", method: "tools/call", params: { name: "denied-tool" } }),
  );
  assertNothingForwarded(h);
  deepEqual(h.client.lines, []);
  equal(h.warnings.length, 2);
});

Deno.test("McpProxy refuses ids of odd types with -32600 and forwards nothing", () => {
  const h = harness();
  const odd = [null, {}, { a: 1 }, true, false, [], [1]];
  for (const id of odd) {
    h.proxy.fromClient(line(call(id, "echo")));
    h.proxy.fromClient(line(request(id, "tools/list")));
  }
  h.proxy.fromClient('{"jsonrpc":"2.0","id":1e400,"method":"tools/call","params":{"name":"echo"}}');
  assertNothingForwarded(h);
  const all = answers(h);
  equal(all.length, odd.length * 2 + 1);
  for (const answer of all) {
    assertError(answer, -32600);
    equal(answer.id, null);
  }
});

Deno.test("McpProxy answers malformed tools/call params with -32602 and forwards nothing", () => {
  const h = harness();
  const bad: unknown[] = [
    undefined,
    null,
    [],
    "echo",
    {},
    { name: 7 },
    { name: null },
    { name: ["echo"] },
    { name: "echo", arguments: [] },
    { name: "echo", arguments: "{}" },
    { name: "echo", arguments: null },
    { name: "echo", arguments: 5 },
  ];
  const ids = bad.map((_, i) => i + 1);
  bad.forEach((params, i) => h.proxy.fromClient(line(request(ids[i], "tools/call", params))));
  assertNothingForwarded(h);
  for (const answer of assertOneAnswerEach(h, ids)) assertError(answer, -32602);
  equal(h.decisions.length, 0);
});

Deno.test("McpProxy answers invalid JSON with -32700 and id null", () => {
  const h = harness();
  for (const raw of ["{", "not json", '{"jsonrpc":"2.0","id":1,"method":"tools/call"', "\u0000"]) {
    h.proxy.fromClient(raw);
  }
  assertNothingForwarded(h);
  equal(h.client.lines.length, 4);
  for (const answer of answers(h)) {
    assertError(answer, -32700);
    equal(answer.id, null);
  }
});

Deno.test("McpProxy answers requests that are not JSON-RPC 2.0 with -32600", () => {
  const h = harness();
  h.proxy.fromClient("[]");
  h.proxy.fromClient(line({ jsonrpc: "2.0", id: 1 })); // no method, no result
  h.proxy.fromClient(line({ jsonrpc: "2.0", id: 2, method: 7 }));
  h.proxy.fromClient(line({ id: 3, method: "tools/call", params: { name: "echo" } }));
  h.proxy.fromClient(line({ jsonrpc: "1.0", id: 4, method: "tools/call", params: { name: "e" } }));
  h.proxy.fromClient("42");
  h.proxy.fromClient('"tools/call"');
  h.proxy.fromClient("null");
  assertNothingForwarded(h);
  const all = answers(h);
  equal(all.length, 8);
  for (const answer of all) assertError(answer, -32600);
  deepEqual(all.map((answer) => answer.id), [null, 1, 2, 3, 4, null, null, null]);
});

Deno.test("McpProxy denies hidden tools, by name and by glob", () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "secret-tool")));
  h.proxy.fromClient(line(call(2, "admin_reset", {})));
  assertNothingForwarded(h);
  const [secret, admin] = assertOneAnswerEach(h, [1, 2]);
  equal(
    assertDenied(secret, "hide"),
    '[INTERCEPT POLICY DENIED] Tool "secret-tool" is hidden by policy',
  );
  assertDenied(admin, "hide");
});

Deno.test("McpProxy denies with the operator's reason while a live deny holds", async () => {
  const h = harness();
  h.gate.liveDenies.set("echo", "Paused by the on-call engineer");
  h.proxy.fromClient(line(call(1, "echo")));
  assertNothingForwarded(h);
  const [answer] = assertOneAnswerEach(h, [1]);
  equal(
    assertDenied(answer, "operator deny"),
    "[INTERCEPT POLICY DENIED] Paused by the on-call engineer",
  );
  equal(answer.result._meta["intercept/decision"].reason, "Paused by the on-call engineer");
  h.gate.liveDenies.delete("echo");
  h.proxy.fromClient(line(call(2, "echo")));
  deepEqual(forwardedCalls(h), ["echo"]);
  await serve(h);
  assertOneAnswerEach(h, [1, 2]);
});

Deno.test("McpProxy denies past a rate limit with the time to wait, and takes no quota for it", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "paced-tool")));
  await serve(h);
  h.clock.now += 48_000;
  h.proxy.fromClient(line(call(2, "paced-tool")));
  deepEqual(forwardedCalls(h), ["paced-tool"]);
  const [, denied] = assertOneAnswerEach(h, [1, 2]);
  const text = assertDenied(denied, "paced");
  equal(text, "[INTERCEPT POLICY DENIED] One a minute (retry in 12s)");
  ok(text.endsWith("(retry in 12s)"));
  equal(denied.result._meta["intercept/decision"].retryAfterMs, 12_000);
  h.clock.now += 12_000;
  h.proxy.fromClient(line(call(3, "paced-tool")));
  deepEqual(forwardedCalls(h), ["paced-tool", "paced-tool"]);
  await serve(h);
  assertOneAnswerEach(h, [1, 2, 3]);
});

Deno.test("McpProxy denies unlisted tools under default: deny", () => {
  const h = harness({ policy: 'version: "1"\ndefault: deny\ntools: {}\n' });
  h.proxy.fromClient(line(call(1, "echo")));
  assertNothingForwarded(h);
  assertDenied(assertOneAnswerEach(h, [1])[0], "default");
});

Deno.test("McpProxy fails closed when the state store throws", () => {
  const failures: string[] = [];
  const policy = loadPolicyText(POLICY, "test.yaml");
  const backend = new MemoryBackend();
  backend.take = () => {
    throw new Error("state store unreachable");
  };
  const gate = new PolicyGate(policy, {
    backend,
    onStateError: (error) => failures.push(error.message),
  });
  const h = harness({ gate });
  doesNotThrow(() => h.proxy.fromClient(line(call(1, "paced-tool"))));
  assertNothingForwarded(h);
  const text = assertDenied(assertOneAnswerEach(h, [1])[0], "state store");
  ok(text.includes("State store unavailable: state store unreachable"), text);
  deepEqual(failures, ["state store unreachable"]);
});

Deno.test("McpProxy fails closed when a slow state store does not answer in time", async () => {
  const policy = loadPolicyText(POLICY, "test.yaml");
  const backend = laterBackend(50);
  let released = 0;
  backend.release = () => void released++;
  const gate = new PolicyGate(policy, { backend, stateTimeoutMs: 5 });
  const h = harness({ gate });
  h.proxy.fromClient(line(call(1, "paced-tool")));
  await h.proxy.settled();
  const text = assertDenied(assertOneAnswerEach(h, [1])[0], "state store");
  ok(text.includes("no answer within 5 ms"), text);
  assertNothingForwarded(h);
  await new Promise((resolve) => setTimeout(resolve, 80));
  equal(released, 1, "the late take is given back");
});

Deno.test("McpProxy gives a take back when the call is cancelled while the store answers", async () => {
  const policy = loadPolicyText(POLICY, "test.yaml");
  const gate = new PolicyGate(policy, { backend: laterBackend(0) });
  const h = harness({ gate });
  h.proxy.fromClient(line(call(1, "paced-tool")));
  h.proxy.fromClient(
    line({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } }),
  );
  await h.proxy.settled();
  assertNothingForwarded(h);
  equal(h.decisions.length, 0, "not recorded as allowed");
  equal(gate.quotaViews("paced-tool", "s1")[0].remaining, 1, "the quota is whole again");
});

/** A memory store that answers like a remote one: with a promise, after `delayMs`. */
function laterBackend(delayMs: number): StateBackend {
  const memory = new MemoryBackend();
  return {
    description: "later",
    take: (plan, now) =>
      new Promise((resolve) => setTimeout(() => resolve(memory.take(plan, now)), delayMs)),
    release: (plan, receipt) => memory.release(plan, receipt),
    peek: (quotas, now) => memory.peek(quotas, now),
    endSession: (session) => memory.endSession(session),
    reset: (entry) => memory.reset(entry),
    close: () => memory.close(),
  };
}

/** A policy whose entry lookup throws, as a broken engine or store would. */
function explodingPolicy(): CompiledPolicy {
  const policy = loadPolicyText(POLICY, "test.yaml");
  const exact = {
    get(): never {
      throw new Error("engine exploded");
    },
    has(): never {
      throw new Error("engine exploded");
    },
  };
  return { ...policy, exact: exact as unknown as CompiledPolicy["exact"] };
}

Deno.test("PolicyGate.decide() fails closed when the engine throws", () => {
  const gate = new PolicyGate(explodingPolicy());
  const { decision } = gate.decide({ tool: "echo", args: {}, session: "s1" }) as Decided;
  equal(decision.allowed, false);
  equal(decision.rule, "internal error");
});

Deno.test({
  name: "McpProxy fails closed when the engine throws while looking up the tool",
  fn() {
    const h = harness({ policy: explodingPolicy() });
    doesNotThrow(() => h.proxy.fromClient(line(call(1, "echo"))));
    assertNothingForwarded(h);
    assertDenied(assertOneAnswerEach(h, [1])[0], "internal error");
  },
});

Deno.test({
  name: "McpProxy answers a call even when the decision observer throws",
  fn() {
    const h = harness({
      onDecision: () => {
        throw new Error("audit disk full");
      },
    });
    doesNotThrow(() => h.proxy.fromClient(line(call(1, "denied-tool"))));
    assertOneAnswerEach(h, [1]);
  },
});

Deno.test("McpProxy refuses a tool name longer than MCP names go, without deciding it", () => {
  const h = harness();
  h.proxy.fromClient(line(call(77, "x".repeat(MAX_TOOL_NAME + 1))));
  const [answer] = assertOneAnswerEach(h, [77]);
  assertError(answer, -32602);
  assertNothingForwarded(h);
  h.proxy.fromClient(line(call(78, "x".repeat(MAX_TOOL_NAME))));
  equal(h.upstream.lines.length, 1, "a name at the limit is decided and forwarded");
});

Deno.test("McpProxy refuses a request past the bound on requests in flight", () => {
  const h = harness();
  for (let id = 0; id < MAX_IN_FLIGHT; id++) h.proxy.fromClient(line(request(id, "ping")));
  equal(h.proxy.inFlight, MAX_IN_FLIGHT);
  h.proxy.fromClient(line(request("one-more", "ping")));
  const [answer] = assertOneAnswerEach(h, ["one-more"]);
  assertError(answer, -32600);
  equal(h.upstream.lines.length, MAX_IN_FLIGHT);
});

Deno.test("McpProxy records each decision with its own client: the initialize's, or the modern call's", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "echo")));
  h.proxy.fromClient(line(request(2, "initialize", {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "legacy-agent", version: "1" },
  })));
  await serve(h, () => ({ protocolVersion: "2025-11-25", capabilities: { tools: {} } }));
  h.proxy.fromClient(line(call(3, "echo")));
  const modern = (id: number, client: string) =>
    line({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: {
        name: "echo",
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": { name: client, version: "2" },
        },
      },
    });
  h.proxy.fromClient(modern(4, "agent-x"));
  h.proxy.fromClient(modern(5, "agent-y"));
  await serve(h);
  deepEqual(h.decisions.map((event) => [event.client, event.era]), [
    [null, "legacy"],
    ["legacy-agent", "legacy"],
    ["agent-x", "modern"],
    ["agent-y", "modern"],
  ]);
});
