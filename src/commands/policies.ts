/** `intercept policies [show NAME]`: the bundled policy library. */
import { parseArgs, UsageError } from "../cli/args.ts";
import { LIBRARY_NAMES, readLibraryPolicy } from "../policies/library.ts";
import { loadPolicyText } from "../policy/loader.ts";
import { suggest } from "../policy/suggest.ts";

export const POLICIES_HELP = `Usage: intercept policies
       intercept policies show NAME

Lists the policies bundled with intercept (name, tool count, description), or prints one.
Use one with -c builtin:NAME; test it with "intercept test builtin:NAME".`;

export async function runPolicies(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [{ name: "help", short: "h" }], { command: "policies" });
  if (args.flags.has("help")) {
    console.log(POLICIES_HELP);
    return 0;
  }
  const [action, name, ...extra] = args.positionals;
  if (action === undefined) {
    await printList();
    return 0;
  }
  if (action !== "show") {
    throw new UsageError(
      `Unknown action "${action}": use "policies" or "policies show NAME"`,
      "policies",
    );
  }
  if (name === undefined) throw new UsageError("Name the policy to show", "policies");
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`, "policies");
  if (!LIBRARY_NAMES.includes(name)) {
    const hint = LIBRARY_NAMES.find((known) => known.startsWith(name)) ??
      suggest(name, [...LIBRARY_NAMES]);
    throw new UsageError(
      `No bundled policy "${name}"` + (hint ? `; did you mean "${hint}"?` : "") +
        ` (bundled: ${LIBRARY_NAMES.join(", ")})`,
      "policies",
    );
  }
  await Deno.stdout.write(new TextEncoder().encode(await readLibraryPolicy(name)));
  return 0;
}

async function printList(): Promise<void> {
  const rows = await Promise.all(LIBRARY_NAMES.map(async (name) => {
    const policy = loadPolicyText(await readLibraryPolicy(name), `builtin:${name}`);
    return [name, String(policy.exact.size), policy.description ?? ""];
  }));
  const table = [["NAME", "TOOLS", "DESCRIPTION"], ...rows];
  const widths = [0, 1].map((column) => Math.max(...table.map((row) => row[column].length)));
  for (const [name, tools, description] of table) {
    console.log(`${name.padEnd(widths[0])}  ${tools.padStart(widths[1])}  ${description}`);
  }
  console.log(`\nUse one with -c builtin:NAME; print one with "intercept policies show NAME".`);
}
