/**
 * Which of many tool-name globs can match a name, without testing each one: a glob matches
 * only names that begin with its text before the first wildcard and end with its text after
 * the last one. Those literal edges are kept in two tries (prefixes forwards, suffixes
 * backwards); the few globs they point to are then tested with their own pattern, in file
 * order, so the first match is exactly the one a test of every glob in order finds.
 */

interface Node {
  /** Globs whose literal edge ends here (indices, ascending). */
  readonly globs: number[];
  readonly next: Map<number, Node>;
}

export interface IndexedGlob<T> {
  /** The glob as written: `*` any run of characters, `?` one character. */
  readonly glob: string;
  /** The glob's own matcher: the authority on whether it matches. */
  readonly pattern: RegExp;
  readonly value: T;
}

export class GlobIndex<T> {
  readonly #globs: readonly IndexedGlob<T>[];
  readonly #prefixes: Node = newNode();
  readonly #suffixes: Node = newNode();
  /** Globs with neither a literal prefix nor suffix (`*x*`): candidates for every name. */
  readonly #everywhere: number[] = [];

  constructor(globs: readonly IndexedGlob<T>[]) {
    this.#globs = globs;
    globs.forEach(({ glob }, index) => {
      const first = firstWildcard(glob);
      if (first > 0) return add(this.#prefixes, glob, 0, first, 1, index);
      const last = lastWildcard(glob);
      if (last < glob.length - 1) {
        return add(this.#suffixes, glob, glob.length - 1, last, -1, index);
      }
      this.#everywhere.push(index);
    });
  }

  /** The value of the first glob, in the order given, that matches `name`. */
  first(name: string): T | undefined {
    const candidates = this.#candidates(name);
    if (candidates === null) return undefined;
    if (candidates.length > 1) candidates.sort((a, b) => a - b);
    for (const index of candidates) {
      const glob = this.#globs[index];
      if (glob.pattern.test(name)) return glob.value;
    }
    return undefined;
  }

  /** Whether any glob matches `name`. */
  any(name: string): boolean {
    const candidates = this.#candidates(name);
    if (candidates === null) return false;
    for (const index of candidates) if (this.#globs[index].pattern.test(name)) return true;
    return false;
  }

  /** Globs whose literal edges fit `name`; null when none does. */
  #candidates(name: string): number[] | null {
    let found: number[] | null = this.#everywhere.length > 0 ? [...this.#everywhere] : null;
    for (let node = this.#prefixes, i = 0; i < name.length;) {
      const next = node.next.get(name.charCodeAt(i++));
      if (!next) break;
      if (next.globs.length > 0) (found ??= []).push(...next.globs);
      node = next;
    }
    for (let node = this.#suffixes, i = name.length - 1; i >= 0;) {
      const next = node.next.get(name.charCodeAt(i--));
      if (!next) break;
      if (next.globs.length > 0) (found ??= []).push(...next.globs);
      node = next;
    }
    return found;
  }
}

function newNode(): Node {
  return { globs: [], next: new Map() };
}

/** Adds `glob`'s characters from `from` (stepping by `step`) up to `to` (excluded). */
function add(root: Node, glob: string, from: number, to: number, step: 1 | -1, index: number) {
  let node = root;
  for (let i = from; i !== to; i += step) {
    const code = glob.charCodeAt(i);
    let next = node.next.get(code);
    if (!next) node.next.set(code, next = newNode());
    node = next;
  }
  node.globs.push(index);
}

function firstWildcard(glob: string): number {
  for (let i = 0; i < glob.length; i++) if (isWildcard(glob.charCodeAt(i))) return i;
  return glob.length;
}

function lastWildcard(glob: string): number {
  for (let i = glob.length - 1; i >= 0; i--) if (isWildcard(glob.charCodeAt(i))) return i;
  return -1;
}

function isWildcard(code: number): boolean {
  return code === 42 /* * */ || code === 63 /* ? */;
}
