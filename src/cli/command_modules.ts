/**
 * The commands besides the proxy: the module under src/commands/ that runs each, and the
 * function it exports. `src/main.ts` imports them by a computed URL, so that the module graph
 * `deno run` builds before running a proxy holds none of them (nor the dashboard's React);
 * `deno task compile` embeds each one with `--include`.
 */
export const COMMAND_MODULES = {
  validate: ["validate.ts", "runValidate"],
  check: ["check.ts", "runCheck"],
  ctl: ["ctl.ts", "runCtl"],
  scan: ["scan.ts", "runScan"],
  policies: ["policies.ts", "runPolicies"],
  test: ["test_policy.ts", "runTestPolicy"],
  demo: ["demo.ts", "runDemo"],
  "--tui": ["tui.ts", "runTui"],
} as const satisfies Record<string, readonly [file: string, run: string]>;

export type CommandName = keyof typeof COMMAND_MODULES;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_MODULES, name);
}

/** Runs a command from its module, loaded now. */
export async function runCommand(name: CommandName, argv: readonly string[]): Promise<number> {
  const [file, run] = COMMAND_MODULES[name];
  const url = new URL(`../commands/${file}`, import.meta.url).href;
  const module = await import(url) as Record<string, (argv: readonly string[]) => Promise<number>>;
  return await module[run](argv);
}
