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
