/** SHA-256 for the proxy's rare paths (MRTR), loaded on first use: start-up skips node:crypto. */
import { canonicalJson } from "../audit/canonical_json.ts";

export type Hasher = (text: string) => string;

let loading: Promise<Hasher> | null = null;
let loaded: Hasher | null = null;

/** Hex SHA-256 of UTF-8 text, once the hashing module is loaded. */
export function loadSha256(): Promise<Hasher> {
  return loading ??= import("node:crypto").then(({ createHash }) =>
    loaded = (text: string) => createHash("sha256").update(text, "utf8").digest("hex")
  );
}

/** The hasher once `loadSha256()` has loaded it, else null. */
export function loadedSha256(): Hasher | null {
  return loaded;
}

/** SHA-256 of `text`; the caller has awaited `loadSha256()` first. */
export function sha256(text: string): string {
  if (!loaded) throw new Error("SHA-256 is used before it was loaded");
  return loaded(text);
}

/** The digest of a call's arguments: the same for the same JSON value, whatever its key order. */
export function argsDigest(hash: Hasher, args: unknown): string {
  return hash(canonicalJson(args));
}
