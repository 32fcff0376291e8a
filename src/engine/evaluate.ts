/**
 * `evaluate`: one `tools/call` against a compiled policy. Pure: no I/O, no clock, no state.
 * It returns the decision when the policy alone decides, or a plan when shared state must have
 * its say (counter conditions, quotas, counters): a state store takes the plan, all or none,
 * and `conclude` (plan.ts) turns what it found into the decision.
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
import { BUILTIN_RULES, type Decision, type QuotaStatus } from "./decision.ts";
import { checkArguments } from "./input_schema.ts";
import {
  type CounterAdd,
  type CounterCheck,
  type Held,
  type Plan,
  type PlanStep,
  type QuotaTake,
  scopeOf,
} from "./plan.ts";

export interface ToolCall {
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** The agent session the call belongs to; per-session quotas are keyed by it. */
  readonly session: string;
  /** The authenticated caller; per-principal quotas are keyed by it (default: the session). */
  readonly principal?: string;
  /** The tool's `inputSchema` from the upstream; undefined when it is not known. */
  readonly inputSchema?: unknown;
  /**
   * An MRTR retry of a call already admitted (one logical call): decided again on live
   * denies, hide, conditions and arguments, but it takes no quota and no counter.
   */
  readonly continuation?: boolean;
  /**
   * Humans approved the call: the `require_approval` rules they answered (by name, and whether
   * an operator or the user did) no longer hold it, if that approver may still answer them.
   * `true` waives every such rule (dry runs: `check --approved`, cases with `approved: true`).
   */
  readonly approved?: boolean | readonly ApprovedRule[];
}

/** A rule a human approved a call under, and who: `operator` or `user`. */
export interface ApprovedRule {
  readonly rule: string;
  readonly by: "operator" | "user";
}

/** Why the operator denied a tool, if they did: names, globs or `"*"`. */
export interface LiveDenyLookup {
  reasonFor(tool: string): string | undefined;
}

const NO_QUOTAS: readonly QuotaStatus[] = Object.freeze([]);

export function evaluate(
  policy: CompiledPolicy,
  call: ToolCall,
  liveDenies: LiveDenyLookup,
): Decision | Plan | Held {
  const { tool } = call;
  const liveReason = liveDenies.reasonFor(tool);
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
  const entryKey = entry?.key ?? BUILTIN_RULES.default;
  const governing = entry ?? policy.wildcard;
  if (!governing || governing.rules.length === 0) return allow(tool, entryKey);
  const { rules } = governing;

  const principal = call.principal ?? call.session;
  // Counter increments first: conditions on a counter see the value after this call. A bad
  // amount denies when its rule's turn comes, so earlier rules still decide first.
  let adds: CounterAdd[] | null = null;
  let badAmounts: Map<CounterSpec, string> | null = null;
  if (governing.counted && !call.continuation) {
    for (const rule of rules) {
      if (!rule.counter || rule.action === "deny") continue;
      const amount = incrementOf(rule.counter, call.args);
      if (typeof amount === "string") (badAmounts ??= new Map()).set(rule.counter, amount);
      else {
        const scope = scopeOf(rule.counter.per, call.session, principal);
        (adds ??= []).push({ counter: rule.counter, scope, amount });
      }
    }
  }

  let steps: PlanStep[] | null = null;
  let end: Decision | null = null;
  let held: CompiledRule | null = null;
  for (const rule of rules) {
    if (rule.passes) continue;
    const badAmount = rule.counter && badAmounts?.get(rule.counter);
    if (badAmount) {
      end = deny(tool, rule.name, badAmount);
      break;
    }
    const outcome = ruleOutcome(rule, call, policy, principal, adds);
    if (outcome.step) (steps ??= []).push(outcome.step);
    if (outcome.end) {
      end = outcome.end;
      break;
    }
    if (outcome.holds && !approvedUnder(call.approved, rule)) held ??= rule;
  }
  if (end && !steps) return end;
  // A call the policy denies anyway is not put to a human.
  if (held && !end) return { kind: "held", tool, rule: held, approval: held.approval! };

  let quotas: QuotaTake[] | null = null;
  if (!end) {
    for (const rule of governing.quotaRules) {
      const spec = rule.quota!;
      (quotas ??= []).push({ rule, spec, scope: scopeOf(spec.per, call.session, principal) });
    }
  }
  if (!steps && !quotas && !adds) return allow(tool, entryKey);
  return {
    kind: "plan",
    tool,
    entryKey,
    steps: steps ?? [],
    end,
    quotas: quotas ?? [],
    adds: adds ?? [], // none for a continuation: its increments were taken with its first round
    free: call.continuation ?? false,
  };
}

/** What a rule adds to the decision: most add nothing, so these are shared. */
type RuleOutcome = { step?: PlanStep; end?: Decision; holds?: boolean };
const ADDS_NOTHING: RuleOutcome = Object.freeze({});
const HOLDS: RuleOutcome = Object.freeze({ holds: true });

/**
 * One rule's part: the counter conditions a store must check (a step), and the denial it
 * makes on the arguments alone (an end), after that step.
 */
function ruleOutcome(
  rule: CompiledRule,
  call: ToolCall,
  policy: CompiledPolicy,
  principal: string,
  adds: readonly CounterAdd[] | null,
): RuleOutcome {
  const { tool } = call;
  let checks: CounterCheck[] | null = null;
  for (const condition of rule.conditions) {
    if (condition.argPath) {
      if (holdsAt(call.args, condition.argPath, 0, condition)) continue;
      // A deny rule whose arguments do not match never denies, nor does an approval rule hold
      // the call; any other rule denies here, unless a counter condition before this one fails.
      if (rule.action === "deny" || rule.action === "require_approval") return ADDS_NOTHING;
      const step = checks ? { rule, kind: "require" as const, checks } : undefined;
      return {
        step,
        end: deny(tool, rule.name, rule.reason ?? `Condition failed: ${condition.text}`),
      };
    }
    const counter = policy.counters.get(condition.counterId!)!;
    const scope = scopeOf(counter.per, call.session, principal);
    const pending = adds?.find((add) => add.counter === counter)?.amount ?? 0;
    (checks ??= []).push({ counter, scope, condition, pending });
  }
  if (rule.action === "deny") {
    if (checks) return { step: { rule, kind: "denyIf", checks } };
    return {
      end: deny(tool, rule.name, rule.reason ?? `Tool "${tool}" is denied by "${rule.name}"`),
    };
  }
  const step = checks ? { rule, kind: "require" as const, checks } : undefined;
  const problem = rule.validateArgs ? argumentProblem(tool, call.inputSchema, call.args) : null;
  if (problem !== null) return { step, end: deny(tool, rule.name, problem) };
  if (step) return { step, holds: rule.action === "require_approval" };
  return rule.action === "require_approval" ? HOLDS : ADDS_NOTHING;
}

function argumentProblem(
  tool: string,
  inputSchema: unknown,
  args: Readonly<Record<string, unknown>>,
): string | null {
  if (inputSchema === undefined) {
    return `Cannot check the arguments of "${tool}": the server did not list this tool`;
  }
  const problems = checkArguments(inputSchema, args);
  return problems.length > 0 ? `Invalid arguments for "${tool}": ${problems.join("; ")}` : null;
}

/** True when `hide` removes the tool from `tools/list` (and so denies its calls). */
export function isHidden(policy: CompiledPolicy, tool: string): boolean {
  if (policy.hideAll || policy.hiddenNames.has(tool)) return true;
  return policy.hiddenIndex.first(tool) !== undefined;
}

/** The entry that governs `tool`: its exact name, else the first matching glob. */
export function findEntry(policy: CompiledPolicy, tool: string): ToolEntry | undefined {
  return policy.exact.get(tool) ?? policy.globIndex.first(tool);
}

/** True when evaluating a call of `tool` needs the tool's inputSchema. */
export function needsInputSchema(policy: CompiledPolicy, tool: string): boolean {
  return (findEntry(policy, tool) ?? policy.wildcard)?.needsInputSchema ?? false;
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

function allow(tool: string, rule: string): Decision {
  return { allowed: true, tool, rule, reason: null, retryAfterMs: null, quotas: NO_QUOTAS };
}

/**
 * Whether a human approval covers `rule`: one given under a rule of its name by an approver it
 * still accepts (a reload may have changed who that is).
 */
function approvedUnder(approved: ToolCall["approved"], rule: CompiledRule): boolean {
  if (approved === true) return true;
  if (!approved) return false;
  return approved.some((given) =>
    given.rule === rule.name && (rule.approval?.from.includes(given.by) ?? false)
  );
}
