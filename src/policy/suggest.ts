/** "Did you mean" hints for unknown keys, from the schema itself. */
import type { z } from "zod";
import { Policy } from "./schema.ts";

/** The keys the schema accepts at `path` (the object that held the unknown key). */
export function knownKeysAt(path: readonly (string | number)[]): string[] {
  let schema = unwrap(Policy as z.ZodType);
  for (const step of path) {
    const def = schema._zod.def as unknown as Record<string, unknown>;
    if (def.type === "object") {
      const shape = def.shape as Record<string, z.ZodType>;
      if (!(String(step) in shape)) return [];
      schema = unwrap(shape[String(step)]);
    } else if (def.type === "record") schema = unwrap(def.valueType as z.ZodType);
    else if (def.type === "array") schema = unwrap(def.element as z.ZodType);
    else return [];
  }
  const def = schema._zod.def as unknown as Record<string, unknown>;
  return def.type === "object" ? Object.keys(def.shape as object) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  for (;;) {
    const def = schema._zod.def as unknown as Record<string, unknown>;
    if (def.type === "optional" || def.type === "default" || def.type === "nullable") {
      schema = def.innerType as z.ZodType;
    } else if (def.type === "union") {
      const options = def.options as z.ZodType[];
      const object = options.find((option) => option._zod.def.type === "object");
      if (!object) return schema;
      schema = object;
    } else return schema;
  }
}

/** The closest candidate within a small edit distance, or null. */
export function suggest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
