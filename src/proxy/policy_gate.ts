/**
 * The decision side of the proxy: the current policy, the state store its quotas live in, and
 * the operator's live denies. Fails closed: an error inside the engine, or a state store that
 * errs or takes longer than its time budget, denies the call (unless the store was set to fail
 * open, which is logged as loudly as it is risky).
 */
import { BUILTIN_RULES, type Decision, type QuotaStatus } from "../engine/decision.ts";
import {
  evaluate,
  findEntry,
  isHidden,
  type LiveDenyLookup,
  needsInputSchema,
  type ToolCall,
} from "../engine/evaluate.ts";
import {
  conclude,
  type Held,
  isHeld,
  isPlan,
  type Plan,
  scopeOf,
  type TakeFacts,
} from "../engine/plan.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import { LiveDenies } from "../state/live_denies.ts";
import { MemoryBackend } from "../state/memory_backend.ts";
import type { StateBackend } from "../state/state_backend.ts";

export interface PolicyGateOptions {
  now?: () => number;
  /** Where quotas and counters live (default: this process's memory). */
  backend?: StateBackend;
  /** A take that has not answered after this long denies (default 250 ms). */
  stateTimeoutMs?: number;
  /** A store that errs or is late allows the call instead of denying it (`--state-fail open`). */
  failOpen?: boolean;
  onInternalError?: (error: Error, call: ToolCall) => void;
  onStateError?: (error: Error, call: ToolCall) => void;
}

/**
 * A decision and what to give back if the allowed call cannot go up after all; or, for a call
 * a `require_approval` rule holds, `held` (its decision comes after a human's answer).
 */
export type Verdict = Decided | HeldVerdict;

export interface Decided {
  readonly decision: Decision;
  readonly held?: undefined;
  readonly plan: Plan | null;
  readonly receipt: unknown;
}

export interface HeldVerdict {
  readonly decision?: undefined;
  readonly held: Held;
}

export const STATE_TIMEOUT_MS = 250;

export class PolicyGate {
  #policy: CompiledPolicy;
  /** The operator's denies on this proxy: names, globs or `"*"`. */
  readonly liveDenies = new LiveDenies();
  /** Every proxy of this user on this machine (the control folder's file); replaced whole. */
  machineDenies = new LiveDenies();
  /** Every proxy on the shared state store; replaced whole. */
  fleetDenies = new LiveDenies();
  /**
   * Why the fleet's denies are not known yet (the store has not answered since the start):
   * until they are, calls are refused as the store's failure (or pass with fail-open).
   */
  fleetUnknown: string | null = null;
  readonly backend: StateBackend;
  /** Fleet first, then the machine, then this proxy: the first that denies gives the reason. */
  readonly #lookup: LiveDenyLookup = {
    reasonFor: (tool) =>
      (this.fleetDenies.size === 0 ? undefined : this.fleetDenies.reasonFor(tool)) ??
        (this.machineDenies.size === 0 ? undefined : this.machineDenies.reasonFor(tool)) ??
        this.liveDenies.reasonFor(tool),
  };
  readonly #now: () => number;
  readonly #options: PolicyGateOptions;

  constructor(policy: CompiledPolicy, options: PolicyGateOptions = {}) {
    this.#policy = policy;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.backend = options.backend ?? new MemoryBackend();
  }

  get policy(): CompiledPolicy {
    return this.#policy;
  }

  /** Every live deny in force, fleet first: what evaluate consults. */
  get denyLookup(): LiveDenyLookup {
    return this.#lookup;
  }

  /** `--state-fail open`. */
  get failOpen(): boolean {
    return this.#options.failOpen ?? false;
  }

  /** Swaps in a reloaded policy; quotas whose rule kept its entry, name and window carry on. */
  replacePolicy(policy: CompiledPolicy): void {
    this.#policy = policy;
  }

  /** The quotas a call of `tool` would involve for `session`/`principal`, without taking any. */
  quotaViews(tool: string, session: string, principal = session): QuotaStatus[] {
    const rules = (findEntry(this.#policy, tool) ?? this.#policy.wildcard)?.rules ?? [];
    const quotas = rules.flatMap((rule) =>
      rule.quota
        ? [{ rule, spec: rule.quota, scope: scopeOf(rule.quota.per, session, principal) }]
        : []
    );
    const views = this.backend.peek(quotas, this.#now());
    return quotas.map((quota, i) => ({
      rule: quota.rule.name,
      max: quota.spec.max,
      windowMs: quota.spec.windowMs,
      remaining: views[i].remaining,
      resetInMs: views[i].resetInMs,
      per: quota.spec.per,
    }));
  }

  /** The key of the entry whose quotas govern `tool` (`"*"` when only the wildcard does). */
  entryKeyOf(tool: string): string | null {
    return (findEntry(this.#policy, tool) ?? this.#policy.wildcard)?.key ?? null;
  }

  now(): number {
    return this.#now();
  }

  /**
   * Decides a call: at once when the policy alone decides or the store answers at once (memory,
   * SQLite), else with a promise (Redis), never later than the store's time budget.
   */
  decide(call: ToolCall): Verdict | Promise<Verdict> {
    if (this.fleetUnknown !== null && !this.failOpen) {
      return this.#stateFailed(new Error(this.fleetUnknown), call, null);
    }
    let verdict: Decision | Plan | Held;
    try {
      verdict = evaluate(this.#policy, call, this.#lookup);
    } catch (error) {
      return this.#engineFailed(error as Error, call);
    }
    if (isHeld(verdict)) return { held: verdict };
    if (!isPlan(verdict)) return { decision: verdict, plan: null, receipt: null };
    const plan = verdict;
    let facts: TakeFacts | Promise<TakeFacts>;
    try {
      facts = this.backend.take(plan, this.#now());
    } catch (error) {
      return this.#stateFailed(error as Error, call, plan);
    }
    if (!(facts instanceof Promise)) return this.#concluded(plan, facts, call);
    const late = facts;
    return withTimeout(facts, this.#options.stateTimeoutMs ?? STATE_TIMEOUT_MS).then(
      (found) => this.#concluded(plan, found, call),
      (error: Error) => {
        // A take that lands after its budget was for a call denied meanwhile: give it back.
        late.then((found) => {
          if (found.taken) return this.backend.release(plan, found.receipt);
        }).catch(() => {});
        return this.#stateFailed(error, call, plan);
      },
    );
  }

  /**
   * Whether the policy and live denies as they stand now would hold `call` as `held` did: under
   * a rule of the same name, for the same approvers. Takes nothing; an engine error throws.
   */
  stillHolds(call: ToolCall, held: Held): boolean {
    if (this.fleetUnknown !== null && !this.failOpen) return false;
    const now = evaluate(this.#policy, call, this.#lookup);
    return isHeld(now) && now.rule.name === held.rule.name &&
      sameMembers(now.approval.from, held.approval.from);
  }

  /** Gives a verdict's take back: the allowed call could not go up after all. */
  release(verdict: Verdict): void | Promise<void> {
    if (
      verdict.held || !verdict.plan || verdict.receipt === null || verdict.receipt === undefined
    ) {
      return;
    }
    return this.backend.release(verdict.plan, verdict.receipt);
  }

  /** Whether the agent may see the tool in `tools/list` (not when the engine fails). */
  isVisible(tool: string): boolean {
    try {
      if (this.#lookup.reasonFor(tool) !== undefined) return false;
      return !isHidden(this.#policy, tool);
    } catch {
      return false;
    }
  }

  /** Whether deciding needs the tool's inputSchema; on an engine error, `decide` fails closed. */
  needsInputSchema(tool: string): boolean {
    try {
      return needsInputSchema(this.#policy, tool);
    } catch {
      return false;
    }
  }

  #concluded(plan: Plan, facts: TakeFacts, call: ToolCall): Decided {
    try {
      return { decision: conclude(plan, facts), plan, receipt: facts.receipt ?? null };
    } catch (error) {
      return this.#engineFailed(error as Error, call);
    }
  }

  #engineFailed(error: Error, call: ToolCall): Decided {
    this.#options.onInternalError?.(error, call);
    return {
      decision: denial(
        call.tool,
        BUILTIN_RULES.internal,
        `The policy engine failed on this call, so it is denied: ${error.message}`,
      ),
      plan: null,
      receipt: null,
    };
  }

  #stateFailed(error: Error, call: ToolCall, plan: Plan | null): Decided {
    this.#options.onStateError?.(error, call);
    if (this.#options.failOpen) {
      return {
        decision: {
          allowed: true,
          tool: call.tool,
          rule: BUILTIN_RULES.stateFailOpen,
          reason: null,
          retryAfterMs: null,
          quotas: [],
        },
        plan,
        receipt: null,
      };
    }
    return {
      decision: denial(call.tool, BUILTIN_RULES.state, `State store unavailable: ${error.message}`),
      plan,
      receipt: null,
    };
  }
}

function denial(tool: string, rule: string, reason: string): Decision {
  return { allowed: false, tool, rule, reason, retryAfterMs: null, quotas: [] };
}

function sameMembers<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Logs every state-store failure: loudly (an error) when it let the call through. */
export function logStateErrors(
  log: { warn(message: string): void; error(message: string): void },
  failOpen: boolean,
): (error: Error, call: ToolCall) => void {
  return (error, call) =>
    failOpen
      ? log.error(
        `State store failed (${error.message}): ${call.tool} ALLOWED without its quotas ` +
          `(--state-fail open)`,
      )
      : log.warn(`State store failed (${error.message}): ${call.tool} denied`);
}
