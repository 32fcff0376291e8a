/**
 * A headless HTTP proxy from start to exit (`--listen HOST:PORT`): the policy, the session host,
 * the live-operations runtime, the listener, reloads (file watch, SIGHUP), and a graceful drain
 * on SIGTERM or SIGINT. Resolves with 0 once drained.
 */
import type { Logger } from "../cli/log.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import type { TokenTable } from "../transports/auth_tokens.ts";
import { startHttpListener } from "../transports/http_listener.ts";
import type { Upstream } from "../transports/upstream.ts";
import { feedMetrics, ProxyMetrics } from "../metrics/proxy_metrics.ts";
import { Approvals } from "./approvals.ts";
import { startDenyFeeds } from "./deny_feeds.ts";
import { EventBus } from "./event_bus.ts";
import type { CallTracer } from "./events.ts";
import { HttpHost } from "./http_host.ts";
import { logStateErrors, PolicyGate } from "./policy_gate.ts";
import { watchPolicyFile } from "./policy_watcher.ts";
import { ProxyRuntime } from "./proxy_runtime.ts";
import { ReloadScheduler } from "./reload_scheduler.ts";
import type { Attachment, ServeState } from "./serve_stdio.ts";

export interface ServeHttpOptions {
  /** What operators call this proxy (`--name`); else the server's own name. */
  name?: string | null;
  policy: Promise<CompiledPolicy>;
  reloadPolicy: (() => Promise<CompiledPolicy>) | null;
  watchPath: string | null;
  /** Starts one upstream server (a process, or a connection to a URL). */
  startUpstream: () => Upstream;
  upstreamDescription: readonly string[];
  hostname: string;
  port: number;
  tokens: TokenTable | null;
  allowedOrigins: readonly string[];
  poolSize: number;
  maxSessions: number;
  sessionIdleMs: number;
  version: string;
  maxBytes: number;
  graceMs: number;
  log: Logger;
  attach?: (runtime: ProxyRuntime, bus: EventBus) => Promise<Attachment>;
  tracer?: CallTracer | null;
  /** Called once listening, with the port (0 asks the system for a free one). */
  onListening?: (url: string) => void;
  /** Where quotas, counters and fleet denies live (default: memory), and its bounds. */
  state?: ServeState;
}

export async function serveHttp(options: ServeHttpOptions): Promise<number> {
  const { log } = options;
  const policy = await options.policy;
  const { state } = options;
  const gate = new PolicyGate(policy, {
    backend: state?.backend,
    stateTimeoutMs: state?.timeoutMs,
    failOpen: state?.failOpen,
    onStateError: logStateErrors(log, state?.failOpen ?? false),
    onInternalError: (error, call) =>
      log.error(`Engine error on ${call.tool}, call denied: ${error.stack ?? error.message}`),
  });
  const bus = new EventBus((error) => log.error(`An observer of calls failed: ${error.message}`));
  const approvals = new Approvals({ onEvent: (event) => bus.emit({ type: "approval", event }) });
  const host = new HttpHost({
    gate,
    startUpstream: options.startUpstream,
    maxBytes: options.maxBytes,
    poolSize: options.poolSize,
    maxSessions: options.maxSessions,
    // With several principals, none may take every session: a quarter each at most.
    maxSessionsPerPrincipal: options.tokens && new Set(options.tokens.values()).size > 1
      ? Math.max(1, Math.floor(options.maxSessions / 4))
      : options.maxSessions,
    sessionIdleMs: options.sessionIdleMs,
    graceMs: options.graceMs,
    self: { name: "intercept", version: options.version },
    log,
    bus,
    approvals,
    tracer: options.tracer,
  });
  const metrics = new ProxyMetrics({
    sessions: () => host.sessions().length,
    inflight: () => host.inflight(),
    approvalsPending: () => approvals.size,
  });
  feedMetrics(bus, metrics);
  const info = {
    version: options.version,
    upstreamCommand: [...options.upstreamDescription],
    upstreamPid: null,
    controlPath: null as string | null,
    state: gate.backend.description,
    name: options.name ?? null,
  };
  const runtime = new ProxyRuntime({
    gate,
    session: "http",
    info,
    loadPolicy: options.reloadPolicy ??
      (() => Promise.reject(new Error("A bundled policy cannot be reloaded"))),
    upstreamTools: () => host.upstreamTools(),
    clientInfo: () => null,
    inflight: () => host.inflight(),
    serverInfo: () => host.serverInfo(),
    approvals,
    sessions: () =>
      host.sessions().map((session) => ({
        id: session.id,
        client: session.client,
        startedAt: session.startedAt,
        principal: session.principal,
      })),
    onToolsChanged: () => host.notifyToolsChanged(),
    machineDeniesPath: state?.machineDeniesPath ?? null,
  });
  bus.subscribe((event) => {
    if (event.type === "decision") runtime.recordDecision(event.event);
    else if (event.type === "approval") runtime.recordApproval(event.event);
  });
  const feeds = await startDenyFeeds(gate, runtime.scopes, { log });
  const attachment = options.attach ? await options.attach(runtime, bus) : null;
  info.controlPath = attachment?.controlPath ?? null;

  const listener = await startHttpListener({
    hostname: options.hostname,
    port: options.port,
    tokens: options.tokens,
    allowedOrigins: options.allowedOrigins,
    maxBodyBytes: options.maxBytes,
    endpoint: host,
    ready: () => host.ready(),
    metrics: () => metrics.render(),
    log,
  });
  const url = `http://${formatHost(listener.hostname)}:${listener.port}/mcp`;
  log.info(`Serving MCP at ${url} under ${policy.source}`);
  options.onListening?.(url);

  const reloads = new ReloadScheduler(log);
  reloads.attach(runtime);
  const watcher = options.watchPath
    ? watchPolicyFile(options.watchPath, () => reloads.request("file changed"), {
      onError: (error) =>
        log.warn(
          `Cannot watch the policy file (${error.message}); SIGHUP and ctl reload still work`,
        ),
    })
    : null;
  let stopListening = () => {};
  const stopped = new Promise<Deno.Signal>((resolve) => {
    const listeners: [Deno.Signal, () => void][] = [
      ["SIGINT", () => resolve("SIGINT")],
      ["SIGTERM", () => resolve("SIGTERM")],
      ["SIGHUP", () => reloads.request("SIGHUP")],
    ];
    for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
    stopListening = () => {
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    };
  });
  const signal = await stopped;
  log.info(`Got ${signal}: draining (up to ${options.graceMs} ms)`);
  await listener.close(options.graceMs);
  watcher?.close();
  feeds.stop();
  stopListening();
  await attachment?.stop(0);
  return 0;
}

function formatHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
