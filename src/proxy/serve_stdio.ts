/**
 * One stdio proxy session from start to exit: the upstream process, the proxy between it and
 * our own stdin/stdout, the live-operations runtime, reloads (file watch, SIGHUP), signals.
 * Resolves with the upstream's exit code.
 */
import type { Logger } from "../cli/log.ts";
import { compilePolicy } from "../policy/compile.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import { settlesWithin } from "../transports/settles_within.ts";
import { pumpLines, stdinChunks, stdoutSink, StreamChannel } from "../transports/stdio.ts";
import type { UpstreamProcess } from "../transports/upstream_process.ts";
import type { DecisionEvent } from "./events.ts";
import { McpProxy } from "./mcp_proxy.ts";
import { PolicyGate } from "./policy_gate.ts";
import { watchPolicyFile } from "./policy_watcher.ts";
import { ProxyRuntime } from "./proxy_runtime.ts";

export interface ServeStdioOptions {
  /** The policy, possibly still loading: the session starts meanwhile, tool calls wait. */
  policy: Promise<CompiledPolicy>;
  /** Loads the policy again (reload); null when it cannot change (a bundled policy). */
  reloadPolicy: (() => Promise<CompiledPolicy>) | null;
  /** The policy file to watch for changes, or null. */
  watchPath: string | null;
  /** The upstream server, already started. */
  upstream: UpstreamProcess;
  upstreamCommand: readonly string[];
  version: string;
  maxBytes: number;
  graceMs: number;
  log: Logger;
  /** Starts side parts (control socket, audit) once the runtime exists; returns their stop. */
  attach?: (runtime: ProxyRuntime) => Promise<Attachment>;
}

export interface Attachment {
  controlPath: string | null;
  onDecision?: (event: DecisionEvent) => void;
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
  const gate = new PolicyGate(LOADING, {
    onInternalError: (error, call) =>
      log.error(`Engine error on ${call.tool}, call denied: ${error.stack ?? error.message}`),
  });
  const session = crypto.randomUUID();
  const info = {
    version: options.version,
    upstreamCommand: [...options.upstreamCommand],
    upstreamPid: upstream.pid,
    controlPath: null as string | null,
    state: "memory",
  };
  const client = new StreamChannel(
    stdoutSink,
    (error) => log.debug(`Writing to the client failed: ${error.message}`),
  );
  // Filled in once the policy is loaded.
  const parts: { runtime: ProxyRuntime | null; attachment: Attachment | null } = {
    runtime: null,
    attachment: null,
  };
  const proxy: McpProxy = new McpProxy({
    gate,
    session,
    client,
    upstream: upstream.channel,
    log,
    maxBytes,
    self: { name: "intercept", version: options.version },
    onDecision: (event) => {
      parts.runtime?.recordDecision(event);
      parts.attachment?.onDecision?.(event);
    },
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
      onToolsChanged: () => proxy.notifyToolsChanged(),
    });
    parts.attachment = options.attach ? await options.attach(runtime) : null;
    info.controlPath = parts.attachment?.controlPath ?? null;
    log.debug(`Serving ${info.upstreamCommand[0]} (pid ${upstream.pid}) under ${policy.source}`);
  })();
  proxy.holdToolsUntil(ready);

  const upstreamDone = pumpLines(upstream.stdout, maxBytes, {
    line: (line) => proxy.fromUpstream(line),
    oversize: (line) => proxy.upstreamOversize(line),
    end: () => {},
    chunkEnd: () => {
      client.flush();
      // A client that does not read stops us reading the server, not our memory.
      if (client.backlog > maxBytes) return client.drain();
    },
    error: (error) => log.error(`Handling the server's output failed: ${error.stack}`),
  });
  pumpLines(stdinChunks(), maxBytes, {
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
    // is closed.
    end: () => void settlesWithin(proxy.settled(), graceMs).then(() => upstream.shutdown(graceMs)),
  });

  let reloadWhenReady: string | null = null;
  const reload = (why: string) => {
    if (!parts.runtime) {
      reloadWhenReady = why; // asked for while the first policy loads: done right after
      return;
    }
    parts.runtime.reload().then(
      (result) => log.info(`Policy reloaded (${why}) from ${result.source}`),
      (error: Error) =>
        log.error(`Policy reload (${why}) refused, the old one stays:\n${error.message}`),
    );
  };
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
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);

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
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    await upstream.terminate(graceMs);
    throw error;
  }
  if (reloadWhenReady) reload(reloadWhenReady);

  const code = await upstream.exited;
  // A child the server left behind may hold its stdout open: read what is there, then end it.
  await settlesWithin(upstreamDone, 1_000);
  await upstream.reapGroup(Math.min(graceMs, 2_000));
  clearTimeout(killTimer);
  proxy.upstreamEnded(code);
  await settlesWithin(proxy.settled(), 1_000);
  await settlesWithin(client.drain(), graceMs);
  watcher?.close();
  for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  await parts.attachment?.stop(code);
  log.debug(`The server exited with code ${code}`);
  return code;
}
