/**
 * compilePolicyInSlices and the worker transfer: a large policy is compiled in slices that
 * yield to the event loop, and crosses from the worker in small parts, with the same result as
 * compiling it in one go. (How long the main thread stalls is measured by `deno task bench`.)
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { compilePolicy, compilePolicyInSlices } from "../../src/policy/compile.ts";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyOffThread } from "../../src/policy/load_off_thread.ts";
import { checkPolicyText, PolicyLoadError } from "../../src/policy/loader.ts";
import { PolicyAssembler, policyMessages } from "../../src/policy/policy_transfer.ts";
import type { Policy } from "../../src/policy/schema.ts";

function largePolicyText(entries: number): string {
  let text = `version: "1"\ndefault: deny\nhide: ["*-secret"]\ntools:\n`;
  for (let i = 0; i < entries; i++) {
    text += i % 2 === 0
      ? `  "svc${i}-*": { rules: [] }\n`
      : `  tool-${i}:\n    rules:\n      - conditions: [{ path: args.t, op: regex, value: "^t${
        i % 7
      }-" }]\n        rate_limit: "${i % 50 + 1}/minute"\n`;
  }
  return text + `  "*": { rules: [{ name: all, rate_limit: "1000/minute" }] }\n`;
}

/** What the engine sees of a compiled policy, for comparing two compilations. */
function shape(policy: CompiledPolicy): unknown {
  const entry = (e: { key: string; rules: readonly { name: string; quota: unknown }[] }) => [
    e.key,
    e.rules.map((rule) => [rule.name, rule.quota]),
  ];
  return {
    exact: [...policy.exact.values()].map(entry),
    globs: policy.globs.map((glob) => [glob.pattern.source, entry(glob.entry)]),
    hidden: policy.hiddenGlobs.map((glob) => glob.source),
    wildcard: policy.wildcard && entry(policy.wildcard),
  };
}

Deno.test("compilePolicyInSlices() yields between slices and compiles what compilePolicy does", async () => {
  const policy = checkPolicyText(largePolicyText(2_000), "p.yaml");
  let clock = 0;
  let pauses = 0;
  const sliced = await compilePolicyInSlices(policy, {
    sliceMs: 5,
    now: () => clock++, // every step "takes" 1 ms
    pause: () => {
      pauses++;
      return Promise.resolve();
    },
  });
  ok(pauses > 100, `expected many slices, got ${pauses} pauses`);
  deepEqual(shape(sliced), shape(compilePolicy(policy)));
});

Deno.test("compilePolicyInSlices() never pauses a policy that fits in one slice", async () => {
  let pauses = 0;
  await compilePolicyInSlices(checkPolicyText(largePolicyText(5), "p.yaml"), {
    sliceMs: 1_000_000,
    pause: () => {
      pauses++;
      return Promise.resolve();
    },
  });
  equal(pauses, 0);
});

Deno.test("policyMessages() cuts a policy into small parts that PolicyAssembler puts back", () => {
  const rules = Array.from({ length: 3_000 }, (_, i) => ({ name: `r${i}`, rate_limit: "5/hour" }));
  const policy: Policy = {
    version: "1",
    hide: Array.from({ length: 5_000 }, (_, i) => `h${i}`),
    tools: { big: { rules }, small: { rules: [] }, "g-*": { rules: [{ action: "deny" }] } },
  };
  const messages = [...policyMessages(policy)];
  ok(messages.length > 4, `${messages.length} messages`);
  for (const message of messages) ok(JSON.stringify(message).length < 100_000);
  const assembler = new PolicyAssembler();
  let whole = null;
  for (const message of messages) {
    equal(whole, null, "nothing is returned before the last message");
    whole = assembler.add(message as Parameters<PolicyAssembler["add"]>[0]);
  }
  ok(whole);
  deepEqual(whole.hide, policy.hide);
  deepEqual([...whole.tools.keys()], ["big", "small", "g-*"]);
  deepEqual(whole.tools.get("big")!.rules, rules);
});

Deno.test("loadPolicyOffThread() loads a large policy from the worker, part by part", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/large.yaml`;
    const text = largePolicyText(3_000);
    await Deno.writeTextFile(path, text);
    const loaded = await loadPolicyOffThread(path);
    deepEqual(shape(loaded), shape(compilePolicy(checkPolicyText(text, path), { source: path })));
    equal(loaded.source, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadPolicyOffThread() rejects a broken policy with every located error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      path,
      `version: "1"\ntools:\n  a: { rules: [{ rate_limit: "1/x" }] }\n`,
    );
    await loadPolicyOffThread(path).then(
      () => ok(false, "expected a PolicyLoadError"),
      (error) => {
        ok(error instanceof PolicyLoadError);
        equal(error.errors.length, 1);
        equal(error.errors[0].line, 3);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
