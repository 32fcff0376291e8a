/**
 * The seam between the end-to-end suite and the program it tests: `$INTERCEPT_BIN` when set,
 * else intercept from source. The last tests run real suite files with INTERCEPT_BIN pointing at
 * a wrapper that records each start, so they fail if a helper bypasses the seam.
 */
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import {
  assertExecutable,
  interceptShellLine,
  MAIN,
  resolveInterceptCommand,
  ROOT,
  shellWord,
} from "./intercept_command.ts";
import { fixturePath, policyPath } from "./helpers.ts";

Deno.test("resolveInterceptCommand() runs intercept from source with deno when INTERCEPT_BIN is unset or empty", () => {
  for (const bin of [undefined, ""]) {
    deepEqual(resolveInterceptCommand(["--version"], { bin, denoPath: "/opt/deno" }), {
      command: "/opt/deno",
      args: ["run", "-A", MAIN, "--version"],
    });
  }
});

Deno.test("resolveInterceptCommand() runs INTERCEPT_BIN, a relative path from the working directory", () => {
  deepEqual(resolveInterceptCommand(["-c", "p.yaml"], { bin: "/usr/bin/intercept" }), {
    command: "/usr/bin/intercept",
    args: ["-c", "p.yaml"],
  });
  deepEqual(resolveInterceptCommand(["ctl"], { bin: "dist/intercept", cwd: "/repo/" }), {
    command: "/repo/dist/intercept",
    args: ["ctl"],
  });
});

Deno.test("assertExecutable() names INTERCEPT_BIN when it is missing or not executable", async () => {
  throws(() => assertExecutable("/no/such/intercept"), /INTERCEPT_BIN "\/no\/such\/intercept"/);
  const file = await Deno.makeTempFile();
  try {
    await Deno.chmod(file, 0o644);
    throws(() => assertExecutable(file), /is not an executable file/);
    await Deno.chmod(file, 0o755);
    assertExecutable(file);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("shellWord() quotes a word for sh, single quotes included", async () => {
  const words = ["plain", "two words", "it's", '$HOME `x` \\ "q"'];
  const output = await new Deno.Command("sh", {
    args: ["-c", `printf '%s\\n' ${words.map(shellWord).join(" ")}`],
  }).output();
  equal(new TextDecoder().decode(output.stdout), words.map((w) => `${w}\n`).join(""));
  match(interceptShellLine(["--tui"]), /'--tui'$/);
});

/** Runs `deno test` on `files` with INTERCEPT_BIN=`bin`; its output and what the recorder saw. */
async function runSuite(bin: string, files: string[], filter: string) {
  const record = await Deno.makeTempFile({ prefix: "intercept-e2e-record-" });
  try {
    const env = Object.fromEntries(
      Object.entries(Deno.env.toObject()).filter(([name]) => !name.startsWith("INTERCEPT_")),
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--quiet", "--filter", filter, ...files],
      cwd: ROOT,
      env: { ...env, INTERCEPT_BIN: bin, E2E_RECORD_FILE: record },
      clearEnv: true,
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    const text = decoder.decode(output.stdout) + decoder.decode(output.stderr);
    const starts = (await Deno.readTextFile(record)).split("\n").filter((line) => line !== "");
    return { code: output.code, text, starts };
  } finally {
    await Deno.remove(record);
  }
}

Deno.test("the e2e helpers start intercept through INTERCEPT_BIN: runIntercept, RawProxy, the SDK client", async () => {
  const { code, text, starts } = await runSuite(
    "test/e2e/fixtures/intercept_recorder.sh",
    ["test/e2e/cli_test.ts", "test/e2e/proxy_lifecycle_test.ts", "test/e2e/proxy_sdk_test.ts"],
    "/^intercept (--version|proxy closes the upstream's stdin|proxy with default: deny)/",
  );
  equal(code, 0, text);
  match(text, /ok \| 3 passed/);
  deepEqual(starts.sort(), [
    "--version",
    `-c ${policyPath("allow_all.yaml")} -- deno run -A ${fixturePath("mini_server.ts")} 3`,
    `-c ${policyPath("default_deny.yaml")} -- deno run -A ` +
    "npm:@modelcontextprotocol/server-everything@2026.8.31 stdio",
  ]);
});

Deno.test("the e2e suite stops with a clear error when INTERCEPT_BIN is not executable", async () => {
  const { code, text, starts } = await runSuite(
    "/no/such/intercept",
    ["test/e2e/cli_test.ts"],
    "/^intercept --version/",
  );
  ok(code !== 0, text);
  match(text, /INTERCEPT_BIN "\/no\/such\/intercept" cannot be used/);
  deepEqual(starts, []);
});
