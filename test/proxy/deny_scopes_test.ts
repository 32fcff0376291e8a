/** Live denies beyond one proxy: fleet before machine before proxy, fed from their sources, failing closed. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { startDenyFeeds } from "../../src/proxy/deny_feeds.ts";
import { PolicyGate, type Verdict } from "../../src/proxy/policy_gate.ts";
import { ProxyRuntime } from "../../src/proxy/proxy_runtime.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";
import type { FleetDeny, FleetDenyStore } from "../../src/state/fleet_denies.ts";
import { MemoryBackend } from "../../src/state/memory_backend.ts";

const POLICY = loadPolicyText(`version: "1"\ntools: {}\n`, "p.yaml");

class FakeFleet implements FleetDenyStore {
  denies: FleetDeny[] = [];
  version_ = 0;
  failing: Error | null = null;
  version() {
    return this.failing ? Promise.reject(this.failing) : Promise.resolve(String(this.version_));
  }
  list() {
    return this.failing
      ? Promise.reject(this.failing)
      : Promise.resolve({ version: String(this.version_), denies: [...this.denies] });
  }
  set(deny: FleetDeny) {
    this.denies = [...this.denies.filter((d) => d.pattern !== deny.pattern), deny];
    this.version_++;
    return Promise.resolve();
  }
  delete(pattern: string) {
    const before = this.denies.length;
    this.denies = this.denies.filter((d) => d.pattern !== pattern);
    this.version_++;
    return Promise.resolve(this.denies.length < before);
  }
}

function setUp(options: { fleet?: FakeFleet; failOpen?: boolean; machinePath?: string }) {
  const backend = Object.assign(new MemoryBackend(), { fleet: options.fleet });
  const gate = new PolicyGate(POLICY, { backend, failOpen: options.failOpen });
  const runtime = new ProxyRuntime({
    gate,
    session: "s1",
    info: {
      version: "0",
      upstreamCommand: ["x"],
      upstreamPid: null,
      controlPath: null,
      state: "t",
    },
    loadPolicy: () => Promise.reject(new Error("none")),
    upstreamTools: () => ["echo", "read"],
    clientInfo: () => null,
    onToolsChanged: () => {},
    machineDeniesPath: options.machinePath ?? null,
  });
  const decide = (tool: string) => {
    const verdict = gate.decide({ tool, args: {}, session: "s1" }) as Verdict;
    if (verdict.held) throw new Error(`"${tool}" was held`);
    return verdict.decision;
  };
  return { gate, runtime, decide };
}

const log = { warn: () => {}, error: () => {}, info: () => {} };

Deno.test("deny scopes: fleet before machine before proxy, each in status with its scope", async () => {
  const dir = await Deno.makeTempDir();
  const fleet = new FakeFleet();
  const { gate, runtime, decide } = setUp({ fleet, machinePath: `${dir}/intercept/denies.json` });
  const feeds = await startDenyFeeds(gate, runtime.scopes, { log, fleetPollMs: 10_000 });
  try {
    runtime.deny("echo", "proxy says no");
    await runtime.deny("echo", "machine says no", "ann", "machine");
    equal(decide("echo").reason, "machine says no");
    await runtime.deny("ech*", "fleet says no", "bob", "fleet");
    equal(decide("echo").reason, "fleet says no");
    deepEqual(
      runtime.status().liveDenies.map((d) => [d.tool, d.scope]),
      [["ech*", "fleet"], ["echo", "machine"], ["echo", "proxy"]],
    );
    const view = runtime.status().tools.find((tool) => tool.name === "echo")!;
    deepEqual([view.liveDenyScope, view.liveDenyPattern], ["fleet", "ech*"]);
    ok(await runtime.allow("ech*", null, "fleet"));
    ok(await runtime.allow("echo", null, "machine"), "lifts the machine's and the proxy's");
    equal(decide("echo").allowed, true);
  } finally {
    feeds.stop();
  }
});

Deno.test("deny scopes: until the fleet's denies are read, calls fail closed (or open when asked)", async () => {
  for (const failOpen of [false, true]) {
    const fleet = new FakeFleet();
    fleet.failing = new Error("connection refused");
    const { gate, runtime, decide } = setUp({ fleet, failOpen });
    const feeds = await startDenyFeeds(gate, runtime.scopes, {
      log,
      fleetStartMs: 10,
      fleetPollMs: 10_000,
    });
    try {
      const decision = decide("read");
      if (failOpen) equal(decision.allowed, true);
      else {
        deepEqual([decision.allowed, decision.rule], [false, "state store"]);
        ok(
          /^State store unavailable: the fleet's live denies could not be read/.test(
            decision.reason!,
          ),
        );
      }
    } finally {
      feeds.stop();
    }
  }
});

Deno.test("deny scopes: an unusable machine file denies every tool, saying why", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/intercept`, { mode: 0o700 });
  const path = `${dir}/intercept/denies.json`;
  await Deno.writeTextFile(path, "{broken", { mode: 0o600 });
  const { gate, runtime, decide } = setUp({ machinePath: path });
  const feeds = await startDenyFeeds(gate, runtime.scopes, { log });
  try {
    const decision = decide("read");
    equal(decision.allowed, false);
    ok(/machine-wide deny file is unusable .*not JSON.*fix or remove it/.test(decision.reason!));
    deepEqual(runtime.status().liveDenies.map((d) => [d.tool, d.scope]), [["*", "machine"]]);
  } finally {
    feeds.stop();
  }
});

Deno.test("deny scopes: a fleet deny on a memory store is refused, naming the store", async () => {
  const { runtime } = setUp({});
  let message = "";
  try {
    await runtime.deny("echo", null, null, "fleet");
  } catch (error) {
    message = (error as Error).message;
  }
  ok(/Fleet denies live in a shared state store.*memory/.test(message), message);
});
