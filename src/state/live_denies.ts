/**
 * The operator's live denies on this proxy: a layer above the policy, keyed by an exact tool
 * name, a glob (`get-*`, `?` for one character) or `*` for every tool. Exact names are looked
 * up in O(1); globs are the policy's own (`policy/glob.ts`: non-backtracking, `?` one code
 * point), so no tool name an agent picks can make a lookup slow.
 */
import { Glob, isGlob } from "../policy/glob.ts";

/** Longest pattern accepted, as long as the longest tool name a call may carry. */
export const MAX_LIVE_DENY_PATTERN = 256;
/** Live denies held at once; an operator needs a handful, a runaway script gets an error. */
export const MAX_LIVE_DENIES = 1_000;

interface GlobDeny {
  glob: Glob;
  reason: string;
}

export class LiveDenies implements Iterable<[string, string]> {
  readonly #exact = new Map<string, string>();
  /** In the order they were set; the first match gives the reason. */
  readonly #globs = new Map<string, GlobDeny>();

  get size(): number {
    return this.#exact.size + this.#globs.size;
  }

  /**
   * Denies `pattern` (a tool name, a glob or `*`) with `reason`, replacing the reason of the
   * same pattern. Throws a RangeError past the bounds, changing nothing.
   */
  set(pattern: string, reason: string): this {
    if (pattern.length === 0 || pattern.length > MAX_LIVE_DENY_PATTERN) {
      throw new RangeError(
        `A live deny names a tool or a pattern of 1 to ${MAX_LIVE_DENY_PATTERN} characters, ` +
          `got ${pattern.length}`,
      );
    }
    if (!this.has(pattern) && this.size >= MAX_LIVE_DENIES) {
      throw new RangeError(
        `Cannot deny "${pattern}": ${MAX_LIVE_DENIES} live denies are in force already ` +
          `(allow some, or deny "*")`,
      );
    }
    if (isGlob(pattern)) this.#globs.set(pattern, { glob: new Glob(pattern), reason });
    else this.#exact.set(pattern, reason);
    return this;
  }

  /** Lifts the live deny of exactly `pattern`; false when there was none. */
  delete(pattern: string): boolean {
    return this.#exact.delete(pattern) || this.#globs.delete(pattern);
  }

  has(pattern: string): boolean {
    return this.#exact.has(pattern) || this.#globs.has(pattern);
  }

  /** The reason set for exactly `pattern` (not what a glob says about a tool). */
  get(pattern: string): string | undefined {
    return this.#exact.get(pattern) ?? this.#globs.get(pattern)?.reason;
  }

  /** Why `tool` is denied: its own live deny first, then the first glob that matches it. */
  reasonFor(tool: string): string | undefined {
    const exact = this.#exact.get(tool);
    if (exact !== undefined || this.#globs.size === 0) return exact;
    return this.#firstGlob(tool)?.reason;
  }

  /** The pattern that denies `tool` (its own name, or a glob), or undefined. */
  patternFor(tool: string): string | undefined {
    if (this.#exact.has(tool)) return tool;
    return this.#globs.size === 0 ? undefined : this.#firstGlob(tool)?.glob.source;
  }

  /** The live-denied names that are not patterns. */
  exactNames(): IterableIterator<string> {
    return this.#exact.keys();
  }

  /** Every pattern, exact names first, then globs in the order they were set. */
  *keys(): IterableIterator<string> {
    yield* this.#exact.keys();
    yield* this.#globs.keys();
  }

  /** `[pattern, reason]` pairs, exact names first, then globs in the order they were set. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    yield* this.#exact;
    for (const { glob, reason } of this.#globs.values()) yield [glob.source, reason];
  }

  #firstGlob(tool: string): GlobDeny | undefined {
    for (const deny of this.#globs.values()) if (deny.glob.test(tool)) return deny;
    return undefined;
  }
}
