/** `intercept check -c POLICY --tool NAME [--args JSON]`: one call through the engine, dry. */
import { integerFlag, parseArgs, stringFlag, UsageError } from "../cli/args.ts";
import { needsInputSchema } from "../engine/evaluate.ts";
import { MemoryBackend } from "../state/memory_backend.ts";
import { decideNow, NO_LIVE_DENIES } from "../state/decide_now.ts";
import { loadPolicyFile } from "../policy/loader.ts";
import { formatDuration } from "../policy/windows.ts";
import {
  fetchSchemas,
  readSchemasFile,
  ServerListError,
  type ToolSchemas,
} from "./check_schemas.ts";

export const CHECK_HELP =
  `Usage: intercept check -c POLICY --tool NAME [--args JSON] [flags] [-- CMD...]

Runs one call through the policy engine and prints the decision. Rules with
validate.required_args need the tool's inputSchema: give it with --schema, --schemas or
-- CMD (the server is started, asked for its tools and stopped). Without any, every other
rule is still decided and the output says that the argument check was skipped.

Exit code 0 when the call is allowed, 1 when denied (or the server could not be asked),
2 for usage and policy errors.

Flags:
  -c, --config POLICY     policy file (INTERCEPT_CONFIG)
      --tool NAME         the tool to call
      --args JSON         the call's arguments, a JSON object (default {})
      --schema JSON       the tool's inputSchema
      --schemas FILE      a saved tools/list result ({"tools": [...]}) or JSON-RPC response
      --timeout-ms N      with -- CMD: give up on the server after N ms (default 30000)
      --times N           make the same call N times (quotas) and report the last (default 1)
      --json              print the decision as JSON
  -h, --help              this help`;

const SKIPPED = "argument check (validate.required_args): no schema for this tool was given; " +
  "use --schemas FILE or -- CMD to include it";

export async function runCheck(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [
    { name: "config", short: "c", value: true },
    { name: "tool", value: true },
    { name: "args", value: true },
    { name: "schema", value: true },
    { name: "schemas", value: true },
    { name: "timeout-ms", value: true },
    { name: "times", value: true },
    { name: "json" },
    { name: "help", short: "h" },
  ], { command: "check" });
  if (args.flags.has("help")) {
    console.log(CHECK_HELP);
    return 0;
  }
  const policyPath = stringFlag(args, "config");
  if (!policyPath) throw new UsageError("Missing -c POLICY", "check");
  const tool = stringFlag(args, "tool");
  if (!tool) throw new UsageError("Missing --tool NAME", "check");
  const callArgs = parseJsonFlag(args.flags.get("args"), "args") ?? {};
  if (typeof callArgs !== "object" || callArgs === null || Array.isArray(callArgs)) {
    throw new UsageError('--args must be a JSON object, such as \'{"topicName":"orders"}\'');
  }
  const schemasFile = stringFlag(args, "schemas");
  const server = args.rest && args.rest.length > 0 ? args.rest : null;
  const sources = [args.flags.has("schema"), schemasFile !== undefined, server !== null];
  if (sources.filter(Boolean).length > 1) {
    throw new UsageError("Give the schema one way: --schema, --schemas or -- CMD", "check");
  }
  const times = integerFlag(args, "times", 1, { min: 1, max: 1_000_000 });
  const timeoutMs = integerFlag(args, "timeout-ms", 30_000, { min: 1, max: 3_600_000 });
  const policy = await loadPolicyFile(policyPath);

  let inputSchema = parseJsonFlag(args.flags.get("schema"), "schema");
  let skipped: string | null = null;
  if (schemasFile !== undefined || server !== null) {
    let schemas: ToolSchemas;
    try {
      schemas = schemasFile !== undefined
        ? await readSchemasFile(schemasFile)
        : await fetchSchemas(server!, timeoutMs);
    } catch (error) {
      if (!(error instanceof ServerListError)) throw error;
      console.error(`intercept check: ${error.message}`);
      return 1;
    }
    inputSchema = schemas.get(tool); // a tool the list lacks is denied, as the proxy does
  } else if (inputSchema === undefined && needsInputSchema(policy, tool)) {
    inputSchema = {}; // decides every other rule; the argument check passes and is reported
    skipped = SKIPPED;
  }

  const state = { backend: new MemoryBackend(), liveDenies: NO_LIVE_DENIES };
  const now = Date.now();
  const call = { tool, args: callArgs as Record<string, unknown>, session: "check", inputSchema };
  let decision = decideNow(policy, call, state, now);
  for (let i = 1; i < times; i++) decision = decideNow(policy, call, state, now);

  if (args.flags.has("json")) {
    console.log(JSON.stringify({ ...decision, skipped: skipped ? [skipped] : [] }, null, 2));
  } else {
    const verdict = decision.allowed ? "allow" : "deny";
    console.log(`${verdict}  ${tool}  rule: ${decision.rule}`);
    if (decision.reason) console.log(`  reason: ${decision.reason}`);
    if (decision.retryAfterMs !== null) {
      console.log(`  retry in: ${formatDuration(decision.retryAfterMs)}`);
    }
    for (const quota of decision.quotas) {
      console.log(
        `  quota ${quota.rule}: ${quota.remaining}/${quota.max} left per ` +
          `${formatDuration(quota.windowMs)} (${quota.per})`,
      );
    }
    if (skipped) console.log(`  skipped: ${skipped}`);
  }
  return decision.allowed ? 0 : 1;
}

function parseJsonFlag(value: string | true | string[] | undefined, name: string): unknown {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--${name} is not valid JSON: ${(error as Error).message}`, "check");
  }
}
