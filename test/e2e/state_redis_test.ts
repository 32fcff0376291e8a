/**
 * Real proxies on one Redis: a global quota admits exactly `max` across four proxies calling
 * at once; a fleet deny reaches every proxy on the server and one started later; a server that
 * dies mid-run gives clear denials, no crash, and calls pass again soon after it is back.
 */
import { equal, match, ok } from "node:assert/strict";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  freePort,
  OWN_REDIS_SKIP,
  OwnRedis,
  REDIS_SKIP,
  REDIS_URL,
  testPrefix,
} from "../state/redis_support.ts";
import { DENIAL_PREFIX, type JsonObject, runIntercept } from "./helpers.ts";
import { callUntil, echo, startProxy, tryEcho } from "./state_support.ts";

Deno.test({
  name: "intercept --state redis: four proxies admit exactly max of a global quota",
  ignore: REDIS_SKIP !== undefined,
  async fn() {
    const flags = ["--no-control", "--state-prefix", testPrefix()];
    const clients: Client[] = await Promise.all(
      [1, 2, 3, 4].map(() => startProxy({ state: REDIS_URL!, flags })),
    );
    try {
      const results: JsonObject[] = await Promise.all(
        clients.flatMap((client) => Array.from({ length: 6 }, () => echo(client))),
      );
      equal(results.filter((result) => result.isError !== true).length, 10);
      const later = await startProxy({ state: REDIS_URL!, flags });
      try {
        equal((await tryEcho(later)).passed, false, "a proxy started later finds it spent");
      } finally {
        await later.close();
      }
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  },
});

Deno.test({
  name: "intercept ctl --fleet deny reaches every proxy on the Redis server, and later ones",
  ignore: REDIS_SKIP !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "intercept-redis-fleet-" });
    const prefix = ["--state-prefix", testPrefix()];
    const state = REDIS_URL!;
    const policy = "allow_all.yaml";
    const one = await startProxy({
      state,
      policy,
      flags: ["--control", `${dir}/one.sock`, ...prefix],
    });
    const two = await startProxy({ state, policy, flags: ["--no-control", ...prefix] });
    let later: Client | null = null;
    try {
      const ctl = (...args: string[]) =>
        runIntercept(["ctl", "--control", `${dir}/one.sock`, "--fleet", ...args]);
      const denied = await ctl("deny", "echo", "--reason", "Incident 42");
      equal(denied.code, 0, denied.stderr);
      const elsewhere = await callUntil(two, (o) => !o.passed, "the other proxy obeys");
      ok(elsewhere.afterMs < 1_500, `within a second or so (${elsewhere.afterMs} ms)`);
      equal(elsewhere.text, `${DENIAL_PREFIX}Incident 42`);
      later = await startProxy({ state, policy, flags: ["--no-control", ...prefix] });
      equal((await tryEcho(later)).text, `${DENIAL_PREFIX}Incident 42`);
      equal((await ctl("allow", "echo")).code, 0);
      await callUntil(two, (o) => o.passed, "the allow reaches the other proxy");
    } finally {
      await Promise.all([one.close(), two.close(), later?.close()]);
    }
  },
});

Deno.test({
  name: "intercept --state redis: a server killed mid-run gives clear denials; back, calls pass",
  ignore: OWN_REDIS_SKIP !== undefined,
  async fn() {
    const redis = new OwnRedis(freePort());
    await redis.start();
    const client = await startProxy({
      state: redis.url,
      flags: ["--no-control", "--state-timeout-ms", "500"],
    });
    try {
      ok((await tryEcho(client)).passed);
      await redis.stop();
      const down = await callUntil(client, (o) => !o.passed, "a denial once the server is gone");
      match(
        down.text,
        /^\[INTERCEPT POLICY DENIED\] State store unavailable: redis:\/\/127\.0\.0\.1:\d+\/0/,
      );
      const again = await tryEcho(client);
      equal(again.passed, false, "still denied, and the proxy still answers");
      await redis.start();
      const back = await callUntil(client, (o) => o.passed, "calls pass again", 15_000);
      ok(back.afterMs < 10_000, `back within seconds (${back.afterMs} ms)`);
    } finally {
      await client.close();
      await redis.stop();
    }
  },
});
