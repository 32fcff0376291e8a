/** RedisBackend beyond the shared suite: a lost script, an unreachable server, keys, status. */
import { equal, match, ok, rejects } from "node:assert/strict";
import { Redis } from "ioredis";
import { RedisBackend } from "../../src/state/redis_backend.ts";
import { encode, RedisKeys } from "../../src/state/redis_keys.ts";
import { planOf, POLICY } from "./backend_conformance.ts";
import { freePort, openTestRedis, REDIS_SKIP, REDIS_URL } from "./redis_support.ts";

Deno.test({
  name: "RedisBackend takes again after the server lost its scripts (EVALSHA falls back to EVAL)",
  ignore: REDIS_SKIP !== undefined,
  async fn() {
    const store = await openTestRedis();
    const admin = new Redis(REDIS_URL!);
    try {
      ok((await store.take(planOf(POLICY, "a.b"), 0)).taken);
      await admin.script("FLUSH");
      ok((await store.take(planOf(POLICY, "a.b"), 0)).taken);
      equal(store.health().reachable, true);
      ok(store.health().latencyMs !== null);
    } finally {
      admin.disconnect();
      await store.close();
    }
  },
});

Deno.test({
  name: "RedisBackend keeps every key of a deployment in one hash slot",
  ignore: REDIS_SKIP !== undefined,
  async fn() {
    const store = await openTestRedis("slot-test");
    const admin = new Redis(REDIS_URL!);
    try {
      await store.take(planOf(POLICY, "a", { amount: 1 }, "s:1*?", "p[x]"), 0);
      const keys = await admin.keys("{slot-test}:*");
      ok(keys.length >= 3, keys.join(" "));
      const slots = new Set(
        await Promise.all(
          keys.map((key) => admin.call("CLUSTER", "KEYSLOT", key).catch(() => null)),
        ),
      );
      ok(slots.size <= 1, "one slot (or no cluster support to ask)");
      for (const key of keys) ok(key.startsWith("{slot-test}:"), key);
    } finally {
      admin.disconnect();
      await store.close();
    }
  },
});

Deno.test("RedisKeys encode names so that no scope or entry carries a glob or a separator", () => {
  equal(encode("s:a*b?[c]\\d{e}"), "s%3Aa%2Ab%3F%5Bc%5D%5Cd%7Be%7D");
  const keys = new RedisKeys("prod");
  const [quota] = planOf(POLICY, "a", { amount: 1 }, "x:y").quotas;
  equal(keys.quota(quota.spec, quota.scope), `{prod}:q:a:${encode(quota.spec.id)}:s%3Ax%3Ay`);
  let refused = false;
  try {
    new RedisKeys("a}b");
  } catch {
    refused = true;
  }
  ok(refused);
});

Deno.test("RedisBackend refuses a take at once, naming the store, while the server is unreachable", async () => {
  const store = new RedisBackend(`redis://127.0.0.1:${freePort()}/0`, { timeoutMs: 50 });
  try {
    equal(await store.connect(300), false);
    const started = performance.now();
    await rejects(store.take(planOf(POLICY, "a.b"), 0), (error: Error) => {
      match(error.message, /^redis:\/\/127\.0\.0\.1:\d+\/0 is not reachable/);
      return true;
    });
    ok(performance.now() - started < 100, "no waiting on a server that is not there");
    equal(store.health().reachable, false);
    equal(
      store.peek(planOf(POLICY, "a.b").quotas, 0)[0].remaining,
      2,
      "peek: the last word, none yet",
    );
  } finally {
    await store.close();
  }
});
