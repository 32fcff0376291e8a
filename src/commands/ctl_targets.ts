/**
 * `intercept ctl` on one or many proxies: each is asked for its status (for its name and its
 * tools) and the command in one go, within a time limit, and every outcome is kept apart:
 * an answer, a refusal, no answer (which may still apply), or nobody there.
 */
import { suggest } from "../cli/did_you_mean.ts";
import {
  ControlClient,
  ControlRequestError,
  ControlTimeoutError,
} from "../control/control_client.ts";
import { type ControlMethod, NOT_DENIED, type StatusResult } from "../control/protocol.ts";
import { Glob, isGlob } from "../policy/glob.ts";

export const EXIT = {
  ok: 0,
  refused: 1,
  usage: 2,
  noProxy: 3,
  badPath: 4,
  noAnswer: 5,
} as const;

interface ErrorBody {
  /** The JSON-RPC error code; null when no answer came (not reachable, timed out). */
  code: number | null;
  message: string;
  data?: unknown;
}

export type Answer =
  | { kind: "result"; result: unknown }
  /** The proxy answered with an error. */
  | { kind: "refused"; error: ErrorBody }
  /** Sent, but no answer came in time: it may still apply. */
  | { kind: "noAnswer"; error: ErrorBody }
  /** Nothing answers at the path; nothing was sent. */
  | { kind: "unreachable"; error: ErrorBody };

export interface Target {
  path: string;
  /** The proxy's name from its status, when it answered. */
  name: string | null;
  status: StatusResult | null;
  answer: Answer;
}

export interface AskOptions {
  timeoutMs: number;
  /** `allow` of a tool that is not live-denied counts as done (for `--all`). */
  idempotentAllow: boolean;
  /** Who asks, shown to operators next to a live deny. */
  by: string | null;
}

/** Sends `command` to every path at once; never throws. */
export function askEverywhere(
  paths: readonly string[],
  command: { method: ControlMethod; params?: Record<string, unknown> },
  options: AskOptions,
): Promise<Target[]> {
  return Promise.all(paths.map((path) => ask(path, command, options)));
}

async function ask(
  path: string,
  command: { method: ControlMethod; params?: Record<string, unknown> },
  options: AskOptions,
): Promise<Target> {
  let client: ControlClient;
  try {
    client = await ControlClient.connect(path, { timeoutMs: options.timeoutMs });
  } catch (error) {
    const message = (error as Error).message;
    return {
      path,
      name: null,
      status: null,
      answer: { kind: "unreachable", error: body(message) },
    };
  }
  const timeout = { timeoutMs: options.timeoutMs };
  try {
    // In one go: the proxy answers in order, so the status is the state before the command.
    const statusAsked = client.request<StatusResult>("status", undefined, timeout);
    const params = command.method === "status" || !options.by
      ? command.params
      : { ...command.params, by: options.by };
    const commandAsked = command.method === "status"
      ? statusAsked
      : client.request(command.method, params, timeout);
    const [status, answer] = await Promise.all([
      statusAsked.catch(() => null),
      commandAsked.then(
        (result): Answer => ({ kind: "result", result }),
        (error) => failure(error, command, options),
      ),
    ]);
    return { path, name: status?.name ?? null, status, answer };
  } finally {
    client.close();
    await client.closed;
  }
}

function failure(
  error: unknown,
  command: { method: ControlMethod; params?: Record<string, unknown> },
  options: AskOptions,
): Answer {
  if (error instanceof ControlRequestError) {
    const notDenied = (error.data as { reason?: unknown } | undefined)?.reason === NOT_DENIED;
    if (command.method === "allow" && options.idempotentAllow && notDenied) {
      return { kind: "result", result: { ok: true, tool: command.params?.tool, wasDenied: false } };
    }
    const { code, message, data } = error;
    return {
      kind: "refused",
      error: data === undefined ? { code, message } : { code, message, data },
    };
  }
  const message = (error as Error).message;
  if (error instanceof ControlTimeoutError) {
    return { kind: "noAnswer", error: body(`${message}; the request may still apply`) };
  }
  return { kind: "noAnswer", error: body(`${message}; it may have applied`) };
}

function body(message: string): ErrorBody {
  return { code: null, message };
}

/** The exit code for a set of answers: 0, or the first of no answer, refused, unreachable. */
export function exitCodeOf(answers: readonly Answer[]): number {
  const kinds = new Set(answers.map((answer) => answer.kind));
  if (kinds.has("noAnswer")) return EXIT.noAnswer;
  if (kinds.has("refused")) return EXIT.refused;
  if (kinds.has("unreachable")) return EXIT.badPath;
  return EXIT.ok;
}

/**
 * A warning when a tool named on the command line is not one any proxy lists (deny, reset),
 * or not one any proxy has denied (allow), with the nearest name when there is one.
 */
export function unknownToolWarning(
  method: ControlMethod,
  tool: string | undefined,
  targets: readonly Target[],
): string | null {
  if (tool === undefined || tool === "*") return null;
  const statuses = targets.map((target) => target.status).filter((s) => s !== null);
  if (statuses.length === 0) return null;
  if (method === "allow") {
    const denied = new Set(statuses.flatMap((status) => status.liveDenies.map((d) => d.tool)));
    if (denied.has(tool)) return null;
    const hint = suggest(tool, [...denied]);
    const glob = [...denied].find((pattern) => isGlob(pattern) && new Glob(pattern).test(tool));
    if (glob) return `"${tool}" is denied by the pattern "${glob}": allow "${glob}" to lift it`;
    return `no proxy has "${tool}" live-denied${hint ? `; did you mean "${hint}"?` : ""}`;
  }
  if (method !== "deny" && method !== "reset") return null;
  const names = new Set(statuses.flatMap((status) => status.tools.map((t) => t.name)));
  const matches = isGlob(tool)
    ? [...names].some((name) => new Glob(tool).test(name))
    : names.has(tool);
  if (matches) return null;
  const hint = isGlob(tool) ? null : suggest(tool, [...names]);
  const what = isGlob(tool)
    ? `no tool any proxy lists matches "${tool}"`
    : `no proxy lists a tool named "${tool}"`;
  const outcome = method === "deny" ? "denied anyway" : "nothing to reset";
  return `${what}${hint ? `; did you mean "${hint}"?` : ""} (${outcome})`;
}

/** Who runs ctl, as shown next to a live deny: `ann via ctl`. */
export function operatorName(tool = "ctl"): string {
  const user = Deno.env.get("USER") || Deno.env.get("LOGNAME") || `uid ${Deno.uid() ?? "?"}`;
  return `${user} via ${tool}`;
}
