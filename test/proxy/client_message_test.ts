/** classifyClientMessage(): one client message, judged from itself alone. */
import { deepEqual, equal } from "node:assert/strict";
import {
  callParamsProblem,
  classifyClientMessage,
  MAX_TOOL_NAME,
} from "../../src/proxy/client_message.ts";
import { ErrorCode } from "../../src/proxy/jsonrpc.ts";

const MODERN_META = { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } };

function kindOf(message: unknown, overflow = false) {
  return classifyClientMessage(message, overflow).kind;
}

Deno.test("classifyClientMessage() tells requests, notifications and answers apart, with the era", () => {
  const legacy = classifyClientMessage({ jsonrpc: "2.0", id: 1, method: "tools/list" }, false);
  deepEqual(legacy.kind === "request" && [legacy.id, legacy.era], [1, "legacy"]);
  const modern = classifyClientMessage(
    { jsonrpc: "2.0", id: "a", method: "tools/list", params: MODERN_META },
    false,
  );
  equal(modern.kind === "request" && modern.era, "modern");
  equal(kindOf({ jsonrpc: "2.0", method: "notifications/initialized" }), "notification");
  equal(kindOf({ jsonrpc: "2.0", id: 7, result: {} }), "answer");
  equal(kindOf({ jsonrpc: "2.0", id: 7, error: { code: 1, message: "x" } }), "answer");
});

Deno.test("classifyClientMessage() refuses what is not a request it can take, with the error due", () => {
  const cases: [unknown, number, string, unknown][] = [
    [[1], ErrorCode.invalidRequest, "not JSON-RPC 2.0", null],
    [{ jsonrpc: "1.0", id: 3, method: "x" }, ErrorCode.invalidRequest, "not JSON-RPC 2.0", 3],
    [{ jsonrpc: "2.0", id: { a: 1 }, method: "x" }, ErrorCode.invalidRequest, "bad id", null],
    [{ jsonrpc: "2.0", id: 4 }, ErrorCode.invalidRequest, "no method", 4],
    [{ jsonrpc: "2.0", id: 5, method: 9 }, ErrorCode.invalidRequest, "bad method", 5],
    [
      { jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: 1 } },
      ErrorCode.invalidParams,
      "name must be a string",
      6,
    ],
  ];
  for (const [message, code, text, id] of cases) {
    const found = classifyClientMessage(message, false);
    equal(found.kind, "refused", JSON.stringify(message));
    if (found.kind !== "refused") continue;
    equal(found.code, code);
    equal(found.id, id);
    equal(found.text.includes(text), true, found.text);
  }
});

Deno.test("classifyClientMessage() refuses numbers out of range only when the line may hold one", () => {
  const call = {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "t", arguments: { n: -Infinity } },
  };
  equal(kindOf(call, true), "refused");
  equal(kindOf(call, false), "request", "no walk without the line's hint");
  const note = { jsonrpc: "2.0", method: "notifications/progress", params: { progress: Infinity } };
  equal(kindOf(note, true), "dropped");
});

Deno.test("classifyClientMessage() drops a tools/call without an id, and names unknown versions", () => {
  equal(kindOf({ jsonrpc: "2.0", method: "tools/call", params: { name: "t" } }), "dropped");
  const future = classifyClientMessage({
    jsonrpc: "2.0",
    id: 2,
    method: "tools/list",
    params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2099-01-01" } },
  }, false);
  deepEqual(future, { kind: "unsupported", id: 2, version: "2099-01-01" });
});

Deno.test("callParamsProblem() bounds the tool name and wants object arguments", () => {
  equal(callParamsProblem({ name: "x".repeat(MAX_TOOL_NAME) }), null);
  equal(callParamsProblem({ name: "x".repeat(MAX_TOOL_NAME + 1) })?.includes("longer than"), true);
  equal(callParamsProblem({ name: "t", arguments: [1] }), "tools/call arguments must be an object");
  equal(callParamsProblem(null), "tools/call params must be an object");
});
