/** `intercept test POLICY CASES.yaml`: run a policy's test cases through the engine. */
import { parseArgs, UsageError } from "../cli/args.ts";
import { CasesLoadError, loadCasesText } from "../policies/cases.ts";
import { BUILTIN_PREFIX, isBuiltinRef, readLibraryCases } from "../policies/library.ts";
import { runCases } from "../policies/run_cases.ts";
import { loadPolicyFile } from "../policy/loader.ts";

export const TEST_HELP = `Usage: intercept test POLICY CASES.yaml
       intercept test builtin:NAME [CASES.yaml]

Runs each case's calls through POLICY (no server) and compares the decisions with what the
case expects. Prints PASS or FAIL per case, with what differed, then a summary.
Exit code 0 when every case passes, 1 when any fails, 2 for usage and file errors.

Cases file:
  schemas:                      # optional: tool -> inputSchema, for validate.required_args
    produce-message: { type: object, required: [topicName], properties: { ... } }
  cases:
    - name: deletes need a human         # optional
      tool: delete-topics
      args: { topicNames: [orders] }     # optional, default {}
      expect: deny                       # allow | deny | held (require_approval)
      rule: delete-topics#1              # optional: the deciding (or holding) rule
      reason_contains: human             # optional, case-insensitive
    - tool: produce-message
      args: { topicName: orders, value: { message: hi } }
      times: 31                          # the same call 31 times; expect is for the last
      expect: deny
    - sequence:                          # steps share one quota state and a fake clock
        - { tool: produce-message, args: {...}, times: 30, expect: allow }
        - { tool: produce-message, args: {...}, wait: 60, expect: allow }
  Steps also take session: NAME (default "test"), wait: SECONDS or "1m" before the call, and
  approved: true (decided as if a human approved it: the quota is taken then).

"builtin:NAME" is a bundled policy; without CASES it runs that policy's bundled cases.`;

export async function runTestPolicy(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [{ name: "help", short: "h" }], { command: "test" });
  if (args.flags.has("help")) {
    console.log(TEST_HELP);
    return 0;
  }
  const files = [...args.positionals, ...(args.rest ?? [])];
  const [policyPath, casesPath] = files;
  if (files.length > 2) throw new UsageError(`Unexpected argument "${files[2]}"`, "test");
  if (policyPath === undefined) throw new UsageError("Name the policy to test", "test");
  if (casesPath === undefined && !isBuiltinRef(policyPath)) {
    throw new UsageError("Name the cases file: intercept test POLICY CASES.yaml", "test");
  }
  const policy = await loadPolicyFile(policyPath);
  const casesRef = casesPath ?? policyPath;

  let cases;
  try {
    cases = loadCasesText(await readCases(casesRef), casesRef, { policy });
  } catch (error) {
    if (!(error instanceof CasesLoadError)) throw error;
    console.error(error.message);
    return 2;
  }
  const results = runCases(policy, cases);
  for (const result of results) {
    console.log(`${result.passed ? "PASS" : "FAIL"}  ${result.name}`);
    for (const problem of result.problems) console.log(`      ${problem}`);
  }
  const failed = results.filter((result) => !result.passed).length;
  const passed = results.length - failed;
  console.log(`\n${casesRef}: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

async function readCases(path: string): Promise<string> {
  try {
    return isBuiltinRef(path)
      ? await readLibraryCases(path.slice(BUILTIN_PREFIX.length))
      : await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : (error as Error).message;
    throw new CasesLoadError([{
      file: path,
      line: 1,
      col: 1,
      message: `Cannot read cases: ${reason}`,
    }]);
  }
}
