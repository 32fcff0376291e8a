/** "Did you mean" hints for unknown keys, from the schema itself. */
import type { z } from "zod";
import { Policy } from "./schema.ts";

export { suggest } from "../cli/did_you_mean.ts";

/** The keys the schema accepts at `path` (the object that held the unknown key). */
export function knownKeysAt(path: readonly (string | number)[]): string[] {
  let schema = unwrap(Policy as z.ZodType);
  for (const step of path) {
    const def = schema._zod.def as unknown as Record<string, unknown>;
    if (def.type === "object") {
      const shape = def.shape as Record<string, z.ZodType>;
      if (!Object.hasOwn(shape, String(step))) return [];
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
