/** `intercept -c POLICY -- CMD...`: the stdio proxy in front of a spawned MCP server. */
import { integerFlag, parseArgs, type ParsedArgs, stringFlag, UsageError } from "../cli/args.ts";
import { createLogger, isLogFormat, isLogLevel, type Logger } from "../cli/log.ts";
import { loadPolicyOffThread } from "../policy/load_off_thread.ts";
import { serveStdio } from "../proxy/serve_stdio.ts";
import { serveHttp } from "../proxy/serve_http.ts";
import { AuthTokensError, loadAuthTokens } from "../transports/auth_tokens.ts";
import { UpstreamProcess } from "../transports/upstream_process.ts";
import { attachOperations, type OperationsOptions } from "../proxy/operations.ts";
import { defaultControlPath } from "../control/socket_path.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { LISTEN_FLAGS, LISTEN_HELP, listenOptions, parseHostPort } from "../cli/listen_flags.ts";

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
  { name: "help", short: "h" },
  ...LISTEN_FLAGS,
];

export const PROXY_HELP = `Usage: intercept -c POLICY [flags] -- CMD [ARGS...]

Runs CMD as the upstream MCP server and speaks MCP on stdin/stdout, deciding every
tools/call by POLICY before it reaches the server.

Flags:
  -c, --config POLICY          policy file (INTERCEPT_CONFIG)
      --name NAME              what the dashboard and ctl call this proxy (default: the
                               server's own name from initialize)
      --max-message-bytes N    largest JSON-RPC message either way (default 16777216)
      --shutdown-grace-ms N    wait for the server to exit before SIGTERM, then SIGKILL
                               (default 5000)
      --control PATH           control socket for ctl and the dashboard (default
                               \${TMPDIR:-/tmp}/intercept-<uid>/<pid>.sock, or
                               $INTERCEPT_CONTROL_DIR/<pid>.sock)
      --no-control             no control socket
      --audit FILE             append one JSON line per decision and lifecycle event
                               ("-" for stderr); arguments are SHA-256 hashed
      --audit-args             also write the raw arguments to the audit log
      --no-watch               do not reload the policy when its file changes
                               (SIGHUP and "intercept ctl reload" still do)
      --metrics HOST:PORT      serve Prometheus metrics at /metrics (stdio proxies;
                               --listen serves them on its own port)
  OTEL_DENO=true (and OTEL_EXPORTER_OTLP_*) exports a span per tools/call.
      --log-level LEVEL        debug, info, warn or error (default info)
      --log-format FORMAT      text or json (default text)
  -h, --help                   this help

${LISTEN_HELP}

Every flag also reads INTERCEPT_<FLAG> from the environment (INTERCEPT_LOG_LEVEL=warn).
Exit code: the server's own (0 for --listen once drained on SIGTERM); 2 for usage and policy
errors.`;

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
  const listen = listenOptions(args);
  const name = nameFlag(args);
  const log = loggerFrom(args);
  const operations = operationsFrom(args, log);
  const loadPolicy = () => loadPolicyOffThread(policyPath);
  const watchPath = policyPath.startsWith("builtin:") || args.flags.has("no-watch")
    ? null
    : policyPath;
  if (listen) {
    const tokens = listen.authTokens === null ? null : await authTokensFrom(listen.authTokens);
    const [command, ...commandArgs] = args.rest;
    try {
      return await serveHttp({
        name,
        policy: loadPolicy(),
        reloadPolicy: loadPolicy,
        watchPath,
        startUpstream: () =>
          UpstreamProcess.spawn({
            command,
            args: commandArgs,
            onWriteError: (error) => log.debug(`Writing to a server failed: ${error.message}`),
          }),
        upstreamDescription: args.rest,
        hostname: listen.hostname,
        port: listen.port,
        tokens,
        allowedOrigins: listen.allowedOrigins,
        poolSize: listen.poolSize,
        maxSessions: listen.maxSessions,
        sessionIdleMs: listen.sessionIdleMs,
        version: denoJson.version,
        maxBytes,
        graceMs,
        log,
        attach: (runtime, bus) => attachOperations(runtime, bus, operations),
        tracer: await tracerFromEnv(),
      });
    } finally {
      await log.flush(LOG_FLUSH_MS);
    }
  }

  // The server boots while the policy loads. Nothing reaches it before the policy gate
  // exists: the client's stdin is read only after that.
  const [command, ...commandArgs] = args.rest;
  const upstream = UpstreamProcess.spawn({
    command,
    args: commandArgs,
    onWriteError: (error) => log.debug(`Writing to the server failed: ${error.message}`),
  });
  try {
    return await serveStdio({
      policy: loadPolicy(),
      reloadPolicy: loadPolicy,
      watchPath,
      upstream,
      name,
      version: denoJson.version,
      maxBytes,
      graceMs,
      log,
      attach: (runtime, bus) => attachOperations(runtime, bus, operations),
      tracer: await tracerFromEnv(),
    });
  } finally {
    // Queued lines get a bounded time to go out: a stderr nobody reads never holds the exit.
    await log.flush(LOG_FLUSH_MS);
  }
}

const LOG_FLUSH_MS = 1_000;

const MAX_NAME = 64;

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

/** OpenTelemetry is loaded only when it is asked for (`OTEL_DENO=true`): start-up skips it. */
async function tracerFromEnv() {
  const wanted = Deno.env.get("OTEL_DENO");
  if (wanted !== "true" && wanted !== "1") return null;
  return (await import("../metrics/tracing.ts")).callTracerFromEnv(denoJson.version, wanted);
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

async function authTokensFrom(path: string) {
  try {
    return await loadAuthTokens(path);
  } catch (error) {
    if (error instanceof AuthTokensError) throw new UsageError(error.message);
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
    metrics: metricsFrom(args),
    log,
  };
}
