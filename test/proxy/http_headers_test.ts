/** The 2026-07-28 HTTP headers checked against the body they mirror. */
import { equal, match } from "node:assert/strict";
import {
  decodeHeaderValue,
  paramHeaderProblem,
  standardHeaderProblem,
} from "../../src/proxy/http_headers.ts";

const CALL = {
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "execute_sql", arguments: { region: "us-west1", query: "SELECT 1" } },
};

function headers(extra: Record<string, string> = {}): Headers {
  return new Headers({
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/call",
    "mcp-name": "execute_sql",
    ...extra,
  });
}

Deno.test("standardHeaderProblem() accepts headers that mirror the body", () => {
  equal(standardHeaderProblem(headers(), CALL, "2026-07-28"), null);
  const read = { jsonrpc: "2.0", id: 2, method: "resources/read", params: { uri: "file:///a b" } };
  const encoded = `=?base64?${btoa("file:///a b")}?=`;
  equal(
    standardHeaderProblem(
      headers({ "mcp-method": "resources/read", "mcp-name": encoded }),
      read,
      "2026-07-28",
    ),
    null,
  );
  const list = { jsonrpc: "2.0", id: 3, method: "tools/list", params: {} };
  const noName = new Headers({ "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" });
  equal(standardHeaderProblem(noName, list, "2026-07-28"), null, "lists name nothing");
});

Deno.test("standardHeaderProblem() names each header that is missing or disagrees", () => {
  const problem = (h: Headers) => standardHeaderProblem(h, CALL, "2026-07-28") ?? "";
  const without = (name: string) => {
    const h = headers();
    h.delete(name);
    return h;
  };
  match(problem(without("mcp-protocol-version")), /MCP-Protocol-Version header is missing/);
  match(problem(without("mcp-method")), /Mcp-Method header is missing/);
  match(problem(without("mcp-name")), /Mcp-Name header is missing/);
  match(problem(headers({ "mcp-protocol-version": "2025-11-25" })), /does not match/);
  match(problem(headers({ "mcp-method": "tools/list" })), /Mcp-Method .* does not match/);
  match(problem(headers({ "mcp-name": "drop_table" })), /Mcp-Name .* does not match/);
  match(problem(headers({ "mcp-name": "=?base64?!!!?=" })), /Mcp-Name .*/);
});

const SQL_SCHEMA = {
  type: "object",
  properties: {
    region: { type: "string", "x-mcp-header": "Region" },
    limit: { type: "integer", "x-mcp-header": "Limit" },
    options: { type: "object", properties: { dry: { type: "boolean", "x-mcp-header": "Dry" } } },
    query: { type: "string" },
  },
};

Deno.test("paramHeaderProblem() accepts Mcp-Param headers equal to the body", () => {
  const args = { region: "us-west1", limit: 42, options: { dry: true }, query: "q" };
  const h = headers({
    "mcp-param-region": "us-west1",
    "mcp-param-limit": "42.0",
    "mcp-param-dry": "true",
  });
  equal(paramHeaderProblem(h, args, SQL_SCHEMA), null);
  equal(
    paramHeaderProblem(headers(), { query: "q" }, SQL_SCHEMA),
    null,
    "absent values, no headers",
  );
  equal(
    paramHeaderProblem(headers({ "mcp-param-other": "x" }), {}, SQL_SCHEMA),
    null,
    "unknown header",
  );
  const unicode = `=?base64?${btoa(String.fromCharCode(...new TextEncoder().encode("東京")))}?=`;
  equal(
    paramHeaderProblem(headers({ "mcp-param-region": unicode }), { region: "東京" }, SQL_SCHEMA),
    null,
  );
});

Deno.test("paramHeaderProblem() refuses a missing, extra or different Mcp-Param header", () => {
  const args = { region: "us-west1" };
  match(
    paramHeaderProblem(headers(), args, SQL_SCHEMA) ?? "",
    /Mcp-Param-region header is missing/,
  );
  match(
    paramHeaderProblem(headers({ "mcp-param-region": "eu-west1" }), args, SQL_SCHEMA) ?? "",
    /does not match/,
  );
  match(
    paramHeaderProblem(headers({ "mcp-param-limit": "5" }), args, SQL_SCHEMA) ?? "",
    /Mcp-Param-region|no value/,
  );
  match(
    paramHeaderProblem(
      headers({ "mcp-param-region": "us-west1", "mcp-param-limit": "5" }),
      args,
      SQL_SCHEMA,
    ) ??
      "",
    /Mcp-Param-limit is sent but the body has no value/,
  );
});

Deno.test("decodeHeaderValue() decodes the Base64 sentinel and refuses control characters", () => {
  equal(decodeHeaderValue("plain value"), "plain value");
  equal(decodeHeaderValue(`=?base64?${btoa(" padded ")}?=`), " padded ");
  equal(decodeHeaderValue("bad\u0001"), null);
  equal(decodeHeaderValue("=?base64?@@@?="), null);
});

Deno.test("decodeHeaderValue() refuses Base64 without its padding, as the server itself does", () => {
  // "Hello" is SGVsbG8= : a lenient decoder (atob) also takes SGVsbG8, which a server refuses.
  equal(decodeHeaderValue("=?base64?SGVsbG8=?="), "Hello");
  equal(decodeHeaderValue("=?base64?SGVsbG8?="), null);
  equal(decodeHeaderValue("=?base64?SGVsbA?="), null);
  equal(decodeHeaderValue("=?base64?SGVsbA==?="), "Hell");
  equal(decodeHeaderValue("=?base64?SGVs bG8=?="), null);
  equal(decodeHeaderValue("=?base64??="), "");
});

Deno.test("paramHeaderProblem() asks for exactly the headers the proxy itself would send", () => {
  // A value past 2^53 cannot be carried in a header: none is sent, and none is asked for.
  equal(paramHeaderProblem(headers(), { limit: 2 ** 60 }, SQL_SCHEMA), null);
  // A number is written as JSON writes one, not as hex.
  match(
    paramHeaderProblem(headers({ "mcp-param-limit": "0x2a" }), { limit: 42 }, SQL_SCHEMA) ?? "",
    /does not match/,
  );
});

Deno.test("paramHeaderProblem() judges no header of a schema whose declarations are invalid", () => {
  const broken = { type: "object", properties: { a: { type: "string", "x-mcp-header": "a b" } } };
  equal(paramHeaderProblem(headers(), { a: "x" }, broken), null);
});

Deno.test("standardHeaderProblem() checks Mcp-Name for every method that has one (tasks too)", () => {
  const task = {
    jsonrpc: "2.0",
    id: 3,
    method: "tasks/get",
    params: { taskId: "t-1" },
  };
  const sent = (name?: string) => {
    const h = headers({ "mcp-method": "tasks/get" });
    if (name === undefined) h.delete("mcp-name");
    else h.set("mcp-name", name);
    return h;
  };
  equal(standardHeaderProblem(sent("t-1"), task, "2026-07-28"), null);
  match(standardHeaderProblem(sent("t-2"), task, "2026-07-28") ?? "", /does not match/);
  match(standardHeaderProblem(sent(), task, "2026-07-28") ?? "", /Mcp-Name header is missing/);
});
