/** `intercept policies`, and `builtin:NAME` wherever a policy file goes, run from source. */
import { equal, match } from "node:assert/strict";
import { readLibraryPolicy } from "../../src/policies/library.ts";
import { runIntercept } from "../e2e/helpers.ts";

Deno.test("intercept policies lists each bundled policy with its tool count", async () => {
  const { code, stdout } = await runIntercept(["policies"]);
  equal(code, 0, stdout);
  match(stdout, /^NAME\s+TOOLS\s+DESCRIPTION\n/);
  match(stdout, /\nconfluent-kafka\s+73\s+Confluent Kafka .*@confluentinc\/mcp-confluent 1\.5\.0/);
  match(stdout, /\neverything\s+19\s+\S/);
  match(stdout, /\nfilesystem\s+14\s+\S/);
  match(stdout, /\ngithub\s+26\s+\S/);
});

Deno.test("intercept policies show prints a bundled policy as it is", async () => {
  const { code, stdout } = await runIntercept(["policies", "show", "github"]);
  equal(code, 0);
  equal(stdout, await readLibraryPolicy("github"));
});

Deno.test("intercept policies show suggests a name for an unknown one", async () => {
  const { code, stderr } = await runIntercept(["policies", "show", "confluent"]);
  equal(code, 2);
  match(stderr, /No bundled policy "confluent"; did you mean "confluent-kafka"\?/);
  const typo = await runIntercept(["policies", "show", "githb"]);
  match(typo.stderr, /did you mean "github"\?/);
  const bad = await runIntercept(["policies", "list"]);
  equal(bad.code, 2);
  match(bad.stderr, /Unknown action "list"/);
});

Deno.test("intercept validate and check accept builtin:NAME", async () => {
  const valid = await runIntercept(["validate", "builtin:confluent-kafka", "builtin:github"]);
  equal(valid.code, 0, valid.stdout);
  match(valid.stdout, /^builtin:confluent-kafka: ok \(73 tool entries, default deny\)$/m);
  const check = await runIntercept([
    "check",
    "-c",
    "builtin:confluent-kafka",
    "--tool",
    "delete-topics",
  ]);
  equal(check.code, 1, check.stdout);
  match(check.stdout, /^deny\s+delete-topics\s+rule: delete-topics#1\n\s+reason: .*a human must/);
  const unknown = await runIntercept(["validate", "builtin:kafka"]);
  equal(unknown.code, 1);
  match(unknown.stdout, /^builtin:kafka:1:1: Cannot read policy: no bundled policy "kafka"/);
});
