/** compilePolicy: a schema-checked policy → a frozen CompiledPolicy, or every issue at once. */
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { compilePolicy, PolicyCompileError } from "../../src/policy/compile.ts";
import { EVERY } from "../../src/policy/compiled.ts";
import { Policy } from "../../src/policy/schema.ts";

function compile(raw: unknown) {
  return compilePolicy(Policy.parse(raw), { source: "mem" });
}

function issuesOf(raw: unknown) {
  try {
    compile(raw);
  } catch (error) {
    if (error instanceof PolicyCompileError) return error.issues;
    throw error;
  }
  throw new Error("expected a PolicyCompileError");
}

Deno.test("compilePolicy() fills in defaults: posture allow, source and description", () => {
  const policy = compilePolicy(Policy.parse({ version: "1", tools: {} }));
  equal(policy.source, "<policy>");
  equal(policy.description, null);
  equal(policy.defaultPosture, "allow");
  equal(policy.hideAll, false);
  equal(policy.wildcard, null);
  ok(Object.isFrozen(policy));
});

Deno.test("compilePolicy() derives rule names and actions", () => {
  const policy = compile({
    version: "1",
    tools: {
      t: {
        rules: [
          { rate_limit: "3/minute" },
          { conditions: [{ path: "args.x", op: "exists", value: true }] },
          { name: "named", action: "deny", on_deny: "No" },
        ],
      },
    },
  });
  const rules = policy.exact.get("t")!.rules;
  deepEqual(rules.map((rule) => [rule.name, rule.action, rule.reason]), [
    ["t#1", "allow", null],
    ["t#2", "evaluate", null],
    ["named", "deny", "No"],
  ]);
  ok(rules.every((rule) => Object.isFrozen(rule)));
});

Deno.test("compilePolicy() keys a quota by entry, rule and window", () => {
  const policy = compile({
    version: "1",
    tools: { t: { rules: [{ name: "r", rate_limit: { max: 2, window: "5m", per: "global" } }] } },
  });
  deepEqual({ ...policy.exact.get("t")!.rules[0].quota }, {
    id: "t\u0000r\u0000300000",
    rule: "r",
    max: 2,
    windowMs: 300_000,
    per: "global",
  });
});

Deno.test("compilePolicy() scopes counters by entry, and `*` counters as _global", () => {
  const policy = compile({
    version: "1",
    tools: {
      pay: { rules: [{ state: { counter: "spent", window: "day", increment_from: "args.a.b" } }] },
      "*": { rules: [{ state: { counter: "calls", window: 3600, increment: 2, per: "global" } }] },
    },
  });
  const spent = policy.counters.get("pay.spent")!;
  deepEqual([spent.windowMs, spent.per, spent.increment], [86_400_000, "session", 1]);
  deepEqual(spent.incrementFrom, ["a", "b"]);
  equal(spent.incrementFromText, "args.a.b");
  equal(spent.storeId, "pay.spent\u000086400000");
  const calls = policy.counters.get("_global.calls")!;
  deepEqual([calls.increment, calls.per, calls.incrementFrom], [2, "global", null]);
  equal(policy.wildcard!.rules[0].counter, calls);
});

Deno.test("compilePolicy() sorts entries into exact names, globs and the wildcard", () => {
  const policy = compile({
    version: "1",
    tools: { "read_*": { rules: [] }, read_file: { rules: [] }, "*": { rules: [] } },
  });
  deepEqual([...policy.exact.keys()], ["read_file"]);
  deepEqual(policy.globs.map((glob) => glob.entry.key), ["read_*"]);
  equal(policy.wildcard?.key, "*");
});

Deno.test("compilePolicy() compiles hide into names, globs and hide-all", () => {
  const some = compile({ version: "1", hide: ["a", "b_*"], tools: {} });
  deepEqual([...some.hiddenNames].sort(), ["a", "b_*"]);
  equal(some.hiddenGlobs.length, 1);
  equal(some.hideAll, false);
  equal(compile({ version: "1", hide: ["*"], tools: {} }).hideAll, true);
});

Deno.test("compilePolicy() marks entries that need the tool's inputSchema", () => {
  const policy = compile({
    version: "1",
    tools: { a: { rules: [{ validate: { required_args: true } }] }, b: { rules: [] } },
  });
  equal(policy.exact.get("a")!.needsInputSchema, true);
  equal(policy.exact.get("b")!.needsInputSchema, false);
});

Deno.test("compilePolicy() compiles condition paths with quoted keys, indexes and [*]", () => {
  const policy = compile({
    version: "1",
    tools: {
      t: { rules: [{ conditions: [{ path: `args["a.b"].list[*][2]`, op: "eq", value: 1 }] }] },
    },
  });
  const condition = policy.exact.get("t")!.rules[0].conditions[0];
  deepEqual(condition.argPath, ["a.b", "list", EVERY, 2]);
  equal(condition.counterId, null);
  equal(condition.text, `args["a.b"].list[*][2] eq 1`);
});

Deno.test("compilePolicy() throws every issue with its document path", () => {
  const issues = issuesOf({
    version: "1",
    hide: ["x", "x"],
    tools: {
      "": { rules: [] },
      t: {
        rules: [
          { rate_limit: "0/minute" },
          { conditions: [{ path: "args.x", op: "gt", value: "1" }] },
          { conditions: [{ path: "state.t.missing", op: "lte", value: 1 }] },
        ],
      },
    },
  });
  deepEqual(issues.map((issue) => [issue.path, issue.crossEntry ?? false]), [
    [["hide", 1], false],
    [["tools", ""], false],
    [["tools", "t", "rules", 0, "rate_limit"], false],
    [["tools", "t", "rules", 1, "conditions", 0, "value"], false],
    [["tools", "t", "rules", 2, "conditions", 0], true],
  ]);
  equal(issues[1].atKey, true);
});

Deno.test("compilePolicy() accepts a counter read across entries", () => {
  const policy = compile({
    version: "1",
    tools: {
      a: { rules: [{ state: { counter: "n", window: "day" } }] },
      b: { rules: [{ conditions: [{ path: "state.a.n", op: "lte", value: 3 }] }] },
    },
  });
  equal(policy.exact.get("b")!.rules[0].conditions[0].counterId, "a.n");
});

Deno.test("compilePolicy() rejects an increment that is not positive", () => {
  for (const increment of [0, -2]) {
    const issues = issuesOf({
      version: "1",
      tools: { a: { rules: [{ state: { counter: "n", window: 60, increment } }] } },
    });
    deepEqual(issues.map((issue) => issue.path), [[
      "tools",
      "a",
      "rules",
      0,
      "state",
      "increment",
    ]]);
  }
  const fractional = compile({
    version: "1",
    tools: { a: { rules: [{ state: { counter: "n", window: 60, increment: 0.5 } }] } },
  });
  equal(fractional.counters.get("a.n")!.increment, 0.5);
});

Deno.test("PolicyCompileError joins its issues' messages", () => {
  throws(() => compile({ version: "1", hide: ["", "  "], tools: {} }), (error) => {
    ok(error instanceof PolicyCompileError);
    equal(error.name, "PolicyCompileError");
    equal(error.message, "hide[0] must not be empty\nhide[1] must not be empty");
    return true;
  });
});
