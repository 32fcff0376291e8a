import { decideNow } from "../../src/state/decide_now.ts";
/** decideNow(): evaluation order, hide, default posture, entry lookup and decision shape. */
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  evaluate,
  findEntry,
  isHidden,
  needsInputSchema,
  type ToolCall,
} from "../../src/engine/evaluate.ts";
import { call, newState, policy } from "./support.ts";

const ORDER = policy(`version: "1"
default: deny
hide: [secret, "internal_*"]
tools:
  read_file:
    rules: []
  secret:
    rules: []
  "delete_*":
    rules:
      - name: no deletes
        action: deny
        reason: Destructive tools need a human
  "delete_*_draft":
    rules: []
  delete_draft:
    rules:
      - name: drafts go
        action: allow
  write_file:
    rules:
      - name: paths
        conditions:
          - { path: args.path, op: regex, value: "^/tmp/" }
  "*":
    rules:
      - name: no root
        action: deny
        conditions:
          - { path: args.user, op: eq, value: root }
        reason: Nobody acts as root
`);

Deno.test("decideNow() allows a listed tool, naming the entry as the rule", () => {
  const decision = decideNow(ORDER, call("read_file"), newState(), 0);
  deepEqual(decision, {
    allowed: true,
    tool: "read_file",
    rule: "read_file",
    reason: null,
    retryAfterMs: null,
    quotas: [],
  });
});

Deno.test("decideNow() applies a live operator deny before anything else", () => {
  const state = newState({ read_file: "Paused by the operator", secret: "Off" });
  const decision = decideNow(ORDER, call("read_file"), state, 0);
  deepEqual([decision.allowed, decision.rule, decision.reason], [
    false,
    "operator deny",
    "Paused by the operator",
  ]);
  equal(decideNow(ORDER, call("secret"), state, 0).rule, "operator deny");
  ok(decideNow(ORDER, call("read_file"), newState({ secret: "Off" }), 0).allowed);
});

Deno.test("decideNow() denies a hidden tool even when an entry lists it", () => {
  const decision = decideNow(ORDER, call("secret"), newState(), 0);
  deepEqual([decision.allowed, decision.rule, decision.reason], [
    false,
    "hide",
    `Tool "secret" is hidden by policy`,
  ]);
  equal(decideNow(ORDER, call("internal_audit"), newState(), 0).rule, "hide");
});

Deno.test("decideNow() hides every tool under hide: ['*']", () => {
  const all = policy(`version: "1"\nhide: ["*"]\ntools:\n  read_file: { rules: [] }\n`);
  for (const tool of ["read_file", "anything", ""]) {
    equal(decideNow(all, call(tool), newState(), 0).rule, "hide");
  }
  ok(isHidden(all, "x"));
  ok(!isHidden(ORDER, "internal"));
  ok(isHidden(ORDER, "internal_"));
});

Deno.test("decideNow() denies an unlisted tool under default: deny", () => {
  const decision = decideNow(ORDER, call("send_email"), newState(), 0);
  deepEqual([decision.allowed, decision.rule, decision.reason], [
    false,
    "default",
    `Tool "send_email" is not allowed: this policy denies tools it does not list`,
  ]);
});

Deno.test("decideNow() allows an unlisted tool under default: allow, after the * rules", () => {
  const open = policy(`version: "1"
tools:
  "*":
    rules:
      - name: no root
        action: deny
        conditions: [{ path: args.user, op: eq, value: root }]
`);
  const allowed = decideNow(open, call("anything"), newState(), 0);
  deepEqual([allowed.allowed, allowed.rule], [true, "default"]);
  equal(decideNow(open, call("anything", { user: "root" }), newState(), 0).rule, "no root");
  const empty = policy(`version: "1"\ntools: {}\n`);
  deepEqual([decideNow(empty, call("x"), newState(), 0).allowed], [true]);
});

Deno.test("decideNow() prefers an exact entry to a glob, and the first glob in file order", () => {
  const glob = decideNow(ORDER, call("delete_topic"), newState(), 0);
  deepEqual([glob.allowed, glob.rule, glob.reason], [
    false,
    "no deletes",
    "Destructive tools need a human",
  ]);
  const exact = decideNow(ORDER, call("delete_draft"), newState(), 0);
  deepEqual([exact.allowed, exact.rule], [true, "delete_draft"]);
  // "delete_x_draft" matches both globs; the first one written wins.
  equal(decideNow(ORDER, call("delete_x_draft"), newState(), 0).rule, "no deletes");
  equal(findEntry(ORDER, "delete_draft")?.key, "delete_draft");
  equal(findEntry(ORDER, "delete_x")?.key, "delete_*");
  equal(findEntry(ORDER, "nothing"), undefined);
});

Deno.test("decideNow() runs the entry's rules before the * rules", () => {
  const state = newState();
  const both = decideNow(ORDER, call("write_file", { path: "/etc/x", user: "root" }), state, 0);
  equal(both.rule, "paths");
  equal(both.reason, `Condition failed: args.path regex "^/tmp/"`);
  const star = decideNow(ORDER, call("write_file", { path: "/tmp/x", user: "root" }), state, 0);
  deepEqual([star.allowed, star.rule, star.reason], [false, "no root", "Nobody acts as root"]);
  ok(decideNow(ORDER, call("write_file", { path: "/tmp/x", user: "ann" }), state, 0).allowed);
});

Deno.test("decideNow() runs an entry's rules in order: the first failing rule decides", () => {
  const ordered = policy(`version: "1"
tools:
  t:
    rules:
      - name: first
        conditions: [{ path: args.a, op: eq, value: 1 }]
      - name: second
        conditions: [{ path: args.b, op: eq, value: 1 }]
        reason: b must be 1
`);
  equal(decideNow(ordered, call("t", { a: 2, b: 2 }), newState(), 0).rule, "first");
  const second = decideNow(ordered, call("t", { a: 1, b: 2 }), newState(), 0);
  deepEqual([second.rule, second.reason], ["second", "b must be 1"]);
  ok(decideNow(ordered, call("t", { a: 1, b: 1 }), newState(), 0).allowed);
});

Deno.test("decideNow() denies on a deny rule only when all its conditions match", () => {
  const deny = policy(`version: "1"
tools:
  t:
    rules:
      - name: big prod writes
        action: deny
        conditions:
          - { path: args.env, op: eq, value: prod }
          - { path: args.size, op: gt, value: 10 }
`);
  const denied = decideNow(deny, call("t", { env: "prod", size: 11 }), newState(), 0);
  deepEqual([denied.allowed, denied.reason], [false, `Tool "t" is denied by "big prod writes"`]);
  ok(decideNow(deny, call("t", { env: "prod", size: 5 }), newState(), 0).allowed);
  ok(decideNow(deny, call("t", { env: "dev", size: 50 }), newState(), 0).allowed);
  ok(decideNow(deny, call("t", {}), newState(), 0).allowed);
});

Deno.test("decideNow() lets an allow rule without checks through", () => {
  const allow = policy(`version: "1"\ntools:\n  t:\n    rules:\n      - action: allow\n`);
  deepEqual([decideNow(allow, call("t"), newState(), 0).allowed], [true]);
});

Deno.test("needsInputSchema() is true when the tool's entry or the * entry validates", () => {
  const validating = policy(`version: "1"
tools:
  a:
    rules:
      - validate: { required_args: true }
  b:
    rules: []
`);
  ok(needsInputSchema(validating, "a"));
  equal(needsInputSchema(validating, "b"), false);
  const star = policy(
    `version: "1"\ntools:\n  "*":\n    rules:\n      - validate: { required_args: true }\n`,
  );
  ok(needsInputSchema(star, "anything"));
});

Deno.test("policy() refuses a tool entry named __proto__ at load time, so no decision can miss it", () => {
  throws(
    () =>
      policy(`version: "1"
tools:
  __proto__:
    rules:
      - action: deny
        reason: Never
`),
    /"__proto__" cannot be used as a tool name/,
  );
});

Deno.test("decideNow() does not mistake Object.prototype names for listed tools", () => {
  const closed = policy(`version: "1"\ndefault: deny\ntools:\n  t: { rules: [] }\n`);
  for (const tool of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    equal(decideNow(closed, call(tool), newState(), 0).rule, "default", tool);
  }
});

Deno.test("evaluate() lets an approval waive only the rule it was given under, by an approver it accepts", () => {
  const compiled = policy(`version: "1"
tools:
  pay:
    rules:
      - name: user rule
        action: require_approval
        approval: { from: [user] }
      - name: operator rule
        action: require_approval
        approval: { from: [operator] }
`);
  const { liveDenies } = newState();
  const held = (approved: ToolCall["approved"]) => {
    const verdict = evaluate(compiled, { ...call("pay"), approved }, liveDenies);
    return "kind" in verdict && verdict.kind === "held" ? verdict.rule.name : null;
  };
  equal(held(undefined), "user rule");
  equal(held([{ rule: "user rule", by: "user" }]), "operator rule");
  equal(held([{ rule: "operator rule", by: "user" }]), "user rule", "a user cannot waive it");
  equal(held([{ rule: "user rule", by: "user" }, { rule: "operator rule", by: "operator" }]), null);
  equal(held(true), null, "a dry run waives every rule");
});
