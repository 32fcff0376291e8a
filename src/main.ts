/**
 * The `intercept` command line: picks the command, imports it lazily, and owns the one
 * top-level catch that turns an error into a message and an exit code.
 */
import denoJson from "../deno.json" with { type: "json" };
import { UsageError } from "./cli/args.ts";
import { isCommandName, runCommand } from "./cli/command_modules.ts";
import { PolicyLoadError } from "./policy/load_error.ts";
import { UpstreamStartError } from "./transports/upstream_process.ts";
import { ControlSocketError } from "./control/control_folder.ts";
import { StateStoreError } from "./state/state_store_error.ts";

const HELP = `intercept ${denoJson.version}: a policy proxy for MCP tool calls

Usage:
  intercept -c POLICY [flags] -- CMD [ARGS...]   run CMD as the MCP server, behind POLICY
  intercept -c POLICY [flags] --upstream URL [--header "K: V"]...
                                                 the MCP server at URL, behind POLICY
  intercept validate POLICY...                   check policy files
  intercept check -c POLICY --tool NAME [--args JSON]
                                                 dry-run one call through the engine
  intercept ctl [--control PATH | --all] status|reload|deny TOOL|allow TOOL|reset [TOOL]
                                                 live controls of running proxies, JSON out
  intercept scan [-o FILE] -- CMD [ARGS...]      write a starter policy for CMD's tools
  intercept policies [show NAME]                 list the bundled policies (-c builtin:NAME)
  intercept test POLICY CASES.yaml               run a policy's test cases
  intercept demo [--headless] [--duration S]     a demo server, the proxy and an agent, live
  intercept --tui [--control PATH]               the live dashboard of running proxies
  intercept --version                            print the version and the commit

Run "intercept COMMAND --help" for a command's flags ("intercept --help" for the proxy's).`;

const EXIT_USAGE = 2;

export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    case undefined:
    case "help":
      console.log(HELP);
      return 0;
    case "--version":
    case "-V":
      console.log((await import("./cli/version.ts")).currentVersionLine());
      return 0;
    case "--help":
    case "-h": {
      const { PROXY_HELP } = await import("./commands/run_proxy.ts");
      console.log(`${HELP}\n\n${PROXY_HELP}`);
      return 0;
    }
    default:
      if (isCommandName(first)) return await runCommand(first, rest);
      return (await import("./commands/run_proxy.ts")).runProxy(argv);
  }
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    code = reportError(error);
  }
  Deno.exit(code);
}

function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    const help = error.command ? `intercept ${error.command} --help` : "intercept --help";
    console.error(`intercept: ${error.message} (see ${help})`);
    return EXIT_USAGE;
  }
  if (error instanceof PolicyLoadError) {
    console.error(error.message);
    return EXIT_USAGE;
  }
  if (
    error instanceof UpstreamStartError || error instanceof ControlSocketError ||
    error instanceof StateStoreError
  ) {
    console.error(`intercept: ${error.message}`);
    return EXIT_USAGE;
  }
  const detail = Deno.env.get("INTERCEPT_DEBUG") ? (error as Error).stack : String(error);
  console.error(`intercept: internal error: ${detail}`);
  return 1;
}
