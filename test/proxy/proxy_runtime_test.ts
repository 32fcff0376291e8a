/** ProxyRuntime: the live controls and the events operators follow. */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { loadPolicyText, PolicyLoadError } from "../../src/policy/loader.ts";
import { type Decided, PolicyGate } from "../../src/proxy/policy_gate.ts";
import { MAX_SHOWN_ARGS_BYTES } from "../../src/proxy/approval_view.ts";
import { ProxyRuntime } from "../../src/proxy/proxy_runtime.ts";
import { Approvals } from "../../src/proxy/approvals.ts";
import { POLICY, RUNTIME_INFO, setUp } from "./runtime_support.ts";

Deno.test("ProxyRuntime status() lists tools with posture, counts and quotas", () => {
  const { runtime, decide } = setUp();
  decide("produce-message");
  decide("delete-topics");
  const status = runtime.status();
  deepEqual(status.tools.map((tool) => [tool.name, tool.posture, tool.allowed, tool.denied]), [
    ["delete-topics", "deny", 0, 1],
    ["list-topics", "allow", 0, 0],
    ["produce-message", "limited", 1, 0],
  ]);
  const quota = status.tools[2].quotas[0];
  deepEqual([quota.rule, quota.remaining, quota.max], ["paced", 1, 2]);
  equal(status.sessions[0].client?.name, "agent");
  equal(status.policy.source, "kafka.yaml");
});

Deno.test("ProxyRuntime recordDecision() tells each call's own client and MRTR round", () => {
  const { runtime, gate, events } = setUp();
  const { decision } = gate.decide({ tool: "list-topics", args: {}, session: "s1" }) as Decided;
  const base = {
    ts: 1,
    session: "s1",
    principal: "s1",
    era: "modern" as const,
    decision,
    args: {},
    latencyMs: 0.5,
  };
  runtime.recordDecision({ ...base, client: "agent-x", round: 1 });
  runtime.recordDecision({ ...base, client: "agent-y", round: 2 });
  const notices = events.flatMap((e) => e.method === "decision" ? [e.params] : []);
  deepEqual(notices.map((n) => [n.client, n.round]), [["agent-x", undefined], ["agent-y", 2]]);
  deepEqual(runtime.recentDecisions().map((n) => n.client), ["agent-x", "agent-y"]);
});

Deno.test("ProxyRuntime recordDecision() passes every fact of a call on in its notice", () => {
  const { runtime, gate, events } = setUp();
  gate.decide({ tool: "produce-message", args: {}, session: "s1" });
  gate.decide({ tool: "produce-message", args: {}, session: "s1" });
  const { decision } = gate.decide({ tool: "produce-message", args: {}, session: "s1" }) as Decided;
  equal(decision.allowed, false, "past the quota of 2");
  runtime.recordDecision({
    ts: 1_234,
    session: "s1",
    principal: "uid:alice",
    client: "agent-x",
    era: "legacy",
    decision,
    args: {},
    latencyMs: 12.5,
    round: 1,
  });
  const notice = events.find((event) => event.method === "decision")?.params;
  deepEqual(notice, {
    ts: 1_234,
    session: "s1",
    client: "agent-x",
    principal: "uid:alice",
    tool: "produce-message",
    decision: "deny",
    rule: "paced",
    reason: decision.reason,
    latencyMs: 12.5,
    retryAfterMs: 60_000,
    quotas: decision.quotas,
  });
  ok(decision.reason?.includes("Rate limit"), decision.reason ?? "");
  deepEqual(runtime.recentDecisions(), [notice]);
});

Deno.test("ProxyRuntime deny() is a live layer: calls denied, event sent, tools changed", () => {
  const { runtime, events, decide, toolsChanged } = setUp();
  runtime.deny("produce-message", "Stop writes");
  const decision = decide("produce-message");
  equal(decision.allowed, false);
  equal(decision.reason, "Stop writes");
  equal(toolsChanged(), 1);
  ok(events.some((e) => e.method === "control" && e.params.event === "deny"));
  equal(runtime.status().tools.find((t) => t.name === "produce-message")?.posture, "live-deny");
  equal(runtime.allow("produce-message"), true);
  equal(runtime.allow("produce-message"), false);
  equal(decide("produce-message").allowed, true);
  equal(toolsChanged(), 2);
});

Deno.test("ProxyRuntime reload() refuses a broken policy and keeps the old one", async () => {
  const broken = () => Promise.resolve(loadPolicyText("version: 2\ntools: {}\n", "kafka.yaml"));
  const { runtime, events, decide } = setUp(broken);
  await rejects(runtime.reload(), PolicyLoadError);
  equal(decide("delete-topics").allowed, false);
  const notice = events.find((e) => e.method === "policy");
  equal(notice?.method, "policy");
  if (notice?.method === "policy") {
    equal(notice.params.event, "reload_failed");
    ok(notice.params.error?.startsWith("kafka.yaml:1:"));
  }
  ok(runtime.status().policy.lastError);
});

Deno.test("ProxyRuntime reload() swaps the policy, keeps quotas and reports hide changes", async () => {
  const next = POLICY.replace("hide: [secret]", "hide: [secret, list-topics]");
  const { runtime, decide, toolsChanged, events } = setUp(() =>
    Promise.resolve(loadPolicyText(next, "kafka.yaml"))
  );
  decide("produce-message");
  const result = await runtime.reload();
  equal(result.toolsChanged, true);
  equal(toolsChanged(), 1);
  equal(decide("produce-message").allowed, true);
  equal(decide("produce-message").allowed, false); // the quota of 2 survived the reload
  equal(decide("list-topics").rule, "hide");
  ok(events.some((e) => e.method === "policy" && e.params.event === "reloaded"));
});

Deno.test("ProxyRuntime reset() frees a tool's quota; recentDecisions() is bounded", () => {
  const { runtime, decide } = setUp();
  decide("produce-message");
  decide("produce-message");
  equal(decide("produce-message").allowed, false);
  runtime.reset("produce-message");
  equal(decide("produce-message").allowed, true);
  equal(runtime.recentDecisions().length, 3);
  equal(runtime.recentDecisions().at(-1)?.decision, "allow");
});

Deno.test("ProxyRuntime reload() asked for during a reload loads once more, after it", async () => {
  let loads = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const versions = [
    POLICY,
    POLICY.replace("hide: [secret]", "hide: [secret, list-topics]"),
  ];
  const { runtime, decide } = setUp(async () => {
    const text = versions[loads++];
    if (loads === 1) await gate; // the first load read the file before the second edit
    return loadPolicyText(text, "kafka.yaml");
  });
  const first = runtime.reload();
  const second = runtime.reload();
  const third = runtime.reload();
  equal(second, third, "callers during a reload share the next one");
  release();
  await first;
  const result = await second;
  equal(loads, 2);
  equal(result.toolsChanged, true);
  equal(decide("list-topics").rule, "hide");
});

Deno.test("ProxyRuntime reload() reports a change of hide globs as a tool-list change", async () => {
  const next = POLICY.replace("hide: [secret]", 'hide: [secret, "list-*"]');
  const { runtime, toolsChanged } = setUp(() => Promise.resolve(loadPolicyText(next, "k.yaml")));
  equal((await runtime.reload()).toolsChanged, true);
  equal(toolsChanged(), 1);
});

Deno.test('ProxyRuntime deny("*") stops every tool until allow("*")', () => {
  const { runtime, decide, gate } = setUp();
  runtime.deny("*", "Everything paused");
  equal(decide("list-topics").reason, "Everything paused");
  equal(gate.isVisible("list-topics"), false);
  equal(runtime.status().tools.every((tool) => tool.posture === "live-deny"), true);
  runtime.allow("*");
  equal(decide("list-topics").allowed, true);
});

Deno.test("ProxyRuntime recentDecisions() keeps the latest ones, oldest first, past the bound", () => {
  const { runtime, decide } = setUp();
  for (const tool of ["produce-message", "delete-topics", "list-topics", "secret", "list-topics"]) {
    decide(tool);
  }
  deepEqual(runtime.recentDecisions().map((notice) => notice.tool), [
    "list-topics",
    "secret",
    "list-topics",
  ]);
});

Deno.test("ProxyRuntime deny() of a glob denies and hides every tool it matches", () => {
  const { runtime, decide, gate, events } = setUp();
  runtime.deny("list-*", "Reads paused for the migration", "alice via ctl");
  const denied = decide("list-topics");
  equal(denied.allowed, false);
  equal(denied.reason, "Reads paused for the migration");
  equal(decide("produce-message").allowed, true);
  equal(gate.isVisible("list-topics"), false);
  equal(gate.isVisible("produce-message"), true);
  const status = runtime.status();
  const listTopics = status.tools.find((tool) => tool.name === "list-topics")!;
  equal(listTopics.posture, "live-deny");
  equal(listTopics.liveDenyReason, "Reads paused for the migration");
  equal(listTopics.liveDenyPattern, "list-*");
  equal(status.tools.some((tool) => tool.name === "list-*"), false, "a pattern is not a tool");
  deepEqual(status.liveDenies.map(({ tool, by }) => [tool, by]), [["list-*", "alice via ctl"]]);
  const notice = events.findLast((event) => event.method === "control");
  deepEqual(notice?.params, {
    ts: notice?.params.ts,
    event: "deny",
    tool: "list-*",
    reason: "Reads paused for the migration",
    by: "alice via ctl",
  });
  equal(runtime.allow("list-topics"), false, "the glob, not the tool, is what was denied");
  equal(runtime.allow("list-*"), true);
  equal(decide("list-topics").allowed, true);
});

Deno.test("ProxyRuntime lists held calls within one control line, large arguments as a preview", () => {
  const gate = new PolicyGate(loadPolicyText(POLICY, "kafka.yaml"));
  const approvals = new Approvals({ maxPending: 1_000, maxPerPrincipal: 1_000 });
  const runtime = new ProxyRuntime({
    gate,
    session: "s1",
    info: RUNTIME_INFO,
    loadPolicy: () => Promise.reject(new Error("none")),
    upstreamTools: () => [],
    clientInfo: () => null,
    onToolsChanged: () => {},
    approvals,
  });
  const hold = (args: Record<string, unknown>, timeoutMs: number) =>
    approvals.open({
      tool: "produce-message",
      args,
      session: "s1",
      principal: "p",
      client: null,
      rule: "needs a human",
      reason: null,
      from: ["operator"],
      askingUser: false,
    }, timeoutMs);
  hold({ value: "x".repeat(100_000) }, 60_000);
  const [big] = runtime.approvals();
  const shown = JSON.stringify(big.args);
  ok(shown.length < MAX_SHOWN_ARGS_BYTES + 200, `${shown.length} bytes shown`);
  equal(big.args["(arguments size)"], JSON.stringify({ value: "x".repeat(100_000) }).length);
  for (let i = 0; i < 400; i++) hold({ value: "y".repeat(6_000) }, 30_000 + i);
  const listed = runtime.approvals();
  ok(JSON.stringify({ approvals: listed }).length < 1024 * 1024, "fits in one control line");
  ok(listed.length > 50 && listed.length < 401, `${listed.length} listed`);
  equal(listed[0].expiresAt - listed[0].requestedAt, 30_000, "the soonest to expire come first");
  for (const approval of approvals.list()) approvals.withdraw(approval.id);
});
