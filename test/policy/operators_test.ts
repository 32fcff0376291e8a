/** compileOperator and jsonEqual: predicates built once, with Intercept's typing rules. */
import { equal, match, ok } from "node:assert/strict";
import { type CompiledOperator, compileOperator, jsonEqual } from "../../src/policy/operators.ts";
import type { Operator } from "../../src/policy/schema.ts";

function op(name: Operator, value: unknown): CompiledOperator {
  const compiled = compileOperator(name, value);
  if (typeof compiled === "string") throw new Error(compiled);
  return compiled;
}

Deno.test("compileOperator() eq and neq compare JSON values by type and content", () => {
  ok(op("eq", 5).test(5));
  ok(!op("eq", 5).test("5"));
  ok(op("eq", { a: [1, 2] }).test({ a: [1, 2] }));
  ok(!op("eq", { a: [1, 2] }).test({ a: [2, 1] }));
  ok(op("neq", "x").test("y"));
  ok(!op("neq", "x").test("x"));
  ok(op("eq", null).test(null));
  equal(op("neq", 1).whenMissing, false);
});

Deno.test("compileOperator() in and not_in test membership", () => {
  ok(op("in", ["a", 1]).test(1));
  ok(!op("in", ["a", 1]).test("1"));
  ok(op("not_in", ["a"]).test("b"));
  ok(!op("not_in", ["a"]).test("a"));
  equal(op("not_in", ["a"]).whenMissing, false);
});

Deno.test("compileOperator() lt lte gt gte need a JSON number, not a numeric string", () => {
  ok(op("lt", 5).test(4) && !op("lt", 5).test(5));
  ok(op("lte", 5).test(5) && !op("lte", 5).test(6));
  ok(op("gt", 5).test(6) && !op("gt", 5).test(5));
  ok(op("gte", 5).test(5) && !op("gte", 5).test(4));
  ok(!op("lt", 5).test("4"));
  ok(!op("gte", 5).test("10"));
  ok(!op("gt", 0).test(true));
  ok(!op("lt", 5).test(null));
});

Deno.test("compileOperator() regex matches strings, with Intercept's (?i) prefix", () => {
  ok(op("regex", "^orders-").test("orders-eu"));
  ok(!op("regex", "^orders-").test("audit"));
  ok(!op("regex", "^1").test(1));
  ok(op("regex", "(?i)^acme/").test("ACME/web"));
  ok(!op("regex", "^acme/").test("ACME/web"));
});

Deno.test("compileOperator() regex uses RE2 syntax and semantics", () => {
  ok(op("regex", "(?i)k").test("\u212a")); // Kelvin sign folds to k, as in RE2
  ok(op("regex", "^\\d+$").test("123") && !op("regex", "^\\d+$").test("\u0663"));
  ok(!op("regex", "\\s").test("\u00a0")); // \s is [\t\n\f\r ] only
  ok(!op("regex", "^a$").test("a\n")); // $ is the end of the input, not of a line
  ok(op("regex", "(?m)^b$").test("a\nb"));
  ok(op("regex", "^.$").test("😀") && !op("regex", "a.b").test("a\nb"));
  ok(op("regex", "(?s)a.b").test("a\nb"));
  ok(op("regex", "^\\x{e9}$").test("é") && op("regex", "\\p{Greek}").test("α"));
  ok(op("regex", "(?P<name>a)b").test("ab"));
});

Deno.test("compileOperator() regex refuses what the linear engine cannot run, saying why", () => {
  const refused = (pattern: string) => compileOperator("regex", pattern) as string;
  match(refused("(a)\\1"), /^Invalid regex "\(a\)\\\\1": backreferences are not supported: /);
  match(refused("a(?=b)"), /lookahead and lookbehind are not supported: policy regexes use RE2/);
  match(refused("(?<!a)b"), /lookahead and lookbehind are not supported/);
  match(refused("(?>a)"), /atomic groups and possessive repeats are not supported/);
  match(refused("\\u00e9"), /invalid escape sequence: `\\u`; write a code point as \\x\{00e9\}/);
  match(refused("a".repeat(5_000)), /longer than 4096 characters/);
  match(
    refused("[a-z]{1000}".repeat(11)),
    /too large \(\d+ instructions once compiled; the limit is 10,000\)/,
  );
});

Deno.test("compileOperator() regex decides a crafted nested-quantifier input in one pass", () => {
  // A backtracking engine takes exponential time here; this one reads the input once.
  const nested = op("regex", "^([a-z0-9]+-?)*$");
  equal(nested.test("a".repeat(10_000) + "!"), false);
  equal(nested.test("ab1-".repeat(2_500)), true);
  equal(op("regex", "(x+x+)+y").test("x".repeat(10_000)), false);
});

Deno.test("compileOperator() contains looks into strings and lists", () => {
  ok(op("contains", "ell").test("hello"));
  ok(!op("contains", "xyz").test("hello"));
  ok(op("contains", "b").test(["a", "b"]));
  ok(op("contains", { id: 1 }).test([{ id: 1 }]));
  ok(!op("contains", 1).test("123"));
  ok(!op("contains", "a").test({ a: 1 }));
});

Deno.test("compileOperator() exists holds for any present value; exists false only when missing", () => {
  const present = op("exists", true);
  ok(present.test(null) && present.test(0) && !present.whenMissing);
  const absent = op("exists", false);
  ok(!absent.test("x") && absent.whenMissing);
});

Deno.test("compileOperator() rejects a value of the wrong kind", () => {
  equal(compileOperator("eq", undefined), `Operator "eq" needs a value`);
  equal(compileOperator("in", "a"), `Operator "in" needs a list value, such as [a, b]`);
  equal(
    compileOperator("not_in", undefined),
    `Operator "not_in" needs a list value, such as [a, b]`,
  );
  equal(compileOperator("lt", "5"), `Operator "lt" needs a number value, got the string "5"`);
  equal(compileOperator("gte", undefined), `Operator "gte" needs a number value, got nothing`);
  equal(compileOperator("gt", [1]), `Operator "gt" needs a number value, got [1]`);
  equal(compileOperator("regex", 5), `Operator "regex" needs a string value`);
  equal(compileOperator("regex", "(?i)["), 'Invalid regex "(?i)[": missing closing ]: `[`');
  equal(compileOperator("contains", undefined), `Operator "contains" needs a value`);
  equal(compileOperator("exists", "true"), `Operator "exists" needs true or false`);
});

Deno.test("jsonEqual() ignores key order but not types or lengths", () => {
  ok(jsonEqual({ a: 1, b: [true] }, { b: [true], a: 1 }));
  ok(!jsonEqual({ a: 1 }, { a: 1, b: 2 }));
  ok(!jsonEqual({ a: undefined }, { b: undefined }));
  ok(!jsonEqual([1], { 0: 1 }));
  ok(!jsonEqual({ 0: 1 }, [1]));
  ok(!jsonEqual([1, 2], [1]));
  ok(!jsonEqual(null, {}));
});
