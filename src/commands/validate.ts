/** `intercept validate POLICY...`: exit 0 when every file is valid, else list every error. */
import { parseArgs, UsageError } from "../cli/args.ts";
import { loadPolicyFile, PolicyLoadError } from "../policy/loader.ts";

export const VALIDATE_HELP = `Usage: intercept validate POLICY...

Checks each policy file. Prints "POLICY: ok" for a valid one; otherwise every error as
file:line:col: message. Exit code 0 when all are valid, 1 when any is not.`;

export async function runValidate(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [{ name: "help", short: "h" }], { command: "validate" });
  if (args.flags.has("help")) {
    console.log(VALIDATE_HELP);
    return 0;
  }
  const files = [...args.positionals, ...(args.rest ?? [])];
  if (files.length === 0) throw new UsageError("Name at least one policy file", "validate");
  let failed = false;
  for (const file of files) {
    try {
      const policy = await loadPolicyFile(file);
      const tools = policy.exact.size + policy.globs.length + (policy.wildcard ? 1 : 0);
      console.log(`${file}: ok (${tools} tool entries, default ${policy.defaultPosture})`);
    } catch (error) {
      if (!(error instanceof PolicyLoadError)) throw error;
      failed = true;
      console.log(error.message);
    }
  }
  return failed ? 1 : 0;
}
