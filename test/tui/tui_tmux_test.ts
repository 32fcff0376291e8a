import assert from "node:assert/strict";
import { fixturePath, type JsonObject, RawProxy } from "../e2e/helpers.ts";
import { interceptShellLine, ROOT } from "../e2e/intercept_command.ts";
import { hasTmux, TmuxSession } from "./tmux_helpers.ts";

Deno.test({
  name: "intercept --tui shows that no proxy runs, keeps watching, and quits on q",
  ignore: !hasTmux(),
  async fn() {
    const runtime = await Deno.makeTempDir({ prefix: "intercept-tui-" });
    const tui = await TmuxSession.start(interceptShellLine(["--tui"]), {
      cwd: ROOT,
      env: { XDG_RUNTIME_DIR: runtime, NO_COLOR: "1" },
    });
    try {
      const screen = await tui.waitForText("No running proxies found in");
      assert.match(screen, new RegExp(`No running proxies found in ${runtime}/intercept`));
      assert.match(screen, /Watching: a proxy shows here as soon as it starts/);
      assert.match(screen, /q quit/);
      await tui.sendKeys("q");
      assert.equal(await tui.waitForExit(), 0);
    } finally {
      await tui.kill();
      await Deno.remove(runtime, { recursive: true });
    }
  },
});

const POLICY = `version: "1"
description: "dashboard end-to-end"
default: allow
tools:
  echo:
    rules:
      - name: echo pace
        rate_limit: { max: 5, window: 60 }
  crash:
    rules:
      - action: deny
        reason: "Crashing the server is not allowed"
`;

async function callEcho(proxy: RawProxy, i: number): Promise<JsonObject> {
  const answer = await proxy.request("tools/call", { name: "echo", arguments: { i } });
  return answer.result as JsonObject;
}

Deno.test({
  name: "intercept --tui against a live proxy: counts, quota, deny with a reason, allow, reload",
  ignore: !hasTmux(),
  async fn() {
    const runtime = await Deno.makeTempDir({ prefix: "intercept-tui-" });
    await Deno.mkdir(`${runtime}/intercept`, { mode: 0o700 });
    const policy = `${runtime}/policy.yaml`;
    await Deno.writeTextFile(policy, POLICY);
    const proxy = RawProxy.start(policy, ["deno", "run", "-A", fixturePath("mini_server.ts")], [
      "--control",
      `${runtime}/intercept/agent.sock`,
    ]);
    let tui: TmuxSession | null = null;
    try {
      await proxy.initialize();
      for (let i = 0; i < 3; i++) await callEcho(proxy, i);
      await proxy.request("tools/call", { name: "crash", arguments: {} });
      tui = await TmuxSession.start(interceptShellLine(["--tui"]), {
        cwd: ROOT,
        env: { XDG_RUNTIME_DIR: runtime },
      });
      await tui.waitForText(/echo\s+limited\s+3\s+0 █+░+ 2\/5/);
      // Status comes before the subscription's backfill: wait for both.
      let screen = await tui.waitForText(/pid \d+ · deno run -A .*mini_server\.ts\s+● live/);
      assert.match(screen, /crash\s+deny\s+0\s+1/);
      screen = await tui.waitForText(/✗ deny {2}crash\s+\S+\s+Crashing the server is not allowed/);

      // A decision made now shows up live.
      await callEcho(proxy, 3);
      await tui.waitForText(/echo\s+limited\s+4\s+0/);

      await tui.sendKeys("Down");
      await tui.waitForText("› echo");
      await tui.sendKeys("d");
      await tui.waitForText("Deny echo, reason (optional)");
      await tui.type("maintenance window");
      await tui.sendKeys("Enter");
      screen = await tui.waitForText(/Denied echo on pid \d+/);
      const denied = await callEcho(proxy, 4);
      assert.equal(denied.isError, true);
      assert.match(JSON.stringify(denied), /maintenance window/);
      screen = await tui.waitForText(/echo\s+live-deny\s+4\s+1/);
      assert.match(screen, /✗ deny {2}echo\s+\S+\s+.*maintenance window/);

      await tui.sendKeys("a");
      await tui.waitForText(/Allowed echo on pid \d+/);
      assert.notEqual((await callEcho(proxy, 5)).isError, true);
      await tui.waitForText(/echo\s+limited\s+5\s+1/);

      await Deno.writeTextFile(policy, POLICY.replace("action: deny", "action: deny-please"));
      await tui.sendKeys("r");
      screen = await tui.waitForText(/Reload refused on pid \d+/);
      assert.match(screen, /✗ reload refused: /);
      await tui.sendKeys("q");
      assert.equal(await tui.waitForExit(), 0);
    } finally {
      await tui?.kill();
      await proxy.dispose();
      await Deno.remove(runtime, { recursive: true });
    }
  },
});
