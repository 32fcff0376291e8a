/** `intercept check -c POLICY --tool NAME [--args JSON]`: one call through the engine, dry. */
import { integerFlag, parseArgs, stringFlag, UsageError } from "../cli/args.ts";
import { needsInputSchema } from "../engine/evaluate.ts";
import { MemoryBackend } from "../state/memory_backend.ts";
import { NO_LIVE_DENIES, verdictNow } from "../state/decide_now.ts";
import type { Decision } from "../engine/decision.ts";
import type { Held } from "../engine/plan.ts";
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
2 for usage and policy errors, 3 when a require_approval rule holds it for a human (the
output then says what happens once it is approved; --approved decides it as approved).

Flags:
  -c, --config POLICY     policy file (INTERCEPT_CONFIG)
      --tool NAME         the tool to call
      --args JSON         the call's arguments, a JSON object (default {})
      --schema JSON       the tool's inputSchema
      --schemas FILE      a saved tools/list result ({"tools": [...]}) or JSON-RPC response
      --timeout-ms N      with -- CMD: give up on the server after N ms (default 30000)
      --times N           make the same call N times (quotas) and report the last (default 1)
      --approved          decide as if a human approved the call (quota is taken then)
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
    { name: "approved" },
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
  const call = {
    tool,
    args: callArgs as Record<string, unknown>,
    session: "check",
    inputSchema,
    approved: args.flags.has("approved"),
  };
  let verdict = verdictNow(policy, call, state, now);
  for (let i = 1; i < times; i++) verdict = verdictNow(policy, call, state, now);
  // What a human's yes would lead to, on the state the calls before it left.
  const held = "kind" in verdict ? verdict : null;
  const decision = held ? verdictNow(policy, { ...call, approved: true }, state, now) : verdict;
  if ("kind" in decision) throw new Error("An approved call was held again");

  if (args.flags.has("json")) {
    const heldPart = held ? { held: heldJson(held), onceApproved: decision } : decision;
    console.log(JSON.stringify({ ...heldPart, skipped: skipped ? [skipped] : [] }, null, 2));
  } else {
    if (held) printHeld(tool, held);
    printDecision(tool, decision, held ? "  once approved: " : "");
    if (skipped) console.log(`  skipped: ${skipped}`);
  }
  if (held) return HELD_EXIT;
  return decision.allowed ? 0 : 1;
}

const HELD_EXIT = 3;

function heldJson(held: Held) {
  const { rule, approval } = held;
  return {
    rule: rule.name,
    reason: rule.reason,
    timeoutMs: approval.timeoutMs,
    from: approval.from,
  };
}

function printHeld(tool: string, held: Held): void {
  const { rule, approval } = held;
  console.log(`held  ${tool}  rule: ${rule.name}`);
  if (rule.reason) console.log(`  reason: ${rule.reason}`);
  console.log(
    `  approval: from ${approval.from.join(" or ")}, within ${formatDuration(approval.timeoutMs)}`,
  );
}

function printDecision(tool: string, decision: Decision, prefix: string): void {
  const verdict = decision.allowed ? "allow" : "deny";
  console.log(`${prefix}${verdict}  ${tool}  rule: ${decision.rule}`);
  const indent = prefix ? "    " : "  ";
  if (decision.reason) console.log(`${indent}reason: ${decision.reason}`);
  if (decision.retryAfterMs !== null) {
    console.log(`${indent}retry in: ${formatDuration(decision.retryAfterMs)}`);
  }
  for (const quota of decision.quotas) {
    console.log(
      `${indent}quota ${quota.rule}: ${quota.remaining}/${quota.max} left per ` +
        `${formatDuration(quota.windowMs)} (${quota.per})`,
    );
  }
}

function parseJsonFlag(value: string | true | string[] | undefined, name: string): unknown {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--${name} is not valid JSON: ${(error as Error).message}`, "check");
  }
}
