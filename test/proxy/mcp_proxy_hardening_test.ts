/** McpProxy under a hostile client: cancellations, numbers out of range, truthful records. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { MAX_IN_FLIGHT } from "../../src/proxy/mcp_proxy.ts";
import { PolicyGate } from "../../src/proxy/policy_gate.ts";
import {
  answers,
  answersFor,
  answerUp,
  assertDenied,
  assertError,
  assertNothingForwarded,
  assertOneAnswerEach,
  call,
  forwardedCalls,
  harness,
  line,
  type Message,
  POLICY,
  request,
  serve,
} from "./support.ts";

function cancel(id: unknown, reason?: string): string {
  const params: Record<string, unknown> = { requestId: id };
  if (reason) params.reason = reason;
  return line({ jsonrpc: "2.0", method: "notifications/cancelled", params });
}

Deno.test("McpProxy frees a cancelled request's id at once and tells the upstream", () => {
  const h = harness();
  h.proxy.fromClient(line(request(1, "resources/read", { uri: "file:///slow" })));
  const up = h.upstream.messages[0];
  h.proxy.fromClient(cancel(1, "user stopped it"));
  equal(h.proxy.inFlight, 0);
  deepEqual(h.upstream.messages[1], {
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { reason: "user stopped it", requestId: up.id },
  });
  // The id is free: a new request may use it, and the old one's late answer is dropped.
  h.proxy.fromClient(line(request(1, "ping")));
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: up.id, result: { contents: ["late"] } }));
  deepEqual(h.client.lines, []);
  answerUp(h, 2, { result: {} });
  deepEqual(answers(h), [{ jsonrpc: "2.0", id: 1, result: {} }]);
});

Deno.test("McpProxy stays usable after more cancellations than requests may be in flight", () => {
  const h = harness();
  for (let i = 0; i < MAX_IN_FLIGHT + 10; i++) {
    h.proxy.fromClient(line(request(i, "ping")));
    h.proxy.fromClient(cancel(i));
  }
  equal(h.proxy.inFlight, 0);
  h.proxy.fromClient(line(call("after", "denied-tool")));
  assertDenied(assertOneAnswerEach(h, ["after"])[0], "no denied");
  h.proxy.fromClient(line(request("ping", "ping")));
  equal(h.proxy.inFlight, 1, "taken on, not refused as too many");
});

Deno.test("McpProxy answers a batch without its cancelled element, and only once", async () => {
  const h = harness();
  h.proxy.fromClient(line([request(1, "ping"), request(2, "ping"), call(3, "denied-tool")]));
  h.proxy.fromClient(cancel(2));
  await serve(h);
  equal(h.client.lines.length, 1);
  const batch = JSON.parse(h.client.lines[0]);
  deepEqual(batch.map((answer: Message) => answer.id).sort(), [1, 3]);
  h.proxy.upstreamEnded(0);
  equal(h.client.lines.length, 1);
});

Deno.test("McpProxy drops a cancellation for an id it never took on", () => {
  const h = harness();
  h.proxy.fromClient(cancel(99));
  h.proxy.fromClient(cancel({ not: "an id" }));
  assertNothingForwarded(h);
});

Deno.test("McpProxy refuses a call whose arguments hold a number out of range", () => {
  const h = harness();
  h.proxy.fromClient(
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":' +
      '{"name":"echo","arguments":{"amount":-1e400}}}',
  );
  h.proxy.fromClient(
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":' +
      `{"name":"echo","arguments":{"n":[${"9".repeat(400)}]}}}`,
  );
  h.proxy.fromClient('{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"x":1e999}}');
  h.proxy.fromClient('{"jsonrpc":"2.0","method":"notifications/progress","params":{"p":1e999}}');
  assertNothingForwarded(h);
  for (const answer of assertOneAnswerEach(h, [1, 2, 3])) {
    assertError(answer, -32602);
    ok(answer.error.message.includes("out of range"), answer.error.message);
  }
  equal(h.decisions.length, 0, "refused before the policy sees it");
  // Large but finite numbers, and tiny ones, go up as the policy saw them.
  h.proxy.fromClient(
    '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":' +
      '{"name":"echo","arguments":{"a":1e308,"b":1e-400}}}',
  );
  deepEqual(h.upstream.messages[0].params.arguments, { a: 1e308, b: 0 });
});

Deno.test("McpProxy refuses a call past the in-flight bound before deciding it: no quota taken", async () => {
  const h = harness();
  for (let id = 0; id < MAX_IN_FLIGHT; id++) h.proxy.fromClient(line(request(id, "ping")));
  h.proxy.fromClient(line(call("paced", "paced-tool")));
  assertError(assertOneAnswerEach(h, ["paced"])[0], -32600);
  equal(h.decisions.length, 0, "not recorded as allowed");
  await serve(h);
  h.proxy.fromClient(line(call("paced-again", "paced-tool")));
  deepEqual(forwardedCalls(h), ["paced-tool"], "the quota of one is still whole");
});

Deno.test("McpProxy refuses a call after the upstream ended, before deciding it", () => {
  const h = harness();
  h.proxy.upstreamEnded(1);
  h.proxy.fromClient(line(call(1, "paced-tool")));
  assertError(assertOneAnswerEach(h, [1])[0], -32603);
  equal(h.decisions.length, 0);
  equal(h.gate.quotaViews("paced-tool", "s1")[0].remaining, 1);
});

Deno.test("McpProxy answers a reused in-flight id without that id, keeping the first's answer", async () => {
  const h = harness();
  h.proxy.fromClient(line(request(5, "ping")));
  h.proxy.fromClient(line(call(5, "denied-tool")));
  const [refusal] = answers(h);
  equal(refusal.id, null);
  assertError(refusal, -32600);
  await serve(h);
  equal(answersFor(h, 5).length, 1);
});

/** A value nested `depth` arrays deep: JSON.parse takes it, a recursive walk does not. */
function nested(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

const DEEP = 200_000;

Deno.test("McpProxy answers a call nested too deep for a recursive walk, whatever its numbers", async () => {
  const h = harness();
  const text = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",` +
    `"arguments":{"deep":${nested(DEEP)},"big":1e400}}}`;
  h.proxy.fromClient(text);
  await h.proxy.settled();
  assertError(assertOneAnswerEach(h, [1])[0], -32602);
  assertNothingForwarded(h);
  equal(h.proxy.inFlight, 0);
});

Deno.test("McpProxy answers a modern retry whose arguments it cannot digest, and frees its id", async () => {
  const h = harness();
  const text = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",` +
    `"arguments":{"deep":${nested(DEEP)}},"requestState":"s","inputResponses":{},` +
    `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`;
  h.proxy.fromClient(text);
  await h.proxy.settled();
  assertError(assertOneAnswerEach(h, [1])[0], -32603);
  assertNothingForwarded(h);
  equal(h.proxy.inFlight, 0, "the id is free again");
  h.proxy.fromClient(line(request(1, "ping")));
  equal(h.proxy.inFlight, 1, "and usable");
});

Deno.test("McpProxy answers a call that a part of its own failed on, at once, and frees its id", () => {
  const policy = loadPolicyText(POLICY, "test.yaml");
  const gate = new (class extends PolicyGate {
    override decide(): never {
      throw new Error("a broken part");
    }
  })(policy);
  const h = harness({ gate });
  equal(h.proxy.fromClient(line(call(1, "echo", {}))), 1, "one answer promised");
  const [answer] = assertOneAnswerEach(h, [1]);
  assertError(answer, -32603);
  ok(answer.error.message.includes("a broken part"), answer.error.message);
  equal(h.proxy.inFlight, 0);
  ok(h.errors.some((error) => error.includes("a broken part")));
});
