/** What `evaluate` says about one call. */
import type { Per } from "../policy/compiled.ts";

export interface QuotaStatus {
  readonly rule: string;
  readonly max: number;
  readonly windowMs: number;
  readonly remaining: number;
  readonly resetInMs: number;
  readonly per: Per;
}

export interface Decision {
  readonly allowed: boolean;
  readonly tool: string;
  /** The deciding rule: the denying one, or for an allowed call the entry that matched. */
  readonly rule: string;
  /** Why a call was denied, as the agent reads it; null when allowed. */
  readonly reason: string | null;
  /** Set when waiting lets the same call through (a quota is spent). */
  readonly retryAfterMs: number | null;
  /** Every quota the call involved, after this call. */
  readonly quotas: readonly QuotaStatus[];
}

/** Rule names the engine uses for decisions no policy rule made. */
export const BUILTIN_RULES = {
  operator: "operator deny",
  hide: "hide",
  default: "default",
  internal: "internal error",
  state: "state store",
  stateFailOpen: "state store (fail open)",
} as const;
