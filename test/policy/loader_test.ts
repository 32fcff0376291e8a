/** loadPolicyText / loadPolicyFile: both dialects load; every shipped Intercept file validates. */
import { deepEqual, equal, fail, ok, rejects, throws } from "node:assert/strict";
import {
  formatLocatedError,
  loadPolicyFile,
  loadPolicyText,
  PolicyLoadError,
} from "../../src/policy/loader.ts";
import { errorsOf } from "./support.ts";

/**
 * Intercept's 53 published scaffolds (optional): in `$INTERCEPT_SCAFFOLDS`, else where the
 * project's CI machine keeps them beside the checkout. A fresh clone has neither: the test is
 * skipped and says so, and test/policy/intercept_v1_corpus_test.ts covers the same ground with
 * the project's own files.
 */
const INTERCEPT_FIXTURES = Deno.env.get("INTERCEPT_SCAFFOLDS")?.replace(/\/?$/, "/") ??
  new URL("../../../shared/fixtures/intercept-policies/", import.meta.url).pathname;
const HAS_INTERCEPT_FIXTURES = (() => {
  try {
    return Deno.statSync(INTERCEPT_FIXTURES).isDirectory;
  } catch {
    return false;
  }
})();

const CATALOGUE = `version: "1"
description: "Confluent Kafka"
default: allow
hide: [delete-topics]
tools:
  produce-message:
    rules:
      - name: writes are paced
        action: allow
        rate_limit: { max: 30, window: 60 }
        conditions:
          - { path: args.topicName, op: regex, value: "^(orders|audit)-" }
        validate: { required_args: true }
        reason: "Writes are limited to 30 a minute"
  "delete_*":
    rules:
      - action: deny
        reason: "Destructive tools need a human"
  "*":
    rules:
      - rate_limit: { max: 120, window: 1m, per: global }
`;

const V1 = `version: "1"
description: "Intercept style"
tools:
  create_issue:
    rules:
      - name: "hourly issue limit"
        rate_limit: 5/hour
        on_deny: "Five an hour"
      - name: "spend"
        action: evaluate
        state: { counter: spent, window: day, increment_from: args.amount }
        conditions:
          - { path: state.create_issue.spent, op: lte, value: 100 }
`;

Deno.test("loadPolicyText() loads the catalogue dialect", () => {
  const policy = loadPolicyText(CATALOGUE, "kafka.yaml");
  equal(policy.source, "kafka.yaml");
  equal(policy.description, "Confluent Kafka");
  equal(policy.defaultPosture, "allow");
  ok(policy.hiddenNames.has("delete-topics"));
  const rule = policy.exact.get("produce-message")!.rules[0];
  equal(rule.name, "writes are paced");
  equal(rule.action, "allow");
  equal(rule.reason, "Writes are limited to 30 a minute");
  deepEqual([rule.quota?.max, rule.quota?.windowMs, rule.quota?.per], [30, 60_000, "session"]);
  equal(rule.conditions.length, 1);
  equal(rule.validateArgs, true);
  ok(policy.exact.get("produce-message")!.needsInputSchema);
  const glob = policy.globs[0];
  ok(glob.pattern.test("delete_topics") && !glob.pattern.test("xdelete_topics"));
  equal(glob.entry.rules[0].name, "delete_*#1");
  const global = policy.wildcard!.rules[0];
  deepEqual([global.quota?.max, global.quota?.windowMs, global.quota?.per], [
    120,
    60_000,
    "global",
  ]);
  equal(global.action, "allow");
});

Deno.test("loadPolicyText() loads the Intercept v1 dialect", () => {
  const policy = loadPolicyText(V1, "v1.yaml");
  equal(policy.defaultPosture, "allow");
  const [limit, spend] = policy.exact.get("create_issue")!.rules;
  equal(limit.reason, "Five an hour");
  deepEqual([limit.quota?.max, limit.quota?.windowMs], [5, 3_600_000]);
  equal(spend.action, "evaluate");
  equal(spend.counter?.id, "create_issue.spent");
  equal(spend.counter?.incrementFromText, "args.amount");
  equal(spend.counter?.windowMs, 86_400_000);
  equal(spend.conditions[0].counterId, "create_issue.spent");
});

Deno.test("loadPolicyText() compiles the design's `delete-*` glob entry", () => {
  const policy = loadPolicyText(CATALOGUE.replace('"delete_*"', "delete-*"), "kafka.yaml");
  ok(policy.globs[0].pattern.test("delete-topics"));
  ok(!policy.globs[0].pattern.test("delete_topics"));
});

Deno.test("loadPolicyText() accepts version 1 as a number and a YAML anchor", () => {
  const policy = loadPolicyText(
    `version: 1\ntools:\n  a: &same\n    rules: []\n  b: *same\n`,
    "p.yaml",
  );
  deepEqual([...policy.exact.keys()], ["a", "b"]);
});

Deno.test("loadPolicyText() returns a frozen policy", () => {
  const policy = loadPolicyText(V1, "v1.yaml");
  ok(Object.isFrozen(policy));
  // Objects are frozen; the arrays the engine walks on every call are readonly by type only.
  ok(Object.isFrozen(policy.exact.get("create_issue")));
  ok(Object.isFrozen(policy.exact.get("create_issue")!.rules[0]));
  ok(Object.isFrozen(policy.exact.get("create_issue")!.rules[0].conditions[0]));
  throws(() => {
    (policy as { defaultPosture: string }).defaultPosture = "deny";
  }, TypeError);
});

Deno.test({
  name: HAS_INTERCEPT_FIXTURES
    ? `loadPolicyFile() validates every Intercept scaffold in ${INTERCEPT_FIXTURES}`
    : "loadPolicyFile() validates Intercept's scaffolds (optional; skipped: set INTERCEPT_SCAFFOLDS " +
      "to a folder of them)",
  ignore: !HAS_INTERCEPT_FIXTURES,
  fn: validatesEveryScaffold,
});

async function validatesEveryScaffold(): Promise<void> {
  let count = 0;
  const failures: string[] = [];
  for await (const entry of Deno.readDir(INTERCEPT_FIXTURES)) {
    if (!entry.isFile || !entry.name.endsWith(".yaml")) continue;
    count++;
    try {
      const policy = await loadPolicyFile(INTERCEPT_FIXTURES + entry.name);
      ok(policy.exact.size + policy.globs.length > 0 || policy.wildcard, entry.name);
    } catch (error) {
      failures.push(`${entry.name}: ${error}`);
    }
  }
  deepEqual(failures, []);
  ok(count >= 53, `expected the 53 published scaffolds, found ${count}`);
}

Deno.test("loadPolicyFile() reports a missing file as a located error", async () => {
  await rejects(() => loadPolicyFile("/nonexistent/policy.yaml"), (error) => {
    ok(error instanceof PolicyLoadError);
    deepEqual(error.errors, [{
      file: "/nonexistent/policy.yaml",
      line: 1,
      col: 1,
      message: "Cannot read policy: no such file",
    }]);
    return true;
  });
});

Deno.test("loadPolicyText() reports schema and compile errors of other entries in one run", () => {
  const text = `version: "1"
defualt: deny
hide: [a, a]
tools:
  broken:
    rules:
      - actoin: allow
  sound:
    rules:
      - conditions:
          - { path: args.x, op: regex, value: "(" }
      - rate_limit: { max: 0, window: 60 }
`;
  deepEqual(errorsOf(text), [
    `p.yaml:2:1: Unknown key "defualt" at the top level; did you mean "default"?`,
    `p.yaml:3:11: hide lists "a" twice`,
    `p.yaml:7:9: Unknown key "actoin" in "tools.broken.rules[0]"; did you mean "action"?`,
    'p.yaml:11:47: Invalid regex "(": missing closing ): `(`',
    `p.yaml:12:28: rate_limit max must be a whole number of at least 1`,
  ]);
});

Deno.test("PolicyLoadError's message lists every error, one a line", () => {
  try {
    loadPolicyText(`version: "2"\ntools: 5\n`, "p.yaml");
    fail("expected a PolicyLoadError");
  } catch (error) {
    ok(error instanceof PolicyLoadError);
    equal(error.name, "PolicyLoadError");
    equal(error.errors.length, 2);
    equal(error.message, error.errors.map(formatLocatedError).join("\n"));
  }
});

Deno.test("loadPolicyText() holds back a counter read when the defining entry is broken", () => {
  // The counter may be defined by the broken entry: only the schema error is reported.
  const text = `version: "1"
tools:
  a:
    rules:
      - bogus: 1
  b:
    rules:
      - conditions:
          - { path: state.a.n, op: lte, value: 1 }
`;
  deepEqual(errorsOf(text), [`p.yaml:5:9: Unknown key "bogus" in "tools.a.rules[0]"`]);
});

Deno.test("formatLocatedError() writes file:line:col: message", () => {
  equal(formatLocatedError({ file: "a.yaml", line: 3, col: 7, message: "Bad" }), "a.yaml:3:7: Bad");
});

/** Eight levels of ten aliases each: 10^8 nodes if expanded. */
function aliasBomb(): string {
  let text = `version: "1"\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n`;
  for (let i = 1; i < 8; i++) {
    text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
  }
  return text + "tools: {}\n";
}

Deno.test("loadPolicyText() refuses an alias bomb without expanding it", () => {
  throws(() => loadPolicyText(aliasBomb(), "bomb.yaml"));
});

Deno.test("loadPolicyText() reports an alias bomb as a located error", () => {
  deepEqual(errorsOf(aliasBomb()), [
    "p.yaml:8:10: The policy expands to more than 2,000,000 values through its YAML aliases; " +
    "write the rules out, or share fewer of them",
  ]);
});

Deno.test("loadPolicyText() loads many aliases of a shared entry, in time linear in the file", () => {
  let text = `version: "1"\ntools:\n  base: &entry\n    rules:\n`;
  text += `      - conditions: [{ path: args.a, op: regex, value: "^v-[a-z]+$" }]\n`;
  for (let i = 0; i < 90; i++) text += `  t${i}: *entry\n`;
  const policy = loadPolicyText(text, "p.yaml");
  equal(policy.exact.size, 91);
});

Deno.test("loadPolicyText() says a list or a scalar document must be a mapping", () => {
  deepEqual(errorsOf("[1, 2]\n"), ["p.yaml:1:1: The policy must be a mapping"]);
  deepEqual(errorsOf("hello\n"), ["p.yaml:1:1: The policy must be a mapping"]);
});

Deno.test("loadPolicyFile() refuses what is not a regular file, with its path", async () => {
  await rejects(loadPolicyFile("/dev/zero"), (error: unknown) => {
    ok(error instanceof PolicyLoadError);
    equal(error.message, "/dev/zero:1:1: Cannot read policy: not a regular file");
    return true;
  });
});
