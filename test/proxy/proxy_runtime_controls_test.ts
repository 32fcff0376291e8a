/** ProxyRuntime: what operators see in status, and live controls and reloads told only as needed. */
import { deepEqual, equal, notEqual, ok, rejects } from "node:assert/strict";
import type { ControlEvent } from "../../src/control/protocol.ts";
import { loadPolicyText, PolicyLoadError } from "../../src/policy/loader.ts";
import { type ApprovalEvent, Approvals } from "../../src/proxy/approvals.ts";
import { POLICY, RUNTIME_INFO, setUp } from "./runtime_support.ts";

const INFO = RUNTIME_INFO;

Deno.test("ProxyRuntime status() names the proxy by --name, else by the server's own name", () => {
  const server = () => ({ name: "kafka-mcp", version: "3.1" });
  const named = setUp(undefined, { info: { ...INFO, name: "orders" }, serverInfo: server });
  equal(named.runtime.status().name, "orders");
  deepEqual(named.runtime.status().server, { name: "kafka-mcp", version: "3.1" });
  equal(setUp(undefined, { serverInfo: server }).runtime.status().name, "kafka-mcp");
  equal(setUp().runtime.status().name, null, "before the server said who it is");
});

Deno.test("ProxyRuntime status() lists the server's tools, the policy's, the called ones and the live-denied ones", () => {
  const { runtime, decide } = setUp();
  decide("unlisted-tool");
  runtime.deny("paused-tool", null);
  deepEqual(runtime.status().tools.map((tool) => tool.name), [
    "delete-topics",
    "list-topics",
    "paused-tool",
    "produce-message",
    "unlisted-tool",
  ]);
});

Deno.test("ProxyRuntime recordDecision() counts 1,000 tool names at most, the others in one row", () => {
  const { runtime, decide } = setUp(undefined, { upstreamTools: () => [] });
  const name = (i: number) => `tool-${String(i).padStart(4, "0")}`;
  for (let i = 0; i < 1_005; i++) decide(name(i));
  decide(name(0));
  const rows = new Map(runtime.status().tools.map((tool) => [tool.name, tool.allowed]));
  equal([...rows.keys()].filter((tool) => tool.startsWith("tool-")).length, 1_000);
  equal(rows.get("(other tools)"), 5);
  equal(rows.get(name(0)), 2, "a tool counted before the bound is still counted");
  equal(rows.has(name(1_000)), false);
});

Deno.test("ProxyRuntime status() says when and by whom a live deny was made, and forgets who on a new one", () => {
  const { runtime, advance } = setUp();
  const at = advance(5_000);
  runtime.deny("produce-message", "Incident 7", "alice via ctl");
  deepEqual(runtime.status().liveDenies, [
    { tool: "produce-message", reason: "Incident 7", at, by: "alice via ctl", scope: "proxy" },
  ]);
  const later = advance(1_000);
  runtime.deny("produce-message", "Incident 8");
  deepEqual(runtime.status().liveDenies, [
    { tool: "produce-message", reason: "Incident 8", at: later, by: null, scope: "proxy" },
  ]);
});

Deno.test("ProxyRuntime deny() tells the client only when the tools it may see change", () => {
  const { runtime, toolsChanged } = setUp();
  runtime.deny("produce-message", "Incident 7");
  runtime.deny("produce-message", "  Incident 7 ");
  equal(toolsChanged(), 1, "the same deny again changes nothing");
  equal(runtime.status().liveDenies[0].reason, "Incident 7");
  runtime.deny("produce-message", "   ");
  equal(runtime.status().liveDenies[0].reason, 'Tool "produce-message" was stopped by an operator');
});

Deno.test("ProxyRuntime reset() without a tool frees every quota", () => {
  const { runtime, decide, events } = setUp();
  decide("produce-message");
  decide("produce-message");
  equal(decide("produce-message").allowed, false);
  runtime.reset(null, "alice via ctl");
  equal(decide("produce-message").allowed, true);
  const notice = events.findLast((event) => event.method === "control");
  deepEqual(notice?.params, {
    ts: notice?.params.ts,
    event: "reset",
    tool: null,
    reason: null,
    by: "alice via ctl",
  });
});

Deno.test("ProxyRuntime keeps telling other subscribers when one throws", () => {
  const { runtime } = setUp();
  const seen: ControlEvent[] = [];
  runtime.subscribe(() => {
    throw new Error("a broken dashboard");
  });
  runtime.subscribe((event) => seen.push(event));
  runtime.deny("produce-message", null);
  deepEqual(seen.map((event) => event.method), ["control"]);
});

Deno.test("ProxyRuntime reload() after a good one clears the last error and moves loadedAt", async () => {
  const versions = ["version: 2\ntools: {}\n", POLICY];
  let loads = 0;
  const { runtime, advance } = setUp(() =>
    Promise.resolve(loadPolicyText(versions[loads++], "kafka.yaml"))
  );
  const startedAt = runtime.status().policy.loadedAt;
  await rejects(runtime.reload(), PolicyLoadError);
  ok(runtime.status().policy.lastError);
  equal(runtime.status().policy.loadedAt, startedAt, "a refused policy was not loaded");
  const at = advance(60_000);
  await runtime.reload();
  equal(runtime.status().policy.lastError, null);
  equal(runtime.status().policy.loadedAt, at);
});

Deno.test("ProxyRuntime reload() of the same tool list tells the client nothing", async () => {
  const { runtime, toolsChanged } = setUp(() =>
    Promise.resolve(loadPolicyText(POLICY.replace("max: 2", "max: 3"), "kafka.yaml"))
  );
  equal((await runtime.reload()).toolsChanged, false);
  equal(toolsChanged(), 0);
});

Deno.test("ProxyRuntime reload() reports hiding every tool as a tool-list change", async () => {
  const hideAll = POLICY.replace("hide: [secret]", 'hide: [secret, "*"]');
  const { runtime, toolsChanged } = setUp(() =>
    Promise.resolve(loadPolicyText(hideAll, "kafka.yaml"))
  );
  equal((await runtime.reload()).toolsChanged, true);
  equal(toolsChanged(), 1);
});

Deno.test("ProxyRuntime reload() asked for during a later reload loads again, not the earlier shared one", async () => {
  let loads = 0;
  // The first and the third load wait to be let go; the others finish at once.
  const gates = [Promise.withResolvers<void>(), null, Promise.withResolvers<void>()];
  const { runtime } = setUp(async () => {
    await gates[loads++]?.promise;
    return loadPolicyText(POLICY, "kafka.yaml");
  });
  const running = runtime.reload();
  const shared = runtime.reload();
  gates[0]!.resolve();
  await Promise.all([running, shared]);
  equal(loads, 2);
  const later = runtime.reload();
  const followUp = runtime.reload();
  notEqual(followUp, shared, "a new edit gets a new load");
  gates[2]!.resolve();
  await Promise.all([later, followUp]);
  equal(loads, 4);
});

Deno.test("ProxyRuntime lists held calls, lets operators approve or reject them, and tells who decided", async () => {
  const happened: ApprovalEvent[] = [];
  const approvals = new Approvals({ now: () => 5_000, onEvent: (event) => happened.push(event) });
  const { runtime, events } = setUp(undefined, { approvals });
  const details = {
    tool: "pay",
    session: "s1",
    principal: "uid:alice",
    client: "agent-x",
    rule: "big payments",
    reason: "Over 100",
    from: ["operator" as const],
    askingUser: false,
  };
  const open = (amount: number) => {
    const held = approvals.open({ ...details, args: { amount } }, 60_000);
    if (!("id" in held)) throw new Error(held.refused);
    return held;
  };
  const first = open(500);
  const second = open(900);
  deepEqual(runtime.approvals().map((view) => [view.id, view.args.amount, view.expiresAt]), [
    [first.id, 500, 65_000],
    [second.id, 900, 65_000],
  ]);
  ok(runtime.approve(first.id, "bob via ctl"));
  ok(runtime.reject(second.id, "carol via ctl", "too much"));
  equal(runtime.approve(first.id, "bob via ctl"), false, "it waits for nothing any more");
  const [granted, rejected] = await Promise.all([first.outcome, second.outcome]);
  deepEqual([granted.kind, rejected.kind], ["granted", "rejected"]);
  for (const event of happened) runtime.recordApproval(event);
  const notices = events.flatMap((event) => event.method === "approval" ? [event.params] : []);
  deepEqual(notices.map((notice) => [notice.event, notice.approval.id, notice.by, notice.reason]), [
    ["requested", first.id, null, null],
    ["requested", second.id, null, null],
    ["granted", first.id, "bob via ctl", null],
    ["rejected", second.id, "carol via ctl", "too much"],
  ]);
  deepEqual(runtime.approvals(), []);
});
