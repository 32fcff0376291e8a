import { decideNow } from "../../src/state/decide_now.ts";
/**
 * Policy text never names a property of Object.prototype: a window, unit, operator, path step,
 * counter or schema type called `constructor`, `toString`, `__proto__` or `hasOwnProperty` is
 * an error or names nothing, never a limit that silently never applies.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { checkArguments } from "../../src/engine/input_schema.ts";

import { parseRateShorthand, parseWindow } from "../../src/policy/windows.ts";
import { call, conditionPolicy, newState, policy } from "../engine/support.ts";
import { errorsOf, withRules } from "./support.ts";

const NAMES = [
  "constructor",
  "toString",
  "__proto__",
  "hasOwnProperty",
  "valueOf",
  "isPrototypeOf",
];

Deno.test("parseWindow() and parseRateShorthand() refuse units named after object properties", () => {
  for (const name of NAMES) {
    equal(typeof parseWindow(name), "string", name);
    equal(typeof parseWindow(`5${name}`), "string", name);
    equal(typeof parseRateShorthand(`1/${name}`), "string", name);
    equal(typeof parseRateShorthand(`1/2 ${name}`), "string", name);
  }
  equal(parseWindow("5 minutes"), 300_000);
  deepEqual(parseRateShorthand(" 30 / minute "), { max: 30, windowMs: 60_000 });
});

Deno.test("loadPolicyText() reports a window named constructor as an error at its place", () => {
  deepEqual(errorsOf(withRules(`      - rate_limit: { max: 1, window: constructor }\n`)), [
    `p.yaml:5:39: Cannot parse window "constructor": use seconds (60), a duration (30s, 5m, ` +
    `1h, 1d) or minute, hour or day`,
  ]);
  deepEqual(errorsOf(withRules(`      - rate_limit: "1/constructor"\n`)), [
    `p.yaml:5:21: Cannot parse rate_limit "1/constructor": window must be second, minute, hour ` +
    `or day, or a duration such as 30s`,
  ]);
});

Deno.test("loadPolicyText() refuses object-property names as op, per, action and default", () => {
  for (const name of NAMES) {
    const rules = [
      `      - conditions: [{ path: args.x, op: ${name}, value: 1 }]\n`,
      `      - rate_limit: { max: 1, window: 60, per: ${name} }\n`,
      `      - action: ${name}\n`,
      `      - state: { counter: c, window: ${name} }\n`,
    ];
    for (const rule of rules) equal(errorsOf(withRules(rule)).length, 1, `${name} in ${rule}`);
    equal(errorsOf(`version: "1"\ndefault: ${name}\ntools: {}\n`).length, 1, name);
  }
});

Deno.test("loadPolicyText() reports a broken counter once, not again at each read", () => {
  const text = withRules(
    `      - state: { counter: c, window: constructor }\n` +
      `        conditions: [{ path: state.a.c, op: lt, value: 3 }]\n`,
  );
  equal(errorsOf(text).length, 1);
  ok(errorsOf(text)[0].includes(`Cannot parse window "constructor"`));
});

Deno.test("decideNow() reads only the arguments' own properties, whatever the path names", () => {
  const compiled = conditionPolicy(`- { path: args.constructor, op: exists, value: true }`);
  equal(decideNow(compiled, call("t", {}), newState(), 0).allowed, false);
  equal(decideNow(compiled, call("t", { constructor: 1 }), newState(), 0).allowed, true);
  const nested = conditionPolicy(`- { path: args.a.toString, op: exists, value: false }`);
  equal(decideNow(nested, call("t", { a: {} }), newState(), 0).allowed, true);
});

Deno.test("checkArguments() ignores schema types named after object properties", () => {
  for (const name of NAMES) {
    const schema = { type: "object", properties: { x: { type: name } } };
    deepEqual(checkArguments(schema, { x: 1 }), [], name);
    const mixed = { type: "object", properties: { x: { type: [name, "string"] } } };
    deepEqual(checkArguments(mixed, { x: 1 }), ["argument x must be string"], name);
  }
});

Deno.test("loadPolicyText() keeps tool entries named after object properties as tools", () => {
  const compiled = policy(`version: "1"
default: deny
tools:
  constructor: { rules: [] }
  toString: { rules: [{ action: deny, reason: "no" }] }
`);
  equal(decideNow(compiled, call("constructor"), newState(), 0).allowed, true);
  equal(decideNow(compiled, call("toString"), newState(), 0).reason, "no");
  equal(decideNow(compiled, call("hasOwnProperty"), newState(), 0).allowed, false);
});
