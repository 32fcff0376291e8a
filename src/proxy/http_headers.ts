/**
 * The 2026-07-28 request headers of Streamable HTTP, checked against the body they mirror:
 * `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and the tool's `Mcp-Param-{Name}` headers
 * (declared by `x-mcp-header` in its `inputSchema`). A mismatch is refused (-32020), so that
 * nothing routing on the headers can be told one thing while the policy sees another.
 */
import { NAME_SOURCE } from "../transports/mcp_request_headers.ts";
import { paramHeaderText, scanParamHeaders } from "../transports/x_mcp_header.ts";
import { isObject, type JsonObject } from "./jsonrpc.ts";

const SENTINEL = /^=\?base64\?(.*)\?=$/s;
/** RFC 4648 Base64 with its padding: atob alone also takes unpadded text, which servers refuse. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Visible ASCII, space and tab (RFC 9110 field values). */
const PLAIN = /^[\x20-\x7e\t]*$/;

/** A header value as the client meant it: Base64 sentinel values decoded; null when invalid. */
export function decodeHeaderValue(value: string): string | null {
  const encoded = SENTINEL.exec(value);
  if (!encoded) return PLAIN.test(value) ? value : null;
  if (!BASE64.test(encoded[1])) return null;
  try {
    const bytes = Uint8Array.from(atob(encoded[1]), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** What `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` must say, or null when they do. */
export function standardHeaderProblem(
  headers: Headers,
  message: JsonObject,
  version: string,
): string | null {
  const sent = headers.get("mcp-protocol-version");
  if (sent === null) return "the MCP-Protocol-Version header is missing";
  if (sent !== version) {
    return `MCP-Protocol-Version header "${sent.slice(0, 40)}" does not match the body's ` +
      `"${version.slice(0, 40)}"`;
  }
  const method = headers.get("mcp-method");
  if (method === null) return "the Mcp-Method header is missing";
  if (method !== message.method) {
    return `Mcp-Method header "${method.slice(0, 60)}" does not match the body's ` +
      `"${String(message.method).slice(0, 60)}"`;
  }
  const params = isObject(message.params) ? message.params : {};
  const field = Object.hasOwn(NAME_SOURCE, method) ? NAME_SOURCE[method] : undefined;
  const named = field === undefined ? undefined : params[field];
  if (named === undefined) return null;
  const name = headers.get("mcp-name");
  if (name === null) return "the Mcp-Name header is missing";
  const decoded = decodeHeaderValue(name);
  if (decoded === null) return "the Mcp-Name header holds invalid characters";
  if (decoded !== named) {
    return `Mcp-Name header "${decoded.slice(0, 60)}" does not match the body's ` +
      `"${String(named).slice(0, 60)}"`;
  }
  return null;
}

/**
 * What the `Mcp-Param-{Name}` headers of a `tools/call` must say, given the tool's
 * `inputSchema`, or null when they do: exactly what this proxy itself sends upstream
 * (`paramHeaderText`), so a value no header can carry (absent, null, an object, an integer past
 * 2^53) must come without one. A header the schema does not declare is not ours to judge
 * (intermediaries pass those on), nor are the declarations of a schema that breaks the rules
 * of `x-mcp-header` (such a tool is not offered with headers at all).
 */
export function paramHeaderProblem(
  headers: Headers,
  args: JsonObject,
  inputSchema: unknown,
): string | null {
  const scan = scanParamHeaders(inputSchema);
  if (!scan.valid) return null;
  for (const { name, path } of scan.headers) {
    const header = name.toLowerCase();
    const expected = paramHeaderText(args, path);
    const sent = headers.get(`mcp-param-${header}`);
    if (expected === undefined) {
      if (sent !== null) return `Mcp-Param-${header} is sent but the body has no value for it`;
      continue;
    }
    if (sent === null) return `the Mcp-Param-${header} header is missing`;
    const decoded = decodeHeaderValue(sent);
    if (decoded === null) return `the Mcp-Param-${header} header holds invalid characters`;
    if (!sameValue(decoded, expected, typeof valueAt(args, path) === "number")) {
      return `Mcp-Param-${header} header "${decoded.slice(0, 60)}" does not match the body`;
    }
  }
  return null;
}

function valueAt(args: JsonObject, path: readonly string[]): unknown {
  let value: unknown = args;
  for (const step of path) {
    if (!isObject(value) || !Object.hasOwn(value, step)) return undefined;
    value = value[step];
  }
  return value;
}

/** A plain decimal number, as JSON writes one (no hex, no `Infinity`, no blanks). */
const DECIMAL = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** The text the proxy would send; a number may also be written otherwise (`42.0` is `42`). */
function sameValue(header: string, expected: string, numeric: boolean): boolean {
  if (header === expected) return true;
  return numeric && DECIMAL.test(header) && Number(header) === Number(expected);
}
