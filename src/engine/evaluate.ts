/**
 * `evaluate`: one `tools/call` against a compiled policy. No I/O, no clock: `now` is given,
 * and the only effect is taking quota in `state.quotas` when the call is allowed.
 *
 * Order: operator deny → hide → entry (exact, glob, else default) → the entry's rules, then
 * the `"*"` rules → every quota and counter taken at once, or none.
 */
import {
  type CompiledCondition,
  type CompiledPolicy,
  type CompiledRule,
  type CounterSpec,
  EVERY,
  type PathStep,
  type ToolEntry,
} from "../policy/compiled.ts";
import { globToRegExp, isGlob } from "../policy/glob.ts";
import { GlobIndex } from "../policy/glob_index.ts";
import { formatDuration } from "../policy/windows.ts";
import { BUILTIN_RULES, type Decision, type QuotaStatus } from "./decision.ts";
import { checkArguments } from "./input_schema.ts";
import type { QuotaStore } from "./quota_store.ts";

export interface ToolCall {
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** The agent session the call belongs to; per-session quotas are keyed by it. */
  readonly session: string;
  /** The tool's `inputSchema` from the upstream; undefined when it is not known. */
  readonly inputSchema?: unknown;
  /**
   * An MRTR retry of a call already admitted (one logical call): decided again on live
   * denies, hide, conditions and arguments, but it takes no quota and no counter.
   */
  readonly continuation?: boolean;
}

export interface EngineState {
  readonly quotas: QuotaStore;
  /** Operator denies (tool → reason; `"*"` for every tool): a layer above the policy. */
  readonly liveDenies: ReadonlyMap<string, string>;
}

const NO_QUOTAS: readonly QuotaStatus[] = Object.freeze([]);

export function evaluate(
  policy: CompiledPolicy,
  call: ToolCall,
  state: EngineState,
  now: number,
): Decision {
  const { tool } = call;
  // `"*"` is the operator's stop-everything switch.
  const liveReason = state.liveDenies.get(tool) ?? state.liveDenies.get("*");
  if (liveReason !== undefined) return deny(tool, BUILTIN_RULES.operator, liveReason);
  if (isHidden(policy, tool)) {
    return deny(tool, BUILTIN_RULES.hide, `Tool "${tool}" is hidden by policy`);
  }
  const entry = findEntry(policy, tool);
  if (!entry && policy.defaultPosture === "deny") {
    return deny(
      tool,
      BUILTIN_RULES.default,
      `Tool "${tool}" is not allowed: this policy denies tools it does not list`,
    );
  }
  const rules = (entry ?? policy.wildcard)?.rules;
  if (!rules || rules.length === 0) {
    return allow(tool, entry?.key ?? BUILTIN_RULES.default, NO_QUOTAS);
  }

  // Counter increments first: conditions on a counter see the value after this call. A bad
  // amount denies when its rule's turn comes, so earlier rules still decide first.
  let increments: Map<CounterSpec, number> | null = null;
  let badAmounts: Map<CounterSpec, string> | null = null;
  for (const rule of rules) {
    if (!rule.counter || rule.action === "deny" || call.continuation) continue;
    const amount = incrementOf(rule.counter, call.args);
    if (typeof amount === "string") (badAmounts ??= new Map()).set(rule.counter, amount);
    else (increments ??= new Map()).set(rule.counter, amount);
  }

  for (const rule of rules) {
    const badAmount = rule.counter && badAmounts?.get(rule.counter);
    if (badAmount) return deny(tool, rule.name, badAmount);
    const failed = firstFailing(rule.conditions, call, policy, state, increments, now);
    if (rule.action === "deny") {
      if (failed === null) {
        return deny(tool, rule.name, rule.reason ?? `Tool "${tool}" is denied by "${rule.name}"`);
      }
      continue;
    }
    if (failed !== null) {
      return deny(tool, rule.name, rule.reason ?? `Condition failed: ${failed.text}`);
    }
    if (rule.validateArgs) {
      if (call.inputSchema === undefined) {
        return deny(
          tool,
          rule.name,
          `Cannot check the arguments of "${tool}": the server did not list this tool`,
        );
      }
      const problems = checkArguments(call.inputSchema, call.args);
      if (problems.length > 0) {
        return deny(tool, rule.name, `Invalid arguments for "${tool}": ${problems.join("; ")}`);
      }
    }
  }
  const entryKey = entry?.key ?? BUILTIN_RULES.default;
  if (call.continuation) {
    return allow(tool, entryKey, quotaStatuses(rules, call.session, state, now));
  }
  return takeQuotas(tool, entryKey, rules, call, state, increments, now);
}

/** True when `hide` removes the tool from `tools/list` (and so denies its calls). */
export function isHidden(policy: CompiledPolicy, tool: string): boolean {
  if (policy.hideAll || policy.hiddenNames.has(tool)) return true;
  return policy.hiddenGlobs.length > 0 && globsOf(policy).hidden.any(tool);
}

/** The entry that governs `tool`: its exact name, else the first matching glob. */
export function findEntry(policy: CompiledPolicy, tool: string): ToolEntry | undefined {
  const exact = policy.exact.get(tool);
  if (exact) return exact;
  return policy.globs.length > 0 ? globsOf(policy).entries.first(tool) : undefined;
}

/** Each policy's globs, indexed once, on first use (a lookup does not test every glob). */
const globIndexes = new WeakMap<
  CompiledPolicy,
  { entries: GlobIndex<ToolEntry>; hidden: GlobIndex<true> }
>();

function globsOf(policy: CompiledPolicy) {
  let indexes = globIndexes.get(policy);
  if (!indexes) {
    const hidden = [...policy.hiddenNames].filter((name) => name !== "*" && isGlob(name));
    indexes = {
      entries: new GlobIndex(
        policy.globs.map((glob) => ({
          glob: glob.entry.key,
          pattern: glob.pattern,
          value: glob.entry,
        })),
      ),
      hidden: new GlobIndex(
        hidden.map((glob) => ({ glob, pattern: globToRegExp(glob), value: true as const })),
      ),
    };
    globIndexes.set(policy, indexes);
  }
  return indexes;
}

/** True when evaluating a call of `tool` needs the tool's inputSchema. */
export function needsInputSchema(policy: CompiledPolicy, tool: string): boolean {
  return (findEntry(policy, tool) ?? policy.wildcard)?.needsInputSchema ?? false;
}

function takeQuotas(
  tool: string,
  entryKey: string,
  rules: readonly CompiledRule[],
  call: ToolCall,
  state: EngineState,
  increments: Map<CounterSpec, number> | null,
  now: number,
): Decision {
  let exhausted: CompiledRule | null = null;
  let retryAfterMs = 0;
  for (const rule of rules) {
    if (!rule.quota) continue;
    const window = state.quotas.window(rule.quota, call.session);
    const retry = window.retryInMs(now, rule.quota.windowMs, rule.quota.max);
    if (retry > 0) {
      exhausted ??= rule;
      retryAfterMs = Math.max(retryAfterMs, retry);
    }
  }
  if (exhausted) {
    const quota = exhausted.quota!;
    const reason = exhausted.reason ??
      `Rate limit of ${quota.max} calls per ${formatDuration(quota.windowMs)} reached`;
    return {
      allowed: false,
      tool,
      rule: exhausted.name,
      reason,
      retryAfterMs,
      quotas: quotaStatuses(rules, call.session, state, now),
    };
  }
  let hasQuota = false;
  for (const rule of rules) {
    if (!rule.quota) continue;
    state.quotas.window(rule.quota, call.session).add(now);
    hasQuota = true;
  }
  if (increments) {
    for (const [counter, amount] of increments) {
      state.quotas.counter(counter, call.session).add(now, amount);
    }
  }
  return allow(
    tool,
    entryKey,
    hasQuota ? quotaStatuses(rules, call.session, state, now) : NO_QUOTAS,
  );
}

/** Remaining quota and time to reset for every rate limit in `rules`, without taking any. */
export function quotaStatuses(
  rules: readonly CompiledRule[],
  session: string,
  state: EngineState,
  now: number,
): QuotaStatus[] {
  const statuses: QuotaStatus[] = [];
  for (const rule of rules) {
    const quota = rule.quota;
    if (!quota) continue;
    const window = state.quotas.window(quota, session);
    statuses.push({
      rule: rule.name,
      max: quota.max,
      windowMs: quota.windowMs,
      remaining: Math.max(0, quota.max - window.count(now, quota.windowMs)),
      resetInMs: window.resetInMs(now, quota.windowMs),
      per: quota.per,
    });
  }
  return statuses;
}

function firstFailing(
  conditions: readonly CompiledCondition[],
  call: ToolCall,
  policy: CompiledPolicy,
  state: EngineState,
  increments: Map<CounterSpec, number> | null,
  now: number,
): CompiledCondition | null {
  for (const condition of conditions) {
    let holds: boolean;
    if (condition.argPath) holds = holdsAt(call.args, condition.argPath, 0, condition);
    else {
      const counter = policy.counters.get(condition.counterId!)!;
      const value = state.quotas.counter(counter, call.session).sum(now) +
        (increments?.get(counter) ?? 0);
      holds = condition.test(value);
    }
    if (!holds) return condition;
  }
  return null;
}

/** Walks the path; `[*]` holds only when it holds for every element, and there is one. */
function holdsAt(
  value: unknown,
  path: readonly PathStep[],
  index: number,
  condition: CompiledCondition,
): boolean {
  if (index === path.length) return condition.test(value);
  const step = path[index];
  if (step === EVERY) {
    if (!Array.isArray(value)) return condition.whenMissing;
    if (value.length === 0) return false;
    for (const element of value) if (!holdsAt(element, path, index + 1, condition)) return false;
    return true;
  }
  const next = child(value, step);
  return next === MISSING ? condition.whenMissing : holdsAt(next, path, index + 1, condition);
}

const MISSING = Symbol("missing");

function child(value: unknown, step: string | number): unknown {
  if (typeof step === "number") {
    return Array.isArray(value) && step < value.length ? value[step] : MISSING;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return MISSING;
  return Object.hasOwn(value, step) ? (value as Record<string, unknown>)[step] : MISSING;
}

function incrementOf(
  counter: CounterSpec,
  args: Readonly<Record<string, unknown>>,
): number | string {
  if (!counter.incrementFrom) return counter.increment;
  let value: unknown = args;
  for (const step of counter.incrementFrom) {
    value = step === EVERY ? MISSING : child(value, step);
    if (value === MISSING) {
      return `${counter.incrementFromText} is missing, so the call cannot be counted against ` +
        `state.${counter.id}`;
    }
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return `${counter.incrementFromText} must be a number to count against state.${counter.id}`;
  }
  if (value < 0) {
    return `${counter.incrementFromText} is negative (${value}); a negative amount cannot ` +
      `count against state.${counter.id}`;
  }
  return value;
}

function deny(tool: string, rule: string, reason: string): Decision {
  return { allowed: false, tool, rule, reason, retryAfterMs: null, quotas: NO_QUOTAS };
}

function allow(tool: string, rule: string, quotas: readonly QuotaStatus[]): Decision {
  return { allowed: true, tool, rule, reason: null, retryAfterMs: null, quotas };
}
