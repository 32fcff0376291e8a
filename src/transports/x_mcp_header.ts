/**
 * `x-mcp-header` (MCP 2026-07-28, Streamable HTTP "Custom Headers from Tool Parameters"): a
 * tool's `inputSchema` may ask for some arguments to be mirrored into `Mcp-Param-{Name}`
 * headers. This reads the declarations out of a schema and checks every constraint the
 * specification puts on them; a tool whose declarations break one is invalid.
 */

/** One declaration: the header's name part and where its value sits in the arguments. */
export interface ParamHeader {
  readonly name: string;
  readonly path: readonly string[];
}

export type ParamHeaderScan =
  | { readonly valid: true; readonly headers: readonly ParamHeader[] }
  | { readonly valid: false; readonly reason: string };

const KEY = "x-mcp-header";
/** RFC 9110 `token` (`1*tchar`). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PRIMITIVE_TYPES: ReadonlySet<unknown> = new Set(["string", "integer", "boolean"]);
/** Keywords whose values are data, not subschemas: an `x-mcp-header` key there is just data. */
const DATA_KEYWORDS: ReadonlySet<string> = new Set(["default", "const", "enum", "examples"]);
/** A schema deeper or larger than this is not walked (the tool is then invalid). */
export const MAX_SCHEMA_DEPTH = 64;
export const MAX_SCHEMA_NODES = 10_000;

/**
 * The declarations of `inputSchema`, or the first constraint it breaks: a value that is not a
 * non-empty RFC 9110 token, a name not unique regardless of case, a property that is not a
 * string, integer or boolean, or a declaration not reachable from the root through
 * `properties` alone (under `items`, `oneOf`, `$defs`, ... or on the root itself).
 */
export function scanParamHeaders(inputSchema: unknown): ParamHeaderScan {
  const headers: ParamHeader[] = [];
  const seen = new Map<string, string>();
  let nodes = 0;
  const visit = (
    node: unknown,
    path: string[],
    reachable: boolean,
    depth: number,
  ): string | null => {
    if (typeof node !== "object" || node === null) return null;
    if (++nodes > MAX_SCHEMA_NODES || depth > MAX_SCHEMA_DEPTH) {
      return `the schema is too large or deep to check (over ${MAX_SCHEMA_NODES} nodes or ` +
        `${MAX_SCHEMA_DEPTH} levels)`;
    }
    if (Array.isArray(node)) {
      for (const item of node) {
        const fault = visit(item, path, false, depth + 1);
        if (fault) return fault;
      }
      return null;
    }
    const schema = node as Record<string, unknown>;
    if (Object.hasOwn(schema, KEY)) {
      const fault = declaration(schema, path, reachable);
      if (typeof fault === "string") return fault;
      const prior = seen.get(fault.name.toLowerCase());
      if (prior !== undefined) {
        return `x-mcp-header "${fault.name}" is not unique (also declared as "${prior}")`;
      }
      seen.set(fault.name.toLowerCase(), fault.name);
      headers.push(fault);
    }
    for (const [key, value] of Object.entries(schema)) {
      if (DATA_KEYWORDS.has(key) || typeof value !== "object" || value === null) continue;
      if (key === "properties" && !Array.isArray(value)) {
        for (const [name, child] of Object.entries(value)) {
          const fault = visit(child, [...path, name], reachable, depth + 1);
          if (fault) return fault;
        }
        continue;
      }
      const fault = visit(value, [...path, `<${key}>`], false, depth + 1);
      if (fault) return fault;
    }
    return null;
  };
  const fault = visit(inputSchema, [], true, 0);
  return fault === null ? { valid: true, headers } : { valid: false, reason: fault };
}

function declaration(
  schema: Record<string, unknown>,
  path: readonly string[],
  reachable: boolean,
): ParamHeader | string {
  const where = path.length === 0 ? "the schema's root" : path.join(".");
  if (!reachable || path.length === 0) {
    return `${where}: x-mcp-header is only allowed on a property reached through "properties" ` +
      `alone (not under items, oneOf/anyOf/allOf, $ref, $defs, ...)`;
  }
  const name = schema[KEY];
  if (typeof name !== "string" || !TOKEN.test(name)) {
    return `${where}: x-mcp-header must be a non-empty HTTP token, got ${
      JSON.stringify(name)?.slice(0, 80)
    }`;
  }
  if (!PRIMITIVE_TYPES.has(schema.type)) {
    return `${where}: x-mcp-header is only allowed on a string, integer or boolean property, ` +
      `not ${JSON.stringify(schema.type ?? null)?.slice(0, 40)}`;
  }
  return { name, path };
}

/**
 * The text of the argument at `path` for its header, or undefined when no header is sent for
 * it: absent, null, not a primitive, or an integer past JavaScript's safe range.
 */
export function paramHeaderText(args: unknown, path: readonly string[]): string | undefined {
  let value: unknown = args;
  for (const key of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number" && Number.isFinite(value)) {
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return undefined;
    return String(value);
  }
  return undefined;
}
