/**
 * The one way the tests start `intercept`: the program in `$INTERCEPT_BIN` when it is set (a
 * compiled binary, or a wrapper script), else the running `deno` with `run -A src/main.ts`.
 * Every test that spawns intercept goes through here, so the same suite proves a release binary
 * (`INTERCEPT_BIN=dist/intercept deno task test:e2e`); `deno task test:e2e` picks its test files
 * as those that import this module, directly or through a helper.
 */

/** A program and its arguments, ready for `Deno.Command` or an MCP SDK stdio transport. */
export interface InterceptCommand {
  command: string;
  args: string[];
}

/** Where the command comes from; each field has a production default. */
export interface InterceptCommandOptions {
  /** `$INTERCEPT_BIN`; empty or undefined means "run from source". */
  bin?: string;
  /** The directory a relative `bin` is resolved against (the tests' working directory). */
  cwd?: string;
  /** The `deno` that runs src/main.ts from source. */
  denoPath?: string;
}

/** The repository root, with a trailing slash. */
export const ROOT = new URL("../../", import.meta.url).pathname;
export const MAIN = `${ROOT}src/main.ts`;

/** The environment variable that points the suite at a binary. */
export const BIN_VARIABLE = "INTERCEPT_BIN";

/** How to run `intercept ARGS...` (a pure function of its options). */
export function resolveInterceptCommand(
  args: readonly string[],
  options: InterceptCommandOptions,
): InterceptCommand {
  const { bin, cwd = "/", denoPath = "deno" } = options;
  if (bin === undefined || bin === "") {
    return { command: denoPath, args: ["run", "-A", MAIN, ...args] };
  }
  const absolute = bin.startsWith("/") ? bin : `${cwd.replace(/\/+$/, "")}/${bin}`;
  return { command: absolute, args: [...args] };
}

/** Throws a clear error unless `path` is an executable file. */
export function assertExecutable(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    throw new Error(`${BIN_VARIABLE} "${path}" cannot be used: ${(error as Error).message}`);
  }
  if (!info.isFile || (info.mode !== null && (info.mode & 0o111) === 0)) {
    throw new Error(`${BIN_VARIABLE} "${path}" is not an executable file`);
  }
}

let checkedBin: string | undefined;

/** How to run `intercept ARGS...` here: `$INTERCEPT_BIN` (checked once) or from source. */
export function interceptCommand(args: readonly string[]): InterceptCommand {
  const bin = Deno.env.get(BIN_VARIABLE);
  const resolved = resolveInterceptCommand(args, {
    bin,
    cwd: Deno.cwd(),
    denoPath: Deno.execPath(),
  });
  if (bin && checkedBin !== resolved.command) {
    assertExecutable(resolved.command);
    checkedBin = resolved.command;
  }
  return resolved;
}

/** `interceptCommand(args)` as one array: `[command, ...args]`. */
export function interceptArgv(args: readonly string[]): string[] {
  const { command, args: rest } = interceptCommand(args);
  return [command, ...rest];
}

/** `interceptCommand(args)` as a POSIX shell command line (for tmux). */
export function interceptShellLine(args: readonly string[]): string {
  return interceptArgv(args).map(shellWord).join(" ");
}

/** `text` as one single-quoted shell word. */
export function shellWord(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
