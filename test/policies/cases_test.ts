import { deepEqual, equal, fail, throws } from "node:assert/strict";
import { CasesLoadError, loadCasesText } from "../../src/policies/cases.ts";
import { formatLocatedError, loadPolicyText } from "../../src/policy/loader.ts";

const POLICY = loadPolicyText(
  `version: "1"
tools:
  send:
    rules:
      - { action: allow, validate: { required_args: true } }
  read: { rules: [] }
`,
  "p.yaml",
);

function errorsOf(text: string): string[] {
  try {
    loadCasesText(text, "c.yaml", { policy: POLICY });
  } catch (error) {
    if (error instanceof CasesLoadError) return error.errors.map(formatLocatedError);
    throw error;
  }
  fail("expected a CasesLoadError");
}

Deno.test("loadCasesText() turns single cases and sequences into steps", () => {
  const cases = loadCasesText(
    `schemas:
  send: { type: object, required: [to] }
cases:
  - { tool: read, expect: allow }
  - name: pacing
    sequence:
      - { tool: send, args: { to: a }, times: 3, expect: allow, session: s1 }
      - { tool: send, args: { to: a }, wait: 1m, expect: deny, rule: "send#1", reason_contains: x }
`,
    "c.yaml",
    { policy: POLICY },
  );
  deepEqual(cases.schemas, { send: { type: "object", required: ["to"] } });
  deepEqual(cases.cases.map((c) => c.name), ["read {}: allow", "pacing"]);
  deepEqual(cases.cases[0].steps, [{ tool: "read", expect: "allow", waitMs: 0 }]);
  deepEqual(cases.cases[1].steps.map((s) => [s.times, s.session, s.waitMs, s.rule]), [
    [3, "s1", 0, undefined],
    [undefined, undefined, 60_000, "send#1"],
  ]);
});

Deno.test("loadCasesText() reports unknown keys with a suggestion, at the key", () => {
  deepEqual(errorsOf("cases:\n  - tool: read\n    expct: allow\n"), [
    'c.yaml:2:5: A case needs "expect" (or a "sequence" of steps)',
    'c.yaml:3:5: Unknown key "expct" in "cases[0]"; did you mean "expect"?',
  ]);
  deepEqual(errorsOf("cases: [{ tool: read, expect: allow }]\nschema: {}\n"), [
    'c.yaml:2:1: Unknown key "schema" at the top level; did you mean "schemas"?',
  ]);
});

Deno.test("loadCasesText() reports wrong values where they are", () => {
  deepEqual(
    errorsOf(`cases:
  - { tool: read, expect: maybe }
  - { tool: read, expect: allow, times: 0 }
  - { tool: read, expect: allow, args: [1] }
  - { tool: 7, expect: allow }
`),
    [
      'c.yaml:2:27: "cases[0].expect" must be "allow", "deny" or "held"',
      'c.yaml:3:41: "cases[1].times" must be at least 1',
      'c.yaml:4:40: "cases[2].args" must be a mapping',
      'c.yaml:5:13: "cases[3].tool" must be a string',
    ],
  );
});

Deno.test("loadCasesText() rejects step keys beside a sequence, and empty files", () => {
  deepEqual(
    errorsOf("cases:\n  - tool: read\n    sequence: [{ tool: read, expect: allow }]\n"),
    ['c.yaml:2:11: "tool" belongs in the steps of a sequence, not beside it'],
  );
  deepEqual(errorsOf(""), ['c.yaml:1:1: "cases" is required']);
  deepEqual(errorsOf("cases: []\n"), ['c.yaml:1:8: "cases" must have at least one entry']);
});

Deno.test("loadCasesText() reports bad YAML and bad waits with their place", () => {
  const [yamlError, ...more] = errorsOf("cases:\n  - { tool: read\n");
  deepEqual(more, []);
  equal(yamlError.startsWith("c.yaml:3:1: Invalid YAML: "), true, yamlError);
  deepEqual(errorsOf("cases:\n  - { tool: read, expect: allow, wait: soon }\n"), [
    'c.yaml:2:40: Cannot parse window "soon": use seconds (60), a duration (30s, 5m, 1h, 1d) ' +
    "or minute, hour or day",
  ]);
});

Deno.test("loadCasesText() asks for the schema of a tool whose arguments the policy checks", () => {
  deepEqual(errorsOf("cases:\n  - { tool: send, args: { to: a }, expect: allow }\n"), [
    'c.yaml:2:13: The policy checks the arguments of "send" against its inputSchema: give ' +
    'that schema under "schemas.send"',
  ]);
  throws(() => loadCasesText("cases: [{ tool: x, expect: allow }]\nbogus: 1\n", "c.yaml"));
  equal(loadCasesText("cases: [{ tool: send, expect: allow }]\n", "c.yaml").cases.length, 1);
});
