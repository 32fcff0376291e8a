/**
 * Real proxies on one SQLite state file: a global quota admits exactly `max` calls across four
 * proxies calling at once, a restarted proxy keeps the spent quota, and a fleet deny reaches
 * every proxy on the file and one started afterwards.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { DENIAL_PREFIX, type JsonObject, runIntercept } from "./helpers.ts";
import { callUntil, echo, startProxy, tryEcho } from "./state_support.ts";

Deno.test("intercept --state sqlite: four proxies admit exactly max of a global quota; a restart keeps it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intercept-sqlite-e2e-" });
  const state = `sqlite:${dir}/state.db`;
  const clients: Client[] = await Promise.all([1, 2, 3, 4].map(() => startProxy({ state })));
  try {
    const results: JsonObject[] = await Promise.all(
      clients.flatMap((client) => Array.from({ length: 6 }, () => echo(client))),
    );
    const passed = results.filter((result) => result.isError !== true).length;
    equal(passed, 10, "exactly max calls of 24 pass");
    for (const result of results.filter((r) => r.isError === true)) {
      match(JSON.stringify(result), /The fleet's echo quota is spent/);
    }
    equal((await Deno.stat(`${dir}/state.db`)).mode! & 0o777, 0o600);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
  const restarted = await startProxy({ state });
  try {
    const again = await tryEcho(restarted);
    equal(again.passed, false, "the quota spent before the restart stays spent");
    match(again.text, /^\[INTERCEPT POLICY DENIED\] The fleet's echo quota is spent \(retry in /);
  } finally {
    await restarted.close();
  }
});

Deno.test("intercept ctl --fleet deny reaches every proxy on the SQLite file, and later ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intercept-fleet-e2e-" });
  const state = `sqlite:${dir}/state.db`;
  const control = (name: string) => ["--control", `${dir}/${name}.sock`];
  const [one, two] = await Promise.all([
    startProxy({ state, policy: "allow_all.yaml", flags: control("one") }),
    startProxy({ state, policy: "allow_all.yaml", flags: control("two") }),
  ]);
  let later: Client | null = null;
  try {
    ok((await tryEcho(one)).passed);
    const denied = await runIntercept([
      "ctl",
      "--control",
      `${dir}/one.sock`,
      "--fleet",
      "deny",
      "ech*",
      "--reason",
      "Incident 42",
    ]);
    equal(denied.code, 0, denied.stderr);
    deepEqual(JSON.parse(denied.stdout), { ok: true, tool: "ech*", scope: "fleet" });
    equal((await tryEcho(one)).text, `${DENIAL_PREFIX}Incident 42`, "at once where it was asked");
    const elsewhere = await callUntil(two, (o) => !o.passed, "the other proxy obeys");
    ok(elsewhere.afterMs < 1_500, `within a second or so (${elsewhere.afterMs} ms)`);
    equal(elsewhere.text, `${DENIAL_PREFIX}Incident 42`);
    later = await startProxy({ state, policy: "allow_all.yaml" });
    equal((await tryEcho(later)).text, `${DENIAL_PREFIX}Incident 42`, "a proxy started later");

    const status = JSON.parse(
      (await runIntercept(["ctl", "--control", `${dir}/two.sock`, "status"])).stdout,
    );
    deepEqual(status.liveDenies.map((d: { tool: string; scope: string }) => [d.tool, d.scope]), [
      ["ech*", "fleet"],
    ]);
    equal(status.store.kind, "sqlite");
    equal(status.store.reachable, true);

    const allowed = await runIntercept([
      "ctl",
      "--control",
      `${dir}/two.sock`,
      "--fleet",
      "allow",
      "ech*",
    ]);
    equal(allowed.code, 0, allowed.stderr);
    await callUntil(one, (o) => o.passed, "the allow reaches the first proxy");
    ok((await tryEcho(later)).passed || (await callUntil(later, (o) => o.passed, "later")).passed);
  } finally {
    await Promise.all([one.close(), two.close(), later?.close()]);
  }
});

Deno.test("intercept ctl --fleet deny on a proxy without a shared store is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intercept-fleet-e2e-" });
  const client = await startProxy({
    policy: "allow_all.yaml",
    flags: ["--control", `${dir}/p.sock`],
  });
  try {
    const refused = await runIntercept([
      "ctl",
      "--control",
      `${dir}/p.sock`,
      "--fleet",
      "deny",
      "echo",
    ]);
    equal(refused.code, 1);
    match(refused.stderr, /Fleet denies live in a shared state store.*memory/);
    ok((await tryEcho(client)).passed);
  } finally {
    await client.close();
  }
});
