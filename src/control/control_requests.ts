/**
 * The control methods: checks each request, calls the proxy through its `ControlTarget`, and
 * answers in JSON-RPC 2.0. Bad input gets a client-fault code; a failure inside the proxy
 * gets -32603.
 */
import { formatLocatedError, PolicyLoadError } from "../policy/load_error.ts";
import { ErrorCode, isObject, isValidId, type JsonRpcId } from "../proxy/jsonrpc.ts";
import { sniffTopLevelId } from "../proxy/top_level_id.ts";
import type { OversizeLine } from "../transports/line_splitter.ts";
import type { ControlConnection } from "./control_connection.ts";
import { type ControlTarget, RefusedRequest } from "./control_target.ts";
import { MachineDenyFileError } from "./machine_denies.ts";
import {
  CONTROL_METHODS,
  type ControlMethod,
  type DecisionNotice,
  DENY_SCOPES,
  type DenyScope,
  NOT_DENIED,
  NOT_WAITING,
  RELOAD_FAILED,
  REQUEST_FAILED,
} from "./protocol.ts";

interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

type Outcome = { result: unknown; afterAnswer?: () => void } | { error: RpcError };

export interface RequestContext {
  target: ControlTarget;
  /** Sends `backfill` to `connection`, then every event as it happens. */
  subscribe(connection: ControlConnection, backfill: DecisionNotice[]): void;
  subscribed(connection: ControlConnection): boolean;
  /** How many more connections may subscribe. */
  subscriberSlots(): number;
  log(message: string): void;
}

class ParamsError extends Error {}

const MAX_BY = 200;

/** Handles one line a client sent. */
export function handleLine(context: RequestContext, connection: ControlConnection, text: string) {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (error) {
    const detail = (error as Error).message;
    reply(connection, null, {
      error: { code: ErrorCode.parseError, message: `Parse error: ${detail}` },
    });
    return;
  }
  const id = isObject(message) && isValidId(message.id) ? message.id : null;
  const isNotification = isObject(message) && !("id" in message);
  if (!isObject(message) || typeof message.method !== "string" || !validIdField(message)) {
    reply(connection, id, {
      error: {
        code: ErrorCode.invalidRequest,
        message: "Invalid request: expected a JSON-RPC 2.0 request object with a method",
      },
    });
    return;
  }
  const outcome = dispatch(context, connection, message.method, message.params);
  if (outcome instanceof Promise) {
    connection.track(outcome.then((settled) => {
      if (!isNotification) reply(connection, id, settled);
    }));
  } else if (!isNotification) reply(connection, id, outcome);
  else if ("result" in outcome) outcome.afterAnswer?.();
}

/** Answers a line too long to read, by its id when one can be found in its ends. */
export function handleOversize(connection: ControlConnection, line: OversizeLine, limit: number) {
  reply(connection, sniffTopLevelId(line.head, line.tail), {
    error: {
      code: ErrorCode.invalidRequest,
      message: `Request too long: ${line.size} bytes, the limit is ${limit}`,
    },
  });
}

function validIdField(message: Record<string, unknown>): boolean {
  return !("id" in message) || message.id === null || isValidId(message.id);
}

function reply(connection: ControlConnection, id: JsonRpcId | null, outcome: Outcome): void {
  if ("error" in outcome) {
    connection.sendResponse({ jsonrpc: "2.0", id, error: outcome.error });
    return;
  }
  connection.sendResponse({ jsonrpc: "2.0", id, result: outcome.result });
  // Subscribe's backfill follows its answer.
  outcome.afterAnswer?.();
}

function dispatch(
  context: RequestContext,
  connection: ControlConnection,
  method: string,
  rawParams: unknown,
): Outcome | Promise<Outcome> {
  if (!(CONTROL_METHODS as readonly string[]).includes(method)) {
    return {
      error: {
        code: ErrorCode.methodNotFound,
        message: `Unknown method "${method}"; the methods are ${CONTROL_METHODS.join(", ")}`,
      },
    };
  }
  try {
    const params = paramsOf(rawParams);
    const result = call(context, connection, method as ControlMethod, params);
    return result instanceof Promise ? result.catch((error) => failure(context, error)) : result;
  } catch (error) {
    return failure(context, error);
  }
}

function call(
  context: RequestContext,
  connection: ControlConnection,
  method: ControlMethod,
  params: Record<string, unknown>,
): Outcome | Promise<Outcome> {
  const { target } = context;
  switch (method) {
    case "status":
      return { result: target.status() };
    case "subscribe": {
      if (context.subscribed(connection)) return { result: { ok: true, backfill: 0 } };
      if (context.subscriberSlots() <= 0) {
        return {
          error: {
            code: REQUEST_FAILED,
            message: "Too many dashboards are subscribed to this proxy; close one and retry",
          },
        };
      }
      const backfill = target.recentDecisions();
      // Subscribing right after the answer is queued, in the same turn: the answer comes
      // first, then the backfill, and no event falls in between.
      return {
        result: { ok: true, backfill: backfill.length },
        afterAnswer: () => context.subscribe(connection, backfill),
      };
    }
    case "reload":
      return target.reload().then((result) => ({ result }));
    case "deny": {
      const tool = toolParam(params, "deny", true)!;
      const reason = params.reason;
      if (reason !== undefined && reason !== null && typeof reason !== "string") {
        throw new ParamsError("deny: params.reason must be a string");
      }
      const scope = scopeParam(params, "deny");
      const done = target.deny(tool, reason ?? null, byParam(params, "deny"), scope);
      const result = scope === "proxy" ? { ok: true, tool } : { ok: true, tool, scope };
      return done instanceof Promise ? done.then(() => ({ result })) : { result };
    }
    case "allow": {
      const tool = toolParam(params, "allow", true)!;
      const scope = scopeParam(params, "allow");
      const answer = (lifted: boolean): Outcome => {
        if (!lifted) {
          const where = scope === "proxy" ? "" : ` (${scope})`;
          return {
            error: {
              code: REQUEST_FAILED,
              message: `Tool "${tool}" is not live-denied${where}`,
              data: { reason: NOT_DENIED },
            },
          };
        }
        return { result: scope === "proxy" ? { ok: true, tool } : { ok: true, tool, scope } };
      };
      const lifted = target.allow(tool, byParam(params, "allow"), scope);
      return lifted instanceof Promise ? lifted.then(answer) : answer(lifted);
    }
    case "reset": {
      const tool = toolParam(params, "reset", false);
      target.reset(tool, byParam(params, "reset"));
      return { result: { ok: true, tool } };
    }
    case "approvals":
      return { result: { approvals: target.approvals() } };
    case "approve":
    case "reject": {
      const id = params.id;
      if (typeof id !== "string" || !/^[0-9a-f]{1,64}$/.test(id)) {
        throw new ParamsError(`${method}: params.id must be an approval id (hex)`);
      }
      const by = byParam(params, method) ?? "an operator";
      const reason = params.reason;
      if (reason !== undefined && reason !== null && typeof reason !== "string") {
        throw new ParamsError("reject: params.reason must be a string");
      }
      const done = method === "approve"
        ? target.approve(id, by)
        : target.reject(id, by, (reason as string | null | undefined)?.slice(0, 500) ?? null);
      if (!done) {
        return {
          error: {
            code: REQUEST_FAILED,
            message: `No call waits for an operator's answer under id ${id}`,
            data: { reason: NOT_WAITING },
          },
        };
      }
      return { result: { ok: true, id } };
    }
  }
}

function paramsOf(params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (!isObject(params)) throw new ParamsError("params must be an object");
  return params;
}

function toolParam(params: Record<string, unknown>, method: string, required: boolean) {
  const tool = params.tool;
  if (!required && (tool === undefined || tool === null)) return null;
  if (typeof tool !== "string" || tool.trim() === "") {
    throw new ParamsError(`${method}: params.tool must be a non-empty string`);
  }
  return tool.trim();
}

function scopeParam(params: Record<string, unknown>, method: string): DenyScope {
  const scope = params.scope;
  if (scope === undefined || scope === null) return "proxy";
  if (typeof scope !== "string" || !(DENY_SCOPES as readonly string[]).includes(scope)) {
    throw new ParamsError(`${method}: params.scope must be one of ${DENY_SCOPES.join(", ")}`);
  }
  return scope as DenyScope;
}

/** Who asked, as the client says: optional, one line, bounded. */
function byParam(params: Record<string, unknown>, method: string): string | null {
  const by = params.by;
  if (by === undefined || by === null) return null;
  if (typeof by !== "string" || by.length > MAX_BY) {
    throw new ParamsError(`${method}: params.by must be a string of at most ${MAX_BY} characters`);
  }
  // deno-lint-ignore no-control-regex
  return by.replace(/[\u0000-\u001f\u007f]+/g, " ").trim() || null;
}

function failure(context: RequestContext, error: unknown): Outcome {
  if (error instanceof ParamsError) {
    return {
      error: { code: ErrorCode.invalidParams, message: `Invalid params: ${error.message}` },
    };
  }
  if (error instanceof RefusedRequest || error instanceof MachineDenyFileError) {
    return { error: { code: REQUEST_FAILED, message: error.message } };
  }
  if (error instanceof RangeError) {
    // A bound of the proxy (too many live denies): the request is refused, nothing changed.
    return { error: { code: REQUEST_FAILED, message: error.message } };
  }
  if (error instanceof PolicyLoadError) {
    const errors = error.errors.map(formatLocatedError);
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
    return {
      error: {
        code: RELOAD_FAILED,
        message: `Policy not reloaded, the previous one stays in force: ${errors[0]}${more}`,
        data: { errors },
      },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  context.log(`Control request failed inside the proxy: ${message}`);
  return { error: { code: ErrorCode.internalError, message: `Internal error: ${message}` } };
}
