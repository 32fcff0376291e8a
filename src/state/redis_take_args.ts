/** A plan as the take and release scripts read it: keys, and arguments as strings (see redis_scripts.ts). */
import type { Plan } from "../engine/plan.ts";
import type { CompiledCondition } from "../policy/compiled.ts";
import type { RedisKeys } from "./redis_keys.ts";

export interface ScriptCall {
  keys: string[];
  args: (string | number)[];
}

export function encodeTake(plan: Plan, names: RedisKeys, token: string): ScriptCall {
  const quotaKeys = plan.quotas.map(({ spec, scope }) => names.quota(spec, scope));
  const counterKeys: string[] = [];
  const counterWindows: number[] = [];
  const counterIndex = new Map<string, number>();
  const indexOf = (key: string, windowMs: number): number => {
    let index = counterIndex.get(key);
    if (index === undefined) {
      counterKeys.push(key);
      counterWindows.push(windowMs);
      counterIndex.set(key, index = counterKeys.length);
    }
    return index;
  };
  const steps: (string | number)[] = [plan.steps.length];
  for (const step of plan.steps) {
    steps.push(step.kind === "require" ? "r" : "d", step.checks.length);
    for (const { counter, scope, condition, pending } of step.checks) {
      const values = numericValues(condition);
      steps.push(indexOf(names.counter(counter, scope), counter.windowMs), condition.op);
      steps.push(values.length, ...values, pending);
    }
  }
  const adds: (string | number)[] = [plan.adds.length];
  for (const { counter, scope, amount } of plan.adds) {
    adds.push(indexOf(names.counter(counter, scope), counter.windowMs), amount);
  }
  const mode = plan.end || plan.free ? "check" : "take";
  const args: (string | number)[] = [token, mode, quotaKeys.length, counterKeys.length];
  for (const { spec } of plan.quotas) args.push(spec.max, spec.windowMs);
  args.push(...counterWindows, ...steps, ...adds);
  return { keys: [...quotaKeys, ...counterKeys], args: args.map(String) };
}

export function encodeRelease(
  plan: Plan,
  names: RedisKeys,
  token: string,
  slots: readonly string[],
): ScriptCall {
  const keys = plan.quotas.map(({ spec, scope }) => names.quota(spec, scope));
  const args: (string | number)[] = [token, keys.length];
  plan.adds.forEach(({ counter, scope, amount }, i) => {
    keys.push(names.counter(counter, scope));
    args.push(slots[i], String(amount));
  });
  return { keys, args };
}

/**
 * The condition's value as the script compares a counter (a number) with it: numbers only,
 * since no other JSON value equals a number; `exists` as 1 or 0.
 */
export function numericValues(condition: CompiledCondition): number[] {
  const { op, value } = condition;
  switch (op) {
    case "eq":
    case "neq":
    case "lt":
    case "lte":
    case "gt":
    case "gte":
      return typeof value === "number" ? [value] : [];
    case "in":
    case "not_in":
      return Array.isArray(value) ? value.filter((item) => typeof item === "number") : [];
    case "exists":
      return [value === true ? 1 : 0];
    default:
      return [];
  }
}
