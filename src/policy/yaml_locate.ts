/** Where things are in a YAML document: for errors reported as file:line:col. */
import { isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import type { LocatedError } from "./load_error.ts";

/** Errors in the order they stand in the file. */
export function sortErrors(errors: LocatedError[]): LocatedError[] {
  return errors.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** The source offset of the node at `path` (or of its key), falling back to the nearest parent. */
export function offsetOf(
  root: unknown,
  path: readonly (string | number)[],
  atKey: boolean,
): number {
  let node = root as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) =>
        isPair(item) && isScalar(item.key) && String(item.key.value) === String(step)
      );
      if (!pair) return offset;
      const key = pair.key as Node;
      if (last && atKey) return key.range?.[0] ?? offset;
      node = pair.value as Node | null;
      offset = node?.range?.[0] ?? key.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof step === "number") {
      node = node.items[step] as Node | null;
      if (!node) return offset;
      offset = node.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}
