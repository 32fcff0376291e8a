/** `intercept -c POLICY -- CMD...`: the stdio proxy in front of a spawned MCP server. */
import { integerFlag, parseArgs, type ParsedArgs, stringFlag, UsageError } from "../cli/args.ts";
import { createLogger, isLogFormat, isLogLevel, type Logger } from "../cli/log.ts";
import { UpstreamProcess } from "../transports/upstream_process.ts";
import type { OperationsOptions } from "../proxy/operations.ts";
import { defaultControlPath } from "../control/socket_path.ts";
import denoJson from "../../deno.json" with { type: "json" };

export const PROXY_FLAGS = [
  { name: "config", short: "c", value: true },
  { name: "max-message-bytes", value: true },
  { name: "shutdown-grace-ms", value: true },
  { name: "log-level", value: true },
  { name: "log-format", value: true },
  { name: "control", value: true },
  { name: "no-control" },
  { name: "audit", value: true },
  { name: "audit-args" },
  { name: "no-watch" },
  { name: "policy-cache", value: true },
  { name: "help", short: "h" },
];

export const PROXY_HELP = `Usage: intercept -c POLICY [flags] -- CMD [ARGS...]

Runs CMD as the upstream MCP server and speaks MCP on stdin/stdout, deciding every
tools/call by POLICY before it reaches the server.

Flags:
  -c, --config POLICY          policy file (INTERCEPT_CONFIG)
      --max-message-bytes N    largest JSON-RPC message either way (default 16777216)
      --shutdown-grace-ms N    wait for the server to exit before SIGTERM, then SIGKILL
                               (default 5000)
      --control PATH           control socket for ctl and the dashboard (default
                               $XDG_RUNTIME_DIR/intercept/<pid>.sock, else
                               \${TMPDIR:-/tmp}/intercept-<uid>/<pid>.sock)
      --no-control             no control socket
      --audit FILE             append one JSON line per decision and lifecycle event
                               ("-" for stderr); arguments are SHA-256 hashed
      --audit-args             also write the raw arguments to the audit log
      --no-watch               do not reload the policy when its file changes
                               (SIGHUP and "intercept ctl reload" still do)
      --policy-cache DIR|off   where checked policies are cached by content hash
                               (default $XDG_CACHE_HOME/intercept/policies, else
                               ~/.cache/intercept/policies)
      --log-level LEVEL        debug, info, warn or error (default info)
      --log-format FORMAT      text or json (default text)
  -h, --help                   this help

Every flag also reads INTERCEPT_<FLAG> from the environment (INTERCEPT_LOG_LEVEL=warn).
Exit code: the server's own; 2 for usage and policy errors.`;

const MIB = 1024 * 1024;

export async function runProxy(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, PROXY_FLAGS);
  if (args.flags.has("help")) {
    console.log(PROXY_HELP);
    return 0;
  }
  if (args.positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument "${args.positionals[0]}": put the server command after --`,
    );
  }
  const policyPath = stringFlag(args, "config");
  if (!policyPath) throw new UsageError("Missing -c POLICY: the policy file to enforce");
  if (!args.rest || args.rest.length === 0) {
    throw new UsageError("Missing the MCP server command: intercept -c POLICY -- CMD [ARGS...]");
  }
  const maxBytes = integerFlag(args, "max-message-bytes", 16 * MIB, { min: 1024, max: 1024 * MIB });
  const graceMs = integerFlag(args, "shutdown-grace-ms", 5_000, { min: 0, max: 600_000 });
  const log = loggerFrom(args);
  const operations = operationsFrom(args, log);

  // The server boots while the policy loads. Nothing reaches it before the policy gate
  // exists: the client's stdin is read only after that.
  const [command, ...commandArgs] = args.rest;
  const upstream = UpstreamProcess.spawn({
    command,
    args: commandArgs,
    onWriteError: (error) => log.debug(`Writing to the server failed: ${error.message}`),
  });
  const { attachOperations, loadPolicyOffThread, openPolicyCache, serveStdio } = await loadSession(
    upstream,
    graceMs,
  );
  const cache = openPolicyCache(stringFlag(args, "policy-cache"), { log: (m) => log.debug(m) });
  const loadPolicy = async () =>
    loadPolicyOffThread(policyPath, { cache: await cache, log: (m) => log.debug(m) });
  return await serveStdio({
    policy: loadPolicy(),
    reloadPolicy: loadPolicy,
    watchPath: policyPath.startsWith("builtin:") || args.flags.has("no-watch") ? null : policyPath,
    upstream,
    upstreamCommand: args.rest,
    version: denoJson.version,
    maxBytes,
    graceMs,
    log,
    attach: (runtime) => attachOperations(runtime, operations),
  });
}

/** The rest of the proxy, loaded while the server boots (see proxy_session.ts). */
export const SESSION_MODULE = "./proxy_session.ts";

async function loadSession(
  upstream: UpstreamProcess,
  graceMs: number,
): Promise<typeof import("./proxy_session.ts")> {
  try {
    return await import(new URL(SESSION_MODULE, import.meta.url).href);
  } catch (error) {
    await upstream.terminate(graceMs);
    throw error;
  }
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
    log,
  };
}
