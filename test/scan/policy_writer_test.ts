import { deepEqual, equal, match, ok } from "node:assert/strict";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { describeArguments, writePolicy } from "../../src/scan/policy_writer.ts";
import type { ScannedTool } from "../../src/scan/categorize.ts";

const SERVER = { name: "demo-server", version: "1.2.3" };
const TOOLS: ScannedTool[] = [
  {
    name: "produce-message",
    description: "Produce records\nto a topic.  Supports # and: colons",
    inputSchema: {
      type: "object",
      properties: { topicName: { type: "string" }, value: { type: "object" } },
      required: ["topicName"],
    },
    annotations: { readOnlyHint: false, destructiveHint: false },
  },
  { name: "list-topics", annotations: { readOnlyHint: true } },
  { name: "delete-topics", description: "Delete topics", inputSchema: { type: "object" } },
  { name: "create-flink-statement", inputSchema: { type: "object", properties: {} } },
];

Deno.test("writePolicy() writes a policy that loads, one entry per tool", () => {
  const policy = loadPolicyText(writePolicy(SERVER, TOOLS), "scan.yaml");
  deepEqual([...policy.exact.keys()].sort(), [
    "create-flink-statement",
    "delete-topics",
    "list-topics",
    "produce-message",
  ]);
  equal(policy.defaultPosture, "deny");
  equal(policy.wildcard, null);
  equal(
    policy.description,
    "demo-server 1.2.3: 4 tools (1 read, 1 write, 1 execute, 1 destructive)",
  );
});

Deno.test("writePolicy() gives each category its recommended rule", () => {
  const policy = loadPolicyText(writePolicy(SERVER, TOOLS), "scan.yaml");
  deepEqual(policy.exact.get("list-topics")!.rules, []);
  const [write] = policy.exact.get("produce-message")!.rules;
  equal(write.action, "allow");
  deepEqual([write.quota?.max, write.quota?.windowMs, write.quota?.per], [30, 60_000, "session"]);
  equal(write.validateArgs, false);
  const [execute] = policy.exact.get("create-flink-statement")!.rules;
  deepEqual([execute.quota?.max, execute.quota?.windowMs], [10, 60_000]);
  equal(execute.validateArgs, true);
  const [destructive] = policy.exact.get("delete-topics")!.rules;
  equal(destructive.action, "deny");
  match(destructive.reason!, /a human must run it/);
});

Deno.test("writePolicy() puts the description and arguments in comments above each tool", () => {
  const text = writePolicy(SERVER, TOOLS);
  match(
    text,
    / {2}# Produce records to a topic\. Supports # and: colons\n {2}# Arguments: topicName \(string, required\), value \(object\)\n {2}produce-message:\n/,
  );
  match(text, / {2}# Arguments: none\n {2}list-topics:\n/);
  match(
    text,
    / {2}# "\*":\n {2}# {3}rules:\n {2}# {5}- rate_limit: \{ max: 120, window: 60, per: global \}\n$/,
  );
});

Deno.test("writePolicy() groups read, write, execute, destructive, each sorted by name", () => {
  const text = writePolicy(SERVER, [...TOOLS, { name: "a-tool" }, { name: "get-b" }]);
  const keys = [...text.matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => m[1]);
  deepEqual(keys, [
    "get-b",
    "list-topics",
    "a-tool",
    "produce-message",
    "create-flink-statement",
    "delete-topics",
  ]);
});

Deno.test("writePolicy() is deterministic and writes the date on one header line only", () => {
  const shuffled = [...TOOLS].reverse();
  equal(writePolicy(SERVER, TOOLS), writePolicy(SERVER, shuffled));
  const dated = writePolicy(SERVER, TOOLS, { date: new Date("2026-03-04T05:06:07Z") });
  const undated = writePolicy(SERVER, TOOLS);
  deepEqual(
    dated.split("\n").filter((line) => !undated.split("\n").includes(line)),
    ["# Scanned on 2026-03-04."],
  );
});

Deno.test("writePolicy() truncates long descriptions to one line of 100 columns", () => {
  const text = writePolicy(SERVER, [{ name: "t", description: "word ".repeat(60) }]);
  const line = text.split("\n").find((l) => l.startsWith("  # word"))!;
  ok(line.length <= 100, line);
  ok(line.endsWith("..."), line);
  for (const l of text.split("\n")) ok(l.length <= 100 || l.startsWith("  # Arguments"), l);
});

Deno.test("writePolicy() quotes odd tool names and leaves out names a policy cannot hold", () => {
  const odd: ScannedTool[] = [
    { name: "true" },
    { name: "has space" },
    { name: 'quote"d:colon' },
    { name: "glob*name" },
    { name: "__proto__" },
    { name: "ünïcode" },
  ];
  const text = writePolicy(SERVER, odd, { date: null });
  const policy = loadPolicyText(text, "odd.yaml");
  deepEqual([...policy.exact.keys()].sort(), ["has space", 'quote"d:colon', "true", "ünïcode"]);
  equal(policy.globs.length, 0);
  match(text, /# Not listed: "glob\*name" cannot be a policy key/);
  match(text, /# Not listed: "__proto__" cannot be a policy key/);
});

Deno.test("writePolicy() writes a valid policy for a server without tools", () => {
  const policy = loadPolicyText(writePolicy(SERVER, []), "empty.yaml");
  equal(policy.exact.size, 0);
});

Deno.test("describeArguments() names each property's type and whether it is required", () => {
  deepEqual(
    describeArguments({
      type: "object",
      properties: {
        a: { type: "string" },
        b: { type: ["integer", "null"] },
        c: { anyOf: [{ type: "string" }, { type: "integer" }] },
        d: { enum: ["x", "y"] },
        e: {},
      },
      required: ["a", "e"],
    }),
    [
      "a (string, required)",
      "b (integer|null)",
      "c (string|integer)",
      "d (enum)",
      "e (any, required)",
    ],
  );
  deepEqual(describeArguments(undefined), []);
  deepEqual(describeArguments({ type: "object" }), []);
});
