/**
 * Canonical JSON of a JSON value: object keys sorted (by UTF-16 code unit, recursively), no
 * whitespace, numbers and strings as `JSON.stringify` writes them (RFC 8785 for parsed JSON).
 * Two values that differ only in key order give the same text, so the same audit hash.
 */
export function canonicalJson(value: unknown): string {
  // Keys already in order (often so): no copy at all.
  if (inOrder(value)) return JSON.stringify(value) ?? "null";
  try {
    // Fast path: a copy with sorted keys, serialised natively (about twice as fast).
    return JSON.stringify(sortedCopy(value)) ?? "null";
  } catch (error) {
    if (error !== INDEX_KEY) throw error;
    return encode(value) ?? "null";
  }
}

/**
 * Whether `JSON.stringify(value)` is already canonical: every object's keys in sorted order
 * (index keys, which objects list first, included: their order must be the sorted one too)
 * and no `toJSON` to call. Cheaper than a sorted copy, and often so.
 */
function inOrder(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!inOrder(value[i])) return false;
    return true;
  }
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && !(keys[i - 1] < keys[i])) return false;
    if (!inOrder((value as Record<string, unknown>)[keys[i]])) return false;
  }
  return true;
}

/** Thrown by the fast path: objects list index keys ("0", "12") first, whatever the sort. */
const INDEX_KEY = new Error("index key");

function sortedCopy(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return sortedCopy((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) {
    const copy = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = sortedCopy(value[i]);
    return copy;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 0) return object;
  const first = keys[0].charCodeAt(0);
  if (first >= 48 && first <= 57) throw INDEX_KEY;
  keys.sort();
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) copy[keys[i]] = sortedCopy(object[keys[i]]);
  return copy;
}

/** The reference encoder, for values the fast path cannot order; undefined where omitted. */
function encode(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      throw new TypeError("Do not know how to serialize a BigInt");
    case "object":
      if (value === null) return "null";
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
        return encode((value as { toJSON(): unknown }).toJSON());
      }
      if (Array.isArray(value)) return encodeArray(value);
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
