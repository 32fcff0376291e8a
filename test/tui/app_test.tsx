import assert from "node:assert/strict";
import { App } from "../../tui/app.tsx";
import { DashboardStore } from "../../tui/dashboard_store.ts";
import { decision, FakeNetwork, quota, tool } from "./fakes.ts";
import { renderAt, waitForFrame, waitForFrameWithout, waitUntil } from "./ink_helpers.ts";

const DOWN = "\u001B[B";
const ENTER = "\r";
const ESC = "\u001B";
const TAB = "\t";

function tools() {
  return [
    tool("list-topics", { allowed: 4 }),
    tool("produce-message", {
      posture: "limited",
      allowed: 27,
      denied: 2,
      quotas: [quota({ remaining: 3, resetInMs: 90_000 })],
    }),
    tool("delete-topics", { posture: "deny", denied: 1 }),
  ];
}

/** A store over `net`, with real timers; polling is slowed so requests stay few. */
function storeOver(net: FakeNetwork): DashboardStore {
  const store = new DashboardStore({
    connect: net.connect,
    discover: net.discover,
    exists: net.exists,
    source: { kind: "dirs", locations: ["/tmp/intercept-1000", "/run/user/1000/intercept"] },
    operator: null,
    pollMs: 60_000,
    discoverMs: 60_000,
    frameMs: 10,
  });
  store.start();
  return store;
}

function setup(pids: number[] = [4242]) {
  const net = new FakeNetwork();
  const proxies = pids.map((pid) => net.add(pid, tools()));
  return { net, proxies, store: storeOver(net) };
}

/** The app on a 100×30 terminal (or `size`). */
function show(store: DashboardStore, size = { columns: 100, rows: 30 }) {
  return renderAt(<App store={store} />, size);
}

Deno.test("App shows the proxy header, the tool table and the decision stream", async () => {
  const { proxies, store } = setup();
  const app = show(store);
  try {
    const frame = await waitForFrame(app.lastFrame, "produce-message");
    assert.match(frame, /pid 4242 · npx -y @confluentinc\/mcp-confluent\s+● live/);
    assert.match(
      frame,
      /policy kafka\.yaml \(default deny\) · state memory · 1 session: claude-code 1\.0/,
    );
    assert.match(frame, /› delete-topics\s+deny\s+0\s+1/, "by name while nothing is busy");
    assert.match(frame, /produce-message\s+limited\s+27\s+2 █+░+ 3\/30\s+1m30s/);
    assert.match(frame, /── decisions · pid 4242 ─+/);
    assert.match(frame, /\? help {2}q quit/);
    proxies[0].link.emit(decision("produce-message", Date.now() + 1, {
      decision: "deny",
      rule: "produce-limit",
      reason: "Rate limit 30/minute exceeded",
    }));
    proxies[0].link.emit(decision("list-topics", Date.now() + 2));
    const live = await waitForFrame(app.lastFrame, "✓ allow list-topics");
    assert.match(
      live,
      /✗ deny {2}produce-message\s+produce-limit\s+claude-code\s+Rate limit 30\/minute exceeded/,
    );
    // The busiest tools come first now, the selection stays where it was.
    assert.match(live, /produce-message\s+limited\s+1\s+27\s+3/, "the deny is counted");
  } finally {
    app.unmount();
    store.stop();
  }
});

Deno.test("App d asks for a reason, and Enter denies the selected tool with it", async () => {
  const { proxies, store } = setup();
  const app = show(store);
  try {
    await waitForFrame(app.lastFrame, "› delete-topics");
    app.stdin.write(DOWN);
    await waitForFrame(app.lastFrame, "› list-topics");
    app.stdin.write(DOWN);
    await waitForFrame(app.lastFrame, "› produce-message");
    app.stdin.write("d");
    await waitForFrame(app.lastFrame, "Deny produce-message, reason (optional): ");
    app.stdin.write("maint");
    await waitForFrame(app.lastFrame, "maint█");
    // The rest and Enter in one chunk, as a terminal delivers fast typing.
    app.stdin.write(`enance${ENTER}`);
    await waitForFrame(app.lastFrame, "Denied produce-message on pid 4242");
    assert.deepEqual(proxies[0].calls("deny"), [{
      tool: "produce-message",
      reason: "maintenance",
    }]);
  } finally {
    app.unmount();
    store.stop();
  }
});

Deno.test("App Esc cancels the deny prompt without sending anything", async () => {
  const { proxies, store } = setup();
  const app = show(store);
  try {
    await waitForFrame(app.lastFrame, "› delete-topics");
    app.stdin.write("d");
    await waitForFrame(app.lastFrame, "Deny delete-topics, reason");
    app.stdin.write(ESC);
    await waitForFrameWithout(app.lastFrame, "Deny delete-topics, reason");
    assert.deepEqual(proxies[0].calls("deny"), []);
  } finally {
    app.unmount();
    store.stop();
  }
});

Deno.test("App a, x and r send allow, reset and reload; e opens a refused reload's error", async () => {
  const { proxies, store } = setup();
  proxies[0].handlers.reload = () => {
    throw Object.assign(new Error("Policy kafka.yaml is invalid; the old policy stays"), {
      code: -32001,
      data: { errors: ["kafka.yaml:3:5: Unknown key actoin"] },
    });
  };
  const app = show(store);
  try {
    await waitForFrame(app.lastFrame, "› delete-topics");
    app.stdin.write("a");
    await waitForFrame(app.lastFrame, "Allowed delete-topics on pid 4242");
    app.stdin.write("x");
    await waitForFrame(app.lastFrame, "Reset the quotas of delete-topics on pid 4242");
    app.stdin.write("r");
    const frame = await waitForFrame(app.lastFrame, "Reload refused on pid 4242");
    assert.match(
      frame,
      /✗ reload refused \(e shows all\) Policy kafka\.yaml is invalid; the old policy stays \(\+1/,
    );
    app.stdin.write("e");
    const error = await waitForFrame(app.lastFrame, "Reload refused; the previous policy stays");
    assert.match(error, /^kafka\.yaml:3:5: Unknown key actoin$/m);
    app.stdin.write(ESC);
    await waitForFrame(app.lastFrame, "› delete-topics");
    assert.deepEqual(proxies[0].calls("allow"), [{ tool: "delete-topics" }]);
    assert.deepEqual(proxies[0].calls("reset"), [{ tool: "delete-topics" }]);
    assert.deepEqual(proxies[0].calls("reload"), [{}]);
  } finally {
    app.unmount();
    store.stop();
  }
});

Deno.test("App D asks a reason and a confirmation naming every proxy; A too; tab moves on", async () => {
  const { proxies, store } = setup([4242, 4243]);
  const app = show(store);
  try {
    await waitForFrame(app.lastFrame, "proxies [pid 4242]  pid 4243");
    app.stdin.write(TAB);
    await waitForFrame(app.lastFrame, "proxies  pid 4242  [pid 4243]");
    assert.match(app.lastFrame()!, /pid 4243 · npx/);
    app.stdin.write("D");
    await waitForFrame(app.lastFrame, "Deny delete-topics on all 2 proxies");
    app.stdin.write(`incident 42${ENTER}`);
    await waitForFrame(app.lastFrame, "Deny delete-topics on all 2 proxies: pid 4242, pid 4243?");
    assert.deepEqual(proxies[0].calls("deny"), [], "nothing before y");
    app.stdin.write("y");
    await waitForFrame(app.lastFrame, "Denied delete-topics on 2 of 2 proxies");
    for (const proxy of proxies) {
      assert.deepEqual(proxy.calls("deny"), [
        { tool: "delete-topics", reason: "incident 42", scope: "machine" },
      ]);
    }
    app.stdin.write("A");
    await waitForFrame(app.lastFrame, "Allow delete-topics on all 2 proxies: pid 4242, pid 4243?");
    app.stdin.write("n");
    await waitForFrame(app.lastFrame, "Cancelled: nothing was sent");
    for (const proxy of proxies) assert.deepEqual(proxy.calls("allow"), []);
  } finally {
    app.unmount();
    store.stop();
  }
});

Deno.test("App / filters the tools and the stream; Esc clears the filter", async () => {
  const { proxies, store } = setup();
  const app = show(store);
  try {
    await waitForFrame(app.lastFrame, "› delete-topics");
    proxies[0].link.emit(decision("list-topics", Date.now() + 1));
    await waitForFrame(app.lastFrame, "✓ allow list-topics");
    app.stdin.write("/");
    await waitForFrame(app.lastFrame, "/█");
    app.stdin.write("produce");
    await waitForFrame(app.lastFrame, "/produce█");
    const frame = await waitForFrameWithout(app.lastFrame, "list-topics");
    assert.match(frame, /› produce-message/);
    assert.match(frame, /decisions · pid 4242 · matching "produce"/);
    app.stdin.write(ENTER);
    await waitForFrame(app.lastFrame, "filter: produce (Esc clears)");
    app.stdin.write("d");
    await waitForFrame(app.lastFrame, "Deny produce-message, reason");
    app.stdin.write(ESC);
    await waitForFrameWithout(app.lastFrame, "Deny produce-message, reason");
    app.stdin.write(ESC);
    const cleared = await waitForFrame(app.lastFrame, "list-topics");
    assert.match(cleared, /› produce-message/, "the selection stays on the same tool");
  } finally {
    app.unmount();
    store.stop();
  }
});

Deno.test("App ? shows every key, and p pauses the stream while decisions keep coming", async () => {
  const { proxies, store } = setup();
  const app = show(store);
  try {
    await waitForFrame(app.lastFrame, "› delete-topics");
    app.stdin.write("?");
    const help = await waitForFrame(app.lastFrame, "Keys");
    assert.match(help, /^ {2}A {5}allow it on every proxy shown/m);
    app.stdin.write(ESC);
    await waitForFrameWithout(app.lastFrame, "allow it on every proxy shown");
    proxies[0].link.emit(decision("list-topics", Date.now() + 1));
    await waitForFrame(app.lastFrame, "✓ allow list-topics");
    app.stdin.write("p");
    await waitForFrame(app.lastFrame, "paused (p follows)");
    proxies[0].link.emit(decision("produce-message", Date.now() + 2));
    const paused = await waitForFrame(app.lastFrame, "1 newer");
    assert.doesNotMatch(paused, /✓ allow produce-message/);
    app.stdin.write("p");
    await waitForFrame(app.lastFrame, "✓ allow produce-message");
  } finally {
    app.unmount();
    store.stop();
  }
});

Deno.test("App says every place it looked when no proxy runs, and q quits", async () => {
  const { store } = setup([]);
  const app = show(store, { columns: 80, rows: 24 });
  let exited = false;
  const exit = app.waitUntilExit().then(() => exited = true);
  try {
    const frame = await waitForFrame(app.lastFrame, "No running proxies found.");
    assert.match(frame, /looked in \/tmp\/intercept-1000/);
    assert.match(frame, /looked in \/run\/user\/1000\/intercept/);
    app.stdin.write("q");
    await waitUntil(() => exited, () => "the app did not exit on q");
    await exit;
  } finally {
    app.unmount();
    store.stop();
  }
});

Deno.test("App fits an 80x24 terminal with many tools and a full stream; says when it is smaller", async () => {
  const net = new FakeNetwork();
  const proxy = net.add(
    4242,
    Array.from({ length: 30 }, (_, i) =>
      tool(`a-rather-long-tool-name-number-${i}`, {
        posture: "limited",
        quotas: [quota({ remaining: i, max: 1000 })],
      })),
  );
  proxy.backfill = Array.from(
    { length: 40 },
    (_, i) =>
      decision(`tool-${i}`, Date.now() - 1000 + i, {
        decision: i % 2 ? "deny" : "allow",
        reason: "a reason that is long enough to need cutting at eighty columns, surely",
      }),
  );
  const full = storeOver(net);
  const app = show(full, { columns: 80, rows: 24 });
  const small = show(full, { columns: 70, rows: 20 });
  try {
    const frame = await waitForFrame(app.lastFrame, /tool-39/);
    const lines = frame.replace(/\n$/, "").split("\n");
    assert.ok(lines.length <= 24, `${lines.length} lines`);
    for (const line of lines) assert.ok(line.length <= 80, `too wide: ${JSON.stringify(line)}`);
    assert.match(lines.at(-1)!, /q quit$/);
    assert.match(frame, /› a-rather-long-tool-name-… limited/);
    const tooSmall = await waitForFrame(small.lastFrame, "Terminal too small");
    assert.match(tooSmall, /this one is 70×20/);
  } finally {
    app.unmount();
    small.unmount();
    full.stop();
  }
});
