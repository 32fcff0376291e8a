/** `validate.required_args`: checks arguments against the tool's own `inputSchema`. */

const JSON_TYPES: Record<string, (value: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  number: (v) => typeof v === "number",
  integer: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === "boolean",
  array: (v) => Array.isArray(v),
  object: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
  null: (v) => v === null,
};

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
        .filter((type): type is string => typeof type === "string" && type in JSON_TYPES);
      if (types.length > 0 && !types.some((type) => JSON_TYPES[type](args[name]))) {
        problems.push(`argument ${name} must be ${types.join(" or ")}`);
      }
    }
  }
  return problems;
}
