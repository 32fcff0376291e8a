/** attachOperations(): what a running proxy writes to its audit log, from start to stop. */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { UsageError } from "../../src/cli/args.ts";
import type { Logger } from "../../src/cli/log.ts";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyText, PolicyLoadError } from "../../src/policy/loader.ts";
import type { PendingApproval } from "../../src/proxy/approvals.ts";
import { EventBus } from "../../src/proxy/event_bus.ts";
import { attachOperations, type OperationsOptions } from "../../src/proxy/operations.ts";
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

function runtimeOf(loadPolicy: () => Promise<CompiledPolicy>): ProxyRuntime {
  const gate = new PolicyGate(loadPolicyText(POLICY, "kafka.yaml"));
  return new ProxyRuntime({
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
}

function recordingLog() {
  const lines: string[] = [];
  const log: Logger = {
    debug: () => {},
    info: (message) => lines.push(`info: ${message}`),
    warn: (message) => lines.push(`warn: ${message}`),
    error: (message) => lines.push(`error: ${message}`),
    flush: () => Promise.resolve(true),
  };
  return { log, lines };
}

const NONE: Omit<OperationsOptions, "log"> = {
  controlPath: null,
  controlRequired: false,
  auditTarget: null,
  auditArgs: false,
  metrics: null,
};

/** A runtime and a bus with the operations attached, auditing to a temporary file. */
async function setUp(loadPolicy: () => Promise<CompiledPolicy>, auditArgs = false) {
  const dir = await Deno.makeTempDir({ prefix: "intercept-operations-" });
  const auditPath = `${dir}/audit.jsonl`;
  const runtime = runtimeOf(loadPolicy);
  const bus = new EventBus();
  const { log, lines: warnings } = recordingLog();
  const attachment = await attachOperations(runtime, bus, {
    ...NONE,
    auditTarget: auditPath,
    auditArgs,
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

Deno.test({
  name:
    "attachOperations() refuses an explicit control path it cannot use, and closes the audit log",
  // Fails if the audit file is left open.
  sanitizeResources: true,
  fn: refusesControlPath,
});

async function refusesControlPath() {
  const dir = await Deno.makeTempDir({ prefix: "intercept-operations-" });
  try {
    // A socket cannot be made under a regular file.
    await Deno.writeTextFile(`${dir}/file`, "");
    const { log } = recordingLog();
    await rejects(
      attachOperations(runtimeOf(() => Promise.reject(new Error("none"))), new EventBus(), {
        ...NONE,
        controlPath: `${dir}/file/proxy.sock`,
        controlRequired: true,
        auditTarget: `${dir}/audit.jsonl`,
        log,
      }),
      (error: Error) =>
        error instanceof UsageError && error.message.startsWith("Cannot open the control socket"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("attachOperations() goes on without a default control path it cannot use, and says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intercept-operations-" });
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    const { log, lines } = recordingLog();
    const attachment = await attachOperations(
      runtimeOf(() => Promise.reject(new Error("none"))),
      new EventBus(),
      { ...NONE, controlPath: `${dir}/file/proxy.sock`, log },
    );
    equal(attachment.controlPath, null);
    equal(lines.length, 1);
    ok(lines[0].startsWith("warn: Cannot open the control socket"), lines[0]);
    ok(lines[0].endsWith("(going on without one; --no-control silences this)"), lines[0]);
    await attachment.stop(0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("attachOperations() serves the control socket until stop", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intercept-operations-" });
  try {
    const path = `${dir}/control/proxy.sock`;
    const { log } = recordingLog();
    const attachment = await attachOperations(
      runtimeOf(() => Promise.reject(new Error("none"))),
      new EventBus(),
      { ...NONE, controlPath: path, controlRequired: true, log },
    );
    equal(attachment.controlPath, path);
    ok((await Deno.lstat(path)).isSocket);
    await attachment.stop(0);
    await rejects(Deno.lstat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("attachOperations() serves --metrics with the bus's decisions until stop", async () => {
  const { log, lines } = recordingLog();
  const bus = new EventBus();
  const attachment = await attachOperations(
    runtimeOf(() => Promise.reject(new Error("none"))),
    bus,
    { ...NONE, metrics: { hostname: "127.0.0.1", port: 0 }, log },
  );
  const url = lines[0]?.replace("info: Serving metrics at ", "");
  ok(url?.startsWith("http://127.0.0.1:"), lines.join("\n"));
  bus.emit({ type: "decision", event: decisionEvent("produce-message") });
  const text = await (await fetch(url)).text();
  ok(
    text.includes('intercept_decisions_total{tool="produce-message",decision="allow"'),
    text,
  );
  ok(text.includes("intercept_sessions 1"), text);
  await attachment.stop(0);
  await rejects(fetch(url));
});

Deno.test({
  name:
    "attachOperations() refuses a --metrics port in use, closing the control socket and the audit log",
  // Fails if the audit file or the socket is left open.
  sanitizeResources: true,
  fn: refusesMetricsPort,
});

async function refusesMetricsPort() {
  const dir = await Deno.makeTempDir({ prefix: "intercept-operations-" });
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { log } = recordingLog();
    await rejects(
      attachOperations(runtimeOf(() => Promise.reject(new Error("none"))), new EventBus(), {
        ...NONE,
        controlPath: `${dir}/proxy.sock`,
        auditTarget: `${dir}/audit.jsonl`,
        metrics: { hostname: "127.0.0.1", port: busy.addr.port },
        log,
      }),
      (error: Error) =>
        error instanceof UsageError && error.message.startsWith("Cannot serve --metrics"),
    );
    await rejects(Deno.lstat(`${dir}/proxy.sock`), Deno.errors.NotFound);
  } finally {
    busy.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("attachOperations() writes a call's arguments only with --audit-args", async () => {
  for (const auditArgs of [false, true]) {
    const { bus, stop } = await setUp(() => Promise.reject(new Error("none")), auditArgs);
    bus.emit({ type: "decision", event: decisionEvent("pay", { amount: 500 }) });
    const decision = (await stop(0)).find((line) => line.type === "decision")!;
    equal(typeof decision.argsSha256, "string");
    deepEqual(decision.args, auditArgs ? { amount: 500 } : undefined, `auditArgs ${auditArgs}`);
  }
});
