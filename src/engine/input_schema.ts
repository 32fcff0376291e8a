/** `validate.required_args`: checks arguments against the tool's own `inputSchema`. */

/** A Map, so that a schema `type` such as "constructor" names nothing rather than Object's. */
const JSON_TYPES: ReadonlyMap<string, (value: unknown) => boolean> = new Map([
  ["string", (v: unknown) => typeof v === "string"],
  ["number", (v: unknown) => typeof v === "number"],
  ["integer", (v: unknown) => Number.isInteger(v)],
  ["boolean", (v: unknown) => typeof v === "boolean"],
  ["array", (v: unknown) => Array.isArray(v)],
  ["object", (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v)],
  ["null", (v: unknown) => v === null],
]);

/**
 * Problems with `args` under `schema`: missing required properties, and top-level properties
 * of the wrong JSON type. Empty when the arguments fit. Deeper checks are the server's.
 */
export function checkArguments(schema: unknown, args: Readonly<Record<string, unknown>>): string[] {
  if (typeof schema !== "object" || schema === null) return [];
  const { required, properties } = schema as { required?: unknown; properties?: unknown };
  const problems: string[] = [];
  if (Array.isArray(required)) {
    const missing = required.filter((name) =>
      typeof name === "string" && (!Object.hasOwn(args, name) || args[name] === undefined)
    );
    if (missing.length > 0) {
      problems.push(
        `missing required argument${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}`,
      );
    }
  }
  if (typeof properties === "object" && properties !== null) {
    for (const [name, property] of Object.entries(properties)) {
      if (!Object.hasOwn(args, name) || typeof property !== "object" || property === null) continue;
      const declared = (property as { type?: unknown }).type;
      const types = (Array.isArray(declared) ? declared : [declared])
        .filter((type): type is string => typeof type === "string" && JSON_TYPES.has(type));
      if (types.length > 0 && !types.some((type) => JSON_TYPES.get(type)!(args[name]))) {
        problems.push(`argument ${name} must be ${types.join(" or ")}`);
      }
    }
  }
  return problems;
}
