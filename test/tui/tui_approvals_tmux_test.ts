/** The approvals pane in a real terminal (tmux): a real proxy holds real calls; y and n answer. */
import assert from "node:assert/strict";
import { fixturePath, isObject, type JsonObject, RawProxy } from "../e2e/helpers.ts";
import { interceptShellLine, ROOT } from "../e2e/intercept_command.ts";
import { hasTmux, TmuxSession } from "./tmux_helpers.ts";

const TUI = interceptShellLine(["--tui"]);
const MINI = ["deno", "run", "-A", fixturePath("mini_server.ts")];

const POLICY = `version: "1"
description: "approvals end-to-end"
default: allow
tools:
  echo:
    rules:
      - name: echo needs a human
        action: require_approval
        approval: { timeout: 120, from: [operator] }
        reason: "Echoes are approved by a human"
`;

function text(answer: JsonObject): string {
  const result = answer.result;
  if (!isObject(result) || !Array.isArray(result.content)) return JSON.stringify(answer);
  return result.content.map((c) => (c as { text?: string }).text ?? "").join("\n");
}

Deno.test({
  name:
    "intercept --tui approves a held call with y (it reaches the server) and rejects one with n",
  ignore: !hasTmux(),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "intercept-tui-approvals-" });
    await Deno.mkdir(`${root}/intercept`, { mode: 0o700 });
    await Deno.writeTextFile(`${root}/policy.yaml`, POLICY);
    const proxy = RawProxy.start(`${root}/policy.yaml`, MINI, [
      "--control",
      `${root}/intercept/held.sock`,
      "--name",
      "held-test",
    ]);
    let tui: TmuxSession | null = null;
    try {
      await proxy.initialize();
      // Held before the dashboard starts: it must show it all the same.
      await proxy.send({
        jsonrpc: "2.0",
        id: "call-1",
        method: "tools/call",
        params: { name: "echo", arguments: { order: "A-1", note: "first" } },
      });
      tui = await TmuxSession.start(TUI, {
        cwd: ROOT,
        env: { INTERCEPT_CONTROL_DIR: `${root}/intercept` },
        columns: 80,
        rows: 24,
      });
      let screen = await tui.waitForText(/held for approval: 1/);
      screen = await tui.waitForText(
        /› +(1m\d+s|\d+s) echo +intercept-e2e-raw uid:\S+ +order="A-1" note="first"/,
      );
      assert.match(screen, /⏸ echo waits for approval on held-test \(\S+ left\): y approves it/);
      await tui.sendKeys("y");
      const approved = await proxy.answerTo("call-1");
      assert.equal(isObject(approved.result) && approved.result.isError, undefined);
      assert.equal(text(approved), '{"order":"A-1","note":"first"}', "the server echoed it");
      screen = await tui.waitForText(/● approved echo by .+ via dashboard/);
      assert.doesNotMatch(screen, /held for approval: /);

      await proxy.send({
        jsonrpc: "2.0",
        id: "call-2",
        method: "tools/call",
        params: { name: "echo", arguments: { order: "B-2" } },
      });
      await tui.waitForText(/held for approval: 1/);
      // Held while the dashboard watches: the stream shows it, in the columns of a decision.
      await tui.waitForText(/⏸ held {2}echo +echo needs.*waits for approval \(2m\)/);
      await tui.sendKeys("n");
      await tui.waitForText("Reject echo, reason (optional): █");
      await tui.type("not during the freeze, q");
      await tui.sendKeys("Enter");
      const rejected = await proxy.answerTo("call-2");
      assert.equal(isObject(rejected.result) && rejected.result.isError, true);
      assert.match(
        text(rejected),
        /Echoes are approved by a human: rejected by .+ via dashboard \(not during the freeze, q\)/,
      );
      screen = await tui.waitForText(/● rejected echo by .+ via dashboard: not during the freeze/);
      assert.match(screen, /Rejected echo on held-test/);

      await tui.sendKeys("q");
      assert.equal(await tui.waitForExit(), 0);
    } finally {
      await tui?.kill();
      await proxy.dispose();
      await Deno.remove(root, { recursive: true });
    }
  },
});
