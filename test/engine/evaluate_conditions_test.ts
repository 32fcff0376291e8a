import { decideNow } from "../../src/state/decide_now.ts";
/** decideNow(): every operator and every path form, through a compiled policy. */
import { equal, ok } from "node:assert/strict";

import { call, conditionPolicy, newState } from "./support.ts";

/** Whether a one-condition policy lets `args` through. */
function holds(condition: string, args: Record<string, unknown>): boolean {
  return decideNow(conditionPolicy(`- ${condition}`), call("t", args), newState(), 0).allowed;
}

Deno.test("decideNow() eq and neq hold on equal and unequal values", () => {
  ok(holds(`{ path: args.env, op: eq, value: prod }`, { env: "prod" }));
  ok(!holds(`{ path: args.env, op: eq, value: prod }`, { env: "dev" }));
  ok(holds(`{ path: args.env, op: neq, value: prod }`, { env: "dev" }));
  ok(!holds(`{ path: args.env, op: neq, value: prod }`, { env: "prod" }));
  ok(!holds(`{ path: args.n, op: eq, value: 5 }`, { n: "5" }));
});

Deno.test("decideNow() in and not_in hold on list membership", () => {
  ok(holds(`{ path: args.c, op: in, value: [usd, eur] }`, { c: "eur" }));
  ok(!holds(`{ path: args.c, op: in, value: [usd, eur] }`, { c: "gbp" }));
  ok(holds(`{ path: args.c, op: not_in, value: [btc] }`, { c: "eur" }));
  ok(!holds(`{ path: args.c, op: not_in, value: [btc] }`, { c: "btc" }));
});

Deno.test("decideNow() lt lte gt gte compare numbers", () => {
  ok(holds(`{ path: args.n, op: lt, value: 5 }`, { n: 4.5 }));
  ok(!holds(`{ path: args.n, op: lt, value: 5 }`, { n: 5 }));
  ok(holds(`{ path: args.n, op: lte, value: 5 }`, { n: 5 }));
  ok(!holds(`{ path: args.n, op: lte, value: 5 }`, { n: 6 }));
  ok(holds(`{ path: args.n, op: gt, value: 5 }`, { n: 6 }));
  ok(!holds(`{ path: args.n, op: gt, value: 5 }`, { n: 5 }));
  ok(holds(`{ path: args.n, op: gte, value: -1 }`, { n: -1 }));
  ok(!holds(`{ path: args.n, op: gte, value: -1 }`, { n: -2 }));
});

Deno.test("decideNow() lt on a numeric string fails the condition, as in Intercept", () => {
  ok(!holds(`{ path: args.n, op: lt, value: 5 }`, { n: "4" }));
  ok(!holds(`{ path: args.n, op: gte, value: 0 }`, { n: "10" }));
});

Deno.test("decideNow() regex holds on a matching string only", () => {
  ok(holds(`{ path: args.topic, op: regex, value: "^(orders|audit)-" }`, { topic: "orders-eu" }));
  ok(!holds(`{ path: args.topic, op: regex, value: "^(orders|audit)-" }`, { topic: "users" }));
  ok(!holds(`{ path: args.topic, op: regex, value: "1" }`, { topic: 1 }));
});

Deno.test("decideNow() contains looks into strings and lists", () => {
  ok(holds(`{ path: args.q, op: contains, value: "DROP" }`, { q: "x; DROP TABLE" }));
  ok(!holds(`{ path: args.q, op: contains, value: "DROP" }`, { q: "select" }));
  ok(holds(`{ path: args.tags, op: contains, value: urgent }`, { tags: ["a", "urgent"] }));
  ok(!holds(`{ path: args.tags, op: contains, value: urgent }`, { tags: ["a"] }));
});

Deno.test("decideNow() exists true needs the value; exists false needs it absent", () => {
  ok(holds(`{ path: args.id, op: exists, value: true }`, { id: null }));
  ok(!holds(`{ path: args.id, op: exists, value: true }`, {}));
  ok(holds(`{ path: args.force, op: exists, value: false }`, {}));
  ok(!holds(`{ path: args.force, op: exists, value: false }`, { force: false }));
});

Deno.test("decideNow() fails every operator but exists: false on a missing value", () => {
  const missing = [
    `{ path: args.x, op: eq, value: 1 }`,
    `{ path: args.x, op: neq, value: 1 }`,
    `{ path: args.x, op: in, value: [1] }`,
    `{ path: args.x, op: not_in, value: [1] }`,
    `{ path: args.x, op: lt, value: 1 }`,
    `{ path: args.x, op: lte, value: 1 }`,
    `{ path: args.x, op: gt, value: 1 }`,
    `{ path: args.x, op: gte, value: 1 }`,
    `{ path: args.x, op: regex, value: "" }`,
    `{ path: args.x, op: contains, value: a }`,
    `{ path: args.x, op: exists, value: true }`,
  ];
  for (const condition of missing) ok(!holds(condition, {}), condition);
  ok(holds(`{ path: args.x, op: exists, value: false }`, {}));
  // A key inherited from the prototype is not an argument.
  ok(!holds(`{ path: args.toString, op: exists, value: true }`, {}));
});

Deno.test("decideNow() follows nested paths and indexes", () => {
  const nested = `{ path: args.a.b, op: eq, value: 1 }`;
  ok(holds(nested, { a: { b: 1 } }));
  ok(!holds(nested, { a: { b: 2 } }));
  ok(!holds(nested, { a: 1 }));
  ok(!holds(nested, { a: [{ b: 1 }] }));
  const indexed = `{ path: "args.list[1].x", op: eq, value: 1 }`;
  ok(holds(indexed, { list: [{ x: 0 }, { x: 1 }] }));
  ok(!holds(indexed, { list: [{ x: 1 }] }));
  ok(!holds(indexed, { list: { 1: { x: 1 } } }));
});

Deno.test("decideNow() [*] holds only when it holds for every element, and there is one", () => {
  const every = `{ path: "args.items[*].qty", op: lte, value: 10 }`;
  ok(holds(every, { items: [{ qty: 1 }, { qty: 10 }] }));
  ok(!holds(every, { items: [{ qty: 1 }, { qty: 11 }] }));
  ok(!holds(every, { items: [{ qty: 1 }, {}] }));
  ok(!holds(every, { items: [] }));
  ok(!holds(every, { items: "not a list" }));
  ok(!holds(every, {}));
  const nestedEvery = `{ path: "args.m[*][*]", op: gt, value: 0 }`;
  ok(holds(nestedEvery, { m: [[1, 2], [3]] }));
  ok(!holds(nestedEvery, { m: [[1, 2], []] }));
});

Deno.test("decideNow() reads quoted keys holding dots", () => {
  const quoted = `{ path: 'args["a.b"].c', op: eq, value: 1 }`;
  ok(holds(quoted, { "a.b": { c: 1 } }));
  ok(!holds(quoted, { a: { b: { c: 1 } } }));
});

Deno.test({
  name: "decideNow() reads quoted keys holding brackets",
  fn() {
    const quoted = `{ path: 'args["a.b"]["c[0]"]', op: eq, value: 1 }`;
    ok(holds(quoted, { "a.b": { "c[0]": 1 } }));
    ok(!holds(quoted, { a: { b: { c: [1] } } }));
  },
});

Deno.test("decideNow() requires every condition of a rule to hold", () => {
  const policy = conditionPolicy(`
- { path: args.a, op: eq, value: 1 }
- { path: args.b, op: eq, value: 2 }
`);
  ok(decideNow(policy, call("t", { a: 1, b: 2 }), newState(), 0).allowed);
  const decision = decideNow(policy, call("t", { a: 1, b: 3 }), newState(), 0);
  equal(decision.reason, "Condition failed: args.b eq 2");
  equal(decision.rule, "check");
  equal(decision.retryAfterMs, null);
});
