/**
 * `deno task compile` where it cannot build: every refusal is one clear line, and no build stamp
 * is left in the source tree. (Building for real needs Deno's denort runtime: the release
 * workflow does that, and runs the end-to-end suite against the binary.)
 */
import { equal, match, ok } from "node:assert/strict";
import { STAMP_PATH } from "../../scripts/build_stamp.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function compile(env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/compile.ts"],
    cwd: ROOT,
    env,
    stdin: "null",
  }).output();
  const stampLeft = await Deno.stat(`${ROOT}${STAMP_PATH}`).then(() => true, () => false);
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr), stampLeft };
}

/** Whether this machine has denort cached already (then a compile would not download it). */
async function denortCached(): Promise<boolean> {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  const { denoDir } = JSON.parse(new TextDecoder().decode(info.stdout));
  const zip = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  return await Deno.stat(zip).then(() => true, () => false);
}

Deno.test("compile refuses a DENORT_BIN that is not an executable file", async () => {
  const { code, stderr, stampLeft } = await compile({ DENORT_BIN: "/no/such/denort" });
  equal(code, 1);
  equal(stderr.trim(), 'DENORT_BIN "/no/such/denort" is not an executable file');
  ok(!stampLeft);
});

Deno.test("compile refuses an INTERCEPT_BUILD_COMMIT that is not a commit id", async () => {
  const { code, stderr, stampLeft } = await compile({ INTERCEPT_BUILD_COMMIT: "v0.1.0" });
  equal(code, 1);
  equal(
    stderr.trim(),
    'Cannot compile dist/intercept: INTERCEPT_BUILD_COMMIT "v0.1.0" is not a commit id ' +
      "(7 to 40 hex digits)",
  );
  ok(!stampLeft);
});

Deno.test({
  name: "compile explains a denort download that fails, names DENORT_BIN, and leaves no stamp",
  ignore: await denortCached(),
  async fn() {
    // A proxy on a closed loopback port makes the download fail on any machine.
    const unreachable = "http://127.0.0.1:9";
    const { code, stderr, stampLeft } = await compile({
      HTTPS_PROXY: unreachable,
      HTTP_PROXY: unreachable,
      https_proxy: unreachable,
      http_proxy: unreachable,
      NO_PROXY: "",
      no_proxy: "",
    });
    equal(code, 1);
    ok(
      stderr.startsWith(
        "Cannot compile dist/intercept: deno compile needs the denort runtime matching Deno " +
          `${Deno.version.deno}, and it could not be downloaded from this machine.`,
      ),
      stderr,
    );
    match(stderr, new RegExp(`download denort-${Deno.build.target}\\.zip`));
    match(stderr, /run again with DENORT_BIN=\/path\/to\/denort to compile offline\.\n$/);
    ok(!stampLeft);
  },
});
