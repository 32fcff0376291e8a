/**
 * `intercept -c POLICY (-- CMD... | --upstream URL) [--listen HOST:PORT]`: the proxy in front of
 * a spawned MCP server or one at a URL, speaking MCP on stdin/stdout, or over HTTP to many agents.
 */
import { parseArgs, UsageError } from "../cli/args.ts";
import { LISTEN_HELP, listenOptions } from "../cli/listen_flags.ts";
import { PROXY_FLAGS, proxyOptions } from "../cli/proxy_flags.ts";
import { STATE_HELP, stateOptions } from "../cli/state_flags.ts";
import { machineDeniesPath } from "../control/socket_path.ts";
import { openStateBackend } from "../state/open_backend.ts";
import { loadPolicyOffThread } from "../policy/load_off_thread.ts";
import { attachOperations } from "../proxy/operations.ts";
import { serveHttp } from "../proxy/serve_http.ts";
import { serveStdio } from "../proxy/serve_stdio.ts";
import { AuthTokensError, loadAuthTokens } from "../transports/auth_tokens.ts";
import { HttpUpstream } from "../transports/http_upstream.ts";
import type { Upstream } from "../transports/upstream.ts";
import { UpstreamProcess } from "../transports/upstream_process.ts";
import denoJson from "../../deno.json" with { type: "json" };

export { PROXY_FLAGS };

export const PROXY_HELP = `Usage: intercept -c POLICY [flags] -- CMD [ARGS...]
       intercept -c POLICY [flags] --upstream URL [--header "K: V"]...

Runs CMD as the upstream MCP server (or reaches the one at URL) and speaks MCP on
stdin/stdout, or over HTTP with --listen, deciding every tools/call by POLICY before it
reaches the server.

Flags:
  -c, --config POLICY          policy file (INTERCEPT_CONFIG)
      --name NAME              what the dashboard and ctl call this proxy (default: the
                               server's own name)
      --upstream URL           the MCP server at an http(s) URL instead of -- CMD
      --header "K: V"          a header sent with every request to --upstream (credentials:
                               "Authorization: Bearer TOKEN"); repeatable
      --upstream-timeout-ms N  answer a request to --upstream with an error when it shows no
                               sign of life for N ms (default 300000)
      --max-message-bytes N    largest JSON-RPC message either way (default 16777216)
      --shutdown-grace-ms N    wait for the server to exit before SIGTERM, then SIGKILL
                               (default 5000)
      --control PATH           control socket for ctl and the dashboard (default
                               \${TMPDIR:-/tmp}/intercept-<uid>/<pid>.sock)
      --no-control             no control socket
      --audit FILE             append one JSON line per decision and lifecycle event
                               ("-" for stderr); arguments are SHA-256 hashed
      --audit-args             also write the raw arguments to the audit log
      --no-watch               do not reload the policy when its file changes
                               (SIGHUP and "intercept ctl reload" still do)
      --metrics HOST:PORT      serve Prometheus metrics at /metrics (stdio proxies;
                               --listen serves them on its own port)
      --log-level LEVEL        debug, info, warn or error (default info)
      --log-format FORMAT      text or json (default text)
  -h, --help                   this help
  OTEL_DENO=true (and OTEL_EXPORTER_OTLP_*) exports a span per tools/call.

${LISTEN_HELP}

${STATE_HELP}

Every flag also reads INTERCEPT_<FLAG> from the environment (INTERCEPT_LOG_LEVEL=warn).
Exit code: the server's own (--upstream: 0 when the client ends, 1 when the server is lost
for good; --listen: 0 once drained on SIGTERM; 128 + n after signal n); 2 for usage and
policy errors.`;

/** Log lines still queued get this long to go out: a stderr nobody reads never holds the exit. */
const LOG_FLUSH_MS = 1_000;

export async function runProxy(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, PROXY_FLAGS);
  if (args.flags.has("help")) {
    console.log(PROXY_HELP);
    return 0;
  }
  const options = proxyOptions(args);
  const listen = listenOptions(args);
  const stateFlags = stateOptions(args);
  const { log, policyPath, maxBytes, graceMs } = options;
  const loadPolicy = () => loadPolicyOffThread(policyPath);
  const startUpstream = (): Upstream =>
    options.target
      ? new HttpUpstream({
        url: options.target.url,
        headers: options.target.headers,
        log,
        requestTimeoutMs: options.requestTimeoutMs,
      })
      : UpstreamProcess.spawn({
        command: options.command![0],
        args: options.command!.slice(1),
        onWriteError: (error) => log.debug(`Writing to a server failed: ${error.message}`),
      });
  const backend = await openStateBackend(stateFlags.spec, {
    timeoutMs: stateFlags.timeoutMs,
    log: (level, message) => log[level](message),
  });
  if (stateFlags.failOpen) {
    log.warn(
      `--state-fail open: when the state store ${backend.description} fails or is late, ` +
        `calls are ALLOWED WITHOUT THEIR QUOTAS (each one is logged)`,
    );
  }
  const state = {
    backend,
    timeoutMs: stateFlags.timeoutMs,
    failOpen: stateFlags.failOpen,
    machineDeniesPath: machineDeniesPath(),
  };
  const common = {
    state,
    policy: loadPolicy(),
    reloadPolicy: loadPolicy,
    watchPath: options.watchPath,
    name: options.name,
    version: denoJson.version,
    maxBytes,
    graceMs,
    log,
    attach: (
      runtime: Parameters<typeof attachOperations>[0],
      bus: Parameters<typeof attachOperations>[1],
    ) => attachOperations(runtime, bus, options.operations),
    tracer: await tracerFromEnv(),
  };
  try {
    if (listen) {
      const tokens = listen.authTokens === null ? null : await authTokensFrom(listen.authTokens);
      return await serveHttp({
        ...common,
        startUpstream,
        upstreamDescription: options.target
          ? [`${options.target.url.origin}${options.target.url.pathname}`]
          : options.command!,
        hostname: listen.hostname,
        port: listen.port,
        tokens,
        allowedOrigins: listen.allowedOrigins,
        poolSize: listen.poolSize,
        maxSessions: listen.maxSessions,
        sessionIdleMs: listen.sessionIdleMs,
      });
    }
    // The server boots while the policy loads. Nothing reaches it before the policy gate
    // exists: the client's stdin is read only after that.
    return await serveStdio({ ...common, upstream: startUpstream() });
  } finally {
    await backend.close().catch(() => {});
    await log.flush(LOG_FLUSH_MS);
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

/** OpenTelemetry is loaded only when it is asked for (`OTEL_DENO=true`): start-up skips it. */
async function tracerFromEnv() {
  const wanted = Deno.env.get("OTEL_DENO");
  if (wanted !== "true") return null; // Deno's exporter takes "true" only (not "1")
  return (await import("../metrics/tracing.ts")).callTracerFromEnv(denoJson.version, wanted);
}
