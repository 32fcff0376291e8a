import { decideNow } from "../../src/state/decide_now.ts";
/** checkArguments, and `validate.required_args` through decideNow(). */
import { deepEqual, equal, ok } from "node:assert/strict";

import { checkArguments } from "../../src/engine/input_schema.ts";
import { call, newState, policy } from "./support.ts";

const SCHEMA = {
  type: "object",
  properties: {
    topicName: { type: "string" },
    partitions: { type: "integer" },
    config: { type: ["object", "null"] },
    note: { description: "no type" },
  },
  required: ["topicName", "partitions"],
};

Deno.test("checkArguments() accepts arguments that fit the schema", () => {
  deepEqual(checkArguments(SCHEMA, { topicName: "orders", partitions: 3 }), []);
  deepEqual(checkArguments(SCHEMA, { topicName: "o", partitions: 1, config: null, note: 5 }), []);
  deepEqual(checkArguments(SCHEMA, { topicName: "o", partitions: 1, extra: true }), []);
});

Deno.test("checkArguments() lists every missing required argument", () => {
  deepEqual(checkArguments(SCHEMA, {}), ["missing required arguments: topicName, partitions"]);
  deepEqual(checkArguments(SCHEMA, { partitions: 1 }), ["missing required argument: topicName"]);
  deepEqual(checkArguments({ required: ["a", 5] }, {}), ["missing required argument: a"]);
});

Deno.test("checkArguments() reports top-level arguments of the wrong JSON type", () => {
  deepEqual(checkArguments(SCHEMA, { topicName: 5, partitions: 1.5, config: [] }), [
    "argument topicName must be string",
    "argument partitions must be integer",
    "argument config must be object or null",
  ]);
});

Deno.test("checkArguments() ignores schemas it cannot read", () => {
  deepEqual(checkArguments(null, {}), []);
  deepEqual(checkArguments("schema", {}), []);
  deepEqual(checkArguments({ required: "topicName", properties: 5 }, {}), []);
  deepEqual(checkArguments({ properties: { a: { type: "decimal" } } }, { a: "x" }), []);
});

const VALIDATED = policy(`version: "1"
tools:
  create-topic:
    rules:
      - name: args fit
        validate: { required_args: true }
`);

Deno.test("decideNow() with validate.required_args allows arguments that fit the inputSchema", () => {
  const decision = decideNow(
    VALIDATED,
    call("create-topic", { topicName: "o", partitions: 1 }, { inputSchema: SCHEMA }),
    newState(),
    0,
  );
  ok(decision.allowed);
});

Deno.test("decideNow() with validate.required_args lists the missing arguments", () => {
  const decision = decideNow(
    VALIDATED,
    call("create-topic", {}, { inputSchema: SCHEMA }),
    newState(),
    0,
  );
  deepEqual([decision.allowed, decision.rule, decision.reason], [
    false,
    "args fit",
    `Invalid arguments for "create-topic": missing required arguments: topicName, partitions`,
  ]);
  const typed = decideNow(
    VALIDATED,
    call("create-topic", { topicName: 1, partitions: 1 }, { inputSchema: SCHEMA }),
    newState(),
    0,
  );
  equal(typed.reason, `Invalid arguments for "create-topic": argument topicName must be string`);
});

Deno.test("decideNow() with validate.required_args denies when the inputSchema is unknown", () => {
  const decision = decideNow(VALIDATED, call("create-topic", { topicName: "o" }), newState(), 0);
  deepEqual([decision.allowed, decision.reason], [
    false,
    `Cannot check the arguments of "create-topic": the server did not list this tool`,
  ]);
});

Deno.test("decideNow() with validate.required_args under * checks every tool", () => {
  const everywhere = policy(`version: "1"
tools:
  "*":
    rules:
      - validate: { required_args: true }
`);
  const schema = { type: "object", required: ["id"] };
  ok(decideNow(everywhere, call("x", { id: 1 }, { inputSchema: schema }), newState(), 0).allowed);
  const missing = decideNow(everywhere, call("y", {}, { inputSchema: schema }), newState(), 0);
  deepEqual([missing.allowed, missing.rule], [false, "*#1"]);
});
