/** Turns `{op, value}` into a predicate once, at compile time. */
import { compileLinearRegex, type LinearRegex } from "./linear_regex.ts";
import type { Operator } from "./schema.ts";

export interface CompiledOperator {
  test: (value: unknown) => boolean;
  whenMissing: boolean;
}

/**
 * Returns the predicate, or an error message about the condition's `value`. `regexes` shares
 * compiled patterns between the conditions of one policy (a large policy repeats them).
 */
export function compileOperator(
  op: Operator,
  value: unknown,
  regexes: Map<string, LinearRegex | string> = new Map(),
): CompiledOperator | string {
  switch (op) {
    case "eq":
    case "neq": {
      if (value === undefined) return `Operator "${op}" needs a value`;
      const negate = op === "neq";
      return { test: (actual) => jsonEqual(actual, value) !== negate, whenMissing: false };
    }
    case "in":
    case "not_in": {
      if (!Array.isArray(value)) return `Operator "${op}" needs a list value, such as [a, b]`;
      const negate = op === "not_in";
      return {
        test: (actual) => value.some((item) => jsonEqual(actual, item)) !== negate,
        whenMissing: false,
      };
    }
    case "lt":
    case "lte":
    case "gt":
    case "gte": {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        return `Operator "${op}" needs a number value, got ${describe(value)}`;
      }
      return { test: compareWith(op, value), whenMissing: false };
    }
    case "regex": {
      if (typeof value !== "string") return `Operator "regex" needs a string value`;
      let regex = regexes.get(value);
      if (regex === undefined) {
        regex = compileLinearRegex(value);
        regexes.set(value, regex);
      }
      if (typeof regex === "string") return regex;
      return {
        test: (actual) => typeof actual === "string" && regex.test(actual),
        whenMissing: false,
      };
    }
    case "contains": {
      if (value === undefined) return `Operator "contains" needs a value`;
      return {
        test: (actual) =>
          typeof actual === "string"
            ? typeof value === "string" && actual.includes(value)
            : Array.isArray(actual) && actual.some((item) => jsonEqual(item, value)),
        whenMissing: false,
      };
    }
    case "exists": {
      if (typeof value !== "boolean") return `Operator "exists" needs true or false`;
      return { test: () => value, whenMissing: !value };
    }
  }
}

function compareWith(op: "lt" | "lte" | "gt" | "gte", limit: number): (v: unknown) => boolean {
  switch (op) {
    case "lt":
      return (v) => typeof v === "number" && v < limit;
    case "lte":
      return (v) => typeof v === "number" && v <= limit;
    case "gt":
      return (v) => typeof v === "number" && v > limit;
    case "gte":
      return (v) => typeof v === "number" && v >= limit;
  }
}

/** Equality of JSON values: same type, same content; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  for (const key of aKeys) {
    if (!Object.hasOwn(b, key)) return false;
    if (!jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) {
      return false;
    }
  }
  return true;
}

function describe(value: unknown): string {
  if (typeof value === "string") return `the string "${value}"`;
  if (value === undefined) return "nothing";
  return JSON.stringify(value);
}
