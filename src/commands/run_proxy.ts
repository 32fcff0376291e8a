/** `intercept -c POLICY -- CMD...`: the stdio proxy in front of a spawned MCP server. */
import { integerFlag, parseArgs, stringFlag, UsageError } from "../cli/args.ts";
import { createLogger, isLogLevel, type LogLevel } from "../cli/log.ts";
import { loadPolicyFile } from "../policy/loader.ts";
import { McpProxy } from "../proxy/mcp_proxy.ts";
import { PolicyGate } from "../proxy/policy_gate.ts";
import { pumpLines, StreamChannel } from "../transports/stdio.ts";
import { UpstreamProcess } from "../transports/upstream_process.ts";

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
  const upstream = UpstreamProcess.spawn({
    command,
    args: commandArgs,
    onWriteError: (error) => log.debug(`Writing to the server failed: ${error.message}`),
  });
  const client = new StreamChannel(
    Deno.stdout.writable,
    (error) => log.debug(`Writing to the client failed: ${error.message}`),
  );
  const gate = new PolicyGate(policy, {
    onInternalError: (error, call) =>
      log.error(`Engine error on ${call.tool}, call denied: ${error.stack ?? error.message}`),
  });
  const proxy = new McpProxy({
    gate,
    session: crypto.randomUUID(),
    client,
    upstream: upstream.channel,
    log,
  });
  log.debug(`Started ${command} (pid ${upstream.pid}) under ${policy.source}`);

  const upstreamDone = pumpLines(upstream.stdout, maxBytes, {
    line: (line) => proxy.fromUpstream(line),
    oversize: (line) => proxy.upstreamOversize(line),
    end: () => {},
  });
  pumpLines(Deno.stdin.readable, maxBytes, {
    line: (line) => proxy.fromClient(line),
    oversize: (line) => proxy.clientOversize(line),
    end: () => void upstream.shutdown(graceMs),
  });

  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = (signal: Deno.Signal) => () => {
    log.debug(`Got ${signal}: passing it to the server`);
    upstream.signal(signal);
    setTimeout(() => upstream.signal("SIGKILL"), graceMs);
  };
  const listeners = signals.map((signal) => [signal, onSignal(signal)] as const);
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);

  const code = await upstream.exited;
  // A child the server left behind may hold its stdout open: read what is there, then go.
  await Promise.race([upstreamDone, new Promise((resolve) => setTimeout(resolve, 1_000))]);
  proxy.upstreamEnded(code);
  await Promise.race([proxy.settled(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
  await client.drain();
  for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  log.debug(`The server exited with code ${code}`);
  return code;
}
