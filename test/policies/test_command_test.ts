/** `intercept test POLICY CASES`, run from source: output, summary and exit codes. */
import { equal, match, ok } from "node:assert/strict";
import { runIntercept } from "../e2e/helpers.ts";

async function withFiles(
  files: Record<string, string>,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "intercept-test-cmd-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const POLICY = `version: "1"
tools:
  produce:
    rules:
      - { action: allow, rate_limit: { max: 3, window: 60 } }
  delete:
    rules:
      - { action: deny, reason: "A human must delete" }
`;

Deno.test("intercept test prints PASS per case and exits 0 when all pass", async () => {
  await withFiles({
    "p.yaml": POLICY,
    "c.yaml": `cases:
  - { name: deletes are denied, tool: delete, expect: deny, reason_contains: human }
  - { tool: produce, times: 3, expect: allow }
  - sequence:
      - { tool: produce, times: 4, expect: deny }
      - { tool: produce, wait: 60, expect: allow }
`,
  }, async (dir) => {
    const { code, stdout } = await runIntercept(["test", `${dir}/p.yaml`, `${dir}/c.yaml`]);
    equal(code, 0, stdout);
    match(
      stdout,
      /^PASS {2}deletes are denied\nPASS {2}produce x3 \{\}: allow\nPASS {2}sequence of 2 steps/,
    );
    match(stdout, /c\.yaml: 3 passed, 0 failed\n$/);
  });
});

Deno.test("intercept test prints FAIL with what differed and exits 1", async () => {
  await withFiles({
    "p.yaml": POLICY,
    "c.yaml": `cases:
  - { name: deletes pass, tool: delete, expect: allow }
  - { tool: produce, times: 4, expect: allow }
  - { tool: produce, expect: allow }
`,
  }, async (dir) => {
    const { code, stdout } = await runIntercept(["test", `${dir}/p.yaml`, `${dir}/c.yaml`]);
    equal(code, 1, stdout);
    match(
      stdout,
      /^FAIL {2}deletes pass\n {6}expected allow, got deny by rule "delete#1": A human must delete\n/,
    );
    match(
      stdout,
      /FAIL {2}produce x4 \{\}: allow\n {6}call 4 of 4: expected allow, got deny by rule "produce#1": Rate limit of 3/,
    );
    match(stdout, /PASS {2}produce \{\}: allow\n/);
    match(stdout, /: 1 passed, 2 failed\n$/);
  });
});

Deno.test("intercept test reports a bad cases file as file:line:col and exits 2", async () => {
  await withFiles({
    "p.yaml": POLICY,
    "c.yaml": "cases:\n  - tool: delete\n    expect: denied\n    tims: 2\n",
  }, async (dir) => {
    const { code, stdout, stderr } = await runIntercept(["test", `${dir}/p.yaml`, `${dir}/c.yaml`]);
    equal(code, 2, stdout + stderr);
    equal(stdout, "");
    match(stderr, /c\.yaml:3:13: "cases\[0\]\.expect" must be "allow", "deny" or "held"\n/);
    match(stderr, /c\.yaml:4:5: Unknown key "tims" in "cases\[0\]"; did you mean "times"\?/);
  });
});

Deno.test("intercept test exits 2 for a missing file, a bad policy, or no cases file", async () => {
  await withFiles({
    "bad.yaml": "version: 2\ntools: {}\n",
    "c.yaml": "cases: [{ tool: a, expect: allow }]\n",
  }, async (dir) => {
    const missing = await runIntercept(["test", "builtin:github", `${dir}/none.yaml`]);
    equal(missing.code, 2);
    match(missing.stderr, /none\.yaml:1:1: Cannot read cases: no such file/);
    const badPolicy = await runIntercept(["test", `${dir}/bad.yaml`, `${dir}/c.yaml`]);
    equal(badPolicy.code, 2);
    match(badPolicy.stderr, /bad\.yaml:1:10: /);
    const noCases = await runIntercept(["test", `${dir}/bad.yaml`]);
    equal(noCases.code, 2);
    match(noCases.stderr, /Name the cases file/);
  });
});

Deno.test("intercept test builtin:NAME runs the bundled cases", async () => {
  const { code, stdout } = await runIntercept(["test", "builtin:confluent-kafka"]);
  equal(code, 0, stdout);
  ok(!stdout.includes("FAIL"), stdout);
  match(stdout, /PASS {2}produce-message without topicName is refused\n/);
  match(stdout, /builtin:confluent-kafka: \d+ passed, 0 failed\n$/);
});
