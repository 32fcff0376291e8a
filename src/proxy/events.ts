/** What the proxy tells its observers (audit, control socket, metrics): shared types only. */
import type { Decision } from "../engine/decision.ts";
import type { Era } from "./era.ts";

export interface DecisionEvent {
  readonly ts: number;
  /** The agent session the call belongs to (per-session quotas are keyed by it). */
  readonly session: string;
  /** The authenticated caller (per-principal quotas are keyed by it). */
  readonly principal: string;
  /** The client's self-reported name: shown and audited, never used to decide. */
  readonly client: string | null;
  readonly era: Era;
  readonly decision: Decision;
  readonly args: Readonly<Record<string, unknown>>;
  /** From the call's arrival to its decision (a schema fetch included). */
  readonly latencyMs: number;
  /** MRTR: which round of one logical call this is (1 for its first attempt). */
  readonly round: number;
}

/** One `tools/call` traced: its decision, its wait for a human, its time upstream (spans). */
export interface CallTrace {
  decided(allowed: boolean, rule: string): void;
  /** `rule` holds the call for a human; `decided` or `end` follows. */
  held(rule: string): void;
  forwarded(): void;
  /** The upstream answered (`ok`: with a result, not an error). */
  answered(ok: boolean): void;
  /** The call ended without going up (denied, cancelled, refused). */
  end(): void;
}

export interface CallTracer {
  /** `meta` is the request's `_meta`: a `traceparent` there is continued. */
  start(tool: string, meta: unknown): CallTrace;
}
