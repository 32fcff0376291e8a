/** The audit log's JSON lines: one per decision, one per lifecycle event. Pure functions. */
import type { DecisionEvent } from "../proxy/events.ts";
import { canonicalJson } from "./canonical_json.ts";
import { sha256Hex } from "./sha256_text.ts";

export type LifecycleEvent =
  | "start"
  | "stop"
  | "policy_reloaded"
  | "policy_refused"
  | "live_deny"
  | "live_allow"
  | "reset"
  | "approval_requested"
  | "approval_granted"
  | "approval_rejected"
  | "approval_expired"
  | "approval_withdrawn"
  | "approval_released";

/** Hex SHA-256 of the canonical JSON of a call's arguments (synchronous: the path is hot). */
export function argsSha256(args: unknown): string {
  return sha256Hex(canonicalJson(args));
}

/**
 * One decision line (no trailing newline); raw arguments only when `includeArgs`. Written field
 * by field (each value as `JSON.stringify` writes it) rather than as one object: the same text,
 * at about half the cost, on a line every call pays for.
 */
export function decisionLine(event: DecisionEvent, includeArgs = false): string {
  const { decision } = event;
  let digest: string | null = null;
  let argsError: string | undefined;
  try {
    digest = argsSha256(event.args);
  } catch (error) {
    argsError = `Cannot hash the arguments: ${(error as Error).message}`;
  }
  let quotas = "";
  for (const quota of decision.quotas) {
    quotas += `${quotas === "" ? "" : ","}{"rule":${text(quota.rule)},"remaining":${
      number(quota.remaining)
    },"max":${number(quota.max)},"windowMs":${number(quota.windowMs)},"per":${text(quota.per)}}`;
  }
  const ts = isoTime(event.ts);
  // The time and the digest need no escaping.
  let line = `{"ts":${ts === null ? "null" : `"${ts}"`},"type":"decision","session":${
    text(event.session)
  },"principal":${text(event.principal)},"client":${text(event.client)},"era":${
    text(event.era)
  },"tool":${text(decision.tool)},"decision":"${decision.allowed ? "allow" : "deny"}","rule":${
    text(decision.rule)
  },"reason":${text(decision.reason)},"retryAfterMs":${
    number(decision.retryAfterMs)
  },"quotas":[${quotas}],"latencyMs":${
    number(Math.round(event.latencyMs * 1000) / 1000)
  },"argsSha256":${digest === null ? "null" : `"${digest}"`}`;
  // MRTR: later rounds of one logical call (the first round is the call itself).
  if (event.round > 1) line += `,"round":${number(event.round)}`;
  if (argsError) line += `,"argsError":${text(argsError)}`;
  if (!includeArgs) return line + "}";
  try {
    return `${line},"args":${JSON.stringify(event.args) ?? "null"}}`;
  } catch (error) {
    return `${line},"args":null,"argsError":${
      text(`Cannot write the arguments: ${(error as Error).message}`)
    }}`;
  }
}

/** A string (or null) as JSON. Names repeat on every line: up to 512 short ones are kept. */
function text(value: string | null): string {
  if (value === null) return "null";
  let json = known.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    if (value.length <= 256) {
      if (known.size >= 512) known.clear();
      known.set(value, json);
    }
  }
  return json;
}

const known = new Map<string, string>();

/** A number (or null) as JSON writes it. */
function number(value: number | null): string {
  return value !== null && Number.isFinite(value) ? String(value) : "null";
}

/** One lifecycle line: `ts` and `type` first (data cannot override them), then `data`. */
export function lifecycleLine(type: string, data: Record<string, unknown>, ts: number): string {
  const head = { ts: isoTime(ts), type };
  try {
    return JSON.stringify(Object.assign({ ...head }, data, head));
  } catch (error) {
    return JSON.stringify({
      ...head,
      dataError: `Cannot write the event's data: ${(error as Error).message}`,
    });
  }
}

/** The ISO text of the last second written, which every line of that second shares. */
let second = NaN;
let secondText = "";

function isoTime(ms: number): string | null {
  if (Number.isSafeInteger(ms) && ms >= 0) {
    const at = Math.floor(ms / 1000);
    if (at !== second) {
      second = at;
      secondText = new Date(at * 1000).toISOString().slice(0, -4); // "…T12:00:00."
    }
    return `${secondText}${String(ms - at * 1000).padStart(3, "0")}Z`;
  }
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
