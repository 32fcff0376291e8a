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
 * The JSON-RPC ids that the first and last bytes of a message too large to parse may carry,
 * most likely first: the tail's from its end (serialisers often put `id` last), then the
 * head's. Callers pick the one they are waiting for.
 */
export function sniffIds(head: string, tail: string): JsonRpcId[] {
  const pattern = /"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,16})\s*[,}]/g;
  const fromTail = [...tail.matchAll(pattern)].reverse();
  const fromHead = [...head.matchAll(pattern)];
  const ids: JsonRpcId[] = [];
  for (const match of [...fromTail, ...fromHead]) {
    try {
      const id = JSON.parse(match[1]) as JsonRpcId;
      if (!ids.includes(id)) ids.push(id);
    } catch {
      // A broken escape: not an id.
    }
  }
  return ids;
}

/** The one id the edges of a message carry, or null when there is none or several. */
export function sniffId(head: string, tail: string): JsonRpcId | null {
  const ids = sniffIds(head, tail);
  return ids.length === 1 ? ids[0] : null;
}
