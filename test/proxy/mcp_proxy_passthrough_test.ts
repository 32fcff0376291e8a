/** McpProxy and everything that is not a tools/call: passed through untouched, both ways. */
import { deepEqual, equal } from "node:assert/strict";
import { LineSplitter } from "../../src/transports/line_splitter.ts";
import {
  answers,
  assertDenied,
  assertOneAnswerEach,
  call,
  harness,
  line,
  type Message,
  request,
} from "./support.ts";

Deno.test("McpProxy passes a resources/read and its answer through", () => {
  const h = harness();
  const sent = '{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"file:///a"}}';
  h.proxy.fromClient(sent);
  deepEqual(h.upstream.lines, [sent]);
  const reply = '{"jsonrpc":"2.0","id":5,"result":{"contents":[{"uri":"file:///a","text":"x"}]}}';
  h.proxy.fromUpstream(reply);
  deepEqual(h.client.lines, [reply]);
  equal(h.proxy.inFlight, 0);
});

Deno.test("McpProxy re-serialises what it forwards from the client", () => {
  const h = harness();
  const sent = ' { "jsonrpc" : "2.0", "id" : "p", "method" : "prompts/get", ' +
    '"params" : { "name" : "x", "name" : "y" } } ';
  h.proxy.fromClient(sent);
  deepEqual(h.upstream.lines, [JSON.stringify(JSON.parse(sent))]);
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
    { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 3, reason: "x" } },
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
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: 1, result: { resources: [] } }));
  deepEqual(assertOneAnswerEach(h, [1])[0].result, { resources: [] });
  equal(h.proxy.inFlight, 0);
});

Deno.test("McpProxy passes an elicitation request from the upstream through", () => {
  const h = harness();
  const elicit = line(request("e1", "elicitation/create", { message: "Sure?" }));
  h.proxy.fromUpstream(elicit);
  deepEqual(h.client.lines, [elicit]);
});

Deno.test("McpProxy passes an upstream batch through byte for byte", () => {
  const h = harness();
  const batch = '[ {"jsonrpc":"2.0","method":"notifications/message","params":{"n":1.0}} ,' +
    '{"jsonrpc":"2.0","id":9,"result":{}} ]';
  h.proxy.fromUpstream(batch);
  deepEqual(h.client.lines, [batch]);
});

Deno.test("McpProxy drops an upstream line that is not JSON, with a warning", () => {
  const h = harness();
  h.proxy.fromUpstream("npm WARN deprecated something");
  deepEqual(h.client.lines, []);
  equal(h.warnings.length, 1);
});

// BUG (src/proxy/mcp_proxy.ts:253): `out === line` compares the parsed object with the string,
// so it is never true and every single upstream message is re-serialised: whitespace, escapes,
// `1.0` and integers past 2^53 (12345678901234567890 becomes 12345678901234567000) change on
// the way to the client. Fix: `if (out === message) this.#options.client.send(line);`.
Deno.test({
  name: "McpProxy passes the upstream's messages through byte for byte",
  fn() {
    const h = harness();
    h.proxy.fromClient(line(request(5, "resources/read", { uri: "file:///a" })));
    h.proxy.fromClient(line(request(6, "ping")));
    const lines = [
      '{"jsonrpc":"2.0", "id":5, "result":{"contents":[{"text":"caf\\u00e9","n":12345678901234567890}]}}',
      '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1.0}}',
      '{"jsonrpc":"2.0","id":"s","method":"sampling/createMessage","params":{"maxTokens":1e3}}',
      '{"id":6,"jsonrpc":"2.0","result":{}}',
    ];
    for (const sent of lines) h.proxy.fromUpstream(sent);
    deepEqual(h.client.lines, lines);
  },
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
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: "done", result: {} }));
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
  h.proxy.clientOversize({ size: 17_000_000, head: '{"id": 7 ,"jsonrpc":"2.0"', tail: '"id":7}' });
  deepEqual(h.upstream.lines, []);
  const [big, quoted, seven] = answers(h);
  equal(big.id, 42);
  equal(big.error.code, -32600);
  equal(big.error.message, "Message of 20000000 bytes exceeds the proxy's size limit");
  equal(quoted.id, 'a"b');
  equal(seven.id, 7);
  equal(h.warnings.length, 3);
});

Deno.test("McpProxy answers an oversized client message with id null when the id is unclear", () => {
  const h = harness();
  h.proxy.clientOversize({
    size: 9e6,
    head: '{"jsonrpc":"2.0","method":"tools/call","params":{',
    tail: "}}",
  });
  h.proxy.clientOversize({
    size: 9e6,
    head: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"id":2,',
    tail: "}}}",
  });
  deepEqual(h.upstream.lines, []);
  const all = answers(h);
  deepEqual(all.map((answer) => [answer.id, answer.error.code]), [[null, -32600], [null, -32600]]);
});

Deno.test("McpProxy answers the request whose answer from the upstream is oversized", () => {
  const h = harness();
  h.proxy.fromClient(line(request(3, "resources/read", { uri: "file:///big" })));
  h.proxy.fromClient(line([call("b", "echo"), call("d", "denied-tool")]));
  h.proxy.upstreamOversize({ size: 99e6, head: '{"jsonrpc":"2.0","id":3,"result":{', tail: "]}}" });
  h.proxy.upstreamOversize({
    size: 99e6,
    head: '{"jsonrpc":"2.0","id":"b","result":{',
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
  deepEqual(h.upstream.messages, [request(13, "ping")]);
  const [big, denied] = assertOneAnswerEach(h, [11, 12]);
  equal(big.error.code, -32600);
  assertDenied(denied, "no denied");
});

Deno.test("McpProxy finds the pending id among the record ids of an oversized answer", () => {
  const h = harness();
  h.proxy.fromClient(line(request(7, "resources/list")));
  h.proxy.upstreamOversize({
    size: 99e6,
    head: '{"result":{"resources":[{"id":1,"uri":"a"},',
    tail: '{"id":2,"uri":"z"}]},"jsonrpc":"2.0","id":7}',
  });
  const [answer] = assertOneAnswerEach(h, [7]);
  equal(answer.error.code, -32603);
  equal(h.proxy.inFlight, 0);
});
