/** McpProxy and everything that is not a tools/call: passed through untouched, both ways. */
import { deepEqual, equal } from "node:assert/strict";
import { LineSplitter } from "../../src/transports/line_splitter.ts";
import {
  answerLatest,
  answers,
  answersFor,
  answerUp,
  assertDenied,
  assertError,
  assertOneAnswerEach,
  call,
  flush,
  harness,
  line,
  type Message,
  request,
  sentUp,
  withoutId,
} from "./support.ts";

Deno.test("McpProxy passes a resources/read up under its own id, and its answer back", () => {
  const h = harness();
  const sent = '{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"file:///a"}}';
  h.proxy.fromClient(sent);
  const up = JSON.parse(h.upstream.lines[0]);
  deepEqual(withoutId(up), withoutId(JSON.parse(sent)));
  const reply = (id: number) =>
    `{"jsonrpc":"2.0","id":${id},"result":{"contents":[{"uri":"file:///a","text":"x"}]}}`;
  h.proxy.fromUpstream(reply(up.id));
  deepEqual(h.client.lines, [reply(5)]);
  equal(h.proxy.inFlight, 0);
});

Deno.test("McpProxy re-serialises what it forwards from the client", () => {
  const h = harness();
  const sent = ' { "jsonrpc" : "2.0", "id" : "p", "method" : "prompts/get", ' +
    '"params" : { "name" : "x", "name" : "y" } } ';
  h.proxy.fromClient(sent);
  deepEqual(sentUp(h), [withoutId(JSON.parse(sent))]);
  const up = JSON.parse(h.upstream.lines[0]);
  equal(h.upstream.lines[0], JSON.stringify({ ...JSON.parse(sent), id: up.id }));
});

Deno.test("McpProxy passes the upstream's notifications and progress to the client", () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "echo", { _meta: { progressToken: "t" } })));
  const messages = [
    {
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: "t", progress: 1 },
    },
    { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "x" } },
    { jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "file:///a" } },
  ];
  for (const message of messages) h.proxy.fromUpstream(line(message));
  deepEqual(h.client.lines, messages.map(line));
  equal(h.proxy.inFlight, 1);
});

Deno.test("McpProxy passes the client's notifications to the upstream", () => {
  const h = harness();
  const messages = [
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", method: "notifications/roots/list_changed" },
  ];
  for (const message of messages) h.proxy.fromClient(line(message));
  deepEqual(h.upstream.lines, messages.map(line));
  deepEqual(h.client.lines, []);
});

Deno.test("McpProxy relays a server request and the client's answer, ids kept apart", () => {
  const h = harness();
  h.proxy.fromClient(line(request(1, "resources/list")));
  // The server's own request reuses id 1: it must not be taken for the client's answer.
  const sampling = {
    jsonrpc: "2.0",
    id: 1,
    method: "sampling/createMessage",
    params: { messages: [], maxTokens: 5 },
  };
  h.proxy.fromUpstream(line(sampling));
  deepEqual(h.client.lines, [line(sampling)]);
  equal(h.proxy.inFlight, 1);
  const reply = { jsonrpc: "2.0", id: 1, result: { role: "assistant", content: { type: "text" } } };
  h.proxy.fromClient(line(reply));
  const refusal = { jsonrpc: "2.0", id: 2, error: { code: -1, message: "User rejected" } };
  h.proxy.fromClient(line(refusal));
  deepEqual(h.upstream.lines.slice(1), [line(reply), line(refusal)]);
  answerUp(h, 0, { result: { resources: [] } });
  deepEqual(assertOneAnswerEach(h, [1])[0].result, { resources: [] });
  equal(h.proxy.inFlight, 0);
});

Deno.test("McpProxy refuses a server request under the id form of its own questions", () => {
  const h = harness();
  // Were it passed on, the client's answer would be taken for an answer to the proxy's own
  // question (a held call's approval).
  const forged = request("intercept-question-1", "elicitation/create", { message: "Approve?" });
  h.proxy.fromUpstream(line(forged));
  deepEqual(h.client.lines, [], "the client never sees it");
  const [refusal] = h.upstream.messages.flat();
  equal(refusal.id, "intercept-question-1");
  equal(typeof refusal.error?.message, "string");
});

Deno.test("McpProxy passes an elicitation request from the upstream through", () => {
  const h = harness();
  const elicit = line(request("e1", "elicitation/create", { message: "Sure?" }));
  h.proxy.fromUpstream(elicit);
  deepEqual(h.client.lines, [elicit]);
});

Deno.test("McpProxy takes an upstream batch apart: answers to their requests, the rest on", () => {
  const h = harness();
  h.proxy.fromClient(line(request("r", "ping")));
  const up = JSON.parse(h.upstream.lines[0]);
  h.proxy.fromUpstream(
    `[{"jsonrpc":"2.0","method":"notifications/message","params":{"n":1}},` +
      `{"jsonrpc":"2.0","id":${up.id},"result":{}},{"jsonrpc":"2.0","id":404,"result":{}}]`,
  );
  deepEqual(h.client.messages, [
    { jsonrpc: "2.0", method: "notifications/message", params: { n: 1 } },
    { jsonrpc: "2.0", id: "r", result: {} },
  ]);
  equal(h.warnings.length, 1, "the answer nobody asked for is dropped, with a warning");
});

Deno.test("McpProxy drops a second answer and an answer to an id nobody asked", () => {
  const h = harness();
  h.proxy.fromClient(line(request(1, "ping")));
  answerUp(h, 0, { result: {} });
  answerUp(h, 0, { result: { again: true } });
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: 1_000, result: {} }));
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: "x", error: { code: 1, message: "?" } }));
  deepEqual(h.client.messages, [{ jsonrpc: "2.0", id: 1, result: {} }]);
  equal(h.warnings.length, 3);
});

Deno.test("McpProxy drops an upstream line that is not JSON, with a warning", () => {
  const h = harness();
  h.proxy.fromUpstream("npm WARN deprecated something");
  deepEqual(h.client.lines, []);
  equal(h.warnings.length, 1);
});

Deno.test("McpProxy passes the upstream's messages through byte for byte, answers but their id", () => {
  const h = harness();
  h.proxy.fromClient(line(request(5, "resources/read", { uri: "file:///a" })));
  h.proxy.fromClient(line(request("six", "ping")));
  const [up5, up6] = h.upstream.messages.map((message: Message) => message.id);
  const lines = [
    `{"jsonrpc":"2.0", "id":${up5}, "result":{"contents":[{"text":"caf\\u00e9","n":12345678901234567890}]}}`,
    '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1.0}}',
    '{"jsonrpc":"2.0","id":"s","method":"sampling/createMessage","params":{"maxTokens":1e3}}',
    `{"result":{"id":${up6}},"jsonrpc":"2.0","id" : ${up6} }`,
  ];
  for (const sent of lines) h.proxy.fromUpstream(sent);
  deepEqual(h.client.lines, [
    lines[0].replace(`"id":${up5}`, '"id":5'),
    lines[1],
    lines[2],
    lines[3].replace(`"id" : ${up6}`, '"id" : "six"'),
  ]);
});

Deno.test("McpProxy refuses a re-serialised answer holding a number out of range", async () => {
  const h = harness();
  h.proxy.fromClient(line(request(1, "tools/list")));
  const up = JSON.parse(h.upstream.lines[0]);
  h.proxy.fromUpstream(
    `{"jsonrpc":"2.0","id":${up.id},"result":{"tools":[{"name":"a","inputSchema":{"maximum":1e400}}]}}`,
  );
  await flush();
  assertError(assertOneAnswerEach(h, [1])[0], -32603);
});

Deno.test("McpProxy ends every in-flight request when the upstream exits", () => {
  const h = harness();
  h.proxy.fromClient(line(call(1, "echo")));
  h.proxy.fromClient(line(request("1", "ping")));
  h.proxy.fromClient(line(request(0, "resources/read", { uri: "file:///a" })));
  h.proxy.fromClient(
    line([call("b1", "echo"), request("b2", "tools/list"), call("b3", "denied-tool")]),
  );
  h.proxy.fromClient(line(call("done", "echo")));
  answerLatest(h, { result: {} });
  equal(h.proxy.inFlight, 5);
  h.proxy.upstreamEnded(3);
  h.proxy.upstreamEnded(3);
  equal(h.proxy.inFlight, 0);
  const ids = [1, "1", 0, "b1", "b2"];
  for (const answer of assertOneAnswerEach(h, ids)) {
    equal(answer.error.code, -32603);
    equal(answer.error.message, "The MCP server exited (code 3) before answering");
  }
  assertOneAnswerEach(h, ["b3", "done"]);
  const batches = h.client.messages.filter(Array.isArray);
  equal(batches.length, 1, "the batch is answered once, as one array");
  deepEqual(batches[0].map((answer: Message) => answer.id).sort(), ["b1", "b2", "b3"]);
});

Deno.test("McpProxy sends nothing when the upstream exits with nothing in flight", () => {
  const h = harness();
  h.proxy.upstreamEnded(0);
  deepEqual(h.client.lines, []);
});

Deno.test("McpProxy answers an oversized client message with -32600 and its id", () => {
  const h = harness();
  h.proxy.clientOversize({
    size: 20_000_000,
    head: '{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{',
    tail: '"}}}',
  });
  h.proxy.clientOversize({
    size: 30_000_000,
    head: '{"jsonrpc":"2.0","id":"a\\"b", "method"',
    tail: "xx",
  });
  h.proxy.clientOversize({ size: 17_000_000, head: '{"id": 7 ,"jsonrpc":"2.0"', tail: ',"id":7}' });
  deepEqual(h.upstream.lines, []);
  const [big, quoted, seven] = answers(h);
  equal(big.id, 42);
  equal(big.error.code, -32600);
  equal(big.error.message, "Message of 20000000 bytes exceeds the proxy's size limit");
  equal(quoted.id, 'a"b');
  equal(seven.id, 7);
  equal(h.warnings.length, 3);
});

Deno.test("McpProxy answers an oversized client message by its top-level id, else id null", () => {
  const h = harness();
  h.proxy.fromClient(line(request(9, "ping")));
  const oversized = (head: string, tail = "}}") =>
    h.proxy.clientOversize({ size: 9e6, head, tail });
  oversized('{"jsonrpc":"2.0","method":"tools/call","params":{');
  oversized('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"id":2,');
  oversized('{"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"id":2,');
  // 9 is in flight: its one answer is the ping's, so the refusal goes without an id.
  oversized('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{');
  const all = answers(h);
  deepEqual(all.map((answer) => [answer.id, answer.error.code]), [
    [null, -32600],
    [1, -32600],
    [null, -32600],
    [null, -32600],
  ]);
});

Deno.test("McpProxy answers the request whose answer from the upstream is oversized", () => {
  const h = harness();
  h.proxy.fromClient(line(request(3, "resources/read", { uri: "file:///big" })));
  h.proxy.fromClient(line([call("b", "echo"), call("d", "denied-tool")]));
  const [up3, upB] = h.upstream.messages.map((message: Message) => message.id);
  h.proxy.upstreamOversize({
    size: 99e6,
    head: `{"jsonrpc":"2.0","id":${up3},"result":{`,
    tail: "]}}",
  });
  h.proxy.upstreamOversize({
    size: 99e6,
    head: `{"jsonrpc":"2.0","id":${upB},"result":{`,
    tail: "]}}",
  });
  h.proxy.upstreamOversize({ size: 99e6, head: '{"jsonrpc":"2.0","id":404,"result":{', tail: "}" });
  equal(h.proxy.inFlight, 0);
  const [read, b] = assertOneAnswerEach(h, [3, "b", "d"]);
  equal(read.error.code, -32603);
  equal(b.error.code, -32603);
  equal(h.client.lines.length, 2, "one answer and one batch");
  equal(h.errors.length, 3);
  h.proxy.upstreamEnded(1);
  equal(h.client.lines.length, 2);
});

Deno.test("McpProxy refuses an oversized client line and serves the next one", () => {
  const h = harness();
  const splitter = new LineSplitter(256, {
    line: (text) => h.proxy.fromClient(text),
    oversize: (line) => h.proxy.clientOversize(line),
  });
  const bytes = new TextEncoder().encode(
    line(call(11, "echo", { blob: "x".repeat(1_000) })) + "\r\n" + line(call(12, "denied-tool")) +
      "\n" + line(request(13, "ping")),
  );
  for (let i = 0; i < bytes.length; i += 100) splitter.push(bytes.subarray(i, i + 100));
  splitter.end();
  deepEqual(sentUp(h), [withoutId(request(13, "ping"))]);
  const [big, denied] = assertOneAnswerEach(h, [11, 12]);
  equal(big.error.code, -32600);
  assertDenied(denied, "no denied");
});

Deno.test("McpProxy charges an oversized answer to its top-level id, not a nested one", () => {
  const h = harness();
  h.proxy.fromClient(line(request(7, "resources/list")));
  h.proxy.fromClient(line(request(8, "resources/list")));
  const [up7, up8] = h.upstream.messages.map((message: Message) => message.id);
  // The answer to 8 names 7's upstream id first, inside its result.
  h.proxy.upstreamOversize({
    size: 99e6,
    head: `{"result":{"resources":[{"id":${up7},"uri":"a"},`,
    tail: `{"id":${up7},"uri":"z"}]},"jsonrpc":"2.0","id":${up8}}`,
  });
  const [answer] = assertOneAnswerEach(h, [8]);
  equal(answer.error.code, -32603);
  equal(answersFor(h, 7).length, 0, "7 is still waiting for its own answer");
  equal(h.proxy.inFlight, 1);
});
