/** The demo's own policy: the bundled confluent-kafka one with create-connector held for a human. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { parse } from "yaml";
import {
  APPROVAL_RULE,
  DEMO_BASE_POLICY,
  demoPolicyText,
  HELD_TOOL,
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
