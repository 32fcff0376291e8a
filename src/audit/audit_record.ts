/** The audit log's JSON lines: one per decision, one per lifecycle event. Pure functions. */
import { createHash } from "node:crypto";
import type { DecisionEvent } from "../proxy/events.ts";
import { canonicalJson } from "./canonical_json.ts";

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
  const text = canonicalJson(args);
  // A tool without parameters is called with {}: its digest is known.
  if (text === "{}") return EMPTY_OBJECT_SHA256;
  return createHash("sha256").update(text, "utf8").digest("hex");
}

const EMPTY_OBJECT_SHA256 = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/**
 * One decision line (no trailing newline); raw arguments only when `includeArgs`. Written field
 * by field (each value as `JSON.stringify` writes it) rather than as one object, and from few
 * pieces: every string made here is garbage a call pays for.
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
  // The time and the digest need no escaping.
  let line = timeField(event.ts) + headOf(event) + number(decision.retryAfterMs) +
    (quotas === "" ? ',"quotas":[],"latencyMs":' : `,"quotas":[${quotas}],"latencyMs":`) +
    number(Math.round(event.latencyMs * 1000) / 1000) +
    (digest === null ? ',"argsSha256":null' : ',"argsSha256":"' + digest + '"');
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

/** The fields from "type" to "retryAfterMs" (its value excluded) of one tool's last line. */
interface Head {
  readonly session: string;
  readonly principal: string;
  readonly client: string | null;
  readonly era: string;
  readonly allowed: boolean;
  readonly rule: string | null;
  readonly reason: string | null;
  readonly text: string;
}

/**
 * Per tool name: lines of one tool mostly repeat these fields. Up to 512 of up to 4,096
 * characters are kept (2 MiB at most: a client may send long names).
 */
const heads = new Map<string, Head>();
const MAX_HEADS = 512;
const MAX_HEAD_CHARS = 4096;

function headOf(event: DecisionEvent): string {
  const { decision } = event;
  const head = heads.get(decision.tool);
  if (
    head !== undefined && head.session === event.session && head.principal === event.principal &&
    head.client === event.client && head.era === event.era &&
    head.allowed === decision.allowed && head.rule === decision.rule &&
    head.reason === decision.reason
  ) return head.text;
  const made: Head = {
    session: event.session,
    principal: event.principal,
    client: event.client,
    era: event.era,
    allowed: decision.allowed,
    rule: decision.rule,
    reason: decision.reason,
    text: `,"type":"decision","session":${text(event.session)},"principal":${
      text(event.principal)
    },"client":${text(event.client)},"era":${text(event.era)},"tool":${
      text(decision.tool)
    },"decision":"${decision.allowed ? "allow" : "deny"}","rule":${text(decision.rule)},"reason":${
      text(decision.reason)
    },"retryAfterMs":`,
  };
  if (made.text.length <= MAX_HEAD_CHARS) {
    if (heads.size >= MAX_HEADS && !heads.has(decision.tool)) heads.clear();
    heads.set(decision.tool, made);
  }
  return made.text;
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

/** `{"ts":"…T12:00:00.` for the last second written, which every line of that second shares. */
let second = NaN;
let secondHead = "";
/** `123Z"` for each millisecond, made once. */
const MILLIS: string[] = [];

/** The line's start: `{"ts":"<ISO time>"`, or `{"ts":null` for a time that is none. */
function timeField(ms: number): string {
  if (Number.isSafeInteger(ms) && ms >= 0 && ms < MAX_DATE_MS) {
    const at = Math.floor(ms / 1000);
    if (at !== second) {
      second = at;
      secondHead = `{"ts":"${new Date(at * 1000).toISOString().slice(0, -4)}`; // "…T12:00:00."
    }
    const milli = ms - at * 1000;
    return secondHead + (MILLIS[milli] ??= `${String(milli).padStart(3, "0")}Z"`);
  }
  const iso = isoTime(ms);
  return iso === null ? '{"ts":null' : `{"ts":"${iso}"`;
}

/** The last time `Date` can show (±8.64e15 ms). */
const MAX_DATE_MS = 8.64e15;

function isoTime(ms: number): string | null {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
