/**
 * `intercept check` and argument checks: without a server it decides every other rule and
 * says that the argument check was skipped; `--schemas FILE` and `-- CMD` supply the schemas.
 */
import { equal, match, ok } from "node:assert/strict";
import { fixturePath, policyPath, runIntercept } from "./helpers.ts";

const REQUIRED = policyPath("required_args.yaml"); // get-sum: validate.required_args
const SUM_SCHEMA = {
  type: "object",
  properties: { a: { type: "number" }, b: { type: "number" } },
  required: ["a", "b"],
};

async function withFile<T>(content: unknown, run: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, JSON.stringify(content));
    return await run(path);
  } finally {
    await Deno.remove(path);
  }
}

const check = (...args: string[]) => runIntercept(["check", "-c", REQUIRED, ...args]);

Deno.test("intercept check without schemas decides the call and says the argument check was skipped", async () => {
  const { code, stdout } = await check("--tool", "get-sum", "--args", '{"a":1,"b":2}');
  equal(code, 0, stdout);
  match(stdout, /^allow\s+get-sum/);
  match(
    stdout,
    /skipped: argument check \(validate\.required_args\): no schema .*--schemas FILE or -- CMD/,
  );
  ok(!stdout.includes("did not list"), stdout);
  const json = await check("--tool", "get-sum", "--json");
  equal(JSON.parse(json.stdout).skipped.length, 1);
});

Deno.test("intercept check --schemas reads a tools/list result, a JSON-RPC response or a list", async () => {
  const tools = [{ name: "get-sum", inputSchema: SUM_SCHEMA }];
  for (const saved of [{ tools }, { jsonrpc: "2.0", id: 1, result: { tools } }, tools]) {
    await withFile(saved, async (file) => {
      const denied = await check("--tool", "get-sum", "--args", '{"a":1}', "--schemas", file);
      equal(denied.code, 1, denied.stdout + denied.stderr);
      match(denied.stdout, /reason: Invalid arguments for "get-sum": missing required argument: b/);
      const allowed = await check(
        "--tool",
        "get-sum",
        "--args",
        '{"a":1,"b":2}',
        "--schemas",
        file,
      );
      equal(allowed.code, 0, allowed.stdout + allowed.stderr);
      ok(!allowed.stdout.includes("skipped"), allowed.stdout);
    });
  }
});

Deno.test("intercept check --schemas denies a tool the saved list lacks, as the proxy would", async () => {
  await withFile({ tools: [{ name: "other", inputSchema: {} }] }, async (file) => {
    const { code, stdout } = await check("--tool", "get-sum", "--args", "{}", "--schemas", file);
    equal(code, 1);
    match(stdout, /the server did not list this tool/);
  });
});

Deno.test("intercept check refuses a --schemas file without a tool list, exit 2", async () => {
  await withFile({ nothing: true }, async (file) => {
    const { code, stderr } = await check("--tool", "get-sum", "--schemas", file);
    equal(code, 2);
    match(stderr, /holds no tool list: save the result of tools\/list/);
  });
  const missing = await check("--tool", "get-sum", "--schemas", "/nonexistent/tools.json");
  equal(missing.code, 2);
  match(missing.stderr, /Cannot read --schemas \/nonexistent\/tools\.json: no such file/);
});

Deno.test("intercept check -- CMD asks the server for its tools' schemas", async () => {
  const policy = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(
      policy,
      `version: "1"\ntools:\n  "*":\n    rules:\n      - validate: { required_args: true }\n`,
    );
    const server = ["--", "deno", "run", "-A", fixturePath("mini_server.ts")];
    const listed = await runIntercept(["check", "-c", policy, "--tool", "echo", ...server]);
    equal(listed.code, 0, listed.stdout + listed.stderr);
    ok(!listed.stdout.includes("skipped"), listed.stdout);
    const unlisted = await runIntercept(["check", "-c", policy, "--tool", "nope", ...server]);
    equal(unlisted.code, 1);
    match(unlisted.stdout, /did not list this tool/);
    const broken = await runIntercept(["check", "-c", policy, "--tool", "echo", "--", "false"]);
    equal(broken.code, 1);
    match(broken.stderr, /^intercept check: The server "false" exited with code 1/);
  } finally {
    await Deno.remove(policy);
  }
});

Deno.test("intercept check says a call is held for a human (exit 3) and what a yes leads to", async () => {
  const policy = policyPath("approvals.yaml");
  const held = await runIntercept([
    "check",
    "-c",
    policy,
    "--tool",
    "echo",
    "--args",
    '{"message":"prod deploy"}',
  ]);
  equal(held.code, 3, held.stderr);
  match(held.stdout, /^held\s+echo\s+rule: prod needs an operator/);
  match(held.stdout, /approval: from operator, within 30s/);
  match(held.stdout, /once approved: allow\s+echo/);
  match(held.stdout, /quota two echoes a minute: 1\/2 left/);
  const json = await runIntercept([
    "check",
    "-c",
    policy,
    "--tool",
    "echo",
    "--args",
    '{"message":"prod"}',
    "--json",
  ]);
  equal(json.code, 3);
  const printed = JSON.parse(json.stdout);
  equal(printed.held.timeoutMs, 30_000);
  equal(printed.onceApproved.allowed, true);
  const approved = await runIntercept([
    "check",
    "-c",
    policy,
    "--tool",
    "echo",
    "--args",
    '{"message":"prod"}',
    "--approved",
    "--times",
    "3",
  ]);
  equal(approved.code, 1, "approved calls take quota: the third is over two a minute");
  match(approved.stdout, /^deny\s+echo\s+rule: two echoes a minute/);
});
