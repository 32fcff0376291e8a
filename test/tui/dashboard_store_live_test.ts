/** DashboardStore under a proxy that stops answering, late answers, rates, notices, names. */
import assert from "node:assert/strict";
import { decision, quota, storeSetup as setup, tool } from "./fakes.ts";

const TOOLS = () => [
  tool("list-topics", { allowed: 4 }),
  tool("produce-message", { posture: "limited", quotas: [quota({ remaining: 10 })] }),
];

Deno.test("DashboardStore marks a proxy stale after a missed poll, and live again when it answers", async () => {
  const { clock, net, store } = setup({ pollMs: 1000 });
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    let answer = () => {};
    proxy.handlers.status = () => new Promise((resolve) => answer = () => resolve(proxy.status));
    await clock.advance(1000); // the poll goes out and is not answered
    assert.equal(store.getSnapshot().proxies[0].staleSince, null, "not yet: one poll may be slow");
    await clock.advance(2100);
    const stale = store.getSnapshot().proxies[0];
    assert.equal(stale.link, "connected");
    assert.equal(stale.staleSince, clock.time - 2100);
    proxy.handlers.status = undefined;
    answer();
    await clock.advance(100);
    assert.equal(store.getSnapshot().proxies[0].staleSince, null);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore says a command without an answer may still apply, and corrects it when it does", async () => {
  const { clock, net, store } = setup({ commandTimeoutMs: 3000 });
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    let answer = () => {};
    proxy.handlers.deny = () => new Promise((resolve) => answer = () => resolve({ ok: true }));
    const pending = store.deny(proxy.path, "produce-message", "incident");
    await clock.advance(3000);
    const outcome = await pending;
    assert.equal(outcome.ok, false);
    assert.equal(
      outcome.text,
      "No answer yet from pid 4242; the deny may still apply",
    );
    assert.equal(store.getSnapshot().notice?.level, "warn");
    // The proxy's event says it did apply: the notice is corrected.
    await clock.advance(1200);
    proxy.link.emit({
      method: "control",
      params: { ts: clock.time, event: "deny", tool: "produce-message", reason: "incident" },
    });
    await clock.advance(100);
    assert.deepEqual(store.getSnapshot().notice, {
      level: "info",
      text: "Denied produce-message on pid 4242 (applied after 4.2 s)",
      at: clock.time - 100,
    });
    answer(); // the late answer changes nothing more
    await clock.advance(100);
    assert.match(store.getSnapshot().notice?.text ?? "", /applied after 4\.2 s/);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore reports a late refusal when the answer comes after the timeout", async () => {
  const { clock, net, store } = setup({ commandTimeoutMs: 1000 });
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    let refuse = () => {};
    proxy.handlers.reload = () =>
      new Promise((_, reject) => refuse = () => reject(new Error("kafka.yaml:1:1: bad")));
    const pending = store.reload(proxy.path);
    await clock.advance(1000);
    assert.match((await pending).text, /No answer yet from pid 4242; the reload may still apply/);
    await clock.advance(500);
    refuse();
    await clock.advance(100);
    assert.equal(store.getSnapshot().notice?.level, "error");
    assert.equal(
      store.getSnapshot().notice?.text,
      "Reload refused on pid 4242 after all (1.5 s): kafka.yaml:1:1: bad",
    );
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore notices expire, and a newer one replaces an older one", async () => {
  const { clock, net, store } = setup({ noticeMs: { info: 5000 } });
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    await store.allow(proxy.path, "produce-message");
    await clock.advance(100);
    assert.match(store.getSnapshot().notice?.text ?? "", /^Allowed produce-message/);
    await store.reset(proxy.path);
    await clock.advance(100);
    assert.equal(store.getSnapshot().notice?.text, "Reset every quota on pid 4242");
    await clock.advance(5000);
    assert.equal(store.getSnapshot().notice, null, "gone without any other change");
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore allowEverywhere counts a proxy where the tool was not denied as done", async () => {
  const { clock, net, store } = setup();
  const a = net.add(4242, TOOLS());
  const b = net.add(4243, TOOLS());
  b.handlers.allow = () => {
    throw Object.assign(new Error('Tool "produce-message" is not live-denied'), {
      code: -32002,
      data: { reason: "not_denied" },
    });
  };
  store.start();
  await clock.advance(0);
  try {
    const outcome = await store.allowEverywhere("produce-message");
    assert.deepEqual(outcome, {
      ok: true,
      text: "Allowed produce-message on 2 of 2 proxies (pid 4243 was not denied)",
    });
    // On one proxy, the same refusal is a failure: the operator may have mistyped.
    const single = await store.allow(b.path, "produce-message");
    assert.equal(single.ok, false);
    assert.equal(a.calls("allow").length, 1);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore sends who is at the keys with live controls", async () => {
  const { clock, net, store } = setup({ operator: "ann via dashboard" });
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    await store.deny(proxy.path, "produce-message", "incident");
    assert.deepEqual(proxy.calls("deny"), [
      { tool: "produce-message", reason: "incident", by: "ann via dashboard" },
    ]);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore counts calls per minute per tool, and the next slot after a spent quota", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    for (let i = 0; i < 12; i++) proxy.link.emit(decision("list-topics", clock.time + i + 1));
    proxy.link.emit(decision("produce-message", clock.time + 20, {
      decision: "deny",
      reason: "Rate limit reached",
      retryAfterMs: 12_000,
      quotas: [quota({ remaining: 0, resetInMs: 50_000 })],
    }));
    await clock.advance(100);
    let [list, produce] = store.getSnapshot().proxies[0].tools;
    assert.equal(list.perMinute, 12);
    assert.equal(produce.perMinute, 1);
    assert.equal(produce.nextSlotAt, clock.time - 100 + 12_000);
    assert.equal(store.getSnapshot().proxies[0].perMinute, 13);
    // A status poll does not forget the next slot; an allow does.
    await clock.advance(1000);
    [, produce] = store.getSnapshot().proxies[0].tools;
    assert.notEqual(produce.nextSlotAt, null);
    proxy.link.emit(decision("produce-message", clock.time + 1));
    await clock.advance(100);
    [, produce] = store.getSnapshot().proxies[0].tools;
    assert.equal(produce.nextSlotAt, null);
    // A minute later the rate has slid back to nothing.
    await clock.advance(61_000);
    [list] = store.getSnapshot().proxies[0].tools;
    assert.equal(list.perMinute, 0);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore names proxies by their name, with the pid when two share one", async () => {
  const { clock, net, store } = setup();
  const a = net.add(4242, TOOLS());
  const b = net.add(4243, TOOLS());
  const c = net.add(4244, TOOLS());
  a.status = { ...a.status, name: "kafka" };
  b.status = { ...b.status, name: "kafka" };
  store.start();
  await clock.advance(0);
  try {
    c.link.emit(decision("list-topics", clock.time + 1));
    await clock.advance(100);
    const snapshot = store.getSnapshot();
    assert.deepEqual(snapshot.proxies.map((p) => p.label), [
      "kafka·4242",
      "kafka·4243",
      "pid 4244",
    ]);
    assert.equal(snapshot.stream[0].label, "pid 4244");
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore reports a folder it could not trust, and still shows the others", async () => {
  const { clock, net, store } = setup();
  net.add(4242, TOOLS());
  net.problems = ["Refusing control folder /tmp/x: mode 0777 lets other users write in it"];
  store.start();
  await clock.advance(100);
  try {
    const snapshot = store.getSnapshot();
    assert.equal(snapshot.proxies.length, 1);
    assert.match(snapshot.notice?.text ?? "", /Refusing control folder \/tmp\/x/);
    assert.equal(snapshot.notice?.level, "warn");
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore keeps policy and operator events while decisions flood the stream", async () => {
  const { clock, net, store } = setup({ streamLimit: 10 });
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    proxy.link.emit({
      method: "control",
      params: { ts: clock.time + 1, event: "deny", tool: "produce-message", reason: "x" },
    });
    for (let i = 0; i < 100; i++) proxy.link.emit(decision("list-topics", clock.time + 10 + i));
    await clock.advance(100);
    const stream = store.getSnapshot().stream;
    assert.equal(stream.filter((e) => e.kind === "decision").length, 10);
    assert.equal(stream[0].kind, "control");
  } finally {
    store.stop();
  }
});
