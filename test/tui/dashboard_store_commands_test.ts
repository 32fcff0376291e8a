import assert from "node:assert/strict";
import { quota, storeSetup as setup, tool } from "./fakes.ts";

const TOOLS = () => [
  tool("list-topics", { allowed: 4 }),
  tool("produce-message", { posture: "limited", quotas: [quota({ remaining: 10 })] }),
];

Deno.test("DashboardStore commands send their requests and report the outcome", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  const path = proxy.path;
  store.start();
  await clock.advance(0);
  try {
    assert.deepEqual(await store.deny(path, "produce-message", " maintenance "), {
      ok: true,
      text: "Denied produce-message on pid 4242",
    });
    await store.deny(path, "produce-message", "  ");
    await store.allow(path, "produce-message");
    await store.reset(path, "produce-message");
    await store.reset(path);
    await store.reload(path);
    assert.deepEqual(proxy.calls("deny"), [
      { tool: "produce-message", reason: "maintenance" },
      { tool: "produce-message" },
    ]);
    assert.deepEqual(proxy.calls("allow"), [{ tool: "produce-message" }]);
    assert.deepEqual(proxy.calls("reset"), [{ tool: "produce-message" }, {}]);
    assert.deepEqual(proxy.calls("reload"), [{}]);
    await clock.advance(100);
    assert.deepEqual(store.getSnapshot().notice?.text, "Reloaded the policy on pid 4242");
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore surfaces a refused reload with its located errors", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  proxy.handlers.reload = () => {
    throw Object.assign(new Error("Policy kafka.yaml is invalid; the old policy stays"), {
      code: -32001,
      data: { errors: ["kafka.yaml:3:5: Unknown key actoin", "kafka.yaml:9:1: Bad window"] },
    });
  };
  store.start();
  await clock.advance(0);
  try {
    const outcome = await store.reload(proxy.path);
    assert.equal(outcome.ok, false);
    assert.match(outcome.text, /^Reload refused on pid 4242: Policy kafka.yaml is invalid/);
    assert.match(outcome.text, /kafka.yaml:3:5: Unknown key actoin; kafka.yaml:9:1: Bad window/);
    await clock.advance(100);
    const snapshot = store.getSnapshot();
    assert.equal(snapshot.notice?.level, "error");
    assert.match(snapshot.proxies[0].policyError ?? "", /kafka.yaml:3:5: Unknown key actoin/);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore denyEverywhere and allowEverywhere reach every connected proxy", async () => {
  const { clock, net, store } = setup();
  const one = net.add(4242, TOOLS());
  const two = net.add(4243, TOOLS());
  two.handlers.allow = () => {
    throw Object.assign(new Error("produce-message is not live-denied"), { code: -32002 });
  };
  store.start();
  await clock.advance(0);
  try {
    const denied = await store.denyEverywhere("produce-message", "incident 42");
    assert.deepEqual(denied, { ok: true, text: "Denied produce-message on 2 of 2 proxies" });
    // Machine-wide: each proxy keeps it in the control folder's file, for proxies started later.
    const wide = { tool: "produce-message", reason: "incident 42", scope: "machine" };
    assert.deepEqual(one.calls("deny"), [wide]);
    assert.deepEqual(two.calls("deny"), [wide]);
    const allowed = await store.allowEverywhere("produce-message");
    assert.equal(allowed.ok, false);
    assert.equal(
      allowed.text,
      "Allowed produce-message on 1 of 2 proxies. Allow failed on pid 4243: produce-message is not live-denied",
    );
    await clock.advance(100);
    assert.equal(store.getSnapshot().notice?.level, "warn");
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore refuses a command when no proxy is connected", async () => {
  const { clock, store } = setup();
  store.start();
  await clock.advance(0);
  try {
    assert.deepEqual(await store.denyEverywhere("x"), { ok: false, text: "No connected proxy" });
    assert.deepEqual(await store.deny("/run/intercept/1.sock", "x"), {
      ok: false,
      text: "Deny failed on /run/intercept/1.sock: not connected",
    });
  } finally {
    store.stop();
  }
});
