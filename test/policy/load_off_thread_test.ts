/**
 * loadPolicyOffThread: a policy seen before comes from the cache (no worker, no parser here);
 * any other text is checked in full, and a cache entry never stands in for a changed file.
 */
import { equal, rejects } from "node:assert/strict";
import { loadPolicyOffThread } from "../../src/policy/load_off_thread.ts";
import { PolicyLoadError } from "../../src/policy/load_error.ts";
import { PolicyCache } from "../../src/policy/policy_cache.ts";

const DENY_ALL = `version: "1"\ndefault: deny\ntools:\n  list-topics: { rules: [] }\n`;
const ALLOW_ALL = `version: "1"\ndefault: allow\ntools: {}\n`;

async function withFiles(
  test: (policyPath: string, cache: PolicyCache, logs: string[]) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "intercept-load-" });
  const logs: string[] = [];
  try {
    const cache = new PolicyCache(`${root}/cache`, { fingerprint: "test" });
    await test(`${root}/policy.yaml`, cache, logs);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("loadPolicyOffThread() checks a new policy in full and caches it", async () => {
  await withFiles(async (path, cache) => {
    await Deno.writeTextFile(path, DENY_ALL);
    const policy = await loadPolicyOffThread(path, { cache });
    equal(policy.defaultPosture, "deny");
    equal(policy.source, path);
    equal(await cache.read(await cache.keyOf(DENY_ALL)) !== null, true);
  });
});

Deno.test("loadPolicyOffThread() takes a policy seen before from the cache", async () => {
  await withFiles(async (path, cache) => {
    await Deno.writeTextFile(path, DENY_ALL);
    // An entry for this exact text that says something else: only a cache hit returns it.
    // (Entries keep the policy's parts, its entries as a list of pairs.)
    await cache.write(await cache.keyOf(DENY_ALL), {
      version: "1",
      default: "allow",
      tools: [],
    });
    equal((await loadPolicyOffThread(path, { cache })).defaultPosture, "allow");
  });
});

Deno.test("loadPolicyOffThread() never lets a cached entry mask a changed file", async () => {
  await withFiles(async (path, cache) => {
    await Deno.writeTextFile(path, ALLOW_ALL);
    equal((await loadPolicyOffThread(path, { cache })).defaultPosture, "allow");
    await Deno.writeTextFile(path, DENY_ALL);
    equal((await loadPolicyOffThread(path, { cache })).defaultPosture, "deny");
    await Deno.writeTextFile(path, `version: "1"\ndefault: maybe\ntools: {}\n`);
    await rejects(loadPolicyOffThread(path, { cache }), PolicyLoadError);
  });
});

Deno.test("loadPolicyOffThread() checks in full when the entry is damaged, and mends it", async () => {
  await withFiles(async (path, cache) => {
    await Deno.writeTextFile(path, DENY_ALL);
    await loadPolicyOffThread(path, { cache });
    const key = await cache.keyOf(DENY_ALL);
    await Deno.writeTextFile(`${cache.dir}/${key}.json`, "{ not json");
    equal((await loadPolicyOffThread(path, { cache })).defaultPosture, "deny");
    equal(await cache.read(key) !== null, true, "written again");
  });
});

Deno.test("loadPolicyOffThread() checks in full when an intact entry does not compile", async () => {
  await withFiles(async (path, cache, logs) => {
    await Deno.writeTextFile(path, DENY_ALL);
    await cache.write(await cache.keyOf(DENY_ALL), {
      version: "1",
      tools: [["a", { rules: [{ rate_limit: "30/fortnight" }] }]],
    });
    const policy = await loadPolicyOffThread(path, { cache, log: (m) => logs.push(m) });
    equal(policy.defaultPosture, "deny");
    equal(logs.length, 1);
  });
});

Deno.test("loadPolicyOffThread() reports an invalid policy and caches nothing", async () => {
  await withFiles(async (path, cache) => {
    const bad = `version: "1"\ntools:\n  a: { rules: [{ action: maybe }] }\n`;
    await Deno.writeTextFile(path, bad);
    await rejects(loadPolicyOffThread(path, { cache }), PolicyLoadError);
    equal(await cache.read(await cache.keyOf(bad)), null);
    await rejects(loadPolicyOffThread(`${path}.missing`, { cache }), PolicyLoadError);
  });
});

Deno.test("loadPolicyOffThread() works without a cache", async () => {
  await withFiles(async (path) => {
    await Deno.writeTextFile(path, ALLOW_ALL);
    equal((await loadPolicyOffThread(path)).defaultPosture, "allow");
  });
});

Deno.test("loadPolicyOffThread() uses no cache for a policy file another user owns", async () => {
  await withFiles(async (path, cache) => {
    await Deno.writeTextFile(path, DENY_ALL);
    await cache.write(await cache.keyOf(DENY_ALL), { version: "1", default: "allow", tools: [] });
    const owner = (await Deno.stat(path)).uid;
    if (owner === null) return; // no user ids on this system
    const asAnother = await loadPolicyOffThread(path, { cache, uid: owner + 1 });
    equal(asAnother.defaultPosture, "deny", "checked in full, the planted entry ignored");
    equal((await loadPolicyOffThread(path, { cache, uid: owner })).defaultPosture, "allow");
  });
});

Deno.test("loadPolicyOffThread() uses no cache for a bundled policy", async () => {
  await withFiles(async (_path, cache) => {
    const policy = await loadPolicyOffThread("builtin:everything", { cache });
    equal(policy.source, "builtin:everything");
    const folder = await Deno.stat(cache.dir).then(() => true, () => false);
    equal(folder, false, "nothing was cached");
  });
});

Deno.test("loadPolicyOffThread() ignores an entry of another form (a plain policy object)", async () => {
  await withFiles(async (path, cache, logs) => {
    await Deno.writeTextFile(path, DENY_ALL);
    await cache.write(await cache.keyOf(DENY_ALL), { version: "1", default: "allow", tools: {} });
    const policy = await loadPolicyOffThread(path, { cache, log: (m) => logs.push(m) });
    equal(policy.defaultPosture, "deny", "checked in full");
  });
});
