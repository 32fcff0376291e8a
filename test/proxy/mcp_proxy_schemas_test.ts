/** McpProxy and validate.required_args: its own paged tools/list, and the client kept in order. */
import { deepEqual, equal, ok } from "node:assert/strict";
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
  request,
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

function isOwn(message: Message): boolean {
  return typeof message.id === "string" && message.id.startsWith("intercept-");
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
  deepEqual(answers(h).filter(isOwn), []);
});

Deno.test("McpProxy holds the client's later messages until the pending call is decided", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "t", key: "k" })));
  h.proxy.fromClient(line(request(2, "ping")));
  h.proxy.fromClient(line({ jsonrpc: "2.0", method: "notifications/progress", params: {} }));
  h.proxy.fromClient(line(call(3, "denied-tool")));
  h.proxy.fromClient(line(call(4, "echo")));
  deepEqual(h.upstream.messages.map((message: Message) => isOwn(message)), [true]);
  deepEqual(h.client.lines, [], "even the denial waits its turn");
  await serve(h, pagedList);
  const forwarded = h.upstream.messages.filter((message: Message) => !isOwn(message));
  deepEqual(forwarded.map((message: Message) => message.id ?? message.method), [
    1,
    2,
    "notifications/progress",
    4,
  ]);
  assertOneAnswerEach(h, [1, 2, 3, 4]);
});

Deno.test("McpProxy uses the schemas of a tools/list the client asked for", async () => {
  const h = harness();
  h.proxy.fromClient(line(request(1, "tools/list")));
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: 1, result: { tools: [CHECKED] } }));
  h.proxy.fromClient(line(call(2, "checked-tool", {})));
  await flush();
  equal(h.upstream.messages.filter(isOwn).length, 0);
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

// BUG (src/proxy/mcp_proxy.ts:285-293): once an own request timed out it is removed from
// #ownRequests, so its late answer is treated as an unknown response and sent to the client,
// which never asked for it. Fix: drop any response whose id starts with #ownPrefix.
Deno.test({
  name: "McpProxy never forwards a late answer to its own tools/list",
  async fn() {
    const h = harness({ upstreamTimeoutMs: 1 });
    h.proxy.fromClient(line(call(1, "checked-tool", {})));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await serve(h, pagedList);
    deepEqual(answers(h).filter(isOwn), []);
    equal(h.client.lines.length, 1);
  },
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
  deepEqual(forwardedCalls(h), []);
  await serve(h, pagedList);
  deepEqual(forwardedCalls(h), ["echo"]);
  equal(h.client.lines.length, 1);
  equal(JSON.parse(h.client.lines[0]).length, 3);
  const [checked, , denied] = assertOneAnswerEach(h, [1, 2, 3]);
  assertDenied(checked, "args checked");
  assertDenied(denied, "no denied");
});

Deno.test("McpProxy ends a call waiting for the schema when the upstream dies", async () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "checked-tool", { topic: "t", key: "k" })));
  h.proxy.fromClient(line(request(2, "ping")));
  h.proxy.upstreamEnded(137);
  await flush();
  assertDenied(assertOneAnswerEach(h, [1])[0], "args checked");
  deepEqual(forwardedCalls(h), []);
});

// BUG (src/proxy/mcp_proxy.ts:105-118, 173-176): after upstreamEnded() the proxy still forwards
// what the client queued behind a pending call (and anything sent later) to the dead upstream and
// tracks it, so those requests never get an answer. Fix: remember that the upstream ended and
// answer every later request with -32603 instead of forwarding it.
Deno.test({
  name: "McpProxy answers requests queued behind a pending call when the upstream dies",
  async fn() {
    const h = harness();
    h.proxy.fromClient(line(call(1, "checked-tool", { topic: "t", key: "k" })));
    h.proxy.fromClient(line(request(2, "ping")));
    h.proxy.upstreamEnded(137);
    await flush();
    const [, ping] = assertOneAnswerEach(h, [1, 2]);
    equal(ping.error.code, -32603);
    equal(h.proxy.inFlight, 0);
  },
});
