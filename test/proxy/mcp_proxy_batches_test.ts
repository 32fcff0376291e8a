/** McpProxy and JSON-RPC batches: each element decided, one array answer, nobody left hanging. */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
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
  request,
  sentUp,
  serve,
  withoutId,
} from "./support.ts";
import { MAX_BATCH } from "../../src/proxy/mcp_proxy.ts";

Deno.test("McpProxy answers a batch of a denied and an allowed call as one array", async () => {
  const h = harness();
  h.proxy.fromClient(line([call(1, "denied-tool"), call(2, "echo", { text: "hi" })]));
  deepEqual(forwardedCalls(h), ["echo"]);
  // Forwarded on its own, re-serialised: the upstream never sees the denied element.
  deepEqual(sentUp(h), [withoutId(call(2, "echo", { text: "hi" }))]);
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
  deepEqual(sentUp(h), [withoutId(request(6, "ping"))]);
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
    { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1 } },
  ]));
  deepEqual(h.client.lines, []);
  deepEqual(h.upstream.messages.map((message: Message) => message.method), [
    "notifications/initialized",
    "notifications/progress",
  ]);
});

Deno.test("McpProxy refuses a batch over MAX_BATCH with one error, forwarding nothing", () => {
  const h = harness();
  h.proxy.fromClient(line(Array.from({ length: MAX_BATCH + 1 }, (_, i) => call(i, "echo"))));
  assertNothingForwarded(h);
  equal(h.client.lines.length, 1);
  const [answer] = h.client.messages;
  assertError(answer, -32600);
  equal(answer.id, null);
  ok(answer.error.message.includes(`limit of ${MAX_BATCH}`), answer.error.message);
});

Deno.test("McpProxy answers a 16 MB batch of numbers with one short error", () => {
  const h = harness();
  const crafted = `[${Array(8_000_000).fill("1").join(",")}]`;
  h.proxy.fromClient(crafted);
  equal(h.client.lines.length, 1);
  ok(h.client.lines[0].length < 200, "one error, not one per element");
});

Deno.test("McpProxy keeps a batch's answer within the size limit", async () => {
  const h = harness({ maxBytes: 4_096 });
  h.proxy.fromClient(line([request(1, "resources/read"), request(2, "resources/read")]));
  await serve(h, () => ({ contents: [{ text: "x".repeat(3_000) }] }));
  equal(h.client.lines.length, 1);
  ok(h.client.lines[0].length <= 4_096 + 300, `${h.client.lines[0].length} bytes`);
  const [first, second] = assertOneAnswerEach(h, [1, 2]);
  equal(first.result.contents[0].text.length, 3_000);
  assertError(second, -32603);
  ok(second.error.message.includes("send this request on its own"), second.error.message);
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
  for (const index of [2, 0, 1]) {
    deepEqual(h.client.lines, []);
    answerUp(h, index, { result: { n: index + 1 } });
  }
  equal(h.client.lines.length, 1);
  const [list, echo, read, denied] = assertOneAnswerEach(h, [1, 2, 3, 4]);
  deepEqual([list.result, echo.result, read.result], [{ n: 1 }, { n: 2 }, { n: 3 }]);
  assertDenied(denied, "no denied");
});

Deno.test("McpProxy answers a batch element the upstream answered with an error", () => {
  const h = harness();
  h.proxy.fromClient(line([call(1, "echo"), call(2, "denied-tool")]));
  answerUp(h, 0, { error: { code: -32000, message: "boom" } });
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

Deno.test({
  name: "McpProxy answers a batch whose requests share an id, the second without its id",
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
    // Id 1 keeps its one answer (the ping's); the reuse is refused under id null.
    deepEqual(batch.filter((answer: Message) => answer.id === 1).map((a: Message) => a.result), [
      {},
    ]);
    equal(batch.filter((answer: Message) => answer.id === null)[0].error.code, -32600);
    equal(batch.filter((answer: Message) => answer.id === 2).length, 1);
  },
});

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
