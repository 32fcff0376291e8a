/**
 * A list of globs, looked up by name: the first glob in list order that matches, without
 * testing every glob. Globs are filed by their literal prefix (`svc12-` for `svc12-*-x`), or,
 * when they start with a wildcard, by their literal suffix (`-admin` for `*-admin`): a lookup
 * tests only the globs whose prefix starts the name or whose suffix ends it, and those with
 * neither (`*x*`), each by its own matcher, in list order.
 */
import type { Glob } from "./glob.ts";

interface Filed<T> {
  readonly order: number;
  readonly glob: Glob;
  readonly value: T;
}

/** Globs filed by a literal edge: edge length → edge text → globs, in list order. */
class EdgeFiling<T> {
  readonly #byLength = new Map<number, Map<string, Filed<T>[]>>();
  #lengths: number[] = [];

  add(edge: string, filed: Filed<T>): void {
    let byEdge = this.#byLength.get(edge.length);
    if (!byEdge) {
      byEdge = new Map();
      this.#byLength.set(edge.length, byEdge);
      this.#lengths = [...this.#byLength.keys()].sort((a, b) => a - b);
    }
    const list = byEdge.get(edge);
    if (list) list.push(filed);
    else byEdge.set(edge, [filed]);
  }

  /** The earliest match among the globs whose edge `edgeOf(length)` of the name is. */
  best(
    name: string,
    edgeOf: (length: number) => string,
    best: Filed<T> | undefined,
  ): Filed<T> | undefined {
    for (const length of this.#lengths) {
      if (length > name.length) break;
      const list = this.#byLength.get(length)!.get(edgeOf(length));
      if (list) best = firstMatch(list, name, best?.order ?? Infinity) ?? best;
    }
    return best;
  }
}

export class GlobIndex<T> {
  /** Globs with neither a literal prefix nor a literal suffix: tested for every name. */
  readonly #unfiled: Filed<T>[] = [];
  readonly #byPrefix = new EdgeFiling<T>();
  readonly #bySuffix = new EdgeFiling<T>();
  #count = 0;

  get size(): number {
    return this.#count;
  }

  /** Files `glob` after every glob added before it. */
  add(glob: Glob, value: T): void {
    const filed = { order: this.#count++, glob, value };
    if (glob.prefix !== "") this.#byPrefix.add(glob.prefix, filed);
    else if (glob.suffix !== "") this.#bySuffix.add(glob.suffix, filed);
    else this.#unfiled.push(filed);
  }

  /** The value of the first glob (in the order added) that matches `name`. */
  first(name: string): T | undefined {
    let best = firstMatch(this.#unfiled, name, Infinity);
    best = this.#byPrefix.best(name, (length) => name.slice(0, length), best);
    best = this.#bySuffix.best(name, (length) => name.slice(name.length - length), best);
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
