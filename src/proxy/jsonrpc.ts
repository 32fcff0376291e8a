/** JSON-RPC 2.0 shapes and the error answers the proxy gives itself. */

export type JsonRpcId = string | number;
export type JsonObject = Record<string, unknown>;

export const ErrorCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** Modern era (2026-07-28): HTTP headers disagree with the body. */
  headerMismatch: -32020,
  /** Modern era: the request's protocol version is not supported. */
  unsupportedProtocolVersion: -32022,
} as const;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isValidId(id: unknown): id is JsonRpcId {
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

export function errorResponse(id: JsonRpcId | null, code: number, message: string): JsonObject {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

export function resultResponse(id: JsonRpcId, result: unknown): JsonObject {
  return { jsonrpc: "2.0", id, result };
}

/**
 * A number literal JSON.parse may turn into ±Infinity: a 3-digit exponent, or a run of 309
 * digits. Linear: each run of digits is scanned once, from the character before it.
 */
const MAY_OVERFLOW = /[eE]\+?[0-9]{3}|(?:^|[^0-9])[0-9]{309}/;

/** A cheap look at the text before `hasNonFinite` walks the parsed value. */
export function mayOverflow(line: string): boolean {
  return MAY_OVERFLOW.test(line);
}

/**
 * True when a parsed value holds a number JSON.parse could not represent (`1e400` parses as
 * Infinity): re-serialised it would read `null`, a value other than the one evaluated. Walks
 * with a stack of its own: JSON.parse takes nesting far deeper than a recursive walk could.
 */
export function hasNonFinite(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next === "number") {
      if (!Number.isFinite(next)) return true;
    } else if (Array.isArray(next)) {
      for (let i = 0; i < next.length; i++) stack.push(next[i]);
    } else if (typeof next === "object" && next !== null) {
      for (const key in next) stack.push((next as JsonObject)[key]);
    }
  }
  return false;
}
