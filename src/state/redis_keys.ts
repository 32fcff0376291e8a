/**
 * Redis key names. Every key starts with the deployment's hash tag `{prefix}`, so all of them
 * live in one Cluster slot and one script may touch any of them. Names from the policy and
 * scopes are percent-encoded, so no entry, rule or principal can forge another's key or carry
 * a SCAN glob character.
 */
import type { Scope } from "../engine/plan.ts";
import type { CounterSpec, QuotaSpec } from "../policy/compiled.ts";
import { counterEntry, quotaEntry } from "./memory_backend.ts";

/** What `--state-prefix` may be: short, and nothing a key or a SCAN pattern treats specially. */
export const PREFIX_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const DEFAULT_PREFIX = "intercept";

export class RedisKeys {
  readonly #tag: string;
  readonly #quotaParts = new WeakMap<QuotaSpec, string>();
  readonly #counterParts = new WeakMap<CounterSpec, string>();

  constructor(prefix: string) {
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new RangeError(
        `The state prefix must be 1 to 64 letters, digits, ".", "_" or "-", got "${prefix}"`,
      );
    }
    this.#tag = `{${prefix}}`;
  }

  quota(spec: QuotaSpec, scope: Scope): string {
    let part = this.#quotaParts.get(spec);
    if (part === undefined) {
      part = `${this.#tag}:q:${encode(quotaEntry(spec.id))}:${encode(spec.id)}`;
      this.#quotaParts.set(spec, part);
    }
    return `${part}:${encode(scope)}`;
  }

  counter(counter: CounterSpec, scope: Scope): string {
    let part = this.#counterParts.get(counter);
    if (part === undefined) {
      part = `${this.#tag}:c:${encode(counterEntry(counter.storeId))}:${encode(counter.storeId)}`;
      this.#counterParts.set(counter, part);
    }
    return `${part}:${encode(scope)}`;
  }

  /** A SCAN pattern for the quotas and counters of one entry, or of all. */
  entryPatterns(entryKey?: string): string[] {
    if (entryKey === undefined) return [`${this.#tag}:q:*`, `${this.#tag}:c:*`];
    const counterScope = entryKey === "*" ? "_global" : entryKey;
    return [`${this.#tag}:q:${encode(entryKey)}:*`, `${this.#tag}:c:${encode(counterScope)}:*`];
  }

  get denies(): string {
    return `${this.#tag}:denies`;
  }

  get deniesVersion(): string {
    return `${this.#tag}:denies:version`;
  }
}

/** Percent-encodes everything but letters, digits and `.`, `_`, `-`. */
export function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*~]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
