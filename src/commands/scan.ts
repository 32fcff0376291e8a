/** `intercept scan [-o FILE] (-- CMD... | --upstream URL)`: list a server's tools, write a policy. */
import { integerFlag, parseArgs, stringFlag, UsageError } from "../cli/args.ts";
import { UPSTREAM_FLAGS, upstreamTarget } from "../cli/upstream_flags.ts";
import { loadPolicyText } from "../policy/loader.ts";
import { writePolicy } from "../scan/policy_writer.ts";
import { ScanError, scanServer } from "../scan/scan_server.ts";

export const SCAN_HELP = `Usage: intercept scan [-o FILE] [flags] -- CMD [ARGS...]
       intercept scan [-o FILE] [flags] --upstream URL [--header "K: V"]...

Starts CMD as an MCP server (or connects to the one at URL), lists every page of its tools,
and writes a policy with each tool in its category (read, write, execute, destructive) and
that category's rule, the tool's description and arguments as comments above it. Servers of
either protocol era are asked (2026-07-28 first, else initialize). The policy validates as
written; review it.

Flags:
  -o, --output FILE       write the policy to FILE (default: stdout)
      --upstream URL      the MCP server at an http(s) URL (Streamable HTTP, else the
                          legacy HTTP+SSE transport) instead of -- CMD
      --header "K: V"     a header for every request to --upstream (credentials); repeatable
      --timeout-ms N      give up (and stop the server) when the scan takes longer
                          (default 30000)
      --no-date           leave the scan date out, so that rescans compare equal
  -h, --help              this help

Exit code 0 when the policy was written, 1 when the server failed, 2 for usage errors and
an output file that cannot be written.`;

export async function runScan(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [
    { name: "output", short: "o", value: true },
    { name: "timeout-ms", value: true },
    { name: "no-date" },
    ...UPSTREAM_FLAGS,
    { name: "help", short: "h" },
  ], { command: "scan" });
  if (args.flags.has("help")) {
    console.log(SCAN_HELP);
    return 0;
  }
  if (args.positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument "${args.positionals[0]}": put the server command after --, or ` +
        `give its URL with --upstream`,
      "scan",
    );
  }
  const target = upstreamTarget(args, "scan");
  const command = args.rest && args.rest.length > 0 ? args.rest : null;
  if (target && command) {
    throw new UsageError("Give the MCP server as --upstream URL or as -- CMD, not both", "scan");
  }
  if (!target && !command) {
    throw new UsageError(
      "Missing the MCP server command: intercept scan -- CMD [ARGS...], or --upstream URL",
      "scan",
    );
  }
  const output = stringFlag(args, "output");
  const timeoutMs = integerFlag(args, "timeout-ms", 30_000, { min: 1, max: 3_600_000 });

  let scanned;
  try {
    scanned = await scanServer(target ?? command!, { timeoutMs });
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    console.error(`intercept scan: ${error.message}`);
    return 1;
  }
  const text = writePolicy(scanned.server, scanned.tools, {
    date: args.flags.has("no-date") ? null : new Date(),
  });
  // Written by hand, so check that it is what it claims to be: a valid policy.
  loadPolicyText(text, output ?? "<scan output>");
  if (output) {
    try {
      await Deno.writeTextFile(output, text);
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? "no such folder"
        : (error as Error).message;
      console.error(`intercept scan: Cannot write ${output}: ${reason}`);
      return 2;
    }
    console.error(
      `intercept scan: wrote ${output} (${scanned.server.name} ${scanned.server.version}, ` +
        `${scanned.tools.length} tools)`,
    );
  } else {
    await Deno.stdout.write(new TextEncoder().encode(text));
  }
  return 0;
}
