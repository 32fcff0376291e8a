/** McpProxy and validate.required_args: its own paged tools/list, and the client kept in order. */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  answerLatest,
  answers,
  answersFor,
  assertDenied,
  assertOneAnswerEach,
  call,
  flush,
  forwardedCalls,
  harness,
  line,
  type Message,
  request,
  sentUp,
  serve,
} from "./support.ts";

const CHECKED = {
  name: "checked-tool",
  inputSchema: {
    type: "object",
    properties: { topic: { type: "string" }, key: { type: "string" } },
    required: ["topic", "key"],
  },
};

/** Two pages; the checked tool is on the second. */
function pagedList(message: Message): unknown {
  if (message.method !== "tools/list") return { content: [] };
  return message.params?.cursor === "p2"
    ? { tools: [CHECKED] }
    : { tools: [{ name: "echo" }, { name: "secret-tool" }], nextCursor: "p2" };
}

/** The proxy's own requests: in these tests the client itself never lists tools. */
function isOwn(message: Message): boolean {
  return message.method === "tools/list";
}

/** Every answer the client got is to an id the client used. */
function assertOnlyClientIds(h: ReturnType<typeof harness>, ids: readonly unknown[]): void {
  for (const answer of answers(h)) ok(ids.includes(answer.id), JSON.stringify(answer));
}

Deno.test("McpProxy pages through its own tools/list and denies missing required args", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "orders" })));
  const own = h.upstream.messages[0];
  ok(isOwn(own), JSON.stringify(own));
  equal(own.method, "tools/list");
  deepEqual(h.client.lines, []);
  const served = await serve(h, pagedList);
  deepEqual(served.map((message) => [isOwn(message), message.params]), [
    [true, {}],
    [true, { cursor: "p2" }],
  ]);
  deepEqual(forwardedCalls(h), []);
  equal(h.client.lines.length, 1, "the own tools/list answers never reach the client");
  const text = assertDenied(assertOneAnswerEach(h, [1])[0], "args checked");
  ok(text.includes("missing required argument: key"), text);
});

Deno.test("McpProxy forwards a call with every required arg once the schema is known", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "orders", key: "k" })));
  await serve(h, pagedList);
  deepEqual(forwardedCalls(h), ["checked-tool"]);
  deepEqual(h.upstream.messages.map((message: Message) => isOwn(message)), [true, true, false]);
  deepEqual(assertOneAnswerEach(h, [1])[0].result, { content: [] });
  assertOnlyClientIds(h, [1]);
});

Deno.test("McpProxy lets every other message pass while one call waits for the schema", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "t", key: "k" })));
  h.proxy.fromClient(line(request(2, "ping")));
  h.proxy.fromClient(line({ jsonrpc: "2.0", method: "notifications/progress", params: {} }));
  h.proxy.fromClient(line(call(3, "denied-tool")));
  h.proxy.fromClient(line(call(4, "echo")));
  // Only the checked call waits: the rest went up, or was answered, at once.
  deepEqual(sentUp(h).map((message: Message) => message.params?.name ?? message.method), [
    "tools/list",
    "ping",
    "notifications/progress",
    "echo",
  ]);
  assertDenied(assertOneAnswerEach(h, [3])[0], "no denied");
  await serve(h, pagedList);
  deepEqual(forwardedCalls(h), ["echo", "checked-tool"]);
  assertOneAnswerEach(h, [1, 2, 3, 4]);
});

Deno.test("McpProxy bounds the waiting calls' bytes so the reader can stop", async () => {
  const h = harness();
  const sent = line(call(1, "checked-tool", { topic: "t", key: "k".repeat(1_000) }));
  h.proxy.fromClient(sent);
  equal(h.proxy.waitingBytes, sent.length);
  await serve(h, pagedList);
  await h.proxy.settled();
  equal(h.proxy.waitingBytes, 0);
});

Deno.test("McpProxy withdraws a call cancelled while it waits: never decided, never sent", async () => {
  const h = harness({
    policy: `version: "1"
tools:
  checked-tool:
    rules:
      - name: paced
        rate_limit: { max: 1, window: 60 }
      - name: args checked
        validate: { required_args: true }
`,
  });
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "t", key: "k" })));
  h.proxy.fromClient(
    line({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } }),
  );
  equal(h.proxy.inFlight, 0, "the id is free at once");
  await serve(h, pagedList);
  deepEqual(forwardedCalls(h), []);
  equal(h.decisions.length, 0);
  deepEqual(answersFor(h, 1), []);
  // The quota is whole: the same id, reused, is allowed.
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "t", key: "k" })));
  await serve(h, pagedList);
  deepEqual(forwardedCalls(h), ["checked-tool"]);
});

Deno.test("McpProxy reports the time a call waited for its schema as its latency", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "t", key: "k" })));
  await new Promise((resolve) => setTimeout(resolve, 20));
  await serve(h, pagedList);
  ok(h.decisions[0].latencyMs >= 15, `latency ${h.decisions[0].latencyMs} ms`);
});

Deno.test("McpProxy uses the schemas of a tools/list the client asked for", async () => {
  const h = harness();
  h.proxy.fromClient(line(request(1, "tools/list")));
  answerLatest(h, { result: { tools: [CHECKED] } });
  h.proxy.fromClient(line(call(2, "checked-tool", {})));
  await flush();
  equal(h.upstream.messages.filter(isOwn).length, 1, "only the client's own list");
  const text = assertDenied(assertOneAnswerEach(h, [2])[0], "args checked");
  ok(text.includes("missing required arguments: topic, key"), text);
});

Deno.test("McpProxy fetches tools/list again after the upstream's list_changed", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "t", key: "k" })));
  await serve(h, pagedList);
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", method: "notifications/tools/list_changed" }));
  h.proxy.fromClient(line(call(2, "checked-tool", { topic: "t" })));
  const served = await serve(
    h,
    (message) =>
      message.method === "tools/list"
        ? { tools: [{ name: "checked-tool", inputSchema: { type: "object" } }] }
        : {},
  );
  ok(isOwn(served[0]));
  // The new schema requires nothing, so the second call is allowed.
  deepEqual(forwardedCalls(h), ["checked-tool", "checked-tool"]);
  assertOneAnswerEach(h, [1, 2]);
});

Deno.test("McpProxy denies a checked call when the upstream does not list the tool", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "checked-tool", {})));
  await serve(h, () => ({ tools: [{ name: "echo" }] }));
  deepEqual(forwardedCalls(h), []);
  const text = assertDenied(assertOneAnswerEach(h, [1])[0], "args checked");
  ok(text.includes("did not list this tool"), text);
});

Deno.test("McpProxy denies a checked call when its own tools/list fails", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "checked-tool", {})));
  const own = h.upstream.messages[0];
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: own.id, error: { code: -1, message: "down" } }));
  await flush();
  deepEqual(forwardedCalls(h), []);
  equal(h.client.lines.length, 1);
  assertDenied(assertOneAnswerEach(h, [1])[0], "args checked");
  equal(h.errors.length, 1);
  ok(h.errors[0].includes("checked-tool"), h.errors[0]);
});

Deno.test("McpProxy denies a checked call when its own tools/list times out", async () => {
  const h = harness({ upstreamTimeoutMs: 1 });
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "t", key: "k" })));
  await new Promise((resolve) => setTimeout(resolve, 10));
  deepEqual(forwardedCalls(h), []);
  assertDenied(assertOneAnswerEach(h, [1])[0], "args checked");
  ok(h.errors[0].includes("within 1 ms"), h.errors[0]);
});

Deno.test("McpProxy never forwards a late answer to its own tools/list", async () => {
  const h = harness({ upstreamTimeoutMs: 1 });
  h.proxy.fromClient(line(call(1, "checked-tool", {})));
  await new Promise((resolve) => setTimeout(resolve, 10));
  await serve(h, pagedList);
  assertOnlyClientIds(h, [1]);
  equal(h.client.lines.length, 1);
});

Deno.test("McpProxy does not fetch schemas for a checked tool under a live deny", () => {
  const h = harness();
  h.gate.liveDenies.set("checked-tool", "Off for now");
  h.proxy.fromClient(line(call(1, "checked-tool", {})));
  deepEqual(h.upstream.lines, []);
  assertDenied(assertOneAnswerEach(h, [1])[0], "operator deny");
});

Deno.test("McpProxy answers a batch whose call waits for the schema exactly once", async () => {
  const h = harness();
  h.proxy.fromClient(line([
    call(1, "checked-tool", { topic: "t" }),
    call(2, "echo"),
    call(3, "denied-tool"),
  ]));
  deepEqual(forwardedCalls(h), ["echo"], "the other elements do not wait for the schema");
  deepEqual(h.client.lines, [], "the batch is answered as one, when all are done");
  await serve(h, pagedList);
  deepEqual(forwardedCalls(h), ["echo"]);
  equal(h.client.lines.length, 1);
  equal(JSON.parse(h.client.lines[0]).length, 3);
  const [checked, , denied] = assertOneAnswerEach(h, [1, 2, 3]);
  assertDenied(checked, "args checked");
  assertDenied(denied, "no denied");
});

Deno.test("McpProxy ends a call waiting for the schema when the upstream dies, undecided", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "t", key: "k" })));
  h.proxy.fromClient(line(request(2, "ping")));
  h.proxy.upstreamEnded(137);
  await flush();
  const [checked, ping] = assertOneAnswerEach(h, [1, 2]);
  equal(checked.error.code, -32603);
  equal(ping.error.code, -32603);
  equal(h.decisions.length, 0, "a call that cannot go up is not recorded as decided");
  deepEqual(forwardedCalls(h), []);
  equal(h.proxy.inFlight, 0);
  h.proxy.fromClient(line(request(3, "ping")));
  equal(assertOneAnswerEach(h, [3])[0].error.code, -32603, "and every later request too");
});
