/**
 * `intercept demo` in a terminal: a splash at once, then the dashboard, a guide, q ends it all;
 * Ctrl-C while it starts too.
 * The agent is on the default era, modern (2026-07-28).
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { hasTmux, TmuxSession } from "../tui/tmux_helpers.ts";
import { interceptShellLine } from "../e2e/intercept_command.ts";
import { leftBehind, ROOT } from "./support.ts";

Deno.test({
  name:
    "intercept demo shows a splash, the dashboard with a guide, and a connector to approve with y",
  ignore: !hasTmux(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "intercept-demo-" });
    const marker = crypto.randomUUID();
    // The pause lets the pane's output be logged from the demo's first byte on.
    const command = `sleep 0.5; ${interceptShellLine(["demo", "--pace-ms", "100"])}`;
    const started = Date.now() + 500;
    const tui = await TmuxSession.start(command, {
      cwd: ROOT,
      env: { INTERCEPT_CONTROL_DIR: `${dir}/intercept`, DEMO_TEST_MARKER: marker },
    });
    const output = `${dir}/pane.log`;
    await tui.logTo(output);
    try {
      await tui.waitForText(/Starting the intercept demo…|kafka-demo · pid/);
      const splashMs = Date.now() - started;
      const screen = await tui.waitForText(
        /kafka-demo · pid \d+ · intercept-demo-kafka \S+\s+● live/,
      );
      const liveMs = Date.now() - started;
      console.log(`demo: first frame after ${splashMs} ms, live dashboard after ${liveMs} ms`);
      ok(splashMs <= liveMs);
      // The splash came before the dashboard, even when it was too brief to be captured.
      const drawn = await Deno.readTextFile(output);
      const splashAt = drawn.indexOf("Starting the intercept demo…");
      ok(splashAt >= 0, "the splash was drawn");
      ok(splashAt < drawn.indexOf("kafka-demo · pid"), "before the dashboard");
      match(screen, /New here\? ↓ to produce-message, d to stop it for the agent/);
      await tui.waitForText(/✓ allow|✗ deny/);
      // The agent's new connector waits for a human; the footer tells a newcomer what to press.
      const held = await tui.waitForText(/held for approval: 1/, 60_000);
      match(
        held,
        /⏸ create-connector waits for approval on kafka-demo \(\d+s left\): y approves it/,
      );
      match(held, /create-connector +intercept-demo-agent .*connectorName="orders-s3-archive-1"/);
      await tui.sendKeys("y");
      await tui.waitForText(/Approved create-connector on kafka-demo/);
      await tui.waitForText(/● approved create-connector by .+ via dashboard/);
      await tui.sendKeys("q");
      const exit = await tui.waitForText(/\[exited (\d+)\]/);
      match(exit, /^Summary: \d+ calls/m);
      match(exit, /^Held for a human: 1 call, 1 approved, 0 rejected, 0 timed out$/m);
      match(exit, /^Agent: MCP 2026-07-28 \(modern era\)$/m);
      equal(await tui.waitForExit(), 0);
      deepEqual(await leftBehind(marker), [], "the server, the proxy and the agent are gone");
    } finally {
      await tui.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "intercept demo ends cleanly on Ctrl-C as soon as its view is live: a summary, nothing left",
  ignore: !hasTmux(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "intercept-demo-" });
    const marker = crypto.randomUUID();
    const tui = await TmuxSession.start(interceptShellLine(["demo"]), {
      cwd: ROOT,
      env: { INTERCEPT_CONTROL_DIR: `${dir}/intercept`, DEMO_TEST_MARKER: marker },
    });
    try {
      // Live before the agent's client, React and Ink are loaded: Ctrl-C may reach the demo
      // as a signal (Ink not up yet), or Ink as a key; either way it ends the demo once.
      await tui.waitForText(/kafka-demo · pid \d+ .*● live/);
      await tui.sendKeys("C-c");
      // A signal ends the pane's shell too, so its exit line may not come: the summary says
      // that the demo ended as it should (a Ctrl-C counted twice exits 130 without one).
      await tui.waitForText(/^Summary: \d+ calls/m);
      deepEqual(await leftBehind(marker), [], "the server, the proxy and the agent are gone");
    } finally {
      await tui.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
