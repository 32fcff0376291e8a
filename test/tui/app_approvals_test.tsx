/** The dashboard's approvals pane through ink-testing-library: y approves, n rejects with a reason. */
import assert from "node:assert/strict";
import { render } from "ink-testing-library";
import { App } from "../../tui/app.tsx";
import { DashboardStore } from "../../tui/dashboard_store.ts";
import { approvalEvent, FakeNetwork, heldView, tool } from "./fakes.ts";
import { stripAnsi, waitForFrame, waitForFrameWithout } from "./ink_helpers.ts";

const ENTER = "\r";

function setup() {
  const net = new FakeNetwork();
  const proxy = net.add(4242, [tool("create-connector"), tool("list-topics")]);
  const now = Date.now();
  const view = heldView("a1b2c3", {
    args: { connectorName: "orders-s3-sink", connectorConfig: { topics: "orders" } },
    requestedAt: now,
    expiresAt: now + 20_000,
  });
  proxy.handlers.approvals = () => ({ approvals: [view] });
  const store = new DashboardStore({
    connect: net.connect,
    discover: net.discover,
    exists: net.exists,
    source: { kind: "dirs", locations: ["/tmp/intercept-1000"] },
    operator: "ann via dashboard",
    pollMs: 60_000,
    discoverMs: 60_000,
    frameMs: 10,
  });
  store.start();
  const app = render(<App store={store} />);
  const frame = () => stripAnsi(app.lastFrame() ?? "");
  return { proxy, view, store, app, frame };
}

Deno.test("App shows a held call with its arguments and time left; y approves it", async () => {
  const { proxy, view, store, app, frame } = setup();
  try {
    const shown = await waitForFrame(frame, "held for approval: 1");
    assert.match(
      shown,
      /› +(20|19)s create-connector claude-code uid:ann connectorName="orders-s3-sink"/,
    );
    assert.match(
      shown,
      /⏸ create-connector waits for approval on pid 4242 \(\d+s left\): y approves/,
    );
    app.stdin.write("y");
    await waitForFrame(frame, "Approved create-connector on pid 4242");
    assert.deepEqual(proxy.calls("approve"), [{ id: "a1b2c3", by: "ann via dashboard" }]);
    proxy.link.emit(approvalEvent("granted", view, { ts: Date.now(), by: "ann via dashboard" }));
    const after = await waitForFrameWithout(frame, "held for approval");
    assert.match(after, /● approved create-connector by ann via dashboard/);
  } finally {
    app.unmount();
    store.stop();
  }
});

Deno.test("App n asks a reason; typed keys stay text; Enter rejects with it", async () => {
  const { proxy, store, app, frame } = setup();
  try {
    await waitForFrame(frame, "held for approval: 1");
    app.stdin.write("n");
    await waitForFrame(frame, "Reject create-connector, reason (optional): █");
    // q would quit and y would approve, were they keys here.
    app.stdin.write("quiet hours, y");
    await waitForFrame(frame, "quiet hours, y█");
    app.stdin.write(ENTER);
    await waitForFrame(frame, "Rejected create-connector on pid 4242");
    assert.deepEqual(proxy.calls("approve"), []);
    assert.deepEqual(proxy.calls("reject"), [{
      id: "a1b2c3",
      reason: "quiet hours, y",
      by: "ann via dashboard",
    }]);
  } finally {
    app.unmount();
    store.stop();
  }
});
