/**
 * One stdio proxy session from start to exit: the upstream process, the proxy between it and
 * our own stdin/stdout, the live-operations runtime, reloads (file watch, SIGHUP), signals.
 * Resolves with the upstream's exit code.
 */
import type { Logger } from "../cli/log.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import { pumpLines, StreamChannel } from "../transports/stdio.ts";
import { UpstreamProcess } from "../transports/upstream_process.ts";
import { type DecisionEvent, McpProxy } from "./mcp_proxy.ts";
import { PolicyGate } from "./policy_gate.ts";
import { watchPolicyFile } from "./policy_watcher.ts";
import { ProxyRuntime } from "./proxy_runtime.ts";

export interface ServeStdioOptions {
  policy: CompiledPolicy;
  /** Loads the policy again (reload); null when it cannot change (a bundled policy). */
  reloadPolicy: (() => Promise<CompiledPolicy>) | null;
  /** The policy file to watch for changes, or null. */
  watchPath: string | null;
  command: string;
  args: readonly string[];
  version: string;
  maxBytes: number;
  graceMs: number;
  log: Logger;
  /** Starts side parts (control socket, audit) once the runtime exists; returns their stop. */
  attach?: (runtime: ProxyRuntime) => Promise<Attachment>;
}

export interface Attachment {
  controlPath: string | null;
  onDecision?: (event: DecisionEvent, client: string | null) => void;
  stop(exitCode: number): Promise<void>;
}

export async function serveStdio(options: ServeStdioOptions): Promise<number> {
  const { log, maxBytes, graceMs } = options;
  const gate = new PolicyGate(options.policy, {
    onInternalError: (error, call) =>
      log.error(`Engine error on ${call.tool}, call denied: ${error.stack ?? error.message}`),
  });
  const session = crypto.randomUUID();
  const info = {
    version: options.version,
    upstreamCommand: [options.command, ...options.args],
    upstreamPid: null as number | null,
    controlPath: null as string | null,
    state: "memory",
  };
  // The proxy exists once the upstream does; operators may act before that.
  let proxy: McpProxy | null = null;
  const runtime = new ProxyRuntime({
    gate,
    session,
    info,
    loadPolicy: options.reloadPolicy ??
      (() => Promise.reject(new Error("A bundled policy cannot be reloaded"))),
    upstreamTools: () => proxy?.schemas.names() ?? [],
    clientInfo: () => proxy?.clientInfo ?? null,
    onToolsChanged: () => proxy?.notifyToolsChanged(),
  });
  // Side parts first: if one cannot start, no upstream has been spawned to leave behind.
  const attachment = options.attach ? await options.attach(runtime) : null;
  info.controlPath = attachment?.controlPath ?? null;

  let upstream: UpstreamProcess;
  try {
    upstream = UpstreamProcess.spawn({
      command: options.command,
      args: options.args,
      onWriteError: (error) => log.debug(`Writing to the server failed: ${error.message}`),
    });
  } catch (error) {
    await attachment?.stop(-1);
    throw error;
  }
  info.upstreamPid = upstream.pid;
  const client = new StreamChannel(
    Deno.stdout.writable,
    (error) => log.debug(`Writing to the client failed: ${error.message}`),
  );
  const live: McpProxy = proxy = new McpProxy({
    gate,
    session,
    client,
    upstream: upstream.channel,
    log,
    onDecision: (event) => {
      runtime.recordDecision(event);
      attachment?.onDecision?.(event, live.clientInfo?.name ?? null);
    },
  });
  log.debug(`Started ${options.command} (pid ${upstream.pid}) under ${options.policy.source}`);

  const reload = (why: string) => {
    runtime.reload().then(
      (result) => log.info(`Policy reloaded (${why}) from ${result.source}`),
      (error: Error) =>
        log.error(`Policy reload (${why}) refused, the old one stays:\n${error.message}`),
    );
  };
  const watcher = options.watchPath
    ? watchPolicyFile(options.watchPath, () => reload("file changed"))
    : null;

  const upstreamDone = pumpLines(upstream.stdout, maxBytes, {
    line: (line) => live.fromUpstream(line),
    oversize: (line) => live.upstreamOversize(line),
    end: () => {},
  });
  pumpLines(Deno.stdin.readable, maxBytes, {
    line: (line) => live.fromClient(line),
    oversize: (line) => live.clientOversize(line),
    end: () => void upstream.shutdown(graceMs),
  });

  const onTerminate = (signal: Deno.Signal) => () => {
    log.debug(`Got ${signal}: passing it to the server`);
    upstream.signal(signal);
    setTimeout(() => upstream.signal("SIGKILL"), graceMs);
  };
  const listeners: [Deno.Signal, () => void][] = [
    ["SIGINT", onTerminate("SIGINT")],
    ["SIGTERM", onTerminate("SIGTERM")],
    ["SIGHUP", () => reload("SIGHUP")],
  ];
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);

  const code = await upstream.exited;
  // A child the server left behind may hold its stdout open: read what is there, then go.
  await Promise.race([upstreamDone, delay(1_000)]);
  live.upstreamEnded(code);
  await Promise.race([live.settled(), delay(1_000)]);
  await client.drain();
  watcher?.close();
  for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  await attachment?.stop(code);
  log.debug(`The server exited with code ${code}`);
  return code;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
