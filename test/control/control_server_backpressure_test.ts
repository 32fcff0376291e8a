/**
 * A subscriber that stops reading (a stuck dashboard) costs the proxy neither time nor
 * unbounded memory: its oldest notifications are dropped and counted, others are served.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { ControlClient } from "../../src/control/control_client.ts";
import { startControlServer } from "../../src/control/control_server.ts";
import { decision, FakeTarget, type Json, RawClient, tempRoot, waitFor } from "./support.ts";

const EVENTS = 20_000;
const CHUNK = 1000;

/** Emits `count` decisions in chunks, letting the event loop run in between (writes happen). */
async function emitTimed(target: FakeTarget, count: number, first = 0): Promise<number> {
  let busy = 0;
  for (let n = first; n < first + count; n += CHUNK) {
    const start = performance.now();
    for (let i = n; i < Math.min(n + CHUNK, first + count); i++) {
      target.emit({ method: "decision", params: decision(i) });
    }
    busy += performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return busy;
}

Deno.test("control server: a stuck subscriber neither delays events nor other clients", async () => {
  await using temp = await tempRoot();
  const target = new FakeTarget();
  target.recent = [decision(-2), decision(-1)];
  const logs: string[] = [];
  const server = await startControlServer(`${temp.dir}/1.sock`, target, {
    log: (message) => logs.push(message),
  });
  const reader = await ControlClient.connect(server.path);
  const stuck = await RawClient.connect(server.path);
  const other = await ControlClient.connect(server.path);
  try {
    // Baseline: the same events with one subscriber that reads everything.
    let lastSeen = 0;
    reader.onEvent((event) => lastSeen = (event.params as { ts: number }).ts);
    await reader.request("subscribe");
    const baseline = await emitTimed(target, EVENTS);
    await waitFor(() => lastSeen === decision(EVENTS - 1).ts, "the reading subscriber");
    reader.close();
    await reader.closed;

    // The stuck one reads its subscribe answer, then nothing more.
    deepEqual((await stuck.request({ id: 1, method: "subscribe" })).result, {
      ok: true,
      backfill: 2,
    });
    const withStuck = await emitTimed(target, EVENTS, EVENTS);
    ok(withStuck < 2000, `emitting ${EVENTS} events took ${withStuck.toFixed(0)} ms`);
    ok(
      withStuck < baseline * 10 + 100,
      `stuck ${withStuck.toFixed(0)} ms vs reading ${baseline.toFixed(0)} ms`,
    );

    const start = performance.now();
    const status = await other.request<Json>("status");
    equal(status.pid, 4242);
    ok(performance.now() - start < 2000, "status answered while a subscriber is stuck");
    ok(
      logs.some((line) => /is not reading; dropping its oldest notifications/.test(line)),
      logs.join("\n"),
    );

    // Unstuck: what arrives plus what was reported dropped accounts for every event.
    let received = 0;
    let dropped = 0;
    const last = decision(2 * EVENTS - 1).ts;
    while (true) {
      const message = await stuck.next();
      const params = message.params as Json;
      received++;
      dropped += (params.dropped as number | undefined) ?? 0;
      if (params.ts === last) break;
    }
    ok(dropped > 0, "some notifications were dropped");
    ok(received < EVENTS, `received ${received}`);
    equal(received + dropped, EVENTS + 2);
  } finally {
    reader.close();
    other.close();
    await Promise.all([reader.closed, other.closed, stuck.close()]);
    await server.close();
  }
});

Deno.test("control server: the queue bound is per connection and configurable", async () => {
  await using temp = await tempRoot();
  const target = new FakeTarget();
  const server = await startControlServer(`${temp.dir}/1.sock`, target, { maxQueuedLines: 10 });
  const stuck = await RawClient.connect(server.path);
  const reader = await ControlClient.connect(server.path);
  try {
    await stuck.request({ id: 1, method: "subscribe" });
    const events: Json[] = [];
    reader.onEvent((event) => events.push(event.params as unknown as Json));
    await reader.request("subscribe");
    // Emitted in one turn: nothing can be written in between, so only the last 10 stay queued.
    for (let i = 0; i < 50; i++) target.emit({ method: "decision", params: decision(i) });
    const firstStuck = await stuck.next();
    equal((firstStuck.params as Json).dropped, 40);
    equal((firstStuck.params as Json).ts, decision(40).ts);
    for (let i = 41; i < 50; i++) equal(((await stuck.next()).params as Json).dropped, undefined);
    await waitFor(() => events.length === 10, "the reading subscriber");
    equal(events[0].dropped, 40);
  } finally {
    reader.close();
    await Promise.all([reader.closed, stuck.close()]);
    await server.close();
  }
});

Deno.test("control server survives subscribers that hang up in the middle of writes", async () => {
  await using temp = await tempRoot();
  const target = new FakeTarget();
  const server = await startControlServer(`${temp.dir}/1.sock`, target);
  try {
    for (let round = 0; round < 5; round++) {
      const client = await RawClient.connect(server.path);
      await client.request({ id: 1, method: "subscribe" });
      for (let i = 0; i < 5000; i++) target.emit({ method: "decision", params: decision(i) });
      await new Promise((resolve) => setTimeout(resolve, 0));
      await client.close();
      for (let i = 0; i < 100; i++) target.emit({ method: "decision", params: decision(i) });
    }
    const client = await RawClient.connect(server.path);
    try {
      equal((await client.request({ id: 2, method: "status" })).id, 2);
    } finally {
      await client.close();
    }
  } finally {
    await server.close();
  }
});

Deno.test("ControlServer.close() does not wait for a subscriber that does not read", async () => {
  await using temp = await tempRoot();
  const target = new FakeTarget();
  const server = await startControlServer(`${temp.dir}/1.sock`, target);
  const stuck = await RawClient.connect(server.path);
  await stuck.request({ id: 1, method: "subscribe" });
  for (let i = 0; i < 5000; i++) target.emit({ method: "decision", params: decision(i) });
  await new Promise((resolve) => setTimeout(resolve, 10));
  const start = performance.now();
  await server.close();
  ok(performance.now() - start < 1000);
  equal(target.listenerCount, 0);
  await stuck.close();
});
