/** startControlServer(): every method, its errors, and subscribe's backfill and live events. */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { startControlServer } from "../../src/control/control_server.ts";
import { RELOAD_FAILED, REQUEST_FAILED } from "../../src/control/protocol.ts";
import { PolicyLoadError } from "../../src/policy/loader.ts";
import { decision, FakeTarget, type Json, RawClient, tempRoot } from "./support.ts";

async function withServer(
  run: (client: RawClient, target: FakeTarget, path: string) => Promise<void>,
  target = new FakeTarget(),
): Promise<void> {
  await using temp = await tempRoot();
  const server = await startControlServer(`${temp.dir}/1.sock`, target);
  const client = await RawClient.connect(server.path);
  try {
    await run(client, target, server.path);
  } finally {
    await client.close();
    await server.close();
  }
}

function errorOf(message: Json): { code: number; message: string; data?: Json } {
  ok(message.error, `expected an error: ${JSON.stringify(message)}`);
  return message.error as { code: number; message: string; data?: Json };
}

Deno.test("control server answers status with the target's status", async () => {
  await withServer(async (client, target) => {
    const answer = await client.request({ id: 1, method: "status" });
    deepEqual(answer, { jsonrpc: "2.0", id: 1, result: target.statusResult });
    const byName = await client.request({ id: "s", method: "status", params: {} });
    equal(byName.id, "s");
  });
});

Deno.test("control server deny calls the target with the tool and reason", async () => {
  await withServer(async (client, target) => {
    const answer = await client.request({
      id: 1,
      method: "deny",
      params: { tool: "produce-message", reason: "incident 42" },
    });
    deepEqual(answer.result, { ok: true, tool: "produce-message" });
    await client.request({ id: 2, method: "deny", params: { tool: "delete-topics" } });
    deepEqual(target.calls, [
      ["deny", "produce-message", "incident 42"],
      ["deny", "delete-topics", null],
    ]);
  });
});

Deno.test("control server deny refuses bad params with -32602 and no call", async () => {
  await withServer(async (client, target) => {
    const bad = [
      undefined,
      {},
      { tool: "" },
      { tool: "   " },
      { tool: 7 },
      { tool: "x", reason: 5 },
      ["x"],
      "x",
    ];
    for (const [i, params] of bad.entries()) {
      const answer = await client.request({ id: i, method: "deny", params });
      equal(answer.id, i);
      equal(errorOf(answer).code, -32602, JSON.stringify(params));
    }
    match(errorOf(await client.request({ id: 9, method: "deny" })).message, /params\.tool/);
    deepEqual(target.calls, []);
  });
});

Deno.test("control server allow lifts a live deny and refuses a tool that is not denied", async () => {
  await withServer(async (client, target) => {
    target.liveDenies.add("produce-message");
    const first = await client.request({
      id: 1,
      method: "allow",
      params: { tool: "produce-message" },
    });
    deepEqual(first.result, { ok: true, tool: "produce-message" });
    const second = await client.request({
      id: 2,
      method: "allow",
      params: { tool: "produce-message" },
    });
    equal(errorOf(second).code, REQUEST_FAILED);
    match(errorOf(second).message, /"produce-message" is not live-denied/);
    equal(errorOf(await client.request({ id: 3, method: "allow", params: {} })).code, -32602);
  });
});

Deno.test("control server reset forgets one tool or all", async () => {
  await withServer(async (client, target) => {
    const one = await client.request({ id: 1, method: "reset", params: { tool: "list-topics" } });
    deepEqual(one.result, { ok: true, tool: "list-topics" });
    const all = await client.request({ id: 2, method: "reset" });
    deepEqual(all.result, { ok: true, tool: null });
    equal(
      errorOf(await client.request({ id: 3, method: "reset", params: { tool: 5 } })).code,
      -32602,
    );
    deepEqual(target.calls, [["reset", "list-topics"], ["reset", null]]);
  });
});

Deno.test("control server reload answers the target's result", async () => {
  await withServer(async (client) => {
    const answer = await client.request({ id: 1, method: "reload" });
    deepEqual(answer.result, { ok: true, source: "/etc/kafka.yaml", toolsChanged: false });
  });
});

Deno.test("control server reload refused: RELOAD_FAILED with every located error", async () => {
  const target = new FakeTarget();
  target.reloadWith = () =>
    Promise.reject(
      new PolicyLoadError([
        { file: "kafka.yaml", line: 5, col: 9, message: 'Unknown key "acton"' },
        { file: "kafka.yaml", line: 9, col: 3, message: "Bad window" },
      ]),
    );
  await withServer(async (client) => {
    const error = errorOf(await client.request({ id: 1, method: "reload" }));
    equal(error.code, RELOAD_FAILED);
    match(error.message, /previous one stays in force: kafka\.yaml:5:9: Unknown key/);
    deepEqual(error.data, {
      errors: ['kafka.yaml:5:9: Unknown key "acton"', "kafka.yaml:9:3: Bad window"],
    });
  }, target);
});

Deno.test("control server maps a failure inside the proxy to -32603", async () => {
  const target = new FakeTarget();
  target.reloadWith = () => Promise.reject(new Error("disk on fire"));
  target.status = () => {
    throw new Error("broken");
  };
  const logs: string[] = [];
  await using temp = await tempRoot();
  const server = await startControlServer(`${temp.dir}/1.sock`, target, {
    log: (message) => logs.push(message),
  });
  const client = await RawClient.connect(server.path);
  try {
    const reload = errorOf(await client.request({ id: 1, method: "reload" }));
    equal(reload.code, -32603);
    match(reload.message, /disk on fire/);
    equal(errorOf(await client.request({ id: 2, method: "status" })).code, -32603);
    equal(logs.length, 2);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("control server subscribe: answer, then the backfill, then live events", async () => {
  const target = new FakeTarget();
  target.recent = [decision(1), decision(2), decision(3)];
  await withServer(async (client) => {
    const answer = await client.request({ id: 1, method: "subscribe" });
    deepEqual(answer.result, { ok: true, backfill: 3 });
    for (const n of [1, 2, 3]) {
      deepEqual(await client.next(), {
        jsonrpc: "2.0",
        method: "decision",
        params: decision(n),
      });
    }
    const policy = {
      ts: 5,
      event: "reload_failed" as const,
      source: "kafka.yaml",
      error: "kafka.yaml:1:1: bad",
      toolsChanged: false,
    };
    const control = { ts: 6, event: "deny" as const, tool: "x", reason: "why" };
    target.emit({ method: "decision", params: decision(4) });
    target.emit({ method: "policy", params: policy });
    target.emit({ method: "control", params: control });
    deepEqual(await client.next(), { jsonrpc: "2.0", method: "decision", params: decision(4) });
    deepEqual(await client.next(), { jsonrpc: "2.0", method: "policy", params: policy });
    deepEqual(await client.next(), { jsonrpc: "2.0", method: "control", params: control });
    // A second subscribe does not repeat the backfill nor double the events.
    deepEqual((await client.request({ id: 2, method: "subscribe" })).result, {
      ok: true,
      backfill: 0,
    });
    target.emit({ method: "decision", params: decision(5) });
    equal(((await client.next()).params as Json).ts, decision(5).ts);
    equal((await client.request({ id: 3, method: "status" })).id, 3);
  }, target);
});

Deno.test("control server sends no events to a client that did not subscribe", async () => {
  await withServer(async (client, target) => {
    target.emit({ method: "decision", params: decision(1) });
    equal((await client.request({ id: 1, method: "status" })).id, 1);
  });
});

Deno.test("control server answers a malformed line with -32700 and keeps the connection", async () => {
  await withServer(async (client) => {
    await client.send('{"jsonrpc":"2.0","id":1,"method":"status"');
    const error = await client.next();
    equal(error.id, null);
    equal(errorOf(error).code, -32700);
    equal((await client.request({ id: 2, method: "status" })).id, 2);
  });
});

Deno.test("control server answers an unknown method with -32601", async () => {
  await withServer(async (client, target) => {
    const answer = await client.request({ id: 7, method: "shutdown" });
    equal(answer.id, 7);
    equal(errorOf(answer).code, -32601);
    match(errorOf(answer).message, /Unknown method "shutdown"; the methods are status, subscribe/);
    deepEqual(target.calls, []);
  });
});

Deno.test("control server answers a request that is not one with -32600", async () => {
  await withServer(async (client) => {
    for (const text of ["[1,2]", "42", '"status"', "null", '{"id":4}', '{"id":5,"method":9}']) {
      await client.send(text);
      const answer = await client.next();
      equal(errorOf(answer).code, -32600, text);
    }
    await client.send('{"id":{"a":1},"method":"status"}');
    const badId = await client.next();
    equal(badId.id, null);
    equal(errorOf(badId).code, -32600);
    equal((await client.request({ id: 6, method: "status" })).id, 6);
  });
});

Deno.test("control server answers an over-long line with an error and keeps the connection", async () => {
  await withServer(async (client) => {
    const filler = "x".repeat(1024 * 1024 + 10);
    await client.send(`{"jsonrpc":"2.0","id":11,"method":"deny","params":{"tool":"${filler}"}}`);
    const answer = await client.next();
    equal(answer.id, 11);
    equal(errorOf(answer).code, -32600);
    match(errorOf(answer).message, /too long: \d+ bytes, the limit is 1048576/);
    equal((await client.request({ id: 12, method: "status" })).id, 12);
  });
});

Deno.test("control server runs a notification (no id) without answering it", async () => {
  await withServer(async (client, target) => {
    await client.send('{"jsonrpc":"2.0","method":"deny","params":{"tool":"x"}}');
    await client.send('{"jsonrpc":"2.0","method":"nope"}');
    equal((await client.request({ id: 1, method: "status" })).id, 1);
    deepEqual(target.calls, [["deny", "x", null], ["status"]]);
  });
});

Deno.test("control server answers requests on several connections at once", async () => {
  await withServer(async (first, _target, path) => {
    const second = await RawClient.connect(path);
    try {
      const [a, b] = await Promise.all([
        first.request({ id: 1, method: "status" }),
        second.request({ id: 1, method: "status" }),
      ]);
      equal(a.id, 1);
      equal(b.id, 1);
    } finally {
      await second.close();
    }
  });
});

Deno.test("control server: idle connections at the bound give way, so a request always gets in", async () => {
  await withServer(async (first, _target, path) => {
    equal((await first.request({ id: 1, method: "subscribe" })).id, 1);
    const idle: RawClient[] = [];
    try {
      // 63 more connections that never send anything: the bound of 64 is reached.
      for (let i = 1; i < 64; i++) idle.push(await RawClient.connect(path));
      // A 65th gets in, and it is the idle one that waited longest that is closed, not the
      // subscriber.
      const late = await RawClient.connect(path);
      idle.push(late);
      equal((await late.request({ id: 7, method: "status" })).id, 7);
      await rejects(idle[0].next(5_000), /closed the connection/);
      for (let i = 0; i < 5; i++) {
        const again = await RawClient.connect(path);
        idle.push(again);
        equal((await again.request({ id: i, method: "status" })).id, i);
      }
      equal((await first.request({ id: 2, method: "status" })).id, 2, "the subscriber stays");
    } finally {
      await Promise.all(idle.map((client) => client.close()));
    }
  });
});

Deno.test("control server closes a connection idle past idleMs, but never a subscriber", async () => {
  await using temp = await tempRoot();
  const server = await startControlServer(`${temp.dir}/1.sock`, new FakeTarget(), {
    idleMs: 200,
  });
  const idle = await RawClient.connect(server.path);
  const subscriber = await RawClient.connect(server.path);
  try {
    equal((await subscriber.request({ id: 1, method: "subscribe" })).id, 1);
    const started = Date.now();
    await rejects(idle.next(10_000), /closed the connection/);
    ok(Date.now() - started >= 150, "not before its idle time");
    // Well past the idle time, the subscriber still answers.
    await new Promise((resolve) => setTimeout(resolve, 400));
    equal((await subscriber.request({ id: 2, method: "status" })).id, 2);
  } finally {
    await idle.close();
    await subscriber.close();
    await server.close();
  }
});

Deno.test("control server keeps a connection whose request is still being answered", async () => {
  await using temp = await tempRoot();
  const target = new FakeTarget();
  let finish = () => {};
  target.reloadWith = () =>
    new Promise((resolve) => {
      finish = () => resolve({ ok: true, source: "k.yaml", toolsChanged: false });
    });
  const server = await startControlServer(`${temp.dir}/1.sock`, target, { idleMs: 100 });
  const client = await RawClient.connect(server.path);
  try {
    await client.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "reload" }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    finish();
    deepEqual((await client.next()).result, { ok: true, source: "k.yaml", toolsChanged: false });
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("control server bounds subscribers apart from other connections", async () => {
  await using temp = await tempRoot();
  const server = await startControlServer(`${temp.dir}/1.sock`, new FakeTarget(), {
    maxConnections: 4,
    maxSubscribers: 2,
  });
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < 3; i++) clients.push(await RawClient.connect(server.path));
    equal((await clients[0].request({ id: 1, method: "subscribe" })).id, 1);
    equal((await clients[1].request({ id: 1, method: "subscribe" })).id, 1);
    const third = errorOf(await clients[2].request({ id: 1, method: "subscribe" }));
    equal(third.code, REQUEST_FAILED);
    match(third.message, /Too many dashboards/);
    // With every other slot taken, requests still get in.
    for (let i = 0; i < 3; i++) {
      const ctl = await RawClient.connect(server.path);
      clients.push(ctl);
      equal((await ctl.request({ id: 9, method: "status" })).id, 9);
    }
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
  }
});

Deno.test("control server refuses a deny past the proxy's bound with -32002, nothing applied", async () => {
  const target = new FakeTarget();
  target.deny = (tool: string) => {
    throw new RangeError(`Cannot deny "${tool}": 1000 live denies are in force already`);
  };
  await withServer(async (client) => {
    const error = errorOf(await client.request({ id: 1, method: "deny", params: { tool: "x-*" } }));
    equal(error.code, REQUEST_FAILED);
    match(error.message, /1000 live denies are in force already/);
  }, target);
});

Deno.test("control server passes who asked to the proxy, and refuses a bad one", async () => {
  await withServer(async (client, target) => {
    const by = "ann via ctl";
    equal((await client.request({ id: 1, method: "deny", params: { tool: "x", by } })).id, 1);
    deepEqual(target.calls.at(-1), ["deny", "x", null, by]);
    const bad = errorOf(
      await client.request({ id: 2, method: "allow", params: { tool: "x", by: 42 } }),
    );
    equal(bad.code, -32602);
    match(bad.message, /params\.by must be a string of at most 200 characters/);
    const allowed = await client.request({ id: 3, method: "allow", params: { tool: "y" } });
    const notDenied = errorOf(allowed);
    deepEqual(notDenied.data, { reason: "not_denied" });
  });
});
