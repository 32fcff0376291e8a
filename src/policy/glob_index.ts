/**
 * A list of globs, looked up by name: the first glob in list order that matches, without
 * testing every glob. Globs are filed by their literal prefix (`svc12-` for `svc12-*-x`), so a
 * lookup tests only those whose prefix starts the name, and those with none (`*-prod`).
 */
import type { Glob } from "./glob.ts";

interface Filed<T> {
  readonly order: number;
  readonly glob: Glob;
  readonly value: T;
}

export class GlobIndex<T> {
  readonly #unprefixed: Filed<T>[] = [];
  /** Prefix length → prefix → globs with that prefix, in list order. */
  readonly #byPrefix = new Map<number, Map<string, Filed<T>[]>>();
  #lengths: number[] = [];
  #count = 0;

  get size(): number {
    return this.#count;
  }

  /** Files `glob` after every glob added before it. */
  add(glob: Glob, value: T): void {
    const filed = { order: this.#count++, glob, value };
    const length = glob.prefix.length;
    if (length === 0) {
      this.#unprefixed.push(filed);
      return;
    }
    let byPrefix = this.#byPrefix.get(length);
    if (!byPrefix) {
      byPrefix = new Map();
      this.#byPrefix.set(length, byPrefix);
      this.#lengths = [...this.#byPrefix.keys()].sort((a, b) => a - b);
    }
    const list = byPrefix.get(glob.prefix);
    if (list) list.push(filed);
    else byPrefix.set(glob.prefix, [filed]);
  }

  /** The value of the first glob (in the order added) that matches `name`. */
  first(name: string): T | undefined {
    let best: Filed<T> | undefined = firstMatch(this.#unprefixed, name, Infinity);
    for (const length of this.#lengths) {
      if (length > name.length) break;
      const list = this.#byPrefix.get(length)!.get(name.slice(0, length));
      if (list) best = firstMatch(list, name, best?.order ?? Infinity) ?? best;
    }
    return best?.value;
  }
}

/** The first of `list` (in order, before `before`) whose glob matches `name`. */
function firstMatch<T>(
  list: readonly Filed<T>[],
  name: string,
  before: number,
): Filed<T> | undefined {
  for (const filed of list) {
    if (filed.order >= before) return undefined;
    if (filed.glob.test(name)) return filed;
  }
  return undefined;
}
