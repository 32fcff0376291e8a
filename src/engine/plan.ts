/**
 * What `evaluate` hands a state store when a call's fate depends on shared state: the counter
 * conditions to check and the quotas and counters to take, in rule order, all or none. The
 * store reports what it found (`TakeFacts`); `conclude` turns that into the decision, with the
 * same rule precedence and reasons as if the engine had read the state itself.
 */
import type {
  ApprovalSpec,
  CompiledCondition,
  CompiledRule,
  CounterSpec,
  QuotaSpec,
} from "../policy/compiled.ts";
import { formatDuration } from "../policy/windows.ts";
import type { Decision, QuotaStatus } from "./decision.ts";

/** Whose state: `s:<session>`, `p:<principal>`, or `g` for everyone. */
export type Scope = string;

/** A quota the call takes one unit of. */
export interface QuotaTake {
  readonly rule: CompiledRule;
  readonly spec: QuotaSpec;
  readonly scope: Scope;
}

/** A counter condition checked on the counter's value once this call is counted. */
export interface CounterCheck {
  readonly counter: CounterSpec;
  readonly scope: Scope;
  readonly condition: CompiledCondition;
  /** What this call adds to the counter (the condition sees the sum with it). */
  readonly pending: number;
}

/**
 * The counter conditions of one rule. `require`: each must hold, or the rule denies (an
 * allow/evaluate rule). `denyIf`: the rule denies when all hold (a deny rule).
 */
export interface PlanStep {
  readonly rule: CompiledRule;
  readonly kind: "require" | "denyIf";
  readonly checks: readonly CounterCheck[];
}

export interface CounterAdd {
  readonly counter: CounterSpec;
  readonly scope: Scope;
  readonly amount: number;
}

export interface Plan {
  readonly kind: "plan";
  readonly tool: string;
  /** The entry that governs the call: an allowed call's `rule`. */
  readonly entryKey: string;
  readonly steps: readonly PlanStep[];
  /**
   * The decision when every step passes but a later rule failed on the arguments alone (a
   * denial): then nothing is taken.
   */
  readonly end: Decision | null;
  readonly quotas: readonly QuotaTake[];
  readonly adds: readonly CounterAdd[];
  /**
   * An MRTR retry of an admitted call: the steps are checked again, but nothing is taken and
   * no quota can deny it (its quotas are only reported).
   */
  readonly free: boolean;
}

/** What a state store found, and whether it took the plan. */
export interface TakeFacts {
  /** The first step that denied, and within it the condition that failed; null if none. */
  readonly denied: { readonly step: number; readonly check: number } | null;
  /** The plan's quotas that were spent, in plan order, with the time until one is free. */
  readonly exhausted: readonly { readonly quota: number; readonly retryAfterMs: number }[];
  /** Every quota of the plan after the take (or without it): remaining and time to whole. */
  readonly statuses: readonly { readonly remaining: number; readonly resetInMs: number }[];
  /** Everything in the plan was taken (the call is allowed). */
  readonly taken: boolean;
  /** What the store needs to give a take back (`release`); opaque to everyone else. */
  readonly receipt?: unknown;
  /** The time the store decided at, by its own clock (Redis: the server's), when it says. */
  readonly at?: number;
}

/**
 * The call waits for a human (a `require_approval` rule whose conditions hold): nothing is
 * taken yet. Once approved, it is decided again as `approved`, and its quotas are taken then.
 */
export interface Held {
  readonly kind: "held";
  readonly tool: string;
  readonly rule: CompiledRule;
  readonly approval: ApprovalSpec;
}

export function isPlan(verdict: Decision | Plan | Held): verdict is Plan {
  return (verdict as Plan).kind === "plan";
}

export function isHeld(verdict: Decision | Plan | Held): verdict is Held {
  return (verdict as Held).kind === "held";
}

/** The scope of a quota or counter for a call. */
export function scopeOf(per: QuotaSpec["per"], session: string, principal: string): Scope {
  if (per === "global") return "g";
  if (per === "principal") {
    if (principal !== lastPrincipal) {
      lastPrincipal = principal;
      lastPrincipalScope = `p:${principal}`;
    }
    return lastPrincipalScope;
  }
  if (session !== lastSession) {
    lastSession = session;
    lastSessionScope = `s:${session}`;
  }
  return lastSessionScope;
}

// The last scope strings made: calls of one session come in runs, and a state store finds a
// string it has seen before faster than a new one (its hash is kept with it).
let lastSession = "";
let lastSessionScope = "s:";
let lastPrincipal = "";
let lastPrincipalScope = "p:";

/** The decision the facts a store found make, in the engine's words. */
export function conclude(plan: Plan, facts: TakeFacts): Decision {
  if (facts.denied) {
    const step = plan.steps[facts.denied.step];
    const { rule } = step;
    const reason = step.kind === "denyIf"
      ? rule.reason ?? `Tool "${plan.tool}" is denied by "${rule.name}"`
      : rule.reason ?? `Condition failed: ${step.checks[facts.denied.check].condition.text}`;
    return denial(plan.tool, rule.name, reason, null, []);
  }
  if (plan.end) return plan.end;
  const quotas = statusesOf(plan, facts);
  if (!plan.free && facts.exhausted.length > 0) {
    const first = plan.quotas[facts.exhausted[0].quota];
    const retryAfterMs = Math.max(...facts.exhausted.map((spent) => spent.retryAfterMs));
    const reason = first.rule.reason ?? rateLimitReason(first.spec);
    return denial(plan.tool, first.rule.name, reason, retryAfterMs, quotas);
  }
  return {
    allowed: true,
    tool: plan.tool,
    rule: plan.entryKey,
    reason: null,
    retryAfterMs: null,
    quotas,
  };
}

const rateLimitReasons = new WeakMap<QuotaSpec, string>();

/** A quota's own denial reason, made once per quota. */
function rateLimitReason(spec: QuotaSpec): string {
  let reason = rateLimitReasons.get(spec);
  if (reason === undefined) {
    reason = `Rate limit of ${spec.max} calls per ${formatDuration(spec.windowMs)} reached`;
    rateLimitReasons.set(spec, reason);
  }
  return reason;
}

function statusesOf(plan: Plan, facts: TakeFacts): QuotaStatus[] {
  return plan.quotas.map((take, i) => ({
    rule: take.rule.name,
    max: take.spec.max,
    windowMs: take.spec.windowMs,
    remaining: facts.statuses[i]?.remaining ?? take.spec.max,
    resetInMs: facts.statuses[i]?.resetInMs ?? 0,
    per: take.spec.per,
  }));
}

function denial(
  tool: string,
  rule: string,
  reason: string,
  retryAfterMs: number | null,
  quotas: QuotaStatus[],
): Decision {
  return { allowed: false, tool, rule, reason, retryAfterMs, quotas };
}
