/**
 * The errors of the sound parts of a policy the schema refused: the broken parts are pruned
 * (a key deleted, a condition or rule replaced by a neutral one, so that no index moves) and
 * the rest is compiled, so that `validate` reports a bad regex beside a misspelt key in one run.
 */
import type { z } from "zod";
import { compilePolicy, type IssuePath, PolicyCompileError, type PolicyIssue } from "./compile.ts";
import { Policy } from "./schema.ts";

type ZodIssue = z.core.$ZodIssue;
type Step = string | number;
type Container = Record<string, unknown> | unknown[];

const REMOVE = Symbol("remove");
/** A condition and a rule that compile without any issue and stand in for broken ones. */
const NEUTRAL_CONDITION = { path: "args.x", op: "exists", value: true };
const NEUTRAL_RULE = { action: "allow" };
/** Pruning one round's issues can reveal others (a key of a replaced value): a few rounds. */
const MAX_ROUNDS = 4;

/** Compile issues of every part the schema did not refuse; none that pruning may have caused. */
export function issuesOfSoundParts(raw: unknown, schemaIssues: readonly ZodIssue[]): PolicyIssue[] {
  if (!isContainer(raw) || Array.isArray(raw)) return [];
  const copy = clone(raw) as Record<string, unknown>;
  const pruned: Step[][] = [];
  let issues = schemaIssues;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const issue of issues) prune(copy, issue, pruned);
    const parsed = Policy.safeParse(copy);
    if (parsed.success) return compileIssues(parsed.data, pruned);
    issues = parsed.error.issues;
  }
  return [];
}

function compileIssues(policy: Policy, pruned: readonly Step[][]): PolicyIssue[] {
  try {
    compilePolicy(policy);
    return [];
  } catch (error) {
    if (!(error instanceof PolicyCompileError)) throw error;
    // An issue of an ancestor of a pruned part (a rule that "checks nothing" once its broken
    // rate_limit is gone) may be pruning's doing; another entry's counter may have been pruned.
    return error.issues.filter((issue) =>
      !issue.crossEntry &&
      !pruned.some((path) => startsWith(path, issue.path) || startsWith(issue.path, path))
    );
  }
}

function prune(root: Record<string, unknown>, issue: ZodIssue, pruned: Step[][]): void {
  const path = issue.path.filter((step): step is Step => typeof step !== "symbol");
  // Without its unknown key, a condition may lack its value: replace it whole.
  const inCondition = path.length === 6 && path[4] === "conditions";
  if (issue.code === "unrecognized_keys" && !inCondition) {
    const holder = nodeAt(root, path);
    if (!isContainer(holder) || Array.isArray(holder)) return;
    for (const key of issue.keys) {
      delete holder[key];
      pruned.push([...path, key]);
    }
    return;
  }
  const unit = unitOf(path);
  if (!unit) return;
  const parent = nodeAt(root, unit.path.slice(0, -1));
  const last = unit.path[unit.path.length - 1];
  if (!isContainer(parent)) return;
  if (Array.isArray(parent)) {
    if (typeof last === "number" && last < parent.length && unit.with !== REMOVE) {
      parent[last] = unit.with;
    }
  } else if (unit.with === REMOVE) delete parent[last];
  else {
    Object.defineProperty(parent, last, {
      value: unit.with,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  pruned.push(unit.path);
}

/** The smallest part that must go for the issue at `path`, and what takes its place. */
function unitOf(path: readonly Step[]): { path: Step[]; with: unknown } | null {
  const [top, key, rules, index, field, position] = path;
  if (top === undefined) return null;
  if (top === "version") return { path: ["version"], with: "1" };
  if (top === "hide") {
    return path.length === 1
      ? { path: ["hide"], with: REMOVE }
      : { path: ["hide", index ?? key], with: `\u0000pruned ${String(key)}` };
  }
  if (top !== "tools") return { path: [top], with: REMOVE };
  if (key === undefined) return { path: ["tools"], with: {} };
  if (rules === undefined) return { path: ["tools", key], with: { rules: [] } };
  if (index === undefined) return { path: ["tools", key, "rules"], with: [] };
  const rule = ["tools", key, "rules", index];
  if (field === undefined) return { path: rule, with: NEUTRAL_RULE };
  if (field === "conditions" && position !== undefined) {
    return { path: [...rule, "conditions", position], with: NEUTRAL_CONDITION };
  }
  return { path: [...rule, field], with: REMOVE };
}

function nodeAt(root: unknown, path: readonly Step[]): unknown {
  let node = root;
  for (const step of path) {
    if (!isContainer(node) || !Object.hasOwn(node, step)) return undefined;
    node = (node as Record<Step, unknown>)[step];
  }
  return node;
}

/** A deep copy of plain YAML data that keeps keys such as `__proto__` as own properties. */
function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (!isContainer(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, clone(inner)]));
}

function isContainer(value: unknown): value is Container {
  return typeof value === "object" && value !== null;
}

function startsWith(path: IssuePath, prefix: IssuePath): boolean {
  return prefix.length <= path.length && prefix.every((step, i) => step === path[i]);
}
