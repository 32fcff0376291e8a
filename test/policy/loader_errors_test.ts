/** loadPolicyText: every kind of error, each with its exact `file:line:col: message`. */
import { deepEqual, match, ok } from "node:assert/strict";
import { errorsOf, withRules } from "./support.ts";

Deno.test("loadPolicyText() reports a YAML syntax error where the parser stops", () => {
  deepEqual(errorsOf(`version: "1"\n\ttools: {}\n`), [
    "p.yaml:2:1: Invalid YAML: Tabs are not allowed as indentation",
  ]);
  deepEqual(errorsOf(`version: "1"\ndescription: "unterminated\ntools: {}\n`), [
    `p.yaml:4:1: Invalid YAML: Missing closing "quote`,
  ]);
});

Deno.test("loadPolicyText() reports a duplicate key at its second occurrence", () => {
  deepEqual(errorsOf(`version: "1"\ntools: {}\ntools: {}\n`), [
    "p.yaml:3:1: Duplicate key: each key may appear once in a mapping",
  ]);
  deepEqual(errorsOf(withRules(`      - name: a\n        name: b\n        action: allow\n`)), [
    "p.yaml:6:9: Duplicate key: each key may appear once in a mapping",
  ]);
});

Deno.test("loadPolicyText() reports an unknown key with a did-you-mean hint", () => {
  deepEqual(errorsOf(`version: "1"\ndefualt: deny\ntools: {}\n`), [
    `p.yaml:2:1: Unknown key "defualt" at the top level; did you mean "default"?`,
  ]);
  deepEqual(errorsOf(withRules(`      - actoin: allow\n`)), [
    `p.yaml:5:9: Unknown key "actoin" in "tools.a.rules[0]"; did you mean "action"?`,
  ]);
  deepEqual(
    errorsOf(withRules(`      - conditions:\n          - { path: args.x, op: eq, valeu: 1 }\n`)),
    [
      `p.yaml:6:37: Unknown key "valeu" in "tools.a.rules[0].conditions[0]"; ` +
      `did you mean "value"?`,
    ],
  );
});

Deno.test("loadPolicyText() reports an unknown key without a hint when nothing is close", () => {
  deepEqual(errorsOf(withRules(`      - action: allow\n        frobnicate: 1\n`)), [
    `p.yaml:6:9: Unknown key "frobnicate" in "tools.a.rules[0]"`,
  ]);
});

Deno.test("loadPolicyText() locates a value of the wrong type", () => {
  const [rules] = errorsOf(`version: "1"\ntools:\n  a:\n    rules: 5\n`);
  ok(rules.startsWith(`p.yaml:4:12: "tools.a.rules" `), rules);
  deepEqual(errorsOf(withRules(`      - rate_limit: 5\n`)), [
    `p.yaml:5:21: "tools.a.rules[0].rate_limit" has the wrong type: ` +
    `write "30/minute" or {max: 30, window: 60}`,
  ]);
});

Deno.test({
  name: "loadPolicyText() reports a wrong type as a type, not as a missing field",
  fn() {
    deepEqual(errorsOf(`version: "1"\ntools:\n  a:\n    rules: 5\n`), [
      `p.yaml:4:12: "tools.a.rules" must be a list`,
    ]);
    deepEqual(errorsOf(`version: "1"\ndescription: 5\ntools: {}\n`), [
      `p.yaml:2:14: "description" must be a string`,
    ]);
    deepEqual(errorsOf(`version: "1"\nhide: x\ntools: {}\n`), [
      `p.yaml:2:7: "hide" must be a list`,
    ]);
  },
});

Deno.test("loadPolicyText() reports a value outside an enum, listing the choices", () => {
  deepEqual(errorsOf(`version: "1"\ndefault: maybe\ntools: {}\n`), [
    `p.yaml:2:10: "default" must be "allow" or "deny"`,
  ]);
  deepEqual(errorsOf(withRules(`      - action: permit\n`)), [
    `p.yaml:5:17: "tools.a.rules[0].action" must be "allow" or "evaluate" or "deny" or "require_approval"`,
  ]);
  deepEqual(errorsOf(withRules(`      - rate_limit: { max: 1, window: 60, per: user }\n`)), [
    `p.yaml:5:48: "tools.a.rules[0].rate_limit.per" must be "session" or "principal" or "global"`,
  ]);
  deepEqual(errorsOf(`version: "2"\ntools: {}\n`), [`p.yaml:1:10: "version" must be "1"`]);
});

Deno.test("loadPolicyText() reports a missing required field at its parent", () => {
  deepEqual(errorsOf(`version: "1"\n`), [`p.yaml:1:1: "tools" is required`]);
  deepEqual(errorsOf(`version: "1"\ntools:\n  a:\n    rulez: []\n`), [
    `p.yaml:4:5: "tools.a.rules" is required`,
    `p.yaml:4:5: Unknown key "rulez" in "tools.a"; did you mean "rules"?`,
  ]);
  deepEqual(errorsOf(withRules(`      - state: { window: day }\n`)), [
    `p.yaml:5:16: "tools.a.rules[0].state.counter" is required`,
  ]);
});

Deno.test("loadPolicyText() reports a rate_limit string it cannot parse", () => {
  deepEqual(errorsOf(withRules(`      - rate_limit: "5/fortnight"\n`)), [
    `p.yaml:5:21: Cannot parse rate_limit "5/fortnight": window must be second, minute, ` +
    `hour or day, or a duration such as 30s`,
  ]);
  deepEqual(errorsOf(withRules(`      - rate_limit: lots\n`)), [
    `p.yaml:5:21: Cannot parse rate_limit "lots": write it as COUNT/WINDOW, such as "30/minute"`,
  ]);
  deepEqual(errorsOf(withRules(`      - rate_limit: "0/minute"\n`)), [
    `p.yaml:5:21: Cannot parse rate_limit "0/minute": max must be a whole number of at least 1`,
  ]);
});

Deno.test("loadPolicyText() reports a bad window at the window", () => {
  deepEqual(errorsOf(withRules(`      - rate_limit: { max: 5, window: 5y }\n`)), [
    `p.yaml:5:39: Cannot parse window "5y": use seconds (60), a duration (30s, 5m, 1h, 1d) ` +
    `or minute, hour or day`,
  ]);
  deepEqual(errorsOf(withRules(`      - rate_limit: { max: 5, window: 0 }\n`)), [
    `p.yaml:5:39: Window 0 must be a positive number of seconds`,
  ]);
  deepEqual(errorsOf(withRules(`      - state: { counter: n, window: 40d }\n`)), [
    `p.yaml:5:38: Window "40d" is longer than the 31-day maximum`,
  ]);
});

Deno.test("loadPolicyText() reports max 0 at max", () => {
  deepEqual(errorsOf(withRules(`      - rate_limit: { max: 0, window: 60 }\n`)), [
    `p.yaml:5:28: rate_limit max must be a whole number of at least 1`,
  ]);
  deepEqual(errorsOf(withRules(`      - rate_limit: { max: 1.5, window: 60 }\n`)), [
    `p.yaml:5:28: rate_limit max must be a whole number of at least 1`,
  ]);
});

Deno.test("loadPolicyText() reports an invalid regex at its value", () => {
  deepEqual(
    errorsOf(
      withRules(`      - conditions:\n          - { path: args.x, op: regex, value: "(" }\n`),
    ),
    ['p.yaml:6:47: Invalid regex "(": missing closing ): `(`'],
  );
});

Deno.test("loadPolicyText() reports a value of the wrong type for lt, in and exists", () => {
  const condition = (op: string, value: string) =>
    errorsOf(
      withRules(`      - conditions:\n          - { path: args.x, op: ${op}, value: ${value} }\n`),
    );
  deepEqual(condition("lt", `"5"`), [
    `p.yaml:6:44: Operator "lt" needs a number value, got the string "5"`,
  ]);
  deepEqual(condition("in", "5"), [
    `p.yaml:6:44: Operator "in" needs a list value, such as [a, b]`,
  ]);
  deepEqual(condition("exists", "yes"), [`p.yaml:6:48: Operator "exists" needs true or false`]);
  deepEqual(errorsOf(withRules(`      - conditions:\n          - { path: args.x, op: eq }\n`)), [
    `p.yaml:6:33: Operator "eq" needs a value`,
  ]);
});

Deno.test("loadPolicyText() reports a bad path at the path", () => {
  const path = (text: string) =>
    errorsOf(
      withRules(`      - conditions:\n          - { path: ${text}, op: exists, value: true }\n`),
    );
  deepEqual(path("arg.x"), [`p.yaml:6:21: Path "arg.x" must start with "args." or "state."`]);
  deepEqual(path(`"args.x[y]"`), [
    `p.yaml:6:21: Path "args.x[y]": "[y]" must be an index ([0]), [*] or a quoted key (["a.b"])`,
  ]);
  deepEqual(path("state.x"), [
    `p.yaml:6:21: Path "state.x" must name a counter as state.<tool>.<counter>`,
  ]);
});

Deno.test("loadPolicyText() reports a read of an undefined counter, naming those defined", () => {
  deepEqual(
    errorsOf(
      withRules(`      - conditions:\n          - { path: state.a.n, op: lte, value: 1 }\n`),
    ),
    [`p.yaml:6:13: Condition reads state.a.n, but no rule defines that counter with a state block`],
  );
  deepEqual(
    errorsOf(withRules(
      `      - state: { counter: m, window: day }\n` +
        `        conditions:\n          - { path: state.a.n, op: lte, value: 1 }\n`,
    )),
    [
      `p.yaml:7:13: Condition reads state.a.n, but no rule defines that counter with a state ` +
      `block (defined: state.a.m)`,
    ],
  );
});

Deno.test("loadPolicyText() reports reason and on_deny given together", () => {
  deepEqual(errorsOf(withRules(`      - action: deny\n        reason: x\n        on_deny: y\n`)), [
    "p.yaml:7:9: Give reason or on_deny (its Intercept alias), not both",
  ]);
});

Deno.test("loadPolicyText() reports a deny rule with rate_limit, state or validate", () => {
  deepEqual(errorsOf(withRules(`      - action: deny\n        rate_limit: 5/minute\n`)), [
    "p.yaml:6:9: A deny rule cannot have rate_limit: it never lets a call through",
  ]);
  deepEqual(
    errorsOf(withRules(
      `      - action: deny\n        state: { counter: n, window: day }\n` +
        `        validate: { required_args: true }\n`,
    )),
    [
      "p.yaml:6:9: A deny rule cannot have state: it never lets a call through",
      "p.yaml:7:9: A deny rule cannot have validate: it never lets a call through",
    ],
  );
});

Deno.test("loadPolicyText() reports an evaluate rule with nothing to check", () => {
  deepEqual(errorsOf(withRules(`      - action: evaluate\n`)), [
    `p.yaml:5:9: Rule "a#1" checks nothing: give it conditions, rate_limit, state or ` +
    `validate, or use action: allow or deny`,
  ]);
  deepEqual(
    errorsOf(withRules(`      - name: idle\n        validate: { required_args: false }\n`)),
    [
      `p.yaml:5:9: Rule "idle" checks nothing: give it conditions, rate_limit, state or ` +
      `validate, or use action: allow or deny`,
    ],
  );
});

Deno.test("loadPolicyText() reports duplicate rule names under one entry", () => {
  deepEqual(
    errorsOf(withRules(
      `      - name: r\n        action: allow\n      - name: r\n        action: allow\n`,
    )),
    [`p.yaml:7:15: Rule name "r" is used twice under "a"`],
  );
  // A written name may not collide with a derived one either.
  deepEqual(
    errorsOf(withRules(`      - action: allow\n      - name: "a#1"\n        action: allow\n`)),
    [
      `p.yaml:6:15: Rule name "a#1" is used twice under "a"`,
    ],
  );
});

Deno.test("loadPolicyText() reports duplicate and empty hide entries", () => {
  deepEqual(errorsOf(`version: "1"\nhide: [a, b, a]\ntools: {}\n`), [
    `p.yaml:2:14: hide lists "a" twice`,
  ]);
  deepEqual(errorsOf(`version: "1"\nhide: [""]\ntools: {}\n`), [
    `p.yaml:2:8: hide[0] must not be empty`,
  ]);
});

Deno.test("loadPolicyText() reports an empty file", () => {
  deepEqual(errorsOf(""), ["p.yaml:1:1: The policy file is empty"]);
  deepEqual(errorsOf("# only a comment\n"), ["p.yaml:1:1: The policy file is empty"]);
});

Deno.test("loadPolicyText() reports problems of a state block", () => {
  const state = (body: string) => errorsOf(withRules(`      - state: { ${body} }\n`));
  deepEqual(state("counter: n, window: day, increment: -1"), [
    "p.yaml:5:54: increment must be a positive number, got -1",
  ]);
  deepEqual(state("counter: n, window: day, increment: 2, increment_from: args.x"), [
    "p.yaml:5:57: Give increment or increment_from, not both",
  ]);
  deepEqual(state("counter: n.m, window: day"), [
    "p.yaml:5:27: A counter name must not be empty or contain a dot",
  ]);
  deepEqual(state("counter: n, window: day, increment_from: 'args.x[*]'"), [
    "p.yaml:5:59: increment_from must name one argument, such as args.amount " +
    "(no state paths, no [*])",
  ]);
  deepEqual(
    errorsOf(withRules(
      `      - state: { counter: n, window: day }\n      - state: { counter: n, window: hour }\n`,
    )),
    ["p.yaml:6:27: Counter state.a.n is defined twice; give each counter its own name"],
  );
});

Deno.test("loadPolicyText() names the file it was given in every error", () => {
  deepEqual(errorsOf(`version: "1"\n`, "conf/kafka.yaml"), [
    `conf/kafka.yaml:1:1: "tools" is required`,
  ]);
});

Deno.test("loadPolicyText() reports every problem of a broken rule in one run", () => {
  const text = `version: "1"
tools:
  produce-message:
    rules:
      - name: broken
        conditions:
          - { path: args.topic, op: matches, value: "x" }
          - { path: arguments.topic, op: eq, value: "x" }
          - { path: args.topic, op: in, value: "orders" }
          - { path: args.count, op: lt, value: "ten" }
          - { path: args.topic, op: regex, value: "(a)\\\\1" }
        rate_limit: "30/fortnight"
        reasn: "typo"
      - rate_limit: { max: 0, window: 5y }
`;
  const errors = errorsOf(text);
  deepEqual(errors.map((error) => error.split(": ")[0]), [
    "p.yaml:7:37",
    "p.yaml:8:21",
    "p.yaml:9:48",
    "p.yaml:10:48",
    "p.yaml:11:51",
    "p.yaml:12:21",
    "p.yaml:13:9",
    "p.yaml:14:28",
    "p.yaml:14:39",
  ]);
  match(errors[0], /"tools\.produce-message\.rules\[0\]\.conditions\[0\]\.op" must be "eq" or/);
  match(errors[1], /Path "arguments\.topic" must start with "args\." or "state\."/);
  match(errors[2], /Operator "in" needs a list value/);
  match(errors[3], /Operator "lt" needs a number value, got the string "ten"/);
  match(errors[4], /Invalid regex "\(a\)\\\\1": backreferences are not supported/);
  match(errors[5], /Cannot parse rate_limit "30\/fortnight"/);
  match(errors[6], /Unknown key "reasn" .*; did you mean "reason"\?/);
  match(errors[7], /rate_limit max must be a whole number of at least 1/);
  match(errors[8], /Cannot parse window "5y"/);
});

Deno.test("loadPolicyText() compiles the sound rules beside a rule that is not a mapping", () => {
  const text = withRules(
    `      - 5\n      - conditions: [{ path: args.x, op: regex, value: "(" }]\n` +
      `      - { action: toString, rate_limit: "1/fortnight" }\n`,
  );
  deepEqual(errorsOf(text).map((error) => error.split(": ")[0]), [
    "p.yaml:5:9",
    "p.yaml:6:56",
    "p.yaml:7:19",
    "p.yaml:7:41",
  ]);
});
