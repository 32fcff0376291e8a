/**
 * Checks of a parsed YAML document that the YAML library does in quadratic time (duplicate
 * keys; resolving aliases), done here in one pass each, so that a large policy costs time
 * in proportion to its size.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, visit } from "yaml";

/** Where the problem is (an offset in the text) and what it is. */
export interface YamlProblem {
  offset: number;
  message: string;
}

/** Every key that repeats a key of the same mapping, at its second (third, …) occurrence. */
export function duplicateKeys(doc: Document): YamlProblem[] {
  const problems: YamlProblem[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) {
          problems.push({
            offset: (pair.key as Node | null)?.range?.[0] ?? map.range?.[0] ?? 0,
            message: "Duplicate key: each key may appear once in a mapping",
          });
        }
        seen.add(key);
      }
    },
  });
  return problems;
}

/**
 * A problem when the document, with every alias expanded, holds more than `limit` values
 * (scalars, mappings, lists): a few lines of aliases can stand for millions of rules.
 */
export function expansionProblem(doc: Document, limit: number): YamlProblem | null {
  // Anchors in document order, as YAML resolves them: an alias names the last one before it.
  const anchors = new Map<string, Node>();
  const targets = new Map<Node, Node | undefined>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  if (targets.size === 0) return null;
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let largest: { alias: Node; size: number } | null = null;
  const size = (node: unknown): number => {
    if (!node || typeof node !== "object") return 0;
    if (isPair(node)) return size(node.key) + size(node.value);
    const known = sizes.get(node as Node);
    if (known !== undefined) return known;
    if (open.has(node as Node)) return limit + 1; // an alias inside its own anchor
    open.add(node as Node);
    let total = 1;
    if (isAlias(node)) {
      total = size(targets.get(node));
      if (!largest || total > largest.size) largest = { alias: node, size: total };
    } else if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        total += size(item);
        if (total > limit) break;
      }
    }
    open.delete(node as Node);
    total = Math.min(total, limit + 1);
    sizes.set(node as Node, total);
    return total;
  };
  if (size(doc.contents) <= limit) return null;
  const worst = largest as { alias: Node; size: number } | null;
  return {
    offset: worst?.alias.range?.[0] ?? 0,
    message: `The policy expands to more than ${limit.toLocaleString("en")} values through ` +
      `its YAML aliases; write the rules out, or share fewer of them`,
  };
}
