/**
 * The MCP headers of one POST to a Streamable HTTP server, rebuilt from the body being sent
 * (never copied from anywhere else): for a 2026-07-28 request `MCP-Protocol-Version`,
 * `Mcp-Method`, `Mcp-Name` and the tool's `Mcp-Param-*`; for a legacy one the version the
 * session negotiated. Values that are not plain visible ASCII are Base64-encoded as the
 * specification says (`=?base64?...?=`).
 */
import { type ParamHeader, paramHeaderText } from "./x_mcp_header.ts";

type JsonObject = Record<string, unknown>;

export const PROTOCOL_VERSION_META = "io.modelcontextprotocol/protocolVersion";

/** Which body field `Mcp-Name` mirrors, per method. */
export const NAME_SOURCE: Readonly<Record<string, string>> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId",
};

const SENTINEL_PREFIX = "=?base64?";
const SENTINEL_SUFFIX = "?=";

/** What the request's headers are built from. */
export interface HeaderSource {
  /** The message as it is sent. */
  readonly message: JsonObject;
  /** The tool's `x-mcp-header` declarations, for a `tools/call` (none when unknown). */
  readonly paramHeaders?: readonly ParamHeader[];
  /** The protocol version a legacy session negotiated (from its `initialize` result). */
  readonly legacyVersion?: string | null;
}

/** The modern protocol version a message declares in `params._meta`, or null. */
export function modernVersionOf(message: JsonObject): string | null {
  const params = message.params;
  if (typeof params !== "object" || params === null) return null;
  const meta = (params as JsonObject)._meta;
  if (typeof meta !== "object" || meta === null) return null;
  const version = (meta as JsonObject)[PROTOCOL_VERSION_META];
  return typeof version === "string" ? version : null;
}

/**
 * The MCP headers for `source.message`, or an error naming the field that cannot be carried
 * in a header (a method or version with control characters: the request is refused).
 */
export function mcpRequestHeaders(source: HeaderSource): Record<string, string> | Error {
  const { message } = source;
  const version = modernVersionOf(message);
  if (version === null) {
    const legacy = source.legacyVersion;
    return legacy && isPlainValue(legacy) ? { "MCP-Protocol-Version": legacy } : {};
  }
  const method = message.method;
  if (!isPlainValue(version)) return new Error("The protocol version cannot be sent as a header");
  const headers: Record<string, string> = { "MCP-Protocol-Version": version };
  if (typeof method !== "string") return headers; // an answer: only the version
  if (!isPlainValue(method) || method === "") {
    return new Error(
      `The method ${JSON.stringify(method).slice(0, 80)} cannot be sent as a header`,
    );
  }
  headers["Mcp-Method"] = method;
  const params = typeof message.params === "object" && message.params !== null
    ? message.params as JsonObject
    : {};
  const field = Object.hasOwn(NAME_SOURCE, method) ? NAME_SOURCE[method] : undefined;
  const name = field === undefined ? undefined : params[field];
  if (typeof name === "string") headers["Mcp-Name"] = encodeHeaderValue(name);
  if (method === "tools/call") {
    for (const header of source.paramHeaders ?? []) {
      const text = paramHeaderText(params.arguments, header.path);
      if (text !== undefined) headers[`Mcp-Param-${header.name}`] = encodeHeaderValue(text);
    }
  }
  return headers;
}

/**
 * `value` as a header value: as is when it is visible ASCII and spaces with no space at
 * either end and does not look like the Base64 sentinel; else `=?base64?<UTF-8 Base64>?=`.
 */
export function encodeHeaderValue(value: string): string {
  const sentinel = value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX);
  if (isPlainValue(value) && !sentinel) return value;
  return `${SENTINEL_PREFIX}${base64Utf8(value)}${SENTINEL_SUFFIX}`;
}

/** Visible ASCII, spaces and tabs, with no space or tab at either end. */
function isPlainValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c > 0x7e) return false;
  }
  return !/^[ \t]|[ \t]$/.test(value);
}

function base64Utf8(value: string): string {
  const bytes = new TextEncoder().encode(value);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
