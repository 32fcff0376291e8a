/**
 * `compilePolicy`: a schema-checked policy → a frozen `CompiledPolicy`, every rule checked.
 * `compilePolicyInSlices` does the same work in slices of a few milliseconds that yield to the
 * event loop, so that a reload of a large policy never stalls the proxy's traffic.
 */
import type {
  CompiledPolicy,
  CompiledRule,
  CounterSpec,
  GlobEntry,
  ToolEntry,
} from "./compiled.ts";
import { Glob, isGlob } from "./glob.ts";
import { GlobIndex } from "./glob_index.ts";
import {
  compileRule,
  type IssuePath,
  PolicyCompileError,
  type PolicyIssue,
} from "./compile_rule.ts";
import type { LinearRegex } from "./linear_regex.ts";
import type { Policy, Rule } from "./schema.ts";

export { type IssuePath, PolicyCompileError, type PolicyIssue } from "./compile_rule.ts";

/** A checked policy with its tool entries in a Map: how the policy worker's messages add up. */
export interface PolicyParts extends Omit<Policy, "tools"> {
  readonly tools: ReadonlyMap<string, { readonly rules: readonly Rule[] }>;
}

export interface CompileOptions {
  /** Where the policy came from, for messages and status. */
  source?: string;
}

const WILDCARD_SCOPE = "_global";

/** Throws `PolicyCompileError` with every problem found, not just the first. */
export function compilePolicy(policy: Policy, options: CompileOptions = {}): CompiledPolicy {
  const steps = compileSteps(policy, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export interface SliceOptions {
  /** Work this long, then let the event loop run (default 5 ms). */
  sliceMs?: number;
  /** How to let it run (default: a zero-delay timer); tests count the calls. */
  pause?: () => Promise<void>;
  now?: () => number;
}

/** `compilePolicy`, in slices that yield to the event loop between them. */
export async function compilePolicyInSlices(
  policy: Policy | PolicyParts,
  options: CompileOptions & SliceOptions = {},
): Promise<CompiledPolicy> {
  const { sliceMs = 5, pause = nextTask, now = () => performance.now() } = options;
  const steps = compileSteps(policy, options);
  let sliceStart = now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (now() - sliceStart >= sliceMs) {
      await pause();
      sliceStart = now();
    }
  }
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The compilation, yielding after each small piece of work (a hide entry, a condition). */
function* compileSteps(
  policy: Policy | PolicyParts,
  options: CompileOptions,
): Generator<void, CompiledPolicy> {
  const issues: PolicyIssue[] = [];
  const regexes = new Map<string, LinearRegex | string>();
  const counters = new Map<string, CounterSpec>();
  const brokenCounters = new Set<string>();
  const counterReads: { counterId: string; path: IssuePath }[] = [];

  const hiddenNames = new Set<string>();
  const hiddenGlobs: Glob[] = [];
  const hiddenIndex = new GlobIndex<true>();
  let hideAll = false;
  for (const [index, name] of (policy.hide ?? []).entries()) {
    const path = ["hide", index];
    if (name.trim() === "") issues.push({ path, message: `hide[${index}] must not be empty` });
    else if (hiddenNames.has(name)) {
      issues.push({ path, message: `hide lists "${name}" twice` });
    } else if (name === "*") hideAll = true;
    else if (isGlob(name)) {
      const glob = new Glob(name);
      hiddenGlobs.push(glob);
      hiddenIndex.add(glob, true);
    }
    hiddenNames.add(name);
    yield;
  }

  const ownRules = new Map<string, CompiledRule[]>();
  const tools = policy.tools instanceof Map ? policy.tools : Object.entries(policy.tools);
  for (const [key, raw] of tools) {
    if (key.trim() === "") {
      issues.push({ path: ["tools", key], message: "A tool name must not be empty", atKey: true });
      continue;
    }
    const rules: CompiledRule[] = [];
    const ruleNames = new Set<string>();
    for (const [index, rule] of raw.rules.entries()) {
      rules.push(
        yield* compileRule(rule, {
          entryKey: key,
          scope: key === "*" ? WILDCARD_SCOPE : key,
          path: ["tools", key, "rules", index],
          defaultName: `${key}#${index + 1}`,
          ruleNames,
          counters,
          brokenCounters,
          counterReads,
          issues,
          regexes,
        }),
      );
      yield;
    }
    ownRules.set(key, rules);
    yield;
  }
  // Each entry carries its own rules followed by the "*" rules: evaluation allocates nothing.
  // Not frozen: see compiled.ts.
  const wildcardRules = ownRules.get("*") ?? [];
  const toEntry = (key: string, rules: readonly CompiledRule[]): ToolEntry =>
    Object.freeze({
      key,
      rules,
      needsInputSchema: rules.some((rule) => rule.validateArgs),
      quotaRules: rules.filter((rule) => rule.quota !== null),
      counted: rules.some((rule) => rule.counter !== null && rule.action !== "deny"),
    });
  const wildcard = ownRules.has("*") ? toEntry("*", wildcardRules) : null;
  const exact = new Map<string, ToolEntry>();
  const globs: GlobEntry[] = [];
  const globIndex = new GlobIndex<ToolEntry>();
  for (const [key, rules] of ownRules) {
    if (key === "*") continue;
    const all = rules.length === 0 ? wildcardRules : [...rules, ...wildcardRules];
    const entry = toEntry(key, all);
    if (isGlob(key)) {
      const pattern = new Glob(key);
      globs.push(Object.freeze({ pattern, entry }));
      globIndex.add(pattern, entry);
    } else exact.set(key, entry);
    yield;
  }

  let known: string | null = null;
  for (const read of counterReads) {
    // A counter whose own definition is broken is reported there, not at every read.
    if (!counters.has(read.counterId) && !brokenCounters.has(read.counterId)) {
      known ??= [...counters.keys()].map((id) => `state.${id}`).join(", ");
      issues.push({
        path: read.path,
        crossEntry: true,
        message: `Condition reads state.${read.counterId}, but no rule defines that counter ` +
          `with a state block` + (known ? ` (defined: ${known})` : ""),
      });
    }
  }

  if (issues.length > 0) throw new PolicyCompileError(issues);
  return Object.freeze({
    source: options.source ?? "<policy>",
    description: policy.description ?? null,
    defaultPosture: policy.default ?? "allow",
    hideAll,
    hiddenNames,
    hiddenGlobs: Object.freeze(hiddenGlobs),
    hiddenIndex,
    exact,
    globs: Object.freeze(globs),
    globIndex,
    wildcard,
    counters,
  });
}
