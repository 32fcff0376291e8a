/**
 * `deno task test:e2e [DENO_TEST_FLAGS...]`: the end-to-end tests alone, the ones that start a
 * real `intercept` process. A test file is one of them when it imports
 * test/e2e/intercept_command.ts (the one way tests start intercept), directly or through other
 * test modules; so a new end-to-end test joins the suite by using the shared helper, and no list
 * needs keeping. With `INTERCEPT_BIN=dist/intercept` the suite runs against that binary.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;
const TEST_DIR = `${ROOT}test`;
/** The launcher module, relative to the repository root. */
export const LAUNCHER = "test/e2e/intercept_command.ts";

const TEST_FILE = /_test\.tsx?$/;
const MODULE_FILE = /\.tsx?$/;
/** Static and dynamic imports of relative specifiers: `from "./x.ts"`, `import "../y.ts"`. */
const RELATIVE_IMPORT = /\b(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"'\n]+)["']/g;

/** The relative module specifiers `source` imports. */
export function relativeImports(source: string): string[] {
  return [...source.matchAll(RELATIVE_IMPORT)].map((match) => match[1]);
}

/** `specifier` imported by the module at `from` (both relative to the root), normalised. */
export function resolveRelative(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/**
 * The test files whose import graph (`imports`: module → modules it imports, paths relative to
 * the root) reaches `target`, sorted.
 */
export function filesReaching(
  imports: ReadonlyMap<string, readonly string[]>,
  target: string,
): string[] {
  const reaches = new Map<string, boolean>();
  const visit = (module: string, path: Set<string>): boolean => {
    if (module === target) return true;
    const known = reaches.get(module);
    if (known !== undefined) return known;
    if (path.has(module)) return false; // an import cycle: decided where it started
    path.add(module);
    const result = (imports.get(module) ?? []).some((next) => visit(next, path));
    path.delete(module);
    reaches.set(module, result);
    return result;
  };
  return [...imports.keys()].filter((file) => TEST_FILE.test(file) && visit(file, new Set()))
    .sort();
}

/** Every module under test/ with the test modules it imports (paths relative to the root). */
async function testImportGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && MODULE_FILE.test(entry.name)) {
        const module = path.slice(ROOT.length);
        const source = await Deno.readTextFile(path);
        graph.set(
          module,
          relativeImports(source).map((specifier) => resolveRelative(module, specifier))
            .filter((imported) => imported.startsWith("test/")),
        );
      }
    }
  };
  await walk(TEST_DIR);
  return graph;
}

/** The end-to-end test files, relative to the root. */
export async function e2eTestFiles(): Promise<string[]> {
  return filesReaching(await testImportGraph(), LAUNCHER);
}

async function main(extraArgs: string[]): Promise<number> {
  const files = await e2eTestFiles();
  if (files.length === 0) {
    console.error(`No test file imports ${LAUNCHER}: nothing to run`);
    return 1;
  }
  // `deno task` runs in the repository root; a relative INTERCEPT_BIN means the caller's folder.
  let bin = Deno.env.get("INTERCEPT_BIN");
  if (bin && !bin.startsWith("/")) bin = `${Deno.env.get("INIT_CWD") ?? Deno.cwd()}/${bin}`;
  console.error(
    `test:e2e: ${files.length} files, intercept from ${bin ? `INTERCEPT_BIN="${bin}"` : "source"}`,
  );
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--quiet", ...extraArgs, ...files],
    cwd: ROOT,
    env: bin ? { INTERCEPT_BIN: bin } : {},
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
