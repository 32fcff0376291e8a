/** One rule of a policy → a frozen `CompiledRule`; every problem goes to `context.issues`. */
import {
  type ApprovalSpec,
  type CompiledCondition,
  type CompiledRule,
  type CounterSpec,
  EVERY,
  type Per,
  type QuotaSpec,
} from "./compiled.ts";
import type { LinearRegex } from "./linear_regex.ts";
import { compileOperator } from "./operators.ts";
import { formatPath, parsePath } from "./paths.ts";
import type { Condition, Rule } from "./schema.ts";
import { checkMax, parseRateShorthand, parseWindow } from "./windows.ts";

export type IssuePath = readonly (string | number)[];

/** A problem in the policy, located by its path in the document. */
export interface PolicyIssue {
  path: IssuePath;
  message: string;
  /** Point at the key of the last path step rather than its value. */
  atKey?: boolean;
  /** The problem may come from another tool entry (a counter read across entries). */
  crossEntry?: boolean;
}

export class PolicyCompileError extends Error {
  constructor(readonly issues: PolicyIssue[]) {
    super(issues.map((issue) => issue.message).join("\n"));
    this.name = "PolicyCompileError";
  }
}

export interface RuleContext {
  entryKey: string;
  scope: string;
  path: IssuePath;
  defaultName: string;
  ruleNames: Set<string>;
  counters: Map<string, CounterSpec>;
  brokenCounters: Set<string>;
  counterReads: { counterId: string; path: IssuePath }[];
  issues: PolicyIssue[];
  /** Compiled regexes by pattern, shared by the conditions of one policy. */
  regexes: Map<string, LinearRegex | string>;
}

/** Yields after each condition, so that a caller can spread a large policy over time. */
export function* compileRule(rule: Rule, context: RuleContext): Generator<void, CompiledRule> {
  const { path, issues } = context;
  const name = rule.name ?? context.defaultName;
  if (rule.name !== undefined && rule.name.trim() === "") {
    issues.push({ path: [...path, "name"], message: "A rule name must not be empty" });
  } else if (context.ruleNames.has(name)) {
    issues.push({
      path: [...path, "name"],
      message: `Rule name "${name}" is used twice under "${context.entryKey}"`,
    });
  }
  context.ruleNames.add(name);

  const action = rule.action ?? (rule.rate_limit !== undefined ? "allow" : "evaluate");
  if (rule.reason !== undefined && rule.on_deny !== undefined) {
    issues.push({
      path: [...path, "on_deny"],
      message: "Give reason or on_deny (its Intercept alias), not both",
      atKey: true,
    });
  }
  if (action === "deny") {
    for (const key of ["rate_limit", "state", "validate"] as const) {
      if (rule[key] !== undefined) {
        issues.push({
          path: [...path, key],
          message: `A deny rule cannot have ${key}: it never lets a call through`,
          atKey: true,
        });
      }
    }
  }
  if (rule.approval !== undefined && action !== "require_approval") {
    issues.push({
      path: [...path, "approval"],
      message: `approval only goes with action: require_approval (this rule's action is ${action})`,
      atKey: true,
    });
  }
  if (action === "require_approval") {
    for (const [index, condition] of (rule.conditions ?? []).entries()) {
      if (condition.path.startsWith("state.")) {
        issues.push({
          path: [...path, "conditions", index, "path"],
          message: "A require_approval rule cannot read a counter: whether a human is asked " +
            "must not depend on shared state; put the counter condition in a rule of its own",
        });
      }
    }
  }
  const hasEffect = rule.conditions?.length || rule.rate_limit !== undefined ||
    rule.state !== undefined || rule.validate?.required_args;
  if (action === "evaluate" && !hasEffect) {
    issues.push({
      path,
      message: `Rule "${name}" checks nothing: give it conditions, rate_limit, state or ` +
        `validate, or use action: allow or deny`,
    });
  }

  const conditions: CompiledCondition[] = [];
  for (const [index, condition] of (rule.conditions ?? []).entries()) {
    conditions.push(compileCondition(condition, [...path, "conditions", index], context));
    yield;
  }
  const counter = rule.state === undefined ? null : compileCounter(rule.state, context);
  const validateArgs = rule.validate?.required_args ?? false;
  return Object.freeze({
    name,
    action,
    reason: rule.reason ?? rule.on_deny ?? null,
    conditions,
    quota: rule.rate_limit === undefined ? null : compileQuota(rule.rate_limit, name, context),
    counter,
    validateArgs,
    approval: action === "require_approval" ? compileApproval(rule.approval, context) : null,
    passes: (action === "allow" || action === "evaluate") && conditions.length === 0 &&
      counter === null && !validateArgs,
  });
}

/** Held calls wait at most a day: a human who has not answered by then will not. */
const MAX_APPROVAL_MS = 86_400_000;
const DEFAULT_APPROVAL_MS = 300_000;

function compileApproval(
  approval: Rule["approval"],
  context: RuleContext,
): ApprovalSpec {
  const path = [...context.path, "approval"];
  let timeoutMs = DEFAULT_APPROVAL_MS;
  if (approval?.timeout !== undefined) {
    const parsed = parseWindow(approval.timeout);
    if (typeof parsed === "string") {
      context.issues.push({
        path: [...path, "timeout"],
        message: parsed.replace("Window", "Timeout"),
      });
    } else if (parsed < 1_000 || parsed > MAX_APPROVAL_MS) {
      context.issues.push({
        path: [...path, "timeout"],
        message: `approval timeout must be from 1 second to 1 day`,
      });
    } else timeoutMs = parsed;
  }
  const from = approval?.from ?? ["operator"];
  if (from.length === 0) {
    context.issues.push({
      path: [...path, "from"],
      message: "approval.from must name operator, user, or both",
    });
  }
  if (new Set(from).size !== from.length) {
    context.issues.push({ path: [...path, "from"], message: "approval.from names someone twice" });
  }
  return Object.freeze({ timeoutMs, from: Object.freeze([...new Set(from)]) });
}

function compileCondition(
  condition: Condition,
  path: IssuePath,
  context: RuleContext,
): CompiledCondition {
  const text = `${condition.path} ${condition.op} ${JSON.stringify(condition.value ?? null)}`;
  const failed: CompiledCondition = {
    text,
    argPath: null,
    counterId: null,
    op: condition.op,
    value: condition.value,
    test: () => false,
    whenMissing: false,
  };
  const parsed = parsePath(condition.path);
  if (typeof parsed === "string") {
    context.issues.push({ path: [...path, "path"], message: parsed });
    return failed;
  }
  const operator = compileOperator(condition.op, condition.value, context.regexes);
  if (typeof operator === "string") {
    const where = condition.value === undefined ? "op" : "value";
    context.issues.push({ path: [...path, where], message: operator });
    return failed;
  }
  if (parsed.kind === "state") context.counterReads.push({ counterId: parsed.counterId, path });
  return Object.freeze({
    text,
    argPath: parsed.kind === "args" ? parsed.steps : null,
    counterId: parsed.kind === "state" ? parsed.counterId : null,
    op: condition.op,
    value: condition.value,
    test: operator.test,
    whenMissing: operator.whenMissing,
  });
}

function compileQuota(
  rateLimit: NonNullable<Rule["rate_limit"]>,
  rule: string,
  context: RuleContext,
): QuotaSpec | null {
  const path = [...context.path, "rate_limit"];
  let max: number;
  let windowMs: number;
  let per: Per = "session";
  if (typeof rateLimit === "string") {
    const parsed = parseRateShorthand(rateLimit);
    if (typeof parsed === "string") {
      context.issues.push({ path, message: parsed });
      return null;
    }
    ({ max, windowMs } = parsed);
  } else {
    const maxError = checkMax(rateLimit.max);
    const window = parseWindow(rateLimit.window);
    if (maxError) {
      context.issues.push({ path: [...path, "max"], message: `rate_limit ${maxError}` });
    }
    if (typeof window === "string") {
      context.issues.push({ path: [...path, "window"], message: window });
    }
    if (maxError || typeof window === "string") return null;
    max = rateLimit.max;
    windowMs = window;
    per = rateLimit.per ?? "session";
  }
  return Object.freeze({
    id: `${context.entryKey}\u0000${rule}\u0000${windowMs}`,
    rule,
    max,
    windowMs,
    per,
  });
}

function compileCounter(
  state: NonNullable<Rule["state"]>,
  context: RuleContext,
): CounterSpec | null {
  const path = [...context.path, "state"];
  const issuesBefore = context.issues.length;
  if (state.counter.trim() === "" || state.counter.includes(".")) {
    context.issues.push({
      path: [...path, "counter"],
      message: "A counter name must not be empty or contain a dot",
    });
  }
  const windowMs = parseWindow(state.window);
  if (typeof windowMs === "string") {
    context.issues.push({ path: [...path, "window"], message: windowMs });
  }
  if (state.increment !== undefined && state.increment_from !== undefined) {
    context.issues.push({
      path: [...path, "increment_from"],
      message: "Give increment or increment_from, not both",
      atKey: true,
    });
  }
  const increment = state.increment ?? 1;
  if (!Number.isFinite(increment) || increment <= 0) {
    context.issues.push({
      path: [...path, "increment"],
      message: `increment must be a positive number, got ${increment}`,
    });
  }
  let incrementFrom = null;
  if (state.increment_from !== undefined) {
    const parsed = parsePath(state.increment_from);
    if (typeof parsed === "string" || parsed.kind !== "args" || parsed.steps.includes(EVERY)) {
      context.issues.push({
        path: [...path, "increment_from"],
        message: typeof parsed === "string"
          ? parsed
          : `increment_from must name one argument, such as args.amount (no state paths, no [*])`,
      });
    } else incrementFrom = parsed.steps;
  }
  const id = `${context.scope}.${state.counter}`;
  if (context.counters.has(id)) {
    context.issues.push({
      path: [...path, "counter"],
      message: `Counter state.${id} is defined twice; give each counter its own name`,
    });
  }
  if (context.issues.length > issuesBefore || typeof windowMs === "string") {
    context.brokenCounters.add(id);
    return null;
  }
  const spec: CounterSpec = Object.freeze({
    id,
    storeId: `${id}\u0000${windowMs}`,
    windowMs,
    per: state.per ?? "session",
    increment,
    incrementFrom: incrementFrom && Object.freeze(incrementFrom),
    incrementFromText: incrementFrom && formatPath(incrementFrom),
  });
  context.counters.set(id, spec);
  return spec;
}
