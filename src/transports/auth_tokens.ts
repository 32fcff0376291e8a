/**
 * How a bearer token is checked: the tokens file (`--auth-tokens FILE`, read by
 * `auth_tokens_file.ts`) maps the hex SHA-256 of each token to its principal; the proxy hashes
 * what the client presents. This module loads nothing (the HTTP listener imports it).
 */

/** Principal by the hex SHA-256 of its token. */
export type TokenTable = ReadonlyMap<string, string>;

/** Hex SHA-256 of a presented token (Web Crypto: no module to load). */
export async function tokenDigest(token: string): Promise<string> {
  const bytes = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
  );
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
