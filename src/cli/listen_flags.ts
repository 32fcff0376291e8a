/** The flags of `--listen HOST:PORT`: where to listen, who may call, and the bounds. */
import { integerFlag, type ParsedArgs, stringFlag, UsageError } from "./args.ts";
import { isLoopback } from "../transports/loopback.ts";

export const LISTEN_FLAGS = [
  { name: "listen", value: true },
  { name: "auth-tokens", value: true },
  { name: "no-auth" },
  { name: "allowed-origins", value: true, repeat: true },
  { name: "max-sessions", value: true },
  { name: "session-idle-ms", value: true },
  { name: "pool-size", value: true },
];

export const LISTEN_HELP = `HTTP (--listen):
      --listen HOST:PORT       serve MCP over Streamable HTTP at /mcp, with /healthz,
                               /readyz and /metrics (HOST defaults to 127.0.0.1; PORT 0
                               picks a free one)
      --auth-tokens FILE       YAML: principal name -> "sha256:HEX" of its bearer token;
                               required on a non-loopback HOST unless --no-auth
      --no-auth                serve without tokens (every caller is "anonymous")
      --allowed-origins LIST   browser origins allowed to call (comma-separated; default
                               none: a request with an Origin header is refused)
      --max-sessions N         legacy sessions at once, each with its own server (100)
      --session-idle-ms N      end a legacy session after N ms without a request
                               (600000)
      --pool-size N            servers shared by 2026-07-28 requests (2)`;

export interface ListenOptions {
  hostname: string;
  port: number;
  authTokens: string | null;
  allowedOrigins: string[];
  maxSessions: number;
  sessionIdleMs: number;
  poolSize: number;
}

/** The listen options, or null when `--listen` is not given (and no listen flag either). */
export function listenOptions(args: ParsedArgs): ListenOptions | null {
  const listen = stringFlag(args, "listen");
  if (listen === undefined) {
    const stray = LISTEN_FLAGS.find((flag) => flag.name !== "listen" && args.flags.has(flag.name));
    if (stray) throw new UsageError(`--${stray.name} only applies with --listen HOST:PORT`);
    return null;
  }
  const { hostname, port } = parseHostPort(listen);
  const authTokens = stringFlag(args, "auth-tokens") ?? null;
  const noAuth = args.flags.has("no-auth");
  if (authTokens !== null && noAuth) {
    throw new UsageError("Give --auth-tokens FILE or --no-auth, not both");
  }
  if (!isLoopback(hostname) && authTokens === null && !noAuth) {
    throw new UsageError(
      `--listen on ${hostname} is reachable from other machines: give --auth-tokens FILE, ` +
        `or --no-auth to serve without tokens`,
    );
  }
  const origins = (args.flags.get("allowed-origins") as string[] | undefined ?? [])
    .flatMap((value) => value.split(","))
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new UsageError(
        `--allowed-origins: "${origin}" is not an origin such as https://app.example.com`,
      );
    }
    if (url.origin !== origin) {
      throw new UsageError(
        `--allowed-origins: "${origin}" is not an origin; did you mean ${url.origin}?`,
      );
    }
  }
  return {
    hostname,
    port,
    authTokens,
    allowedOrigins: origins,
    maxSessions: integerFlag(args, "max-sessions", 100, { min: 1, max: 100_000 }),
    sessionIdleMs: integerFlag(args, "session-idle-ms", 600_000, { min: 1_000, max: 86_400_000 }),
    poolSize: integerFlag(args, "pool-size", 2, { min: 1, max: 64 }),
  };
}

/** `HOST:PORT`, `:PORT` or `[::1]:PORT`. */
export function parseHostPort(text: string): { hostname: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535) {
    throw new UsageError(
      `--listen must be HOST:PORT (such as 127.0.0.1:8080 or :8080), got "${text}"`,
    );
  }
  const hostname = match[1] ?? (match[2] || "127.0.0.1");
  return { hostname, port };
}
