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

/** The globs filed under one edge, in list order. */
interface EdgeGroup<T> {
  readonly edge: string;
  readonly list: Filed<T>[];
}

/** The edges of one length, by a hash of their text (edges that share a hash share a list). */
interface EdgeTable<T> {
  readonly length: number;
  readonly byHash: Map<number, EdgeGroup<T>[]>;
}

/**
 * Globs filed by a literal edge: a name's edges of every filed length are hashed in one pass
 * over its characters (from the start for prefixes, from the end for suffixes), so a lookup
 * makes no substring and hashes no string; an edge found by its hash is then compared whole.
 */
class EdgeFiling<T> {
  /** By edge length, shortest first. */
  #tables: EdgeTable<T>[] = [];

  constructor(readonly atEnd: boolean) {}

  add(edge: string, filed: Filed<T>): void {
    let table = this.#tables.find((candidate) => candidate.length === edge.length);
    if (!table) {
      table = { length: edge.length, byHash: new Map() };
      this.#tables = [...this.#tables, table].sort((a, b) => a.length - b.length);
    }
    const hash = this.#hash(edge, edge.length);
    let groups = table.byHash.get(hash);
    if (!groups) table.byHash.set(hash, groups = []);
    const group = groups.find((candidate) => candidate.edge === edge);
    if (group) group.list.push(filed);
    else groups.push({ edge, list: [filed] });
  }

  /** The earliest match among the globs whose edge is the name's start (or end). */
  best(name: string, best: Filed<T> | undefined): Filed<T> | undefined {
    const tables = this.#tables;
    const last = name.length - 1;
    let hash = 0;
    let hashed = 0;
    for (let t = 0; t < tables.length; t++) {
      const { length, byHash } = tables[t];
      if (length > name.length) break;
      for (; hashed < length; hashed++) {
        hash = step(hash, name.charCodeAt(this.atEnd ? last - hashed : hashed));
      }
      const groups = byHash.get(hash);
      if (groups === undefined) continue;
      for (let g = 0; g < groups.length; g++) {
        const { edge, list } = groups[g];
        if (this.atEnd ? !name.endsWith(edge) : !name.startsWith(edge)) continue;
        best = firstMatch(list, name, best?.order ?? Infinity) ?? best;
      }
    }
    return best;
  }

  #hash(text: string, length: number): number {
    let hash = 0;
    for (let i = 0; i < length; i++) {
      hash = step(hash, text.charCodeAt(this.atEnd ? text.length - 1 - i : i));
    }
    return hash;
  }
}

/** One character more of a 30-bit polynomial hash (a small integer: no number is boxed). */
function step(hash: number, code: number): number {
  return (Math.imul(hash, 31) + code) & 0x3fffffff;
}

export class GlobIndex<T> {
  /** Globs with neither a literal prefix nor a literal suffix: tested for every name. */
  readonly #unfiled: Filed<T>[] = [];
  readonly #byPrefix = new EdgeFiling<T>(false);
  readonly #bySuffix = new EdgeFiling<T>(true);
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
    if (this.#count === 0) return undefined;
    let best = firstMatch(this.#unfiled, name, Infinity);
    best = this.#byPrefix.best(name, best);
    best = this.#bySuffix.best(name, best);
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
