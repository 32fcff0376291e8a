/**
 * One stdio proxy session from start to exit: the upstream process, the proxy between it and
 * our own stdin/stdout, the live-operations runtime, reloads (file watch, SIGHUP), signals.
 * Resolves with the upstream's exit code.
 */
import type { Logger } from "../cli/log.ts";
import { compilePolicy } from "../policy/compile.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import { settlesWithin } from "../transports/settles_within.ts";
import type { ChunkReader } from "../transports/chunk_reader.ts";
import type { ByteSink } from "../transports/line_writer.ts";
import { pumpLines, stdinChunks, stdoutSink, StreamChannel } from "../transports/stdio.ts";
import type { Upstream } from "../transports/upstream.ts";
import { Approvals } from "./approvals.ts";
import type { StateBackend } from "../state/state_backend.ts";
import { startDenyFeeds } from "./deny_feeds.ts";
import { EventBus } from "./event_bus.ts";
import type { CallTracer } from "./events.ts";
import { osPrincipal } from "./principal.ts";
import { McpProxy } from "./mcp_proxy.ts";
import { logStateErrors, PolicyGate } from "./policy_gate.ts";
import { watchPolicyFile } from "./policy_watcher.ts";
import { ProxyRuntime } from "./proxy_runtime.ts";
import { ReloadScheduler } from "./reload_scheduler.ts";

export interface ServeStdioOptions {
  /** The policy, possibly still loading: the session starts meanwhile, tool calls wait. */
  policy: Promise<CompiledPolicy>;
  /** Loads the policy again (reload); null when it cannot change (a bundled policy). */
  reloadPolicy: (() => Promise<CompiledPolicy>) | null;
  /** The policy file to watch for changes, or null. */
  watchPath: string | null;
  /** The upstream server, already started (or connected). */
  upstream: Upstream;
  /** What operators call this proxy (`--name`); else the server's own name. */
  name?: string | null;
  version: string;
  maxBytes: number;
  graceMs: number;
  log: Logger;
  /** Starts side parts (control socket, audit, metrics) once the runtime exists. */
  attach?: (runtime: ProxyRuntime, bus: EventBus) => Promise<Attachment>;
  /** Spans per call, when tracing is on. */
  tracer?: CallTracer | null;
  /** Where quotas, counters and fleet denies live (default: memory), and its bounds. */
  state?: ServeState;
  /** The client's streams and the process's signals: this process's own unless a test's. */
  io?: StdioIo;
}

/** The state store and the machine-wide denies a proxy serves with (from `--state`). */
export interface ServeState {
  backend: StateBackend;
  timeoutMs: number;
  failOpen: boolean;
  /** The machine-wide deny file; null for none. */
  machineDeniesPath: string | null;
}

export interface StdioIo {
  readonly stdin: ReadableStream<Uint8Array> | ChunkReader;
  readonly stdout: WritableStream<Uint8Array> | ByteSink;
  addSignalListener(signal: Deno.Signal, listener: () => void): void;
  removeSignalListener(signal: Deno.Signal, listener: () => void): void;
}

export interface Attachment {
  controlPath: string | null;
  stop(exitCode: number): Promise<void>;
}

/**
 * Bytes of client messages waiting to be decided (for the policy, a schema) before the proxy
 * stops reading the client, in units of the message size limit.
 */
const MAX_WAITING_MESSAGES_BYTES = 4;

/** In force until the real policy is in: denies and hides everything (never used to allow). */
const LOADING = compilePolicy({ version: "1", default: "deny", hide: ["*"], tools: {} }, {
  source: "(loading)",
});

export async function serveStdio(options: ServeStdioOptions): Promise<number> {
  const { log, maxBytes, graceMs, upstream } = options;
  const { state } = options;
  const io = options.io ?? processIo();
  const gate = new PolicyGate(LOADING, {
    backend: state?.backend,
    stateTimeoutMs: state?.timeoutMs,
    failOpen: state?.failOpen,
    onStateError: logStateErrors(log, state?.failOpen ?? false),
    onInternalError: (error, call) =>
      log.error(`Engine error on ${call.tool}, call denied: ${error.stack ?? error.message}`),
  });
  const session = crypto.randomUUID();
  const principal = osPrincipal();
  const info = {
    version: options.version,
    upstreamCommand: [...upstream.description],
    upstreamPid: upstream.pid,
    controlPath: null as string | null,
    state: gate.backend.description,
    name: options.name ?? null,
    principal,
  };
  const client = new StreamChannel(
    io.stdout,
    (error) => log.debug(`Writing to the client failed: ${error.message}`),
  );
  // Filled in once the policy is loaded.
  const parts: {
    runtime: ProxyRuntime | null;
    attachment: Attachment | null;
    feeds: { stop(): void } | null;
  } = { runtime: null, attachment: null, feeds: null };
  const bus = new EventBus((error) => log.error(`An observer of calls failed: ${error.message}`));
  const approvals = new Approvals({ onEvent: (event) => bus.emit({ type: "approval", event }) });
  const proxy: McpProxy = new McpProxy({
    gate,
    session,
    principal,
    client,
    upstream: upstream.channel,
    log,
    maxBytes,
    self: { name: "intercept", version: options.version },
    tracer: options.tracer,
    approvals,
    ...bus.sinks,
  });
  // The session starts at once; tool calls wait until the policy and the side parts are in.
  const ready = (async () => {
    const policy = await options.policy;
    gate.replacePolicy(policy);
    const runtime = parts.runtime = new ProxyRuntime({
      gate,
      session,
      info,
      loadPolicy: options.reloadPolicy ??
        (() => Promise.reject(new Error("A bundled policy cannot be reloaded"))),
      upstreamTools: () => proxy.schemas.names(),
      clientInfo: () => proxy.clientInfo,
      inflight: () => proxy.inFlight,
      serverInfo: () => proxy.serverInfo,
      approvals,
      onToolsChanged: () => proxy.notifyToolsChanged(),
      machineDeniesPath: state?.machineDeniesPath ?? null,
    });
    bus.subscribe((event) => {
      if (event.type === "decision") runtime.recordDecision(event.event);
      else if (event.type === "approval") runtime.recordApproval(event.event);
    });
    parts.feeds = await startDenyFeeds(gate, runtime.scopes, { log });
    parts.attachment = options.attach ? await options.attach(runtime, bus) : null;
    info.controlPath = parts.attachment?.controlPath ?? null;
    log.debug(`Serving ${info.upstreamCommand[0]} (pid ${upstream.pid}) under ${policy.source}`);
  })();
  proxy.holdToolsUntil(ready);

  const upstreamDone = upstream.receive({
    line: (line) => proxy.fromUpstream(line),
    oversize: (line) => proxy.upstreamOversize(line),
    end: () => {},
    chunkEnd: () => {
      client.flush();
      // A client that does not read stops us reading the server, not our memory.
      if (client.backlog > maxBytes) return client.drain();
    },
    error: (error) => log.error(`Handling the server's output failed: ${error.stack}`),
  }, maxBytes);
  pumpLines(io.stdin, maxBytes, {
    line: (line) => proxy.fromClient(line),
    oversize: (line) => proxy.clientOversize(line),
    error: (error) => log.error(`Handling the client's input failed: ${error.stack}`),
    chunkEnd: () => {
      upstream.channel.flush();
      client.flush();
      // A peer that does not read, or a pile of calls waiting to be decided, stops our reading.
      const backedUp = upstream.channel.backlog > maxBytes || client.backlog > maxBytes ||
        proxy.waitingBytes > MAX_WAITING_MESSAGES_BYTES * maxBytes;
      if (backedUp) {
        return Promise.all([upstream.channel.drain(), client.drain(), proxy.settled()])
          .then(() => {});
      }
    },
    // Calls still being decided (policy loading, schema fetch) go up before the server's stdin
    // is closed; calls held for a human are withdrawn (nobody is left to hear the answer).
    end: () => {
      proxy.clientClosed();
      void settlesWithin(proxy.settled(), graceMs).then(() => upstream.shutdown(graceMs));
    },
  });

  const reloads = new ReloadScheduler(log);
  const reload = (why: string) => reloads.request(why);
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const onTerminate = (signal: Deno.Signal) => () => {
    log.debug(`Got ${signal}: passing it to the server`);
    upstream.signal(signal);
    killTimer ??= setTimeout(() => upstream.signal("SIGKILL"), graceMs);
  };
  const listeners: [Deno.Signal, () => void][] = [
    ["SIGINT", onTerminate("SIGINT")],
    ["SIGTERM", onTerminate("SIGTERM")],
    ["SIGHUP", () => reload("SIGHUP")],
  ];
  for (const [signal, listener] of listeners) io.addSignalListener(signal, listener);

  const watcher = options.watchPath
    ? watchPolicyFile(options.watchPath, () => reload("file changed"), {
      onError: (error) =>
        log.warn(
          `Cannot watch the policy file (${error.message}); SIGHUP and ctl reload still work`,
        ),
    })
    : null;
  try {
    await ready;
  } catch (error) {
    watcher?.close();
    parts.feeds?.stop();
    for (const [signal, listener] of listeners) io.removeSignalListener(signal, listener);
    await upstream.terminate(graceMs);
    throw error;
  }
  reloads.attach(parts.runtime!);

  const code = await upstream.exited;
  // A child the server left behind may hold its stdout open: read what is there, then end it.
  await settlesWithin(upstreamDone, 1_000);
  await upstream.cleanUp(Math.min(graceMs, 2_000));
  clearTimeout(killTimer);
  proxy.upstreamEnded(code);
  await settlesWithin(proxy.settled(), 1_000);
  await settlesWithin(client.drain(), graceMs);
  watcher?.close();
  parts.feeds?.stop();
  gate.backend.endSession(session);
  for (const [signal, listener] of listeners) io.removeSignalListener(signal, listener);
  await parts.attachment?.stop(code);
  log.debug(`The server exited with code ${code}`);
  return code;
}

function processIo(): StdioIo {
  return {
    stdin: stdinChunks(),
    stdout: stdoutSink,
    addSignalListener: (signal, listener) => Deno.addSignalListener(signal, listener),
    removeSignalListener: (signal, listener) => Deno.removeSignalListener(signal, listener),
  };
}
