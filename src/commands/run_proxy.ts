/** `intercept -c POLICY -- CMD...`: the stdio proxy in front of a spawned MCP server. */
import { integerFlag, parseArgs, stringFlag, UsageError } from "../cli/args.ts";
import { createLogger, isLogLevel, type LogLevel } from "../cli/log.ts";
import { loadPolicyFile } from "../policy/loader.ts";
import { serveStdio } from "../proxy/serve_stdio.ts";
import denoJson from "../../deno.json" with { type: "json" };

export const PROXY_FLAGS = [
  { name: "config", short: "c", value: true },
  { name: "max-message-bytes", value: true },
  { name: "shutdown-grace-ms", value: true },
  { name: "log-level", value: true },
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
      --log-level LEVEL        debug, info, warn or error (default info)
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
  const level = stringFlag(args, "log-level") ?? "info";
  if (!isLogLevel(level)) {
    throw new UsageError(`--log-level must be debug, info, warn or error, got "${level}"`);
  }
  const maxBytes = integerFlag(args, "max-message-bytes", 16 * MIB, { min: 1024, max: 1024 * MIB });
  const graceMs = integerFlag(args, "shutdown-grace-ms", 5_000, { min: 0, max: 600_000 });
  const log = createLogger(level as LogLevel);
  const policy = await loadPolicyFile(policyPath);

  const [command, ...commandArgs] = args.rest;
  return await serveStdio({
    policy,
    reloadPolicy: () => loadPolicyFile(policyPath),
    watchPath: policyPath.startsWith("builtin:") ? null : policyPath,
    command,
    args: commandArgs,
    version: denoJson.version,
    maxBytes,
    graceMs,
    log,
  });
}
