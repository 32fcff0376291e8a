import { deepEqual, equal, ok } from "node:assert/strict";
import { encodeHeaderValue, mcpRequestHeaders } from "../../src/transports/mcp_request_headers.ts";
import { paramHeaderText, scanParamHeaders } from "../../src/transports/x_mcp_header.ts";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
};

function modern(method: string, params: Record<string, unknown> = {}) {
  return { jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: META } };
}

Deno.test("mcpRequestHeaders() mirrors a modern tools/call's version, method and name", () => {
  deepEqual(mcpRequestHeaders({ message: modern("tools/call", { name: "get_weather" }) }), {
    "MCP-Protocol-Version": "2026-07-28",
    "Mcp-Method": "tools/call",
    "Mcp-Name": "get_weather",
  });
});

Deno.test("mcpRequestHeaders() takes Mcp-Name from uri, name or taskId by method, else none", () => {
  equal(
    (mcpRequestHeaders({ message: modern("resources/read", { uri: "file:///a b.txt" }) }) as Record<
      string,
      string
    >)["Mcp-Name"],
    "file:///a b.txt",
  );
  equal(
    (mcpRequestHeaders({ message: modern("prompts/get", { name: "p" }) }) as Record<
      string,
      string
    >)[
      "Mcp-Name"
    ],
    "p",
  );
  deepEqual(mcpRequestHeaders({ message: modern("tools/list", { name: "not mirrored" }) }), {
    "MCP-Protocol-Version": "2026-07-28",
    "Mcp-Method": "tools/list",
  });
  // A name that is not a string is not mirrored (the server refuses the body itself).
  ok(
    !("Mcp-Name" in (mcpRequestHeaders({ message: modern("tools/call", { name: 5 }) }) as object)),
  );
});

Deno.test("mcpRequestHeaders() Base64-encodes a name that is not plain ASCII", () => {
  const headers = mcpRequestHeaders({ message: modern("tools/call", { name: "météo" }) });
  equal((headers as Record<string, string>)["Mcp-Name"], "=?base64?bcOpdMOpbw==?=");
});

Deno.test("mcpRequestHeaders() mirrors x-mcp-header arguments, skipping absent and null ones", () => {
  const message = modern("tools/call", {
    name: "execute_sql",
    arguments: { region: "us-west1", query: "SELECT 1", opts: { dry: true, limit: 42 }, n: null },
  });
  const headers = mcpRequestHeaders({
    message,
    paramHeaders: [
      { name: "Region", path: ["region"] },
      { name: "Dry", path: ["opts", "dry"] },
      { name: "Limit", path: ["opts", "limit"] },
      { name: "Missing", path: ["nope"] },
      { name: "Null", path: ["n"] },
    ],
  });
  deepEqual(headers, {
    "MCP-Protocol-Version": "2026-07-28",
    "Mcp-Method": "tools/call",
    "Mcp-Name": "execute_sql",
    "Mcp-Param-Region": "us-west1",
    "Mcp-Param-Dry": "true",
    "Mcp-Param-Limit": "42",
  });
});

Deno.test("mcpRequestHeaders() sends a legacy request only the session's negotiated version", () => {
  const legacy = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo" } };
  deepEqual(mcpRequestHeaders({ message: legacy, legacyVersion: "2025-06-18" }), {
    "MCP-Protocol-Version": "2025-06-18",
  });
  deepEqual(mcpRequestHeaders({ message: legacy, legacyVersion: null }), {});
});

Deno.test("mcpRequestHeaders() refuses a method that cannot be a header value", () => {
  const result = mcpRequestHeaders({ message: modern("tools/call\r\nX-Evil: 1") });
  ok(result instanceof Error);
});

Deno.test("encodeHeaderValue() follows the specification's examples", () => {
  equal(encodeHeaderValue("us-west1"), "us-west1");
  equal(encodeHeaderValue("Hello, 世界"), "=?base64?SGVsbG8sIOS4lueVjA==?=");
  equal(encodeHeaderValue(" padded "), "=?base64?IHBhZGRlZCA=?=");
  equal(encodeHeaderValue("line1\nline2"), "=?base64?bGluZTEKbGluZTI=?=");
  equal(encodeHeaderValue("=?base64?literal?="), "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
  equal(encodeHeaderValue("a\tb"), "a\tb");
});

Deno.test("scanParamHeaders() collects declarations reached through properties", () => {
  const scan = scanParamHeaders({
    type: "object",
    properties: {
      region: { type: "string", "x-mcp-header": "Region" },
      query: { type: "string" },
      opts: { type: "object", properties: { dry: { type: "boolean", "x-mcp-header": "Dry" } } },
      // Data, not schemas: an x-mcp-header key there means nothing.
      mode: { type: "string", default: { "x-mcp-header": "X" }, enum: [{ "x-mcp-header": 1 }] },
    },
  });
  deepEqual(scan, {
    valid: true,
    headers: [{ name: "Region", path: ["region"] }, { name: "Dry", path: ["opts", "dry"] }],
  });
});

Deno.test("scanParamHeaders() refuses every broken constraint with its place", () => {
  const cases: [unknown, RegExp][] = [
    [{ properties: { a: { type: "string", "x-mcp-header": "" } } }, /a: .*non-empty HTTP token/],
    [{ properties: { a: { type: "string", "x-mcp-header": "Has Space" } } }, /HTTP token/],
    [{ properties: { a: { type: "string", "x-mcp-header": "X\r\nY" } } }, /HTTP token/],
    [{ properties: { a: { type: "number", "x-mcp-header": "N" } } }, /not "number"/],
    [{ properties: { a: { type: "object", "x-mcp-header": "O" } } }, /not "object"/],
    [{ properties: { a: { "x-mcp-header": "T" } } }, /not null/],
    [
      {
        properties: {
          a: { type: "string", "x-mcp-header": "Dup" },
          b: { type: "string", "x-mcp-header": "dup" },
        },
      },
      /"dup" is not unique \(also declared as "Dup"\)/,
    ],
    [{ type: "string", "x-mcp-header": "Root" }, /the schema's root/],
    [{ properties: { l: { items: { type: "string", "x-mcp-header": "I" } } } }, /l.<items>/],
    [{ oneOf: [{ properties: { a: { type: "string", "x-mcp-header": "A" } } }] }, /<oneOf>/],
    [{ $defs: { d: { type: "string", "x-mcp-header": "D" } } }, /<\$defs>/],
  ];
  for (const [schema, reason] of cases) {
    const scan = scanParamHeaders(schema);
    ok(!scan.valid, JSON.stringify(schema));
    ok(reason.test(scan.reason), `${scan.reason} should match ${reason}`);
  }
});

Deno.test("scanParamHeaders() gives up on a schema too deep to walk", () => {
  let schema: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 100; i++) schema = { type: "object", properties: { a: schema } };
  const scan = scanParamHeaders(schema);
  ok(!scan.valid);
  ok(/too large or deep/.test(scan.reason));
  deepEqual(scanParamHeaders(undefined), { valid: true, headers: [] });
});

Deno.test("paramHeaderText() converts primitives and skips the rest", () => {
  equal(paramHeaderText({ a: "x" }, ["a"]), "x");
  equal(paramHeaderText({ a: false }, ["a"]), "false");
  equal(paramHeaderText({ a: -7 }, ["a"]), "-7");
  equal(paramHeaderText({ a: 2 ** 60 }, ["a"]), undefined);
  equal(paramHeaderText({ a: { b: 1 } }, ["a"]), undefined);
  equal(paramHeaderText({ a: [1] }, ["a", "0"]), undefined);
  equal(paramHeaderText({}, ["toString"]), undefined, "inherited members do not count");
});
