/** The `intercept` command line as a real process: exit codes and what it prints. */
import { equal, match, ok } from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { checkoutCommit } from "../../src/cli/version.ts";
import { policyPath, runIntercept } from "./helpers.ts";

const KAFKA = policyPath("kafka.yaml");
const BAD = policyPath("bad.yaml");

function assertOneLineWithoutStack(stderr: string): void {
  const lines = stderr.trimEnd().split("\n");
  equal(lines.length, 1, stderr);
  ok(!/\bat .+:\d+:\d+/.test(stderr), `no stack trace: ${stderr}`);
}

Deno.test("intercept validate accepts a good policy file", async () => {
  const { code, stdout } = await runIntercept(["validate", KAFKA]);
  equal(code, 0, stdout);
  match(stdout, /kafka\.yaml: ok/);
});

Deno.test("intercept validate reports a bad policy file as file:line:col: message", async () => {
  const { code, stdout, stderr } = await runIntercept(["validate", KAFKA, BAD]);
  equal(code, 1, stdout + stderr);
  match(stdout, /kafka\.yaml: ok/);
  match(stdout, /bad\.yaml:5:9: Unknown key "acton".*did you mean "action"\?/);
});

Deno.test("intercept check allows a call the policy allows", async () => {
  const { code, stdout } = await runIntercept([
    "check",
    "-c",
    KAFKA,
    "--tool",
    "produce-message",
    "--args",
    '{"topicName":"orders"}',
  ]);
  equal(code, 0, stdout);
  match(stdout, /^allow\s+produce-message/);
});

Deno.test("intercept check denies a call the policy denies, with the rule and reason", async () => {
  const { code, stdout } = await runIntercept([
    "check",
    "-c",
    KAFKA,
    "--tool",
    "produce-message",
    "--args",
    '{"topicName":"payments"}',
  ]);
  equal(code, 1, stdout);
  match(stdout, /^deny\s+produce-message\s+rule: known topics only/);
  match(stdout, /reason: Messages may only go to the orders and audit topics/);
});

Deno.test("intercept check denies a tool matched by a glob entry with a dash", async () => {
  const { code, stdout } = await runIntercept(["check", "-c", KAFKA, "--tool", "delete-records"]);
  equal(code, 1, stdout);
  match(stdout, /^deny\s+delete-records\s+rule: delete-\*#1/);
  match(stdout, /reason: Destructive tools need a human/);
});

Deno.test("intercept reports an unknown flag in one line and exits 2", async () => {
  for (const args of [["-c", KAFKA, "--bogus", "--", "true"], ["check", "--tol", "x"]]) {
    const { code, stdout, stderr } = await runIntercept(args);
    equal(code, 2, stderr);
    equal(stdout, "");
    assertOneLineWithoutStack(stderr);
    match(stderr, /^intercept: Unknown flag --(bogus|tol)/);
  }
});

Deno.test("intercept reports a missing policy file clearly and exits 2", async () => {
  const missing = policyPath("no-such-policy.yaml");
  for (const args of [["-c", missing, "--", "true"], ["check", "-c", missing, "--tool", "x"]]) {
    const { code, stderr } = await runIntercept(args);
    equal(code, 2, stderr);
    assertOneLineWithoutStack(stderr);
    ok(stderr.includes(missing), stderr);
    match(stderr, /no such file/);
  }
});

Deno.test("intercept --version prints the version from deno.json and the checkout's commit", async () => {
  const { code, stdout } = await runIntercept(["--version"]);
  equal(code, 0);
  // A release binary is built from this checkout, so it names the same commit.
  equal(stdout, `intercept ${denoJson.version} (${checkoutCommit() ?? "source"})\n`);
});

Deno.test("intercept --help describes each command", async () => {
  const cases = [
    { args: ["--help"], usage: "Usage: intercept -c POLICY [flags] -- CMD [ARGS...]" },
    { args: ["validate", "--help"], usage: "Usage: intercept validate POLICY..." },
    { args: ["check", "--help"], usage: "Usage: intercept check -c POLICY --tool NAME" },
  ];
  for (const { args, usage } of cases) {
    const { code, stdout, stderr } = await runIntercept(args);
    equal(code, 0, stderr);
    ok(stdout.includes(usage), `${args.join(" ")}:\n${stdout}`);
    equal(stderr, "");
  }
});
