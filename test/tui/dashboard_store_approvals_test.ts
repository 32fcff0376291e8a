/** DashboardStore and calls held for a human: the list, its healing, approve and reject. */
import assert from "node:assert/strict";
import { NOT_WAITING, REQUEST_FAILED } from "../../src/control/protocol.ts";
import { approvalEvent, heldView, storeSetup as setup, tool } from "./fakes.ts";

const TOOLS = () => [tool("create-connector", { posture: "conditional" }), tool("list-topics")];

function notWaiting(): Error {
  return Object.assign(new Error("No call waits for an operator's answer under id a1"), {
    code: REQUEST_FAILED,
    data: { reason: NOT_WAITING },
  });
}

Deno.test("DashboardStore shows calls held before it started, from the approvals answer", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  proxy.handlers.approvals = () => ({ approvals: [heldView("a1"), heldView("b2")] });
  store.start();
  await clock.advance(100);
  try {
    const held = store.getSnapshot().approvals ?? [];
    assert.deepEqual(held.map((h) => [h.proxy, h.label, h.view.id]), [
      [proxy.path, "pid 4242", "a1"],
      [proxy.path, "pid 4242", "b2"],
    ]);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore follows approval notifications into the list and the stream", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  store.start();
  await clock.advance(0);
  try {
    const view = heldView("a1", { requestedAt: clock.time, expiresAt: clock.time + 20_000 });
    proxy.link.emit(approvalEvent("requested", view));
    await clock.advance(100);
    assert.deepEqual(store.getSnapshot().approvals?.map((h) => h.view.id), ["a1"]);
    proxy.link.emit(approvalEvent("granted", view, { ts: clock.time, by: "bob via ctl" }));
    await clock.advance(100);
    const snapshot = store.getSnapshot();
    assert.deepEqual(snapshot.approvals, []);
    assert.deepEqual(
      snapshot.stream.map((e) => e.kind === "approval" ? e.notice.event : e.kind),
      ["requested", "granted"],
    );
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore heals a missed notification at the next poll, both ways", async () => {
  const { clock, net, store } = setup({ pollMs: 1000 });
  const proxy = net.add(4242, TOOLS());
  let listed = [heldView("a1")];
  proxy.handlers.approvals = () => ({ approvals: listed });
  store.start();
  await clock.advance(100);
  try {
    assert.deepEqual(store.getSnapshot().approvals?.map((h) => h.view.id), ["a1"]);
    // a1 was answered and b2 held while no notification came through.
    listed = [heldView("b2", { expiresAt: clock.time + 30_000 })];
    await clock.advance(1000);
    assert.deepEqual(store.getSnapshot().approvals?.map((h) => h.view.id), ["b2"]);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore keeps a call heard settled out of an older answer that lists it", async () => {
  const { clock, net, store } = setup({ pollMs: 1000 });
  const proxy = net.add(4242, TOOLS());
  const view = heldView("a1");
  let answer = (_: unknown) => {};
  store.start();
  await clock.advance(100);
  try {
    proxy.handlers.approvals = () => new Promise((resolve) => answer = resolve);
    await clock.advance(1000); // the poll asks; the call is settled before the answer is read
    proxy.link.emit(approvalEvent("expired", view, { ts: clock.time }));
    answer({ approvals: [view] });
    await clock.advance(100);
    assert.deepEqual(store.getSnapshot().approvals, []);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore stops asking a proxy from before approvals (method not found)", async () => {
  const { clock, net, store } = setup({ pollMs: 1000 });
  const proxy = net.add(4242, TOOLS());
  proxy.handlers.approvals = () => {
    throw Object.assign(new Error("Unknown method approvals"), { code: -32601 });
  };
  store.start();
  await clock.advance(3100);
  try {
    assert.equal(proxy.calls("approvals").length, 1);
    assert.equal(store.getSnapshot().proxies[0].link, "connected");
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore approve and reject go to the proxy holding the call, with who asked", async () => {
  const { clock, net, store } = setup({ operator: "ann via dashboard" });
  const one = net.add(4242, TOOLS());
  const two = net.add(4243, TOOLS());
  two.handlers.approvals = () => ({ approvals: [heldView("b2"), heldView("c3")] });
  store.start();
  await clock.advance(100);
  try {
    assert.deepEqual(await store.approve(two.path, "b2"), {
      ok: true,
      text: "Approved create-connector on pid 4243",
    });
    assert.deepEqual(await store.reject(two.path, "c3", "  not on a Friday "), {
      ok: true,
      text: "Rejected create-connector on pid 4243",
    });
    await store.reject(two.path, "c3", " ");
    assert.deepEqual(one.calls("approve"), []);
    assert.deepEqual(two.calls("approve"), [{ id: "b2", by: "ann via dashboard" }]);
    assert.deepEqual(two.calls("reject"), [
      { id: "c3", reason: "not on a Friday", by: "ann via dashboard" },
      { id: "c3", by: "ann via dashboard" },
    ]);
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore says a call was not waiting any more, and what became of it", async () => {
  const { clock, net, store } = setup();
  const proxy = net.add(4242, TOOLS());
  const view = heldView("a1");
  proxy.handlers.approve = () => {
    throw notWaiting();
  };
  proxy.handlers.reject = proxy.handlers.approve;
  store.start();
  await clock.advance(100);
  try {
    proxy.link.emit(approvalEvent("requested", view));
    proxy.link.emit(approvalEvent("expired", view, { ts: clock.time }));
    assert.deepEqual(await store.approve(proxy.path, "a1"), {
      ok: false,
      text: "create-connector was not waiting any more on pid 4242 " +
        "(expired: nobody answered in time)",
    });
    await clock.advance(100);
    assert.equal(store.getSnapshot().notice?.level, "warn");
    // A call this dashboard never heard of: the proxy's word alone.
    assert.equal(
      (await store.reject(proxy.path, "ff", "no")).text,
      "the call ff was not waiting any more on pid 4242",
    );
  } finally {
    store.stop();
  }
});

Deno.test("DashboardStore says an approval without an answer may still apply, then what happened", async () => {
  const { clock, net, store } = setup({ commandTimeoutMs: 3000, operator: "ann via dashboard" });
  const proxy = net.add(4242, TOOLS());
  const first = heldView("a1");
  const second = heldView("b2");
  proxy.handlers.approvals = () => ({ approvals: [first, second] });
  proxy.handlers.approve = () => new Promise(() => {});
  proxy.handlers.reject = () => new Promise(() => {});
  store.start();
  await clock.advance(100);
  try {
    const approving = store.approve(proxy.path, "a1");
    await clock.advance(3000);
    assert.deepEqual(await approving, {
      ok: false,
      text: "No answer yet from pid 4242; the approval may still apply",
    });
    proxy.link.emit(approvalEvent("granted", first, { ts: clock.time, by: "ann via dashboard" }));
    await clock.advance(100);
    assert.equal(
      store.getSnapshot().notice?.text,
      "Approved create-connector on pid 4242 (applied after 3.0 s)",
    );

    const rejecting = store.reject(proxy.path, "b2", "too big");
    await clock.advance(3000);
    assert.match((await rejecting).text, /the rejection may still apply$/);
    // Someone else answered first: ours cannot apply.
    proxy.link.emit(approvalEvent("granted", second, { ts: clock.time, by: "bob via ctl" }));
    await clock.advance(100);
    assert.deepEqual(store.getSnapshot().notice, {
      level: "warn",
      text: "create-connector was not waiting any more on pid 4242 (approved by bob via ctl) " +
        "(after 3.0 s)",
      at: clock.time - 100,
    });
  } finally {
    store.stop();
  }
});
