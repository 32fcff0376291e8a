/**
 * `--upstream URL` and `--header "K: V"` (repeatable): a remote MCP server and the credentials
 * every request to it carries. Checked before anything starts, each problem named.
 */
import { type ParsedArgs, stringFlag, UsageError } from "./args.ts";

export interface UpstreamTarget {
  url: URL;
  /** Header name and value, in the order given. */
  headers: [string, string][];
}

export const UPSTREAM_FLAGS = [
  { name: "upstream", value: true },
  { name: "header", value: true, repeat: true },
] as const;

/** RFC 9110 `token`: what a header name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Headers intercept sets itself on every request (or HTTP sets), which --header may not. */
const RESERVED = new Set([
  "accept",
  "content-type",
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "host",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "last-event-id",
  "mcp-session-id",
  "mcp-protocol-version",
  "mcp-method",
  "mcp-name",
]);

/** The most `--header` flags taken, and the longest header line (name, colon and value). */
export const MAX_HEADERS = 64;
export const MAX_HEADER_CHARS = 8_192;

/** `--upstream` and `--header` from `args`; null when no `--upstream` was given. */
export function upstreamTarget(args: ParsedArgs, command = ""): UpstreamTarget | null {
  const url = stringFlag(args, "upstream");
  const headers = (args.flags.get("header") as string[] | undefined) ?? [];
  if (url === undefined) {
    if (headers.length > 0) {
      throw new UsageError("--header is for --upstream URL: give the URL too", command);
    }
    return null;
  }
  return { url: parseUpstreamUrl(url, command), headers: parseHeaders(headers, command) };
}

/** An http(s) URL with a host and no credentials in it. */
export function parseUpstreamUrl(text: string, command = ""): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--upstream "${text.slice(0, 200)}" is not a URL; give one such as https://example.com/mcp`,
      command,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `--upstream must be an http:// or https:// URL, got "${url.protocol}" ` +
        `(a local server is run with: -- CMD [ARGS...])`,
      command,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError(
      "--upstream must not hold credentials (user:password@); pass them with --header " +
        '"Authorization: ..." so that they never show in logs or status',
      command,
    );
  }
  url.hash = "";
  return url;
}

/** Each `K: V` as a header, refusing what would break a request or smuggle another. */
export function parseHeaders(flags: readonly string[], command = ""): [string, string][] {
  if (flags.length > MAX_HEADERS) {
    throw new UsageError(`At most ${MAX_HEADERS} --header flags are taken`, command);
  }
  const seen = new Set<string>();
  return flags.map((flag) => {
    const header = parseHeader(flag, command);
    const lower = header[0].toLowerCase();
    if (seen.has(lower)) {
      throw new UsageError(`--header ${header[0]} is given twice; give it once`, command);
    }
    seen.add(lower);
    return header;
  });
}

function parseHeader(flag: string, command: string): [string, string] {
  const shown = JSON.stringify(flag.length > 60 ? `${flag.slice(0, 60)}…` : flag);
  if (flag.length > MAX_HEADER_CHARS) {
    throw new UsageError(
      `--header ${shown} is longer than ${MAX_HEADER_CHARS} characters`,
      command,
    );
  }
  const colon = flag.indexOf(":");
  if (colon < 0) {
    throw new UsageError(
      `--header ${shown} has no colon; write it as "Name: value", such as ` +
        `"Authorization: Bearer TOKEN"`,
      command,
    );
  }
  const name = flag.slice(0, colon).trim();
  const value = flag.slice(colon + 1).trim();
  if (!TOKEN.test(name)) {
    throw new UsageError(
      `--header ${shown}: "${name.slice(0, 60)}" is not a valid header name (letters, digits ` +
        `and !#$%&'*+-.^_\`|~ only)`,
      command,
    );
  }
  const lower = name.toLowerCase();
  if (RESERVED.has(lower) || lower.startsWith("mcp-param-")) {
    throw new UsageError(
      `--header ${name} is set by intercept itself (or by HTTP) and cannot be given`,
      command,
    );
  }
  if (!/^[\x20-\x7e\t]*$/.test(value)) {
    throw new UsageError(
      `--header ${name}: the value holds a line break, a control character or non-ASCII text`,
      command,
    );
  }
  if (value === "" || /^(bearer|basic|token)$/i.test(value)) {
    throw new UsageError(
      `--header ${name} has no value${value ? ` after "${value}"` : ""}: is the variable ` +
        `that holds the credential set?`,
      command,
    );
  }
  return [name, value];
}
