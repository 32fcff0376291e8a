/** The demo's own policy: the bundled confluent-kafka one with create-connector held for a human. */
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { parse } from "yaml";
import {
  APPROVAL_RULE,
  DEMO_BASE_POLICY,
  demoPolicyText,
  HELD_TOOL,
  holdForHuman,
  writeDemoPolicy,
} from "../../src/demo/demo_policy.ts";
import { loadPolicyText, readPolicySource } from "../../src/policy/loader.ts";

Deno.test("demoPolicyText() holds create-connector for the given time and changes nothing else", async () => {
  const text = await demoPolicyText(7);
  const own = parse(text);
  const base = parse(await readPolicySource(DEMO_BASE_POLICY));
  deepEqual(own.tools[HELD_TOOL].rules, [{
    name: APPROVAL_RULE,
    action: "require_approval",
    approval: { timeout: 7, from: ["operator"] },
    reason: "New connectors are approved by a human",
  }]);
  delete own.tools[HELD_TOOL];
  delete base.tools[HELD_TOOL];
  deepEqual(own, base);
  const [rule] = loadPolicyText(text, "demo").exact.get(HELD_TOOL)!.rules;
  equal(rule.action, "require_approval");
  equal(rule.approval?.timeoutMs, 7_000);
});

Deno.test("writeDemoPolicy() writes a private file and removes its folder", async () => {
  const { path, dispose } = await writeDemoPolicy(3);
  const folder = path.slice(0, path.lastIndexOf("/"));
  equal((await Deno.stat(folder)).mode! & 0o777, 0o700);
  equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  ok((await Deno.readTextFile(path)).includes("timeout: 3"));
  await dispose();
  equal(await Deno.stat(folder).then(() => true, () => false), false);
});

Deno.test("holdForHuman() replaces the whole entry, also at the end of the text", () => {
  const text = [
    "tools:",
    "  create-connector:",
    "    rules:",
    "",
    "      - action: allow",
    "  other: { rules: [] }",
    "  last:",
    "    rules: []",
  ].join("\n");
  const own = parse(holdForHuman(text, 4));
  deepEqual(Object.keys(own.tools), [HELD_TOOL, "other", "last"]);
  equal(own.tools[HELD_TOOL].rules.length, 1);
  equal(own.tools[HELD_TOOL].rules[0].approval.timeout, 4);
  const atEnd = parse(
    holdForHuman("tools:\n  a: { rules: [] }\n  create-connector:\n    rules: []\n", 5),
  );
  deepEqual(atEnd.tools.a, { rules: [] });
  equal(atEnd.tools[HELD_TOOL].rules[0].action, "require_approval");
});

Deno.test("holdForHuman() refuses a policy without exactly one create-connector entry", () => {
  const message = /has no single create-connector entry/;
  throws(() => holdForHuman("tools:\n  other: { rules: [] }\n", 3), message);
  throws(() => holdForHuman("tools:\n  create-connector:\n  create-connector:\n", 3), message);
  throws(() => holdForHuman("create-connector:\n  rules: []\n", 3), message);
});
