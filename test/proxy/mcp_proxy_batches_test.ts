/** McpProxy and JSON-RPC batches: each element decided, one array answer, nobody left hanging. */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  assertDenied,
  assertError,
  assertNothingForwarded,
  assertOneAnswerEach,
  call,
  forwardedCalls,
  harness,
  line,
  type Message,
  request,
  serve,
} from "./support.ts";

Deno.test("McpProxy answers a batch of a denied and an allowed call as one array", async () => {
  const h = harness();
  h.proxy.fromClient(line([call(1, "denied-tool"), call(2, "echo", { text: "hi" })]));
  deepEqual(forwardedCalls(h), ["echo"]);
  // Forwarded on its own, re-serialised: the upstream never sees the denied element.
  deepEqual(h.upstream.lines, [line(call(2, "echo", { text: "hi" }))]);
  deepEqual(h.client.lines, [], "the batch answer waits for the allowed call");
  await serve(h, () => ({ content: [{ type: "text", text: "hi" }] }));
  equal(h.client.lines.length, 1);
  const batch = JSON.parse(h.client.lines[0]);
  ok(Array.isArray(batch));
  equal(batch.length, 2);
  const [denied, allowed] = assertOneAnswerEach(h, [1, 2]);
  assertDenied(denied, "no denied");
  deepEqual(allowed.result, { content: [{ type: "text", text: "hi" }] });
  equal(h.proxy.inFlight, 0);
});

Deno.test("McpProxy answers a batch of denials at once", () => {
  const h = harness();
  h.proxy.fromClient(line([call("a", "denied-tool"), call("b", "secret-tool")]));
  assertNothingForwarded(h);
  equal(h.client.lines.length, 1);
  const [a, b] = assertOneAnswerEach(h, ["a", "b"]);
  assertDenied(a, "no denied");
  assertDenied(b, "hide");
});

Deno.test("McpProxy answers every bad element of a batch inside the batch answer", async () => {
  const h = harness();
  h.proxy.fromClient(line([
    1,
    "tools/call",
    null,
    [call(9, "echo")],
    call(null, "echo"),
    call({ id: 1 }, "echo"),
    call(true, "echo"),
    { jsonrpc: "2.0", method: "tools/call", params: { name: "echo" } },
    request(3, "tools/call", { name: 3 }),
    request(4, "tools/call", { name: "echo", arguments: ["x"] }),
    { jsonrpc: "2.0", id: 5 },
    request(6, "ping"),
  ]));
  deepEqual(forwardedCalls(h), [], "no call in the batch may reach the upstream");
  deepEqual(h.upstream.messages, [request(6, "ping")]);
  deepEqual(h.client.lines, []);
  await serve(h);
  equal(h.client.lines.length, 1);
  const batch: Message[] = JSON.parse(h.client.lines[0]);
  // Eleven answers: the notification gets none, the ping gets the upstream's.
  equal(batch.length, 11);
  const errors = batch.filter((answer) => answer.error);
  deepEqual(errors.map((answer) => [answer.id, answer.error.code]), [
    ...Array(7).fill([null, -32600]),
    [3, -32602],
    [4, -32602],
    [5, -32600],
  ]);
  deepEqual(assertOneAnswerEach(h, [6])[0].result, {});
});

Deno.test("McpProxy sends nothing back for a batch of notifications", () => {
  const h = harness();
  h.proxy.fromClient(line([
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", method: "tools/call", params: { name: "echo" } },
    { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } },
  ]));
  deepEqual(h.client.lines, []);
  deepEqual(h.upstream.messages.map((message: Message) => message.method), [
    "notifications/initialized",
    "notifications/cancelled",
  ]);
});

Deno.test("McpProxy collects a batch's answers whatever order the upstream answers in", () => {
  const h = harness();
  h.proxy.fromClient(line([
    request(1, "tools/list"),
    call(2, "echo"),
    request(3, "resources/read", { uri: "file:///a" }),
    call(4, "denied-tool"),
  ]));
  equal(h.upstream.lines.length, 3);
  for (const id of [3, 1, 2]) {
    deepEqual(h.client.lines, []);
    h.proxy.fromUpstream(line({ jsonrpc: "2.0", id, result: { n: id } }));
  }
  equal(h.client.lines.length, 1);
  const [list, echo, read, denied] = assertOneAnswerEach(h, [1, 2, 3, 4]);
  deepEqual([list.result, echo.result, read.result], [{ n: 1 }, { n: 2 }, { n: 3 }]);
  assertDenied(denied, "no denied");
});

Deno.test("McpProxy answers a batch element the upstream answered with an error", () => {
  const h = harness();
  h.proxy.fromClient(line([call(1, "echo"), call(2, "denied-tool")]));
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: 1, error: { code: -32000, message: "boom" } }));
  const [echo] = assertOneAnswerEach(h, [1, 2]);
  assertError(echo, -32000);
});

Deno.test("McpProxy keeps batches apart when two are in flight", async () => {
  const h = harness();
  h.proxy.fromClient(line([call(1, "echo"), call(2, "denied-tool")]));
  h.proxy.fromClient(line([call(3, "echo"), call(4, "denied-tool")]));
  await serve(h);
  equal(h.client.lines.length, 2);
  const ids = h.client.messages.map((batch: Message[]) => batch.map((answer) => answer.id));
  deepEqual(ids.map((pair: number[]) => pair.sort()), [[1, 2], [3, 4]]);
  assertOneAnswerEach(h, [1, 2, 3, 4]);
});

// BUG (src/proxy/mcp_proxy.ts:333-336, #track): a second request with an id already in flight
// overwrites the first one's entry in #pending, but a batch's `open` count was raised twice. The
// upstream's second answer finds no entry and goes out on its own; the batch never settles, so
// the client never gets the batch answer (nor the denial inside it), and upstreamEnded() cannot
// end it either. Fix: refuse a request whose id is already in flight with -32600 (or map ids).
Deno.test({
  name: "McpProxy answers a batch whose requests share an id",
  async fn() {
    const h = harness();
    h.proxy.fromClient(line([
      request(1, "ping"),
      request(1, "resources/read", { uri: "file:///a" }),
      call(2, "denied-tool"),
    ]));
    await serve(h);
    h.proxy.upstreamEnded(1);
    equal(h.client.lines.length, 1, "exactly one batch answer");
    const batch = JSON.parse(h.client.lines[0]);
    ok(Array.isArray(batch));
    equal(batch.filter((answer: Message) => answer.id === 1).length, 2);
    equal(batch.filter((answer: Message) => answer.id === 2).length, 1);
  },
});

// BUG (src/proxy/mcp_proxy.ts:174 and :333-336): the same overwrite lets a client reuse the id of
// its own tools/list for another request; the tools/list answer is then taken as the other
// request's and reaches the client unfiltered, showing hidden tools. Same fix as above.
Deno.test({
  name: "McpProxy filters a tools/list answer even when the client reused its id",
  async fn() {
    const h = harness();
    h.proxy.fromClient(line(request(7, "tools/list")));
    h.proxy.fromClient(line(request(7, "resources/read", { uri: "file:///a" })));
    await serve(
      h,
      (message) =>
        message.method === "tools/list"
          ? { tools: [{ name: "echo" }, { name: "secret-tool" }] }
          : { contents: [] },
    );
    ok(h.client.lines.length > 0);
    for (const sent of h.client.lines) ok(!sent.includes("secret-tool"), sent);
  },
});
