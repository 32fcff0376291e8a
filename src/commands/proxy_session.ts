/**
 * A proxy once its flags are read (and, for a stdio proxy in front of a command, its server
 * spawned): the state store, the policy, operations, and serving stdio or HTTP. Loaded by
 * `run_proxy.ts` by a computed URL, so that `deno run` builds this part of the module graph
 * while the server boots.
 */
import { UsageError } from "../cli/args.ts";
import type { ListenOptions } from "../cli/listen_flags.ts";
import type { ProxyOptions } from "../cli/proxy_flags.ts";
import type { StateOptions } from "../cli/state_flags.ts";
import { machineDeniesPath } from "../control/socket_path.ts";
import { loadPolicyOffThread } from "../policy/load_off_thread.ts";
import { openPolicyCache } from "../policy/policy_cache.ts";
import { attachOperations } from "../proxy/operations.ts";
import { serveHttp } from "../proxy/serve_http.ts";
import { serveStdio } from "../proxy/serve_stdio.ts";
import { openStateBackend } from "../state/open_backend.ts";
import { HttpUpstream } from "../transports/http_upstream.ts";
import type { Upstream } from "../transports/upstream.ts";
import { UpstreamProcess } from "../transports/upstream_process.ts";
import denoJson from "../../deno.json" with { type: "json" };

/** Log lines still queued get this long to go out: a stderr nobody reads never holds the exit. */
const LOG_FLUSH_MS = 1_000;

export interface SessionInput {
  options: ProxyOptions;
  listen: ListenOptions | null;
  state: StateOptions;
  /** The server already spawned (stdio in front of a command), which this session owns. */
  early: UpstreamProcess | null;
}

export async function runSession(input: SessionInput): Promise<number> {
  const { options, listen, early } = input;
  const { log, policyPath, maxBytes, graceMs } = options;
  let backend;
  try {
    backend = await openStateBackend(input.state.spec, {
      timeoutMs: input.state.timeoutMs,
      log: (level, message) => log[level](message),
    });
  } catch (error) {
    await early?.terminate(graceMs);
    await log.flush(LOG_FLUSH_MS);
    throw error;
  }
  if (input.state.failOpen) {
    log.warn(
      `--state-fail open: when the state store ${backend.description} fails or is late, ` +
        `calls are ALLOWED WITHOUT THEIR QUOTAS (each one is logged)`,
    );
  }
  const cache = openPolicyCache(options.policyCache, { log: (m) => log.debug(m) });
  const loadPolicy = async () =>
    loadPolicyOffThread(policyPath, { cache: await cache, log: (m) => log.debug(m) });
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
  const common = {
    state: {
      backend,
      timeoutMs: input.state.timeoutMs,
      failOpen: input.state.failOpen,
      machineDeniesPath: machineDeniesPath(),
    },
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
    return await serveStdio({ ...common, upstream: early ?? startUpstream() });
  } finally {
    await backend.close().catch(() => {});
    await log.flush(LOG_FLUSH_MS);
  }
}

/** The tokens file, and its YAML parser, are loaded only with `--auth-tokens`. */
async function authTokensFrom(path: string) {
  const { AuthTokensError, loadAuthTokens } = await import("../transports/auth_tokens_file.ts");
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
