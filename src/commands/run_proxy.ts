/**
 * `intercept -c POLICY (-- CMD... | --upstream URL) [--listen HOST:PORT]`: the proxy in front of
 * a spawned MCP server or one at a URL, speaking MCP on stdin/stdout, or over HTTP to many agents.
 * This module only reads the flags and, for a stdio proxy in front of a command, starts the
 * server: the rest of the proxy (`proxy_session.ts`) loads while the server boots.
 */
import { parseArgs } from "../cli/args.ts";
import { LISTEN_HELP, listenOptions } from "../cli/listen_flags.ts";
import { PROXY_FLAGS, proxyOptions } from "../cli/proxy_flags.ts";
import { STATE_HELP, stateOptions } from "../cli/state_flags.ts";
import { UpstreamProcess } from "../transports/upstream_process.ts";

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
      --policy-cache DIR|off   where checked policies are cached by content hash
                               (default $XDG_CACHE_HOME/intercept/policies, else
                               ~/.cache/intercept/policies)
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

/** The rest of the proxy, loaded by a computed URL (`deno task compile` embeds it). */
export const SESSION_MODULE = "./proxy_session.ts";

export async function runProxy(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, PROXY_FLAGS);
  if (args.flags.has("help")) {
    console.log(PROXY_HELP);
    return 0;
  }
  const options = proxyOptions(args);
  const listen = listenOptions(args);
  const state = stateOptions(args);
  // A stdio proxy in front of a command: the server boots while the policy and the rest of
  // the proxy load. Nothing reaches it before the policy gate exists.
  const early = !listen && options.command
    ? UpstreamProcess.spawn({
      command: options.command[0],
      args: options.command.slice(1),
      onWriteError: (error) => options.log.debug(`Writing to a server failed: ${error.message}`),
    })
    : null;
  let session: typeof import("./proxy_session.ts");
  try {
    session = await import(new URL(SESSION_MODULE, import.meta.url).href);
  } catch (error) {
    await early?.terminate(options.graceMs);
    throw error;
  }
  return await session.runSession({ options, listen, state, early });
}
