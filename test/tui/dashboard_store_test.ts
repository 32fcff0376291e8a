import assert from "node:assert/strict";
import { decision, quota, storeSetup as setup, tool } from "./fakes.ts";

const TOOLS = () => [
  tool("list-topics", { allowed: 4 }),
  tool("produce-message", { posture: "limited", quotas: [quota({ remaining: 10 })] }),
];

Deno.test("DashboardStore connects to each discovered proxy: status, subscribe, approvals", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    assert.deepEqual(proxy.link.requests.map((r) => r.method), [
      "status",
      "subscribe",
      "approvals",
    ]);
    const snapshot = store.getSnapshot();
    assert.equal(snapshot.discovered, true);
    assert.equal(snapshot.proxies.length, 1);
    assert.equal(snapshot.proxies[0].link, "connected");
    assert.equal(snapshot.proxies[0].status?.pid, 4242);
    assert.deepEqual(snapshot.proxies[0].tools.map((t) => t.allowed), [4, 0]);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore counts decisions and takes quotas from them", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    const ts = clock.time + 1;
    proxy.link.emit(decision("list-topics", ts));
    proxy.link.emit(decision("produce-message", ts + 1, {
      decision: "deny",
      rule: "produce-limit",
      reason: "Rate limit 30/minute exceeded",
      quotas: [quota({ remaining: 0, resetInMs: 42_000 })],
    }));
    proxy.link.emit(decision("not-listed", ts + 2));
    await clock.advance(100);
    const [list, produce] = store.getSnapshot().proxies[0].tools;
    assert.equal(list.allowed, 5);
    assert.equal(produce.denied, 1);
    assert.equal(produce.quotas.length, 1);
    assert.equal(produce.quotas[0].remaining, 0);
    assert.equal(produce.quotas[0].resetInMs, 42_000);
    assert.deepEqual(store.getSnapshot().stream.map((e) => e.notice.ts), [ts, ts + 1, ts + 2]);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore does not count the backfill twice, nor repeat it on reconnect", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, [tool("list-topics", { allowed: 2 })]);
  const before = clock.time - 5000;
  proxy.backfill = [decision("list-topics", before), decision("list-topics", before + 1)];
  store.start();
  await clock.advance(0);
  try {
    let snapshot = store.getSnapshot();
    assert.equal(snapshot.stream.length, 2, "the backfill shows in the stream");
    assert.equal(snapshot.proxies[0].tools[0].allowed, 2, "the status already counted it");
    proxy.link.hangUp();
    await clock.advance(1000);
    snapshot = store.getSnapshot();
    assert.equal(proxy.links.length, 2, "reconnected");
    assert.equal(snapshot.proxies[0].link, "connected");
    assert.equal(snapshot.stream.length, 2, "the second backfill adds nothing");
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore keeps the last streamLimit entries, in time order", async () => {
  const { clock, net, store } = setup({ streamLimit: 5 });
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    for (let i = 1; i <= 8; i++) proxy.link.emit(decision("list-topics", clock.time + i));
    proxy.link.emit(decision("list-topics", clock.time + 6.5));
    await clock.advance(100);
    const times = store.getSnapshot().stream.map((e) => e.notice.ts - clock.time + 100);
    assert.deepEqual(times, [5, 6, 6.5, 7, 8]);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore shows a refused reload's error and clears it on the next reload", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    const error = "kafka.yaml:3:5: Unknown key actoin";
    proxy.link.emit({
      method: "policy",
      params: {
        ts: clock.time + 1,
        event: "reload_failed",
        source: "kafka.yaml",
        error,
        toolsChanged: false,
      },
    });
    await clock.advance(100);
    assert.equal(store.getSnapshot().proxies[0].policyError, error);
    assert.equal(store.getSnapshot().stream.at(-1)?.kind, "policy");
    const statusCalls = proxy.calls("status").length;
    proxy.link.emit({
      method: "policy",
      params: {
        ts: clock.time + 1,
        event: "reloaded",
        source: "kafka.yaml",
        error: null,
        toolsChanged: true,
      },
    });
    await clock.advance(100);
    assert.equal(store.getSnapshot().proxies[0].policyError, null);
    assert.equal(proxy.calls("status").length, statusCalls + 1, "a reload fetches the status");
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore retries a closed connection with backoff while the socket exists", async () => {
  const { clock, net, store } = setup({ retryMs: { first: 100, max: 400 }, frameMs: 50 });
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    proxy.listening = false;
    proxy.link.hangUp();
    await clock.advance(50);
    assert.equal(store.getSnapshot().proxies[0].link, "retrying");
    assert.equal(store.getSnapshot().proxies[0].linkError, "connection closed");
    const start = net.connects.length;
    await clock.advance(50 + 200 + 400 + 400);
    assert.equal(net.connects.length - start, 4, "retried after 100, 200, 400 and 400 ms");
    assert.match(store.getSnapshot().proxies[0].linkError ?? "", /connection refused/);
    proxy.listening = true;
    await clock.advance(400);
    assert.equal(store.getSnapshot().proxies[0].link, "connected");
    assert.equal(store.getSnapshot().proxies[0].linkError, null);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore drops a proxy whose socket is gone", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  net.add(4243, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    assert.equal(store.getSnapshot().proxies.length, 2);
    proxy.exit();
    await clock.advance(100);
    const snapshot = store.getSnapshot();
    assert.deepEqual(snapshot.proxies.map((p) => p.status?.pid), [4243]);
    assert.equal(snapshot.notice?.text, "pid 4242 is gone");
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore finds proxies that start later, and polls status every second", async () => {
  const { clock, net, store } = setup();
  store.start();
  await clock.advance(0);
  try {
    assert.equal(store.getSnapshot().proxies.length, 0);
    const proxy = net.add(4242, TOOLS());
    await clock.advance(2000);
    assert.equal(store.getSnapshot().proxies.length, 1);
    const calls = proxy.calls("status").length;
    proxy.status = { ...proxy.status, tools: [tool("list-topics", { allowed: 99 })] };
    await clock.advance(3000);
    assert.equal(proxy.calls("status").length, calls + 3);
    assert.equal(store.getSnapshot().proxies[0].tools[0].allowed, 99);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore reports a failed discovery and keeps going", async () => {
  const { clock, net, store } = setup();
  net.discoverError = new Error("Permission denied: /run/intercept");
  store.start();
  await clock.advance(0);
  try {
    assert.equal(
      store.getSnapshot().notice?.text,
      "Cannot look for proxies: Permission denied: /run/intercept",
    );
    net.discoverError = null;
    net.add(4242, TOOLS());
    await clock.advance(2000);
    assert.equal(store.getSnapshot().proxies.length, 1);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore coalesces 50 decisions into one render", async () => {
  const { clock, net, store, renders } = setup();
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(100);
  try {
    const before = renders();
    for (let i = 0; i < 50; i++) proxy.link.emit(decision("list-topics", clock.time + i));
    await clock.advance(100);
    assert.equal(renders() - before, 1);
    assert.equal(store.getSnapshot().stream.length, 50);
    assert.equal(store.getSnapshot().proxies[0].tools[0].allowed, 54);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore renders 50 decisions a second at most 10 times a second", async () => {
  const { clock, net, store, renders } = setup({ pollMs: 60_000, discoverMs: 60_000 });
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(100);
  try {
    const before = renders();
    for (let i = 0; i < 50; i++) {
      proxy.link.emit(decision("list-topics", clock.time + 1));
      await clock.advance(20);
    }
    await clock.advance(100);
    const count = renders() - before;
    assert.ok(count <= 11, `${count} renders for 50 decisions in 1 s`);
    assert.ok(count >= 8, `${count} renders: updates still show every frame`);
    assert.equal(store.getSnapshot().stream.length, 50);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore.stop() closes connections and leaves no timer", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  proxy.link.emit(decision("list-topics", clock.time + 1));
  store.stop();
  assert.equal(proxy.link.closed, true);
  assert.equal(clock.pending, 0);
  await clock.advance(5000);
  assert.equal(proxy.links.length, 1, "no reconnection after stop");
});

Deno.test("DashboardStore.discoverNow() finds a new proxy at once, not at the next discovery", async () => {
  const { clock, net, store } = setup({ discoverMs: 60_000 });
  store.start();
  await clock.advance(0);
  try {
    assert.equal(store.getSnapshot().proxies.length, 0);
    net.add(4242, TOOLS());
    await clock.advance(1_000);
    assert.equal(store.getSnapshot().proxies.length, 0, "the next discovery is a minute away");
    store.discoverNow();
    await clock.advance(0);
    assert.equal(store.getSnapshot().proxies[0]?.link, "connected");
    // One discovery timer still: the next one comes a minute after the last.
    const discoveries = () => net.connects.length;
    const before = discoveries();
    net.add(4343, TOOLS());
    await clock.advance(59_999);
    assert.equal(discoveries(), before);
    await clock.advance(1);
    assert.equal(store.getSnapshot().proxies.length, 2);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore.discoverNow() during a discovery looks once more right after it", async () => {
  const slow = Promise.withResolvers<string[]>();
  const found: string[][] = [];
  let calls = 0;
  const { clock, net, store } = setup({
    discoverMs: 60_000,
    discover: async (onProblem) => {
      calls++;
      const paths = calls === 1 ? await slow.promise : await net.discover(onProblem);
      found.push(paths);
      return paths;
    },
  });
  store.start();
  try {
    store.discoverNow();
    net.add(4242, TOOLS());
    slow.resolve([]);
    await clock.advance(0);
    assert.deepEqual(found, [[], ["/run/intercept/4242.sock"]], "looked again after the first");
    assert.equal(store.getSnapshot().proxies[0]?.link, "connected");
    await clock.advance(59_999);
    assert.equal(calls, 2, "and kept one timer: the next look is a minute after the last");
    await clock.advance(1);
    assert.equal(calls, 3);
  } finally {
    store.stop();
  }
});
