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
  | "reset";

/** Hex SHA-256 of the canonical JSON of a call's arguments (synchronous: the path is hot). */
export function argsSha256(args: unknown): string {
  return createHash("sha256").update(canonicalJson(args), "utf8").digest("hex");
}

/** One decision line (no trailing newline); raw arguments only when `includeArgs`. */
export function decisionLine(event: DecisionEvent, includeArgs = false): string {
  const { decision } = event;
  let digest: string | null = null;
  let argsError: string | undefined;
  try {
    digest = argsSha256(event.args);
  } catch (error) {
    argsError = `Cannot hash the arguments: ${(error as Error).message}`;
  }
  const record: Record<string, unknown> = {
    ts: isoTime(event.ts),
    type: "decision",
    session: event.session,
    principal: event.principal,
    client: event.client,
    era: event.era,
    tool: decision.tool,
    decision: decision.allowed ? "allow" : "deny",
    rule: decision.rule,
    reason: decision.reason,
    retryAfterMs: decision.retryAfterMs,
    quotas: decision.quotas.map((quota) => ({
      rule: quota.rule,
      remaining: quota.remaining,
      max: quota.max,
      windowMs: quota.windowMs,
      per: quota.per,
    })),
    latencyMs: Math.round(event.latencyMs * 1000) / 1000,
    argsSha256: digest,
  };
  // MRTR: later rounds of one logical call (the first round is the call itself).
  if (event.round > 1) record.round = event.round;
  if (argsError) record.argsError = argsError;
  if (!includeArgs) return JSON.stringify(record);
  try {
    return JSON.stringify({ ...record, args: event.args });
  } catch (error) {
    return JSON.stringify({
      ...record,
      args: null,
      argsError: `Cannot write the arguments: ${(error as Error).message}`,
    });
  }
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
