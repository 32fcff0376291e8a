/**
 * Canonical JSON of a JSON value: object keys sorted (by UTF-16 code unit, recursively), no
 * whitespace, numbers and strings as `JSON.stringify` writes them (RFC 8785 for parsed JSON).
 * Two values that differ only in key order give the same text, so the same audit hash.
 */
export function canonicalJson(value: unknown): string {
  return encode(value) ?? "null";
}

/** The text of a value, or undefined where `JSON.stringify` would leave it out. */
function encode(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      throw new TypeError("Cannot hash a BigInt: arguments must be JSON");
    case "object":
      if (value === null) return "null";
      if (Array.isArray(value)) return encodeArray(value);
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
        return encode((value as { toJSON(): unknown }).toJSON());
      }
      return encodeObject(value as Record<string, unknown>);
    default:
      return undefined; // undefined, functions, symbols
  }
}

function encodeArray(items: readonly unknown[]): string {
  let text = "[";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) text += ",";
    text += encode(items[i]) ?? "null";
  }
  return text + "]";
}

function encodeObject(object: Record<string, unknown>): string {
  const keys = Object.keys(object).sort();
  let text = "{";
  let first = true;
  for (const key of keys) {
    const item = encode(object[key]);
    if (item === undefined) continue;
    text += (first ? "" : ",") + JSON.stringify(key) + ":" + item;
    first = false;
  }
  return text + "}";
}
