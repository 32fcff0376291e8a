/**
 * What one message from the client is, decided from the message alone (pure): a request to
 * take on (with its era), a notification, the client's answer to a server's request, or
 * something to refuse with the error it gets. Nothing here touches state.
 */
import { declaredVersion, type Era, MODERN_VERSIONS } from "./era.ts";
import {
  ErrorCode,
  hasNonFinite,
  isObject,
  isValidId,
  type JsonObject,
  type JsonRpcId,
} from "./jsonrpc.ts";

/** MCP tool names are short (the spec suggests at most 128): longer ones are refused. */
export const MAX_TOOL_NAME = 256;

export type ClientMessage =
  /** Refused with `code`; `id` null when the message had none usable. */
  | {
    readonly kind: "refused";
    readonly id: JsonRpcId | null;
    readonly code: number;
    readonly text: string;
  }
  /** A notification dropped with a warning (it cannot be passed on as sent). */
  | { readonly kind: "dropped"; readonly warning: string }
  | { readonly kind: "notification"; readonly message: JsonObject }
  /** The client answering a request of the server's (sampling, elicitation, roots). */
  | { readonly kind: "answer"; readonly message: JsonObject; readonly id: JsonRpcId }
  /** A 2026-07-28-style request naming a version the proxy does not speak. */
  | { readonly kind: "unsupported"; readonly id: JsonRpcId; readonly version: string }
  | {
    readonly kind: "request";
    readonly message: JsonObject & { method: string };
    readonly id: JsonRpcId;
    readonly era: Era;
  };

/**
 * Classifies one message (an element of a batch, or the whole line). `overflow` says the line
 * may hold a number that parses as ±Infinity (checked only then: it is rare and costs a walk).
 */
export function classifyClientMessage(message: unknown, overflow: boolean): ClientMessage {
  if (!isObject(message) || message.jsonrpc !== "2.0") {
    const id = isObject(message) && isValidId(message.id) ? message.id : null;
    return refused(id, ErrorCode.invalidRequest, "Invalid request: not JSON-RPC 2.0");
  }
  const hasId = Object.hasOwn(message, "id");
  if (hasId && !isValidId(message.id)) {
    return refused(null, ErrorCode.invalidRequest, "Invalid request: bad id");
  }
  const id = hasId ? message.id as JsonRpcId : null;
  if (!Object.hasOwn(message, "method")) {
    if (id === null || !(Object.hasOwn(message, "result") || Object.hasOwn(message, "error"))) {
      return refused(id, ErrorCode.invalidRequest, "Invalid request: no method");
    }
    return { kind: "answer", message, id };
  }
  if (typeof message.method !== "string") {
    return refused(id, ErrorCode.invalidRequest, "Invalid request: bad method");
  }
  if (overflow && hasNonFinite(message.params)) {
    if (id === null) {
      return {
        kind: "dropped",
        warning: `Dropped a ${message.method.slice(0, 60)} notification: a number is out of range`,
      };
    }
    return refused(
      id,
      ErrorCode.invalidParams,
      "Invalid params: a number is out of range (it parses as ±Infinity), so it cannot be " +
        "passed on as sent",
    );
  }
  if (id === null) {
    if (message.method === "tools/call") {
      return {
        kind: "dropped",
        warning: "Dropped a tools/call sent as a notification (it had no id)",
      };
    }
    return { kind: "notification", message };
  }
  const version = declaredVersion(message.params);
  if (version !== null && !MODERN_VERSIONS.includes(version)) {
    return { kind: "unsupported", id, version };
  }
  if (message.method === "tools/call") {
    const problem = callParamsProblem(message.params);
    if (problem) return refused(id, ErrorCode.invalidParams, problem);
  }
  return {
    kind: "request",
    message: message as JsonObject & { method: string },
    id,
    era: version === null ? "legacy" : "modern",
  };
}

/** Why `tools/call` params cannot be decided, or null when they can. */
export function callParamsProblem(params: unknown, maxToolName = MAX_TOOL_NAME): string | null {
  if (!isObject(params)) return "tools/call params must be an object";
  if (typeof params.name !== "string") return "tools/call name must be a string";
  if (params.name.length > maxToolName) {
    return `tools/call name is longer than ${maxToolName} characters`;
  }
  if (params.arguments !== undefined && !isObject(params.arguments)) {
    return "tools/call arguments must be an object";
  }
  return null;
}

function refused(id: JsonRpcId | null, code: number, text: string): ClientMessage {
  return { kind: "refused", id, code, text };
}
