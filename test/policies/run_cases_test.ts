import { deepEqual, equal, match } from "node:assert/strict";
import { loadCasesText } from "../../src/policies/cases.ts";
import { runCases } from "../../src/policies/run_cases.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";

const POLICY = loadPolicyText(
  `version: "1"
default: deny
tools:
  send:
    rules:
      - action: allow
        rate_limit: { max: 2, window: 60 }
        validate: { required_args: true }
  read: { rules: [] }
  drop:
    rules:
      - { action: deny, reason: "A human must drop it" }
`,
  "p.yaml",
);
const SCHEMAS =
  "schemas:\n  send: { type: object, required: [to], properties: { to: { type: string } } }\n";

function run(cases: string) {
  return runCases(POLICY, loadCasesText(SCHEMAS + cases, "c.yaml", { policy: POLICY }));
}

Deno.test("runCases() passes cases whose decisions match", () => {
  const results = run(`cases:
  - { tool: read, expect: allow, rule: read }
  - { tool: drop, expect: deny, rule: "drop#1", reason_contains: "a HUMAN" }
  - { tool: send, args: { to: a }, times: 2, expect: allow }
  - { tool: send, args: { to: a }, times: 3, expect: deny, reason_contains: "rate limit of 2" }
  - { tool: send, args: {}, expect: deny, reason_contains: "missing required argument: to" }
  - { tool: unknown, expect: deny, rule: default }
`);
  deepEqual(results.filter((r) => !r.passed), []);
  equal(results.length, 6);
});

Deno.test("runCases() says what differed in a failing case", () => {
  const [verdict, rule, reason] = run(`cases:
  - { tool: drop, expect: allow }
  - { tool: read, expect: allow, rule: other }
  - { tool: send, args: { to: a }, times: 3, expect: deny, reason_contains: "slow down" }
`);
  deepEqual(verdict.problems, [
    'expected allow, got deny by rule "drop#1": A human must drop it',
  ]);
  deepEqual(rule.problems, ['expected rule "other", got "read"']);
  deepEqual(reason.problems, [
    'call 3 of 3: expected a reason containing "slow down", got "Rate limit of 2 calls per 1m ' +
    'reached"',
  ]);
});

Deno.test("runCases() gives each case a fresh quota, shared by the steps of a sequence", () => {
  const results = run(`cases:
  - { tool: send, args: { to: a }, times: 2, expect: allow }
  - { tool: send, args: { to: a }, times: 2, expect: allow }
  - sequence:
      - { tool: send, args: { to: a }, times: 2, expect: allow }
      - { tool: send, args: { to: a }, expect: allow }
`);
  deepEqual(results.map((r) => r.passed), [true, true, false]);
  deepEqual(results[2].problems, [
    'step 2 (send): expected allow, got deny by rule "send#1": Rate limit of 2 calls per 1m ' +
    "reached",
  ]);
});

Deno.test("runCases() moves the fake clock by wait, and keeps sessions apart", () => {
  const results = run(`cases:
  - sequence:
      - { tool: send, args: { to: a }, times: 3, expect: deny }
      - { tool: send, args: { to: a }, wait: 59, expect: deny }
      - { tool: send, args: { to: a }, wait: 1, expect: allow }
  - sequence:
      - { tool: send, args: { to: a }, times: 3, session: one, expect: deny }
      - { tool: send, args: { to: a }, session: two, expect: allow }
`);
  deepEqual(results.filter((r) => !r.passed), []);
});

Deno.test("runCases() expects held calls, and decides approved ones against their quota", () => {
  const policy = loadPolicyText(
    `version: "1"
tools:
  pay:
    rules:
      - name: big payments need a human
        action: require_approval
        conditions: [{ path: args.amount, op: gt, value: 100 }]
        reason: "Big payments are approved"
      - name: one a minute
        rate_limit: { max: 1, window: 60 }
`,
    "p.yaml",
  );
  const cases = loadCasesText(
    `cases:
  - { tool: pay, args: { amount: 500 }, expect: held, rule: big payments need a human }
  - { tool: pay, args: { amount: 5 }, expect: allow }
  - sequence:
      - { tool: pay, args: { amount: 500 }, expect: held, times: 3 }
      - { tool: pay, args: { amount: 500 }, approved: true, expect: allow }
      - { tool: pay, args: { amount: 500 }, approved: true, expect: deny, rule: one a minute }
  - { tool: pay, args: { amount: 500 }, expect: allow }
  - { tool: pay, args: { amount: 5 }, expect: held }
`,
    "c.yaml",
    { policy },
  );
  const results = runCases(policy, cases);
  deepEqual(results.slice(0, 3).filter((r) => !r.passed), []);
  equal(results[3].passed, false);
  match(results[3].problems[0], /expected allow, got held by rule "big payments need a human"/);
  equal(results[4].passed, false);
  match(results[4].problems[0], /expected held, got allow/);
});
