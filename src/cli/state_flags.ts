/** The flags of the state store: where quotas, counters and fleet denies live, and how it fails. */
import type { StateSpec } from "../state/open_backend.ts";
import { DEFAULT_PREFIX, PREFIX_PATTERN } from "../state/redis_keys.ts";
import { integerFlag, type ParsedArgs, stringFlag, UsageError } from "./args.ts";

export const STATE_FLAGS = [
  { name: "state", value: true },
  { name: "state-prefix", value: true },
  { name: "state-timeout-ms", value: true },
  { name: "state-fail", value: true },
];

export const STATE_HELP = `State (quotas, counters, fleet denies):
      --state STORE            memory (default: this process), sqlite:PATH (processes on
                               this machine share it; survives restarts) or
                               redis://[USER:PASS@]HOST:PORT/DB, rediss://... (a fleet)
      --state-prefix NAME      Redis key prefix and Cluster hash tag (default intercept)
      --state-timeout-ms N     a take not answered within N ms denies the call (250)
      --state-fail MODE        closed (default): a store that fails or is late denies;
                               open: allows without quotas, logged on every failure`;

export interface StateOptions {
  spec: StateSpec;
  timeoutMs: number;
  failOpen: boolean;
}

/** Largest Redis database number accepted (servers default to 16; some allow more). */
const MAX_REDIS_DB = 10_000;

export function stateOptions(args: ParsedArgs, cwd = Deno.cwd()): StateOptions {
  const text = stringFlag(args, "state") ?? "memory";
  const spec = stateSpec(text, stringFlag(args, "state-prefix"), cwd);
  const fail = stringFlag(args, "state-fail") ?? "closed";
  if (fail !== "open" && fail !== "closed") {
    throw new UsageError(`--state-fail must be open or closed, got "${fail}"`);
  }
  return {
    spec,
    timeoutMs: integerFlag(args, "state-timeout-ms", 250, { min: 1, max: 60_000 }),
    failOpen: fail === "open",
  };
}

function stateSpec(text: string, prefix: string | undefined, cwd: string): StateSpec {
  if (prefix !== undefined && !/^rediss?:\/\//.test(text)) {
    throw new UsageError("--state-prefix applies to a Redis store (--state redis://...)");
  }
  if (text === "memory") return { kind: "memory" };
  if (text.startsWith("sqlite:")) {
    const path = text.slice("sqlite:".length);
    if (path === "" || path.endsWith("/")) {
      throw new UsageError(
        `--state sqlite: needs a file path (sqlite:/var/lib/intercept/state.db)`,
      );
    }
    return {
      kind: "sqlite",
      path: path.startsWith("/") ? path : `${cwd.replace(/\/+$/, "")}/${path}`,
    };
  }
  if (/^rediss?:\/\//.test(text)) {
    return { kind: "redis", url: redisUrl(text), prefix: redisPrefix(prefix) };
  }
  throw new UsageError(
    `--state must be memory, sqlite:PATH, redis://HOST:PORT/DB or rediss://HOST:PORT/DB, ` +
      `got "${text}"`,
  );
}

function redisUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--state: "${redact(text)}" is not a URL such as redis://HOST:6379/0`);
  }
  if (url.hostname === "") throw new UsageError("--state: the Redis URL needs a host");
  if (url.search !== "" || url.hash !== "") {
    throw new UsageError("--state: the Redis URL takes no query or fragment");
  }
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && (!/^\d{1,5}$/.test(db) || Number(db) > MAX_REDIS_DB)) {
    throw new UsageError(
      `--state: the Redis database must be a number from 0 to ${MAX_REDIS_DB}, got "${db}"`,
    );
  }
  return text;
}

function redisPrefix(prefix: string | undefined): string {
  if (prefix === undefined) return DEFAULT_PREFIX;
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new UsageError(
      `--state-prefix must be 1 to 64 letters, digits, ".", "_" or "-", got "${prefix}"`,
    );
  }
  return prefix;
}

/** A URL for messages, without its password. */
function redact(text: string): string {
  return text.replace(/\/\/[^@/]*@/, "//***@");
}
