/** The proxy's flags, checked: the policy, the server (a command or a URL), logging, operations. */
import { defaultControlPath } from "../control/socket_path.ts";
import type { OperationsOptions } from "../proxy/operations.ts";
import { REQUEST_TIMEOUT_MS } from "../transports/http_upstream.ts";
import { integerFlag, type ParsedArgs, stringFlag, UsageError } from "./args.ts";
import { LISTEN_FLAGS, parseHostPort } from "./listen_flags.ts";
import { STATE_FLAGS } from "./state_flags.ts";
import { createLogger, isLogFormat, isLogLevel, type Logger } from "./log.ts";
import { UPSTREAM_FLAGS, type UpstreamTarget, upstreamTarget } from "./upstream_flags.ts";

export const PROXY_FLAGS = [
  { name: "config", short: "c", value: true },
  { name: "name", value: true },
  { name: "max-message-bytes", value: true },
  { name: "shutdown-grace-ms", value: true },
  { name: "log-level", value: true },
  { name: "log-format", value: true },
  { name: "control", value: true },
  { name: "no-control" },
  { name: "audit", value: true },
  { name: "audit-args" },
  { name: "no-watch" },
  { name: "metrics", value: true },
  { name: "policy-cache", value: true },
  ...UPSTREAM_FLAGS,
  { name: "upstream-timeout-ms", value: true },
  { name: "help", short: "h" },
  ...LISTEN_FLAGS,
  ...STATE_FLAGS,
];

export interface ProxyOptions {
  policyPath: string;
  /** The server's command line, or null for `--upstream URL`. */
  command: string[] | null;
  target: UpstreamTarget | null;
  requestTimeoutMs: number;
  name: string | null;
  maxBytes: number;
  graceMs: number;
  /** The policy file to watch, or null (a bundled policy, `--no-watch`). */
  watchPath: string | null;
  /** `--policy-cache DIR|off`; undefined: the default folder. */
  policyCache: string | undefined;
  log: Logger;
  operations: OperationsOptions;
}

const MIB = 1024 * 1024;
const MAX_NAME = 64;

export function proxyOptions(args: ParsedArgs): ProxyOptions {
  if (args.positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument "${args.positionals[0]}": put the server command after --`,
    );
  }
  const policyPath = stringFlag(args, "config");
  if (!policyPath) throw new UsageError("Missing -c POLICY: the policy file to enforce");
  const target = upstreamTarget(args);
  const command = args.rest && args.rest.length > 0 ? args.rest : null;
  if (target && command) {
    throw new UsageError("Give the MCP server as --upstream URL or as -- CMD, not both");
  }
  if (!target && !command) {
    throw new UsageError(
      "Missing the MCP server: intercept -c POLICY -- CMD [ARGS...], or --upstream URL",
    );
  }
  if (!target && args.flags.has("upstream-timeout-ms")) {
    throw new UsageError("--upstream-timeout-ms is for --upstream URL");
  }
  const log = loggerFrom(args);
  return {
    policyPath,
    command,
    target,
    requestTimeoutMs: integerFlag(args, "upstream-timeout-ms", REQUEST_TIMEOUT_MS, {
      min: 100,
      max: 86_400_000,
    }),
    name: nameFlag(args),
    maxBytes: integerFlag(args, "max-message-bytes", 16 * MIB, { min: 1024, max: 1024 * MIB }),
    graceMs: integerFlag(args, "shutdown-grace-ms", 5_000, { min: 0, max: 600_000 }),
    watchPath: policyPath.startsWith("builtin:") || args.flags.has("no-watch") ? null : policyPath,
    policyCache: stringFlag(args, "policy-cache"),
    log,
    operations: operationsFrom(args, log),
  };
}

function nameFlag(args: ParsedArgs): string | null {
  const name = stringFlag(args, "name");
  if (name === undefined) return null;
  // deno-lint-ignore no-control-regex
  if (name.trim() === "" || name.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new UsageError(
      `--name must be 1 to ${MAX_NAME} characters without line breaks, got ${JSON.stringify(name)}`,
    );
  }
  return name.trim();
}

function loggerFrom(args: ParsedArgs): Logger {
  const level = stringFlag(args, "log-level") ?? "info";
  if (!isLogLevel(level)) {
    throw new UsageError(`--log-level must be debug, info, warn or error, got "${level}"`);
  }
  const format = stringFlag(args, "log-format") ?? "text";
  if (!isLogFormat(format)) {
    throw new UsageError(`--log-format must be text or json, got "${format}"`);
  }
  return createLogger(level, { format });
}

function operationsFrom(args: ParsedArgs, log: Logger): OperationsOptions {
  const explicit = stringFlag(args, "control");
  if (explicit !== undefined && args.flags.has("no-control")) {
    throw new UsageError("Give --control PATH or --no-control, not both");
  }
  return {
    controlPath: args.flags.has("no-control") ? null : explicit ?? defaultControlPath(Deno.pid),
    controlRequired: explicit !== undefined,
    auditTarget: stringFlag(args, "audit") ?? null,
    auditArgs: args.flags.has("audit-args"),
    metrics: metricsFrom(args),
    log,
  };
}

function metricsFrom(args: ParsedArgs): { hostname: string; port: number } | null {
  const text = stringFlag(args, "metrics");
  if (text === undefined) return null;
  if (args.flags.has("listen")) {
    throw new UsageError(
      "--metrics is for stdio proxies: --listen serves /metrics on its own port",
    );
  }
  try {
    return parseHostPort(text);
  } catch {
    throw new UsageError(`--metrics must be HOST:PORT (such as 127.0.0.1:9464), got "${text}"`);
  }
}
