/**
 * serveStdio(): one stdio session from start to exit, over streams and signals of the test's
 * own and a fake server: backpressure on the client's input, calls decided before the server's
 * stdin is closed, reloads asked for while the first policy loads, signals, start-up failure.
 */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { call, flush, request } from "./support.ts";
import { ALLOW_ALL, callOfSize, DENY_ALL, names, policyOf, start } from "./stdio_session.ts";

Deno.test("serveStdio() stops reading the client while waiting calls pass 4 messages' size, and reads on once they are decided", async () => {
  const policy = Promise.withResolvers<CompiledPolicy>();
  const s = start({ policy: policy.promise, maxBytes: 1_000 });
  // Five calls of 900 bytes wait for the policy: 4,500 bytes, past the bound of 4 × 1,000.
  for (let id = 1; id <= 5; id++) s.input.send(callOfSize(id, 900));
  s.input.send(request(6, "ping"));
  await flush();
  await flush();
  equal(s.input.read, 5, "the ping after the fifth call is not read");
  deepEqual(s.server.received, [], "nothing went up: calls wait, the ping was not read");
  policy.resolve(policyOf(ALLOW_ALL, "allow.yaml"));
  s.input.close();
  equal(await s.done, 0);
  deepEqual(names(s.server.receivedAtShutdown!), ["echo", "echo", "echo", "echo", "echo", "ping"]);
  deepEqual(s.output.messages.map((message) => message.id), [1, 2, 3, 4, 5, 6]);
});

Deno.test("serveStdio() reads on while waiting calls stay within the bound", async () => {
  const policy = Promise.withResolvers<CompiledPolicy>();
  const s = start({ policy: policy.promise, maxBytes: 1_000 });
  // Four calls of 900 bytes: 3,600 bytes, within 4 × 1,000. The ping passes them.
  for (let id = 1; id <= 4; id++) s.input.send(callOfSize(id, 900));
  s.input.send(request(5, "ping"));
  await flush();
  await flush();
  equal(s.input.read, 5);
  deepEqual(names(s.server.received), ["ping"]);
  policy.resolve(policyOf(ALLOW_ALL, "allow.yaml"));
  s.input.close();
  equal(await s.done, 0);
  deepEqual(names(s.server.receivedAtShutdown!), ["ping", "echo", "echo", "echo", "echo"]);
});

Deno.test("serveStdio() stops reading the client while it does not read our answers", async () => {
  const s = start({ policy: Promise.resolve(policyOf(DENY_ALL, "deny.yaml")), maxBytes: 1_000 });
  await s.runtime;
  s.output.hold();
  // Each denial is answered at once, and the client reads none: past 1,000 bytes, we stop.
  for (let id = 1; id <= 10; id++) s.input.send(call(id, "denied", {}));
  await flush();
  await flush();
  ok(s.input.read < 10, `read ${s.input.read} chunks while the client read nothing`);
  s.output.release();
  s.input.close();
  equal(await s.done, 0);
  equal(s.input.read, 10);
  deepEqual(s.output.messages.map((message) => message.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("serveStdio() stops reading the client while the server does not read", async () => {
  const s = start({ policy: Promise.resolve(policyOf(ALLOW_ALL, "allow.yaml")), maxBytes: 1_000 });
  await s.runtime;
  s.server.channel.backlog = 1_001;
  s.input.send({ jsonrpc: "2.0", method: "notifications/progress", params: {} });
  s.input.send(request(2, "ping"));
  await flush();
  await flush();
  equal(s.input.read, 1, "waits for the server to catch up");
  s.server.drained();
  s.input.close();
  equal(await s.done, 0);
  deepEqual(names(s.server.receivedAtShutdown!), ["notifications/progress", "ping"]);
});

Deno.test("serveStdio() stops reading the server while the client does not read", async () => {
  const s = start({ policy: Promise.resolve(policyOf(ALLOW_ALL, "allow.yaml")), maxBytes: 1_000 });
  await s.runtime;
  s.output.hold();
  const log = {
    jsonrpc: "2.0",
    method: "notifications/message",
    params: { data: "x".repeat(300) },
  };
  const writing = s.server.write(...Array.from({ length: 10 }, () => log));
  await flush();
  await flush();
  ok(s.server.delivered < 10, `took ${s.server.delivered} messages the client cannot take`);
  s.output.release();
  await writing;
  await s.input.closeAndWait();
  equal(await s.done, 0);
  equal(s.output.messages.length, 10);
});

Deno.test("serveStdio() decides and forwards calls still waiting for the policy before it closes the server's stdin", async () => {
  const policy = Promise.withResolvers<CompiledPolicy>();
  const s = start({ policy: policy.promise });
  s.input.send(call(1, "echo", { text: "last words" }));
  s.input.close();
  await flush();
  await flush();
  equal(s.server.receivedAtShutdown, null, "the server's stdin stays open while a call waits");
  policy.resolve(policyOf(ALLOW_ALL, "allow.yaml"));
  equal(await s.done, 0);
  deepEqual(names(s.server.receivedAtShutdown!), ["echo"]);
  deepEqual(s.output.messages, [{ jsonrpc: "2.0", id: 1, result: { content: [] } }]);
  equal(s.stoppedWith(), 0);
});

Deno.test("serveStdio() runs a reload asked for while the first policy loads once it is in", async () => {
  const policy = Promise.withResolvers<CompiledPolicy>();
  let loads = 0;
  const s = start({
    policy: policy.promise,
    reloadPolicy: () => {
      loads++;
      return Promise.resolve(policyOf(DENY_ALL, "edited.yaml"));
    },
  });
  s.signals.fire("SIGHUP");
  equal(loads, 0, "no runtime to reload yet");
  policy.resolve(policyOf(ALLOW_ALL, "first.yaml"));
  const runtime = await s.runtime;
  const reloaded = new Promise((resolve) =>
    runtime.subscribe((event) => event.method === "policy" && resolve(event.params))
  );
  s.input.close();
  equal(await s.done, 0);
  equal(loads, 1, "the reload asked for during start-up ran");
  deepEqual({ ...await reloaded as object, ts: 0 }, {
    ts: 0,
    event: "reloaded",
    source: "edited.yaml",
    error: null,
    toolsChanged: true,
  });
  ok(s.logs.includes("info: Policy reloaded (SIGHUP) from edited.yaml"), s.logs.join("\n"));
  equal(s.signals.count, 0, "every signal listener is removed");
});

Deno.test("serveStdio() shows operators the client, the server, the control path and each decision, and tells the client when tools change", async () => {
  const s = start({
    policy: Promise.resolve(policyOf(ALLOW_ALL, "allow.yaml")),
    controlPath: "/run/intercept/1.sock",
  });
  const runtime = await s.runtime;
  s.input.send(request(1, "initialize", {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "agent-x", version: "2" },
  }));
  s.input.send(request(2, "tools/list"));
  s.input.send(call(3, "echo", { text: "hi" }));
  const answered = Promise.withResolvers<void>();
  runtime.subscribe((event) => event.method === "decision" && answered.resolve());
  await answered.promise;
  runtime.deny("echo", "Incident 7");
  const status = runtime.status();
  equal(status.sessions[0].client?.name, "agent-x");
  deepEqual(status.server, { name: "fake-server", version: "1.0" });
  equal(status.name, "fake-server");
  equal(status.controlPath, "/run/intercept/1.sock");
  equal(status.upstream.command[0], "fake-server");
  deepEqual(status.tools.map((tool) => [tool.name, tool.posture, tool.allowed]), [
    ["echo", "live-deny", 1],
    ["list-topics", "allow", 0],
  ]);
  deepEqual(runtime.recentDecisions().map((notice) => [notice.tool, notice.client]), [
    ["echo", "agent-x"],
  ]);
  await s.input.closeAndWait();
  equal(await s.done, 0);
  const changed = s.output.messages.filter((message) =>
    message.method === "notifications/tools/list_changed"
  );
  equal(changed.length, 1, "the live deny changed the tools the client may see");
});

Deno.test("serveStdio() shows operators a held call and forwards it once they approve", async () => {
  const held = policyOf(
    `version: "1"
tools:
  create-connector:
    rules:
      - name: connectors need a human
        action: require_approval
        approval: { timeout: 60, from: [operator] }
`,
    "held.yaml",
  );
  const s = start({ policy: Promise.resolve(held) });
  const runtime = await s.runtime;
  const requested = Promise.withResolvers<string>();
  runtime.subscribe((event) => {
    if (event.method === "approval" && event.params.event === "requested") {
      requested.resolve(event.params.approval.id);
    }
  });
  s.input.send(call(1, "create-connector", { name: "c1" }));
  const id = await requested.promise;
  deepEqual(runtime.approvals().map((approval) => [approval.id, approval.tool]), [
    [id, "create-connector"],
  ]);
  ok(runtime.approve(id, "alice"));
  await s.input.closeAndWait();
  equal(await s.done, 0);
  deepEqual(names(s.server.receivedAtShutdown!), ["create-connector"]);
  deepEqual(s.output.messages, [{ jsonrpc: "2.0", id: 1, result: { content: [] } }]);
});

Deno.test("serveStdio() withdraws a held call when the client closes its stdin: no operator can approve it into the void", async () => {
  const held = policyOf(
    `version: "1"
tools:
  create-connector:
    rules:
      - name: connectors need a human
        action: require_approval
        approval: { timeout: 60, from: [operator] }
`,
    "held.yaml",
  );
  const s = start({ policy: Promise.resolve(held) });
  const runtime = await s.runtime;
  const events: string[] = [];
  const requested = Promise.withResolvers<string>();
  runtime.subscribe((event) => {
    if (event.method !== "approval") return;
    events.push(event.params.event);
    if (event.params.event === "requested") requested.resolve(event.params.approval.id);
  });
  s.input.send(call(1, "create-connector", { name: "c1" }));
  const id = await requested.promise;
  await s.input.closeAndWait();
  deepEqual(events, ["requested", "withdrawn"]);
  equal(runtime.approve(id, "alice"), false, "it waits for nothing any more");
  equal(await s.done, 0);
  deepEqual(names(s.server.receivedAtShutdown!), []);
});

Deno.test("serveStdio() answers calls still in flight with an error when the server exits", async () => {
  const s = start({ policy: Promise.resolve(policyOf(ALLOW_ALL, "allow.yaml")) });
  await s.runtime;
  s.server.answers = false;
  s.input.send(call(1, "echo", {}));
  await flush();
  deepEqual(names(s.server.received), ["echo"]);
  s.server.exit(7);
  equal(await s.done, 7);
  const [answer] = s.output.messages;
  equal(answer.id, 1);
  equal(answer.error.code, -32603);
  ok(answer.error.message.includes("code 7"), answer.error.message);
  equal(s.stoppedWith(), 7);
  await s.input.closeAndWait();
});

Deno.test({
  name: "serveStdio() passes SIGTERM to the server and exits with its code, leaving no timer",
  // Fails if the SIGKILL timer outlives the server.
  sanitizeOps: true,
  fn: passesSigterm,
});

async function passesSigterm() {
  const s = start({ policy: Promise.resolve(policyOf(ALLOW_ALL, "allow.yaml")) });
  await s.runtime;
  s.signals.fire("SIGTERM");
  equal(await s.done, 143);
  deepEqual(s.server.signals, ["SIGTERM"]);
  equal(s.stoppedWith(), 143);
  equal(s.signals.count, 0);
  await s.input.closeAndWait();
}

Deno.test("serveStdio() kills a server that outlives SIGINT by the grace period", async () => {
  const s = start({ policy: Promise.resolve(policyOf(ALLOW_ALL, "allow.yaml")), graceMs: 20 });
  await s.runtime;
  s.server.ignoresSigterm = true;
  s.signals.fire("SIGINT");
  equal(await s.done, 137);
  deepEqual(s.server.signals, ["SIGINT", "SIGKILL"]);
  await s.input.closeAndWait();
});

Deno.test("serveStdio() ends the server and rethrows when the first policy cannot load", async () => {
  const s = start({ policy: Promise.reject(new Error("policy.yaml:3:1: bad rule")) });
  await rejects(s.done, /bad rule/);
  ok(s.server.terminated);
  equal(s.signals.count, 0, "every signal listener is removed");
  await s.input.closeAndWait();
});
