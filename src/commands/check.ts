/** `intercept check -c POLICY --tool NAME [--args JSON]`: one call through the engine, dry. */
import { integerFlag, parseArgs, stringFlag, UsageError } from "../cli/args.ts";
import { evaluate } from "../engine/evaluate.ts";
import { QuotaStore } from "../engine/quota_store.ts";
import { LiveDenies } from "../state/live_denies.ts";
import { loadPolicyFile } from "../policy/loader.ts";
import { formatDuration } from "../policy/windows.ts";

export const CHECK_HELP = `Usage: intercept check -c POLICY --tool NAME [--args JSON] [flags]

Runs one call through the policy engine without any server and prints the decision.
Exit code 0 when the call is allowed, 1 when denied, 2 for usage and policy errors.

Flags:
  -c, --config POLICY     policy file (INTERCEPT_CONFIG)
      --tool NAME         the tool to call
      --args JSON         the call's arguments, a JSON object (default {})
      --schema JSON       the tool's inputSchema, for rules with validate.required_args
      --times N           make the same call N times (quotas) and report the last (default 1)
      --json              print the decision as JSON
  -h, --help              this help`;

export async function runCheck(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [
    { name: "config", short: "c", value: true },
    { name: "tool", value: true },
    { name: "args", value: true },
    { name: "schema", value: true },
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
  const inputSchema = parseJsonFlag(args.flags.get("schema"), "schema");
  const times = integerFlag(args, "times", 1, { min: 1, max: 1_000_000 });
  const policy = await loadPolicyFile(policyPath);

  const state = { quotas: new QuotaStore(), liveDenies: new LiveDenies() };
  const now = Date.now();
  const call = { tool, args: callArgs as Record<string, unknown>, session: "check", inputSchema };
  let decision = evaluate(policy, call, state, now);
  for (let i = 1; i < times; i++) decision = evaluate(policy, call, state, now);

  if (args.flags.has("json")) console.log(JSON.stringify(decision, null, 2));
  else {
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
