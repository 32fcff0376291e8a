/** The bundled policy library: every policy loads, passes its own cases, and says its source. */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { loadCasesText } from "../../src/policies/cases.ts";
import { LIBRARY_NAMES, readLibraryCases, readLibraryPolicy } from "../../src/policies/library.ts";
import { runCases } from "../../src/policies/run_cases.ts";
import { loadPolicyFile, PolicyLoadError } from "../../src/policy/loader.ts";

const TOOL_COUNTS: Record<string, number> = {
  "confluent-kafka": 73,
  everything: 19,
  filesystem: 14,
  github: 26,
};
const SOURCES: Record<string, RegExp> = {
  "confluent-kafka": /@confluentinc\/mcp-confluent 1\.5\.0/,
  everything: /@modelcontextprotocol\/server-everything 2026\.8\.31/,
  filesystem: /@modelcontextprotocol\/server-filesystem 2026\.8\.31/,
  github: /@modelcontextprotocol\/server-github\s+(#\s+)?2025\.4\.8/,
};

Deno.test("LIBRARY_NAMES lists every policy in src/policies/library, each with cases", async () => {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL("../../src/policies/library/", import.meta.url))) {
    files.push(entry.name);
  }
  const expected = LIBRARY_NAMES.flatMap((name) => [`${name}.yaml`, `${name}.cases.yaml`]);
  deepEqual(files.sort(), expected.sort());
  deepEqual([...LIBRARY_NAMES].sort(), Object.keys(TOOL_COUNTS));
});

for (const name of LIBRARY_NAMES) {
  Deno.test(`builtin:${name} validates and passes its bundled cases`, async () => {
    const policy = await loadPolicyFile(`builtin:${name}`);
    equal(policy.source, `builtin:${name}`);
    equal(policy.exact.size, TOOL_COUNTS[name]);
    equal(policy.defaultPosture, "deny");
    const cases = loadCasesText(await readLibraryCases(name), `${name}.cases.yaml`, { policy });
    ok(cases.cases.length >= 10, `${name} has ${cases.cases.length} cases`);
    const failed = runCases(policy, cases).filter((result) => !result.passed);
    deepEqual(failed, []);
  });

  Deno.test(`builtin:${name} records the package and version it was made from`, async () => {
    const text = await readLibraryPolicy(name);
    match(text.split("\nversion:")[0], SOURCES[name]);
    match(text, /intercept scan/);
  });
}

Deno.test("builtin:confluent-kafka gives every category its recommended rule", async () => {
  const policy = await loadPolicyFile("builtin:confluent-kafka");
  const destructive = [...policy.exact.values()].filter((e) => e.rules[0]?.action === "deny");
  deepEqual(destructive.map((entry) => entry.key).sort(), [
    "delete-connector",
    "delete-flink-statements",
    "delete-schema",
    "delete-tableflow-catalog-integration",
    "delete-tableflow-topic",
    "delete-tag",
    "delete-topics",
    "remove-tag-from-entity",
  ]);
  for (const entry of destructive) match(entry.rules[0].reason!, /a human must run it/);
  const [produce] = policy.exact.get("produce-message")!.rules;
  deepEqual(
    [produce.action, produce.quota?.max, produce.quota?.windowMs, produce.validateArgs],
    ["allow", 30, 60_000, true],
  );
  const [flink] = policy.exact.get("create-flink-statement")!.rules;
  deepEqual([flink.quota?.max, flink.quota?.windowMs, flink.validateArgs], [10, 60_000, true]);
  for (const read of ["list-topics", "consume-messages", "get-topic-config", "list-schemas"]) {
    deepEqual(policy.exact.get(read)!.rules, [], read);
  }
  const writes = [...policy.exact.values()].filter((e) => e.rules[0]?.quota?.max === 30);
  equal(writes.length, 15);
});

Deno.test("loadPolicyFile() rejects an unknown builtin: name, listing the bundled ones", async () => {
  await rejects(loadPolicyFile("builtin:kafka"), (error) => {
    ok(error instanceof PolicyLoadError);
    equal(
      error.message,
      'builtin:kafka:1:1: Cannot read policy: no bundled policy "kafka" ' +
        "(bundled: confluent-kafka, everything, filesystem, github)",
    );
    return true;
  });
});
