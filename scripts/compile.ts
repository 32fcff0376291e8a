/**
 * Builds the single binary `dist/intercept` from `src/main.ts` with `deno compile`.
 *
 * Run it as `deno task compile [EXTRA_FLAGS...]`; extra flags such as `--target` go straight
 * to `deno compile`. `deno compile` downloads its `denort` runtime at compile time; where that
 * is impossible, set `DENORT_BIN=/path/to/denort` (the same Deno release) to build offline.
 * The binary's `--version` names the commit it was built from (the checkout's, or
 * `INTERCEPT_BUILD_COMMIT` where there is no checkout): see build_stamp.ts.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };
import { checkoutCommit } from "../src/cli/version.ts";
import { chooseBuildCommit, COMMIT_VARIABLE, STAMP_PATH, stampText } from "./build_stamp.ts";
import { RUNTIME_V8_FLAGS } from "./runtime_flags.ts";
import { COMMAND_MODULES } from "../src/cli/command_modules.ts";

/**
 * Files bundled into the binary, each passed to `deno compile` as `--include PATH`: data, and
 * the modules loaded by a computed URL (the policy worker, every command but the proxy).
 */
export const EMBEDDED_FILES: readonly string[] = [
  "src/policies/library",
  "src/policy/policy_worker.ts",
  ...Object.values(COMMAND_MODULES).map(([file]) => `src/commands/${file}`),
  "src/commands/proxy_session.ts",
  STAMP_PATH,
];

const ENTRY_POINT = "src/main.ts";
const OUTPUT_PATH = "dist/intercept";
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-net",
  "--allow-sys",
];
const REPO_ROOT = new URL("../", import.meta.url);
const DOWNLOAD_FAILURE =
  /denort|download|dl\.deno\.land|error sending request|dns error|tls|certificate|connection|timed out/i;
const TYPE_CHECK_FAILURE = /TS\d+ \[ERROR\]|Type checking failed/;

async function stat_or_undefined(path: string | URL): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch {
    return undefined;
  }
}

async function main(extra_args: string[]): Promise<number> {
  if (!(await stat_or_undefined(new URL(ENTRY_POINT, REPO_ROOT)))) {
    console.error(`Cannot compile: entry point ${ENTRY_POINT} does not exist`);
    return 1;
  }
  const env: Record<string, string> = {};
  const denort_bin = Deno.env.get("DENORT_BIN");
  if (denort_bin) {
    const info = await stat_or_undefined(denort_bin);
    if (!info?.isFile || (info.mode !== null && (info.mode & 0o111) === 0)) {
      console.error(`DENORT_BIN "${denort_bin}" is not an executable file`);
      return 1;
    }
    env.DENORT_BIN = await Deno.realPath(denort_bin); // deno compile runs from the repo root
    console.error(`Using the local denort runtime from DENORT_BIN "${env.DENORT_BIN}"`);
  }
  const commit = chooseBuildCommit(Deno.env.get(COMMIT_VARIABLE), checkoutCommit());
  if (!commit.ok) {
    console.error(`Cannot compile ${OUTPUT_PATH}: ${commit.error}`);
    return 1;
  }
  if (commit.warning) console.error(commit.warning);

  const stamp = new URL(STAMP_PATH, REPO_ROOT);
  await Deno.writeTextFile(stamp, stampText(commit.commit));
  try {
    return await compile(extra_args, env, denort_bin !== undefined, commit.commit);
  } finally {
    await Deno.remove(stamp).catch(() => {}); // from source, git decides the commit
  }
}

async function compile(
  extra_args: string[],
  env: Record<string, string>,
  local_denort: boolean,
  commit: string,
): Promise<number> {
  const includes = EMBEDDED_FILES.flatMap((path) => ["--include", path]);
  const args = [
    "compile",
    ...PERMISSIONS,
    `--v8-flags=${RUNTIME_V8_FLAGS}`,
    ...includes,
    "--output",
    OUTPUT_PATH,
  ];
  const command = new Deno.Command(Deno.execPath(), {
    args: [...args, ...extra_args, ENTRY_POINT],
    cwd: REPO_ROOT,
    env,
    stdout: "inherit",
    stderr: "piped",
  });
  const { code, stderr } = await command.output();
  const message = new TextDecoder().decode(stderr);

  if (code !== 0) {
    // With DENORT_BIN set nothing is downloaded, so deno's own message says more.
    const download_failed = !local_denort && DOWNLOAD_FAILURE.test(message) &&
      !TYPE_CHECK_FAILURE.test(message);
    if (download_failed) {
      const target_at = extra_args.indexOf("--target");
      const target = extra_args.find((arg) => arg.startsWith("--target="))?.slice(9) ??
        (target_at >= 0 ? extra_args[target_at + 1] : Deno.build.target);
      console.error(
        `Cannot compile ${OUTPUT_PATH}: deno compile needs the denort runtime matching Deno ` +
          `${Deno.version.deno}, and it could not be downloaded from this machine. On a machine ` +
          `that can reach dl.deno.land, download denort-${target}.zip of the same Deno release, ` +
          `unzip it onto this machine, and run again with DENORT_BIN=/path/to/denort to ` +
          `compile offline.`,
      );
      return 1;
    }
    console.error(message.trimEnd());
    return code;
  }

  console.error(message.trimEnd());
  const output = await stat_or_undefined(new URL(OUTPUT_PATH, REPO_ROOT)) ??
    await stat_or_undefined(new URL(`${OUTPUT_PATH}.exe`, REPO_ROOT));
  const megabytes = output ? `${(output.size / 1e6).toFixed(1)} MB` : "unknown size";
  console.log(
    `Compiled ${OUTPUT_PATH} (${megabytes}, version ${denoJson.version}, commit ${commit})`,
  );
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
