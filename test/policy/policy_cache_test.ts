/** PolicyCache: checked policies kept by content hash, used only when safe and intact. */
import { deepEqual, equal, match, notEqual, ok } from "node:assert/strict";
import {
  checkerFingerprint,
  defaultPolicyCacheDir,
  MAX_ENTRIES,
  openPolicyCache,
  PolicyCache,
} from "../../src/policy/policy_cache.ts";

const POLICY = { version: "1", default: "deny", tools: { "list-topics": { rules: [] } } };

async function withCache(
  test: (cache: PolicyCache, dir: string, logs: string[]) => Promise<void>,
  uid?: () => number | null,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "intercept-policy-cache-" });
  const logs: string[] = [];
  try {
    const dir = `${root}/policies`;
    const cache = new PolicyCache(dir, { fingerprint: "test", log: (m) => logs.push(m), uid });
    await test(cache, dir, logs);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** The one entry file in `dir`. */
async function entryFile(dir: string): Promise<string> {
  const names: string[] = [];
  for await (const item of Deno.readDir(dir)) names.push(item.name);
  equal(names.length, 1, `one entry, found ${names.join(", ")}`);
  return `${dir}/${names[0]}`;
}

Deno.test("PolicyCache reads back what it stored under the same text's key", async () => {
  await withCache(async (cache, dir) => {
    const key = await cache.keyOf("version: '1'\n");
    equal(await cache.read(key), null, "a miss before anything is stored");
    await cache.write(key, POLICY);
    deepEqual(await cache.read(key), POLICY);
    const info = await Deno.stat(dir);
    equal(info.mode! & 0o777, 0o700, "the folder is the user's alone");
    equal((await Deno.stat(await entryFile(dir))).mode! & 0o777, 0o600);
  });
});

Deno.test("PolicyCache keys differ for another text and for another checker", async () => {
  await withCache(async (cache) => {
    const key = await cache.keyOf("a: 1\n");
    await cache.write(key, POLICY);
    const changed = await cache.keyOf("a: 2\n");
    notEqual(changed, key);
    equal(await cache.read(changed), null, "a changed policy misses");
    const otherChecker = new PolicyCache(cache.dir, { fingerprint: "another checker" });
    notEqual(await otherChecker.keyOf("a: 1\n"), key);
  });
});

Deno.test("PolicyCache ignores a damaged entry whose checksum does not match", async () => {
  await withCache(async (cache, dir, logs) => {
    const key = await cache.keyOf("text");
    await cache.write(key, POLICY);
    const path = await entryFile(dir);
    const entry = JSON.parse(await Deno.readTextFile(path));
    entry.policy = entry.policy.replace('"deny"', '"allow"');
    await Deno.writeTextFile(path, JSON.stringify(entry));
    equal(await cache.read(key), null);
    match(logs.join("\n"), /damaged/);
  });
});

Deno.test("PolicyCache ignores a truncated entry and one filed under another key", async () => {
  await withCache(async (cache, dir, logs) => {
    const key = await cache.keyOf("text");
    await cache.write(key, POLICY);
    const path = await entryFile(dir);
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, text.slice(0, text.length / 2));
    equal(await cache.read(key), null, "truncated");
    match(logs.join("\n"), /cannot be read/);

    const other = await cache.keyOf("another text");
    await Deno.writeTextFile(`${dir}/${other}.json`, text, { mode: 0o600 });
    equal(await cache.read(other), null, "an entry copied under another key");
    match(logs.join("\n"), /not an entry of this cache/);
  });
});

Deno.test("PolicyCache ignores an entry that holds no policy object", async () => {
  await withCache(async (cache, dir) => {
    const key = await cache.keyOf("text");
    await cache.write(key, ["not", "a", "policy"]);
    equal(await cache.read(key), null);
    await Deno.remove(await entryFile(dir));
    await cache.write(key, null);
    equal(await cache.read(key), null);
  });
});

Deno.test("PolicyCache refuses a folder or an entry that other users may write", async () => {
  await withCache(async (cache, dir, logs) => {
    const key = await cache.keyOf("text");
    await cache.write(key, POLICY);
    const path = await entryFile(dir);
    await Deno.chmod(path, 0o666);
    equal(await cache.read(key), null, "a world-writable entry");
    await Deno.chmod(path, 0o600);
    await Deno.chmod(dir, 0o777);
    equal(await cache.read(key), null, "a world-writable folder");
    match(logs.join("\n"), /may be written by other users/);
    await cache.write(await cache.keyOf("other"), POLICY);
    match(logs.at(-1)!, /Cannot write the policy cache/, "nothing is written there either");
    await Deno.chmod(dir, 0o700);
    deepEqual(await cache.read(key), POLICY, "usable again once it is safe");
  });
});

Deno.test("PolicyCache refuses entries that belong to another user", async () => {
  const uid = Deno.uid();
  if (uid === null) return; // no user ids on this system
  await withCache(async (cache, _dir, logs) => {
    const key = await cache.keyOf("text");
    await cache.write(key, POLICY);
    const asOther = new PolicyCache(cache.dir, {
      fingerprint: "test",
      log: (m) => logs.push(m),
      uid: () => uid + 1,
    });
    equal(await asOther.read(await asOther.keyOf("text")), null);
    match(logs.join("\n"), /belongs to uid/);
  });
});

Deno.test("PolicyCache does not follow a symbolic link in place of an entry", async () => {
  await withCache(async (cache, dir) => {
    const key = await cache.keyOf("text");
    await cache.write(key, POLICY);
    const path = await entryFile(dir);
    const elsewhere = `${dir}/../planted.json`;
    await Deno.rename(path, elsewhere);
    await Deno.symlink(elsewhere, path);
    equal(await cache.read(key), null);
  });
});

Deno.test("PolicyCache keeps the newest entries only", async () => {
  await withCache(async (cache, dir) => {
    const keys: string[] = [];
    for (let i = 0; i < MAX_ENTRIES + 3; i++) {
      const key = await cache.keyOf(`policy ${i}`);
      keys.push(key);
      await cache.write(key, POLICY);
      // Distinct modification times, oldest first.
      const at = new Date(Date.now() - (MAX_ENTRIES + 3 - i) * 1000);
      await Deno.utime(`${dir}/${key}.json`, at, at);
    }
    await cache.write(keys.at(-1)!, POLICY); // prunes after writing
    let count = 0;
    for await (const _ of Deno.readDir(dir)) count++;
    equal(count, MAX_ENTRIES);
    equal(await cache.read(keys[0]), null, "the oldest went first");
    deepEqual(await cache.read(keys.at(-1)!), POLICY);
  });
});

Deno.test("PolicyCache reports a folder it cannot create, and does not throw", async () => {
  await withCache(async (_cache, dir, logs) => {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/file`, "");
    const blocked = new PolicyCache(`${dir}/file/policies`, {
      fingerprint: "test",
      log: (m) => logs.push(m),
    });
    await blocked.write(await blocked.keyOf("text"), POLICY);
    match(logs.at(-1)!, /Cannot write the policy cache/);
    equal(await blocked.read(await blocked.keyOf("text")), null);
  });
});

Deno.test("defaultPolicyCacheDir() follows XDG_CACHE_HOME, then HOME, then LOCALAPPDATA", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  equal(
    defaultPolicyCacheDir(env({ XDG_CACHE_HOME: "/x/", HOME: "/h" })),
    "/x/intercept/policies",
  );
  equal(defaultPolicyCacheDir(env({ HOME: "/home/u" })), "/home/u/.cache/intercept/policies");
  equal(defaultPolicyCacheDir(env({ LOCALAPPDATA: "C:\\L" })), "C:\\L/intercept/policies");
  equal(defaultPolicyCacheDir(env({})), null);
});

Deno.test("openPolicyCache() honours off, a folder, and the default", async () => {
  equal(await openPolicyCache("off"), null);
  equal((await openPolicyCache("/some/where"))?.dir, "/some/where");
  equal(
    (await openPolicyCache(undefined, { env: (name) => name === "HOME" ? "/h" : undefined }))?.dir,
    "/h/.cache/intercept/policies",
  );
  equal(await openPolicyCache(undefined, { env: () => undefined }), null);
});

Deno.test("checkerFingerprint() names the parser, schema library and checker code", async () => {
  const print = await checkerFingerprint();
  ok(print !== null);
  match(print, /npm:yaml@.* npm:zod@.* source [0-9a-f]{64}$/);
});
