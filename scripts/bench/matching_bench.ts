/**
 * Policy matching under crafted input: a regex with nested quantifiers against a 10 kB
 * argument, a glob with four stars against a 256-character tool name, and the engine's cost
 * per decision with today's linear matchers against the backtracking ones it had before
 * (JavaScript RegExp for regex conditions and globs), on the same policy in the same run.
 */
import { decideNow, NO_LIVE_DENIES } from "../../src/state/decide_now.ts";
import { MemoryBackend } from "../../src/state/memory_backend.ts";
import type { CompiledPolicy, ToolEntry } from "../../src/policy/compiled.ts";
import { checkPolicyText, loadPolicyText } from "../../src/policy/loader.ts";
import type { Policy } from "../../src/policy/schema.ts";
import { median } from "./stats.ts";

const CRAFTED_REGEX = "^([a-z0-9]+-?)*$";
const CRAFTED_GLOB = "*-*-*-*-prod";

/** Median ms of one decision of `tool` with `args` on a one-entry policy. */
function decisionMs(yaml: string, tool: string, args: Record<string, unknown>, runs: number) {
  const policy = loadPolicyText(yaml, "bench.yaml");
  const state = { backend: new MemoryBackend(), liveDenies: NO_LIVE_DENIES };
  const times: number[] = [];
  let allowed = false;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    allowed = decideNow(policy, { tool, args, session: "s" }, state, 0).allowed;
    times.push(performance.now() - started);
  }
  return { ms: median(times), maxMs: Math.max(...times), allowed };
}

/** The crafted regex against "aaa…a!" (10,000 characters): no match, decided in one pass. */
export function craftedRegexRun(runs: number) {
  const yaml = `version: "1"\ntools:\n  t:\n    rules:\n      - conditions: ` +
    `[{ path: args.name, op: regex, value: "${CRAFTED_REGEX}" }]\n`;
  return decisionMs(yaml, "t", { name: "a".repeat(10_000) + "!" }, runs);
}

/** The crafted glob entry against a 256-character name that almost matches. */
export function craftedGlobRun(runs: number) {
  const yaml = `version: "1"\ndefault: deny\ntools:\n  "${CRAFTED_GLOB}": { rules: [] }\n`;
  return decisionMs(yaml, "-".repeat(252) + "prox", {}, runs);
}

/** What JavaScript's backtracking RegExp takes on the crafted regex, at a few short lengths. */
export function backtrackingRegexMs(lengths: readonly number[]): [number, number][] {
  const regex = new RegExp(CRAFTED_REGEX, "u");
  return lengths.map((length) => {
    const started = performance.now();
    regex.test("a".repeat(length) + "!");
    return [length, performance.now() - started];
  });
}

/**
 * The same compiled policy with the matchers the engine had before: regex conditions on
 * JavaScript RegExp (with the `(?i)` prefix as a flag), globs as RegExp tried in file order.
 */
export function withBacktrackingMatchers(compiled: CompiledPolicy, text: string): CompiledPolicy {
  const raw: Policy = checkPolicyText(text, compiled.source);
  const wildcardRaw = raw.tools["*"]?.rules ?? [];
  const swap = (key: string, entry: ToolEntry): ToolEntry => {
    const own = key === "*" ? [] : raw.tools[key].rules;
    const rules = entry.rules.map((rule, i) => {
      const source = i < own.length ? own[i] : wildcardRaw[i - own.length];
      const conditions = rule.conditions.map((condition, j) => {
        const spec = source.conditions?.[j];
        if (spec?.op !== "regex" || typeof spec.value !== "string") return condition;
        const regex = nativeRegex(spec.value);
        return { ...condition, test: (v: unknown) => typeof v === "string" && regex.test(v) };
      });
      return { ...rule, conditions };
    });
    return { ...entry, rules };
  };
  const globs = compiled.globs.map((glob) => ({
    pattern: nativeGlob(glob.pattern.source),
    entry: swap(glob.entry.key, glob.entry),
  }));
  const hidden = compiled.hiddenGlobs.map((glob) => nativeGlob(glob.source));
  return {
    ...compiled,
    exact: new Map([...compiled.exact].map(([key, entry]) => [key, swap(key, entry)])),
    wildcard: compiled.wildcard && swap("*", compiled.wildcard),
    globIndex: { first: (name: string) => globs.find((glob) => glob.pattern.test(name))?.entry },
    hiddenIndex: { first: (name: string) => hidden.some((glob) => glob.test(name)) || undefined },
  } as unknown as CompiledPolicy;
}

function nativeRegex(pattern: string): RegExp {
  const inline = /^\(\?([ims]+)\)/.exec(pattern);
  return inline
    ? new RegExp(pattern.slice(inline[0].length), "u" + inline[1])
    : new RegExp(pattern, "u");
}

function nativeGlob(pattern: string): RegExp {
  let source = "^";
  for (const char of pattern) {
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else source += char.replace(/[\\^$.|+()[\]{}\/]/g, "\\$&");
  }
  return new RegExp(source + "$", "u");
}
