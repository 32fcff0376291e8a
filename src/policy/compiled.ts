/**
 * The frozen result of `compilePolicy`: everything the engine needs, nothing it must parse.
 * Its objects are frozen; the arrays `evaluate` walks on every call (an entry's rules, a rule's
 * conditions, a condition's path) are readonly by type only: V8 walks a frozen array two to
 * three times slower than a plain one, which was half the cost of a decision.
 */
import type { Glob } from "./glob.ts";
import type { Operator } from "./schema.ts";
import type { GlobIndex } from "./glob_index.ts";

export type Posture = "allow" | "deny";
/** Whose quota or counter: one agent session, one authenticated caller, or everyone. */
export type Per = "session" | "principal" | "global";

/** One step of an argument path: an object key, an array index, or `[*]` (every element). */
export type PathStep = string | number | typeof EVERY;
export const EVERY: unique symbol = Symbol("every element");

export interface CompiledCondition {
  /** As written, for messages: `args.topicName regex "^orders-"`. */
  readonly text: string;
  /** Steps below `args`, or null when the condition reads a counter. */
  readonly argPath: readonly PathStep[] | null;
  /** Counter identity (see `CounterSpec.id`) when the path is `state.<scope>.<counter>`. */
  readonly counterId: string | null;
  /** The operator and its value as written (a state store checks counters with them). */
  readonly op: Operator;
  readonly value: unknown;
  /** The operator applied to a present value. */
  readonly test: (value: unknown) => boolean;
  /** The result when the value is missing: true only for `exists: false`. */
  readonly whenMissing: boolean;
}

export interface QuotaSpec {
  /** Survives reloads while the entry, the rule name and the window stay the same. */
  readonly id: string;
  readonly rule: string;
  readonly max: number;
  readonly windowMs: number;
  readonly per: Per;
}

export interface CounterSpec {
  /** `<scope>.<counter>`, the name conditions use after `state.`. */
  readonly id: string;
  /** Storage identity: the id plus the window, so a changed window starts afresh. */
  readonly storeId: string;
  readonly windowMs: number;
  readonly per: Per;
  readonly increment: number;
  readonly incrementFrom: readonly PathStep[] | null;
  readonly incrementFromText: string | null;
}

/** How a `require_approval` rule's calls are held. */
export interface ApprovalSpec {
  readonly timeoutMs: number;
  readonly from: readonly ("operator" | "user")[];
}

export interface CompiledRule {
  readonly name: string;
  readonly action: "allow" | "evaluate" | "deny" | "require_approval";
  readonly reason: string | null;
  readonly conditions: readonly CompiledCondition[];
  readonly quota: QuotaSpec | null;
  readonly counter: CounterSpec | null;
  readonly validateArgs: boolean;
  /** Set for `action: require_approval`. */
  readonly approval: ApprovalSpec | null;
  /**
   * An allow rule with no condition, counter or argument check: it never denies nor holds a
   * call, so only its quota (if any) counts.
   */
  readonly passes: boolean;
}

export interface ToolEntry {
  /** The key as written under `tools:`: a tool name, a glob, or `*`. */
  readonly key: string;
  /** The entry's own rules, then the `"*"` rules: everything a call of the tool must pass. */
  readonly rules: readonly CompiledRule[];
  /** Some rule asks for `validate.required_args`, so the tool's inputSchema is needed. */
  readonly needsInputSchema: boolean;
  /** `rules` with a `rate_limit`, in order: the quotas every admitted call takes. */
  readonly quotaRules: readonly CompiledRule[];
  /** Some rule (not a deny) counts calls into a `state` counter. */
  readonly counted: boolean;
}

export interface GlobEntry {
  readonly pattern: Glob;
  readonly entry: ToolEntry;
}

export interface CompiledPolicy {
  readonly source: string;
  readonly description: string | null;
  readonly defaultPosture: Posture;
  readonly hideAll: boolean;
  readonly hiddenNames: ReadonlySet<string>;
  readonly hiddenGlobs: readonly Glob[];
  /** `hiddenGlobs`, filed for lookup by name. */
  readonly hiddenIndex: GlobIndex<true>;
  readonly exact: ReadonlyMap<string, ToolEntry>;
  /** Glob entries in file order; the first match wins, after exact names. */
  readonly globs: readonly GlobEntry[];
  /** `globs`, filed for lookup by name: the first match in file order. */
  readonly globIndex: GlobIndex<ToolEntry>;
  /** The `"*"` entry: the rules for a tool no entry names (its rules also end every entry's). */
  readonly wildcard: ToolEntry | null;
  readonly counters: ReadonlyMap<string, CounterSpec>;
}
