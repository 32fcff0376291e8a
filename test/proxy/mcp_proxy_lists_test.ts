/** McpProxy and tools/list: every page filtered by hide and live denies, other fields kept. */
import { deepEqual, equal } from "node:assert/strict";
import {
  assertDenied,
  assertOneAnswerEach,
  call,
  harness,
  line,
  type Message,
  request,
} from "./support.ts";

const TOOLS = [
  { name: "echo", inputSchema: { type: "object" } },
  { name: "secret-tool", inputSchema: { type: "object" } },
  { name: "admin_reset" },
  { name: "admin" },
  { name: "denied-tool" },
  { name: "xadmin_y" },
];

/** Sends a client tools/list and the upstream's page; returns the page the client got. */
function listPage(h: ReturnType<typeof harness>, id: number, result: unknown): Message {
  h.proxy.fromClient(line(request(id, "tools/list", id === 1 ? undefined : { cursor: `c${id}` })));
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id, result }));
  return assertOneAnswerEach(h, [id])[0];
}

Deno.test("McpProxy filters tools/list by hide, names and globs, keeping other fields", () => {
  const h = harness();
  const answer = listPage(h, 1, {
    tools: TOOLS,
    nextCursor: "c2",
    _meta: { "example/page": 1 },
    extra: true,
  });
  deepEqual(answer, {
    jsonrpc: "2.0",
    id: 1,
    result: {
      tools: [TOOLS[0], { name: "admin" }, { name: "denied-tool" }, { name: "xadmin_y" }],
      nextCursor: "c2",
      _meta: { "example/page": 1 },
      extra: true,
    },
  });
});

Deno.test("McpProxy filters every page of tools/list", () => {
  const h = harness();
  const pages = [
    { tools: [{ name: "echo" }, { name: "secret-tool" }], nextCursor: "c2" },
    { tools: [{ name: "admin_a" }, { name: "b" }], nextCursor: "c3" },
    { tools: [{ name: "admin_z" }, { name: "secret-tool" }], _meta: { last: true } },
  ];
  const got = pages.map((page, i) => listPage(h, i + 1, page).result);
  deepEqual(got, [
    { tools: [{ name: "echo" }], nextCursor: "c2" },
    { tools: [{ name: "b" }], nextCursor: "c3" },
    { tools: [], _meta: { last: true } },
  ]);
});

Deno.test('McpProxy hides every tool under hide: ["*"] and denies every call', () => {
  const h = harness({ policy: 'version: "1"\nhide: ["*"]\ntools: {}\n' });
  const answer = listPage(h, 1, { tools: TOOLS, nextCursor: "c2" });
  deepEqual(answer.result, { tools: [], nextCursor: "c2" });
  h.proxy.fromClient(line(call(2, "echo")));
  equal(h.upstream.lines.length, 1, "only the tools/list was forwarded");
  assertDenied(assertOneAnswerEach(h, [2])[0], "hide");
});

Deno.test("McpProxy drops tools/list entries without a string name", () => {
  const h = harness();
  const answer = listPage(h, 1, { tools: [{ name: "echo" }, { name: 3 }, "secret-tool", null] });
  deepEqual(answer.result.tools, [{ name: "echo" }]);
});

Deno.test("McpProxy filters tools/list by live denies, and lifts them on allow", () => {
  const h = harness();
  h.gate.liveDenies.set("echo", "Incident 42: writes paused");
  deepEqual(listPage(h, 1, { tools: TOOLS.slice(0, 1) }).result, { tools: [] });
  h.proxy.fromClient(line(call(2, "echo")));
  const text = assertDenied(assertOneAnswerEach(h, [2])[0], "operator deny");
  equal(text, "[INTERCEPT POLICY DENIED] Incident 42: writes paused");
  h.gate.liveDenies.delete("echo");
  deepEqual(listPage(h, 3, { tools: TOOLS.slice(0, 1) }).result, { tools: TOOLS.slice(0, 1) });
});

Deno.test("McpProxy filters a tools/list answered inside a batch", () => {
  const h = harness();
  h.proxy.fromClient(line([request(1, "tools/list"), call(2, "secret-tool")]));
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: 1, result: { tools: TOOLS.slice(0, 2) } }));
  const [list, denied] = assertOneAnswerEach(h, [1, 2]);
  deepEqual(list.result.tools, [TOOLS[0]]);
  assertDenied(denied, "hide");
});

Deno.test("McpProxy filters tools/list answers the upstream sends as a batch", () => {
  const h = harness();
  h.proxy.fromClient(line(request(1, "tools/list")));
  h.proxy.fromClient(line(request(2, "ping")));
  h.proxy.fromUpstream(line([
    { jsonrpc: "2.0", id: 1, result: { tools: TOOLS.slice(0, 2) } },
    { jsonrpc: "2.0", id: 2, result: {} },
  ]));
  const [list] = assertOneAnswerEach(h, [1, 2]);
  deepEqual(list.result.tools, [TOOLS[0]]);
});

Deno.test("McpProxy passes a tools/list error through", () => {
  const h = harness();
  h.proxy.fromClient(line(request(1, "tools/list")));
  const error = { jsonrpc: "2.0", id: 1, error: { code: -32601, message: "no tools" } };
  h.proxy.fromUpstream(line(error));
  deepEqual(assertOneAnswerEach(h, [1])[0], error);
});

Deno.test({
  name: "McpProxy hides tools matched by a glob with a hyphen",
  fn() {
    const h = harness({ policy: 'version: "1"\nhide: ["delete-*"]\ntools: {}\n' });
    const answer = listPage(h, 1, { tools: [{ name: "delete-topics" }, { name: "list-topics" }] });
    deepEqual(answer.result.tools, [{ name: "list-topics" }]);
  },
});
