/**
 * The bearer tokens an HTTP proxy accepts (`--auth-tokens FILE`): a YAML mapping of principal
 * name → `sha256:HEX`, the SHA-256 of the token. The file holds no secret; a token is checked
 * by hashing what the client presents.
 *
 *     alice: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
 *     ci-bot: "sha256:…"
 */
import { isMap, isPair, isScalar, LineCounter, parseDocument } from "yaml";
import type { TokenTable } from "./auth_tokens.ts";

/** Principal names: what audit lines, metrics and quotas are keyed by. */
const PRINCIPAL = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/;
const DIGEST = /^sha256:([0-9a-f]{64})$/;
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_PRINCIPALS = 10_000;

export class AuthTokensError extends Error {
  override name = "AuthTokensError";
}

/** Parses a tokens file's text; every problem is reported as `file:line:col: message`. */
export function parseAuthTokens(text: string, file: string): TokenTable {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    const { line, col } = lines.linePos(offset ?? 0);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    throw new AuthTokensError(`${at(error.pos[0])}: invalid YAML: ${error.message.split("\n")[0]}`);
  }
  if (!isMap(doc.contents)) {
    throw new AuthTokensError(`${at(0)}: the tokens file must map principal names to sha256:HEX`);
  }
  const problems: string[] = [];
  const table = new Map<string, string>();
  for (const pair of doc.contents.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    const where = at(pair.key.range?.[0]);
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    if (!PRINCIPAL.test(name)) {
      problems.push(
        `${where}: principal "${name.slice(0, 60)}" must be 1 to 128 letters, digits or ._@:- ` +
          `(starting with a letter or digit)`,
      );
      continue;
    }
    const digest = typeof value === "string" ? DIGEST.exec(value.trim().toLowerCase()) : null;
    if (!digest) {
      problems.push(
        `${where}: the token of "${name}" must be "sha256:" and 64 hex digits (the SHA-256 of ` +
          `the token, not the token itself)`,
      );
      continue;
    }
    const other = table.get(digest[1]);
    if (other !== undefined) {
      problems.push(`${where}: "${name}" has the same token as "${other}"; give each its own`);
      continue;
    }
    table.set(digest[1], name);
  }
  if (problems.length > 0) throw new AuthTokensError(problems.join("\n"));
  if (table.size === 0) throw new AuthTokensError(`${at(0)}: the tokens file names no principal`);
  if (table.size > MAX_PRINCIPALS) {
    throw new AuthTokensError(`${file}: more than ${MAX_PRINCIPALS} principals`);
  }
  return table;
}

export async function loadAuthTokens(path: string): Promise<TokenTable> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new Error("not a regular file");
    if (info.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : (error as Error).message;
    throw new AuthTokensError(`Cannot read the tokens file "${path}": ${reason}`);
  }
  return parseAuthTokens(text, path);
}
