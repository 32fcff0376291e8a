/** ControlClient: requests and answers, errors, events, close, and connect failures. */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import {
  ControlClient,
  ControlConnectError,
  ControlRequestError,
} from "../../src/control/control_client.ts";
import { type ControlServer, startControlServer } from "../../src/control/control_server.ts";
import {
  type ControlEvent,
  RELOAD_FAILED,
  REQUEST_FAILED,
  type StatusResult,
} from "../../src/control/protocol.ts";
import { PolicyLoadError } from "../../src/policy/loader.ts";
import { decision, FakeTarget, makeStaleSocket, tempRoot, waitFor } from "./support.ts";

async function withClient(
  run: (client: ControlClient, target: FakeTarget, server: ControlServer) => Promise<void>,
): Promise<void> {
  await using temp = await tempRoot();
  const target = new FakeTarget();
  const server = await startControlServer(`${temp.dir}/1.sock`, target);
  const client = await ControlClient.connect(server.path);
  try {
    await run(client, target, server);
  } finally {
    client.close();
    await client.closed;
    await server.close();
  }
}

Deno.test("ControlClient.request() resolves with the result", async () => {
  await withClient(async (client, target, server) => {
    equal(client.path, server.path);
    const status = await client.request<StatusResult>("status");
    deepEqual(status, target.statusResult);
    deepEqual(await client.request("deny", { tool: "x", reason: "r" }), { ok: true, tool: "x" });
    const [a, b] = await Promise.all([
      client.request("reset", { tool: "x" }),
      client.request("allow", { tool: "x" }),
    ]);
    deepEqual(a, { ok: true, tool: "x" });
    deepEqual(b, { ok: true, tool: "x" });
  });
});

Deno.test("ControlClient.request() rejects with ControlRequestError on an error answer", async () => {
  await withClient(async (client, target) => {
    await rejects(client.request("allow", { tool: "x" }), (error: ControlRequestError) => {
      ok(error instanceof ControlRequestError);
      equal(error.code, REQUEST_FAILED);
      match(error.message, /not live-denied/);
      return true;
    });
    target.reloadWith = () =>
      Promise.reject(new PolicyLoadError([{ file: "p.yaml", line: 2, col: 3, message: "Bad" }]));
    await rejects(client.request("reload"), (error: ControlRequestError) => {
      equal(error.code, RELOAD_FAILED);
      deepEqual(error.data, { errors: ["p.yaml:2:3: Bad"] });
      return true;
    });
    await rejects(
      client.request("deny", {}),
      (error: ControlRequestError) => error.code === -32602,
    );
  });
});

Deno.test("ControlClient.request() times out when the proxy does not answer", async () => {
  await withClient(async (client, target) => {
    let release = () => {};
    target.reloadWith = () =>
      new Promise((resolve) => {
        release = () => resolve({ ok: true, source: "p.yaml", toolsChanged: false });
      });
    await rejects(
      client.request("reload", undefined, { timeoutMs: 50 }),
      /did not answer "reload" within 50 ms/,
    );
    release();
    // A late answer is ignored; the connection still works.
    equal((await client.request<StatusResult>("status")).pid, 4242);
  });
});

Deno.test("ControlClient.onEvent() receives the backfill and live events after subscribe", async () => {
  await withClient(async (client, target) => {
    target.recent = [decision(1)];
    const events: ControlEvent[] = [];
    const stop = client.onEvent((event) => events.push(event));
    deepEqual(await client.request("subscribe"), { ok: true, backfill: 1 });
    target.emit({ method: "control", params: { ts: 2, event: "reset", tool: null, reason: null } });
    await waitFor(() => events.length === 2, "two events");
    deepEqual(events, [
      { method: "decision", params: decision(1) },
      { method: "control", params: { ts: 2, event: "reset", tool: null, reason: null } },
    ]);
    stop();
    target.emit({ method: "decision", params: decision(3) });
    await client.request("status");
    equal(events.length, 2);
  });
});

Deno.test("ControlClient.onClose() fires once when the proxy goes away; pending requests fail", async () => {
  await withClient(async (client, target, server) => {
    target.reloadWith = () => new Promise(() => {});
    let closes = 0;
    client.onClose(() => closes++);
    const pending = rejects(client.request("reload"), /closed before "reload" was answered/);
    await waitFor(() => target.calls.length === 1, "the reload to reach the proxy");
    await server.close();
    await pending;
    await client.closed;
    equal(closes, 1);
    equal(client.open, false);
    await rejects(client.request("status"), /is closed/);
    client.close();
    equal(closes, 1);
  });
});

Deno.test("ControlClient.close() ends the connection and calls onClose", async () => {
  await withClient(async (client) => {
    let closed = false;
    client.onClose(() => closed = true);
    client.close();
    await client.closed;
    ok(closed);
  });
});

Deno.test("ControlClient.connect() names the path and says not running when nothing is there", async () => {
  await using temp = await tempRoot();
  const path = `${temp.root}/absent.sock`;
  await rejects(ControlClient.connect(path), (error: ControlConnectError) => {
    ok(error instanceof ControlConnectError);
    ok(error.notRunning);
    equal(error.path, path);
    match(error.message, new RegExp(`^Cannot connect to ${path}: the proxy is not running`));
    return true;
  });
});

Deno.test("ControlClient.connect() says not running for a stale socket", async () => {
  await using temp = await tempRoot();
  const path = `${temp.root}/stale.sock`;
  await makeStaleSocket(path);
  await rejects(ControlClient.connect(path), (error: ControlConnectError) => {
    ok(error.notRunning);
    match(error.message, new RegExp(`${path}: the proxy is not running \\(connection refused\\)`));
    return true;
  });
});

Deno.test("ControlClient.connect() names the path for other failures", async () => {
  await using temp = await tempRoot();
  await Deno.writeTextFile(`${temp.root}/file.sock`, "");
  await rejects(ControlClient.connect(`${temp.root}/file.sock`), (error: ControlConnectError) => {
    match(error.message, new RegExp(`${temp.root}/file\\.sock`));
    return true;
  });
});
