/** attachOperations(): what a running proxy writes to its audit log, from start to stop. */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyText, PolicyLoadError } from "../../src/policy/loader.ts";
import type { PendingApproval } from "../../src/proxy/approvals.ts";
import { EventBus } from "../../src/proxy/event_bus.ts";
import { attachOperations } from "../../src/proxy/operations.ts";
import { PolicyGate } from "../../src/proxy/policy_gate.ts";
import { ProxyRuntime } from "../../src/proxy/proxy_runtime.ts";
import { decisionEvent } from "../audit/support.ts";

const POLICY = `version: "1"
tools:
  delete-topics:
    rules:
      - action: deny
`;

type Line = Record<string, unknown>;

/** A runtime and a bus with the operations attached, auditing to a temporary file. */
async function setUp(loadPolicy: () => Promise<CompiledPolicy>) {
  const dir = await Deno.makeTempDir({ prefix: "intercept-operations-" });
  const auditPath = `${dir}/audit.jsonl`;
  const gate = new PolicyGate(loadPolicyText(POLICY, "kafka.yaml"));
  const runtime = new ProxyRuntime({
    gate,
    session: "s1",
    info: {
      version: "0.1.0",
      upstreamCommand: ["kafka-server", "--stdio"],
      upstreamPid: 42,
      controlPath: null,
      state: "memory",
    },
    loadPolicy,
    upstreamTools: () => [],
    clientInfo: () => null,
    onToolsChanged: () => {},
  });
  const bus = new EventBus();
  const warnings: string[] = [];
  const log = {
    debug: () => {},
    info: () => {},
    warn: (message: string) => warnings.push(message),
    error: (message: string) => warnings.push(message),
    flush: () => Promise.resolve(true),
  };
  const attachment = await attachOperations(runtime, bus, {
    controlPath: null,
    controlRequired: false,
    auditTarget: auditPath,
    auditArgs: false,
    metrics: null,
    log,
  });
  /** Stops the operations and returns every audit line written. */
  const stop = async (exitCode: number): Promise<Line[]> => {
    await attachment.stop(exitCode);
    const text = await Deno.readTextFile(auditPath);
    await Deno.remove(dir, { recursive: true });
    return text.trim().split("\n").map((line) => JSON.parse(line));
  };
  return { runtime, bus, attachment, warnings, stop };
}

/** Each line without its timestamp. */
function withoutTs(lines: Line[]): Line[] {
  return lines.map(({ ts: _, ...rest }) => rest);
}

Deno.test("attachOperations() audits a refused reload as policy_refused, a good one as policy_reloaded", async () => {
  const versions = [
    "version: 2\ntools: {}\n",
    POLICY.replace("tools:", "hide: [secret]\ntools:"),
  ];
  let loads = 0;
  const { runtime, stop } = await setUp(() =>
    Promise.resolve(loadPolicyText(versions[loads++], "kafka.yaml"))
  );
  await rejects(runtime.reload(), PolicyLoadError);
  equal((await runtime.reload()).ok, true);
  const lines = await stop(0);
  deepEqual(lines.map((line) => line.type), [
    "start",
    "policy_refused",
    "policy_reloaded",
    "stop",
  ]);
  const [, refused, reloaded] = lines;
  equal(refused.source, "kafka.yaml", "the policy still in force");
  ok(String(refused.error).startsWith("kafka.yaml:1:"), String(refused.error));
  deepEqual(withoutTs([reloaded]), [
    { type: "policy_reloaded", source: "kafka.yaml", toolsChanged: true },
  ]);
});

Deno.test("attachOperations() audits start, live controls with who did them, and stop", async () => {
  const { runtime, attachment, stop } = await setUp(() => Promise.reject(new Error("none")));
  equal(attachment.controlPath, null);
  runtime.deny("delete-topics", "Incident 7", "alice via ctl");
  runtime.allow("delete-topics", "bob via ctl");
  runtime.reset("delete-topics", "carol via ctl");
  runtime.reset(null);
  deepEqual(withoutTs(await stop(3)), [
    {
      type: "start",
      pid: Deno.pid,
      version: "0.1.0",
      policy: "kafka.yaml",
      upstream: ["kafka-server", "--stdio"],
      control: null,
    },
    { type: "live_deny", tool: "delete-topics", reason: "Incident 7", by: "alice via ctl" },
    { type: "live_allow", tool: "delete-topics", reason: null, by: "bob via ctl" },
    { type: "reset", tool: "delete-topics", reason: null, by: "carol via ctl" },
    { type: "reset", tool: null, reason: null, by: null },
    { type: "stop", exitCode: 3 },
  ]);
});

Deno.test("attachOperations() audits the bus's decisions and held calls", async () => {
  const { bus, stop } = await setUp(() => Promise.reject(new Error("none")));
  bus.emit({
    type: "decision",
    event: decisionEvent("produce-message", { topic: "t" }, { client: "agent-x" }),
  });
  const approval: PendingApproval = {
    id: "a1",
    tool: "pay",
    args: { amount: 500 },
    session: "s1",
    principal: "uid:tester",
    client: "agent-x",
    rule: "big payments",
    reason: "Over 100",
    requestedAt: 0,
    expiresAt: Date.UTC(2026, 0, 1),
    from: ["operator"],
    askingUser: false,
  };
  bus.emit({ type: "approval", event: { type: "approval_requested", approval } });
  bus.emit({
    type: "approval",
    event: { type: "approval_rejected", approval, by: "alice", reason: "not today" },
  });
  const lines = await stop(0);
  deepEqual(lines.map((line) => line.type), [
    "start",
    "decision",
    "approval_requested",
    "approval_rejected",
    "stop",
  ]);
  const [, decision, requested, rejected] = lines;
  deepEqual([decision.tool, decision.client, decision.latencyMs], [
    "produce-message",
    "agent-x",
    0.123,
  ]);
  const held = {
    id: "a1",
    tool: "pay",
    rule: "big payments",
    session: "s1",
    principal: "uid:tester",
    client: "agent-x",
    expiresAt: "2026-01-01T00:00:00.000Z",
  };
  deepEqual(withoutTs([requested, rejected]), [
    { type: "approval_requested", ...held, by: null, reason: null },
    { type: "approval_rejected", ...held, by: "alice", reason: "not today" },
  ]);
});
