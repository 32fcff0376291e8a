/** JSON-RPC 2.0 shapes and the error answers the proxy gives itself. */

export type JsonRpcId = string | number;
export type JsonObject = Record<string, unknown>;

export const ErrorCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
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
 * Finds a JSON-RPC id in the first and last bytes of a message too large to parse, so that
 * its sender can still get an answer. Returns null unless exactly one candidate is found.
 */
export function sniffId(head: string, tail: string): JsonRpcId | null {
  const found = new Set<string>();
  for (const text of [head, tail]) {
    for (const match of text.matchAll(/"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,16})\s*[,}]/g)) {
      found.add(match[1]);
    }
  }
  if (found.size !== 1) return null;
  const [raw] = found;
  return JSON.parse(raw) as JsonRpcId;
}
