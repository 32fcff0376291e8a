/** The dashboard in a real terminal (tmux), against real proxies, driven as a person would. */
import assert from "node:assert/strict";
import { childEnv, fixturePath, type JsonObject, RawProxy } from "../e2e/helpers.ts";
import { interceptShellLine, ROOT } from "../e2e/intercept_command.ts";
import { hasTmux, TmuxSession } from "./tmux_helpers.ts";

/** The dashboard through the seam: `$INTERCEPT_BIN --tui`, or from source. */
const TUI = interceptShellLine(["--tui"]);
const MINI = ["deno", "run", "-A", fixturePath("mini_server.ts")];

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

/** A temp folder with the policy, and `intercept/` as the only place proxies are looked for. */
async function workspace() {
  const root = await Deno.makeTempDir({ prefix: "intercept-tui-" });
  await Deno.mkdir(`${root}/intercept`, { mode: 0o700 });
  const policy = `${root}/policy.yaml`;
  await Deno.writeTextFile(policy, POLICY);
  return {
    root,
    policy,
    env: { INTERCEPT_CONTROL_DIR: `${root}/intercept` },
    // The proxies' machine-wide denies (D) live in this folder too, not in the real one.
    proxy: (name: string) =>
      RawProxy.start(
        policy,
        MINI,
        ["--control", `${root}/intercept/${name}.sock`, "--name", name],
        { ...childEnv(), INTERCEPT_CONTROL_DIR: `${root}/intercept` },
      ),
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

async function callEcho(proxy: RawProxy, i: number): Promise<JsonObject> {
  const answer = await proxy.request("tools/call", { name: "echo", arguments: { i } });
  return answer.result as JsonObject;
}

Deno.test({
  name: "intercept --tui says the terminal is too small, then where it looked, and quits on q",
  ignore: !hasTmux(),
  async fn() {
    await using ws = await workspace();
    const tui = await TmuxSession.start(TUI, { cwd: ROOT, env: ws.env, columns: 70, rows: 20 });
    try {
      let screen = await tui.waitForText("Terminal too small");
      assert.match(screen, /this one is 70×20/);
      await tui.resize(100, 30);
      screen = await tui.waitForText("No running proxies found.");
      assert.match(screen, new RegExp(`looked in ${ws.root}/intercept`));
      assert.match(screen, /Watching: a proxy shows here as soon as it starts/);
      assert.doesNotMatch(screen, /Terminal too small/);
      assert.match(screen, /\? help {2}q quit/);
      await tui.sendKeys("q");
      assert.equal(await tui.waitForExit(), 0);
    } finally {
      await tui.kill();
    }
  },
});

Deno.test({
  name: "intercept --tui against a live proxy: counts, deny with a reason, allow, reload, e, ?, p",
  ignore: !hasTmux(),
  async fn() {
    await using ws = await workspace();
    const proxy = ws.proxy("kafka-test");
    let tui: TmuxSession | null = null;
    try {
      await proxy.initialize();
      for (let i = 0; i < 3; i++) await callEcho(proxy, i);
      await proxy.request("tools/call", { name: "crash", arguments: {} });
      tui = await TmuxSession.start(TUI, { cwd: ROOT, env: ws.env });
      await tui.waitForText(/echo\s+limited\s+\d+\s+3\s+0 █+░+ 2\/5/);
      // Status comes before the subscription's backfill: wait for both.
      let screen = await tui.waitForText(
        /kafka-test · pid \d+ · mini-server 1\.0\.0\s+● live/,
      );
      assert.match(screen, /crash\s+deny\s+\d+\s+0\s+1/);
      screen = await tui.waitForText(
        /✗ deny {2}crash\s+\S+\s+intercept-e2e-raw.*Crashing the server/,
      );

      // A decision made now shows up live.
      await callEcho(proxy, 3);
      await tui.waitForText(/echo\s+limited\s+\d+\s+4\s+0/);

      // The busiest tool comes first: echo is selected.
      await tui.waitForText("› echo");
      await tui.sendKeys("d");
      await tui.waitForText("Deny echo, reason (optional)");
      await tui.type("maintenance window");
      await tui.sendKeys("Enter");
      screen = await tui.waitForText(/Denied echo on kafka-test/);
      const denied = await callEcho(proxy, 4);
      assert.equal(denied.isError, true);
      assert.match(JSON.stringify(denied), /maintenance window/);
      screen = await tui.waitForText(/echo\s+live-deny\s+\d+\s+4\s+1/);
      assert.match(
        screen,
        /^echo: live-denied .+ via dashboard at \d\d:\d\d:\d\d · maintenance window/m,
      );

      await tui.sendKeys("a");
      await tui.waitForText(/Allowed echo on kafka-test/);
      assert.notEqual((await callEcho(proxy, 5)).isError, true);
      await tui.waitForText(/echo\s+limited\s+\d+\s+5\s+1/);

      await tui.sendKeys("?");
      screen = await tui.waitForText("Keys");
      assert.match(screen, /^ {2}p {5}pause the stream/m);
      assert.match(screen, /^ {2}e {5}show the full error of a refused reload/m);
      await tui.sendKeys("Escape");
      await tui.waitForText("› echo");

      await tui.sendKeys("p");
      await tui.waitForText("paused (p follows)");
      await callEcho(proxy, 6);
      screen = await tui.waitForText("1 newer");
      await tui.sendKeys("p");
      await tui.waitForText(/decisions · kafka-test ─/);

      await Deno.writeTextFile(ws.policy, POLICY.replace("action: deny", "action: deny-please"));
      await tui.sendKeys("r");
      screen = await tui.waitForText(/Reload refused on kafka-test/);
      assert.match(screen, /✗ reload refused \(e shows all\)/);
      await tui.sendKeys("e");
      screen = await tui.waitForText("Reload refused; the previous policy stays in force:");
      assert.match(screen, /policy\.yaml:\d+:\d+: /);
      await tui.sendKeys("Escape");
      await tui.sendKeys("q");
      assert.equal(await tui.waitForExit(), 0);
    } finally {
      await tui?.kill();
      await proxy.dispose();
    }
  },
});

Deno.test({
  name: "intercept --tui D asks for a reason and a confirmation naming every proxy, then denies",
  ignore: !hasTmux(),
  async fn() {
    await using ws = await workspace();
    const alpha = ws.proxy("alpha");
    const beta = ws.proxy("beta");
    let tui: TmuxSession | null = null;
    try {
      await Promise.all([alpha.initialize(), beta.initialize()]);
      await callEcho(alpha, 0);
      tui = await TmuxSession.start(TUI, { cwd: ROOT, env: ws.env });
      await tui.waitForText(/proxies \[alpha\] {2}beta/);
      await tui.waitForText("› echo");
      await tui.sendKeys("D");
      await tui.waitForText("Deny echo on all 2 proxies, reason (optional)");
      await tui.type("incident 9");
      await tui.sendKeys("Enter");
      const asked = await tui.waitForText("Deny echo on all 2 proxies: alpha, beta?");
      assert.match(asked, /y sends it · n or Esc cancels/);
      assert.notEqual((await callEcho(beta, 1)).isError, true, "nothing applied before y");
      await tui.sendKeys("y");
      await tui.waitForText("Denied echo on 2 of 2 proxies");
      for (const proxy of [alpha, beta]) {
        const refused = await callEcho(proxy, 2);
        assert.equal(refused.isError, true);
        assert.match(JSON.stringify(refused), /incident 9/);
      }
      await tui.sendKeys("q");
      assert.equal(await tui.waitForExit(), 0);
    } finally {
      await tui?.kill();
      await Promise.all([alpha.dispose(), beta.dispose()]);
    }
  },
});

/** What the MCP SDK passes to a server it spawns, and nothing else. */
function strippedEnv(): Record<string, string> {
  const keep = ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];
  const env: Record<string, string> = {};
  for (const name of keep) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  env.HOME ??= "/root";
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  return env;
}

Deno.test({
  name: "intercept --tui with XDG_RUNTIME_DIR finds a proxy started with a stripped environment",
  ignore: !hasTmux(),
  async fn() {
    const runtime = await Deno.makeTempDir({ prefix: "intercept-xdg-" });
    const name = `stripped-${crypto.randomUUID().slice(0, 6)}`;
    const policy = `${runtime}/policy.yaml`;
    await Deno.writeTextFile(policy, POLICY);
    // No --control: the proxy picks its socket's place from its own (stripped) environment.
    const proxy = RawProxy.start(policy, MINI, ["--name", name], strippedEnv());
    let tui: TmuxSession | null = null;
    try {
      await proxy.initialize();
      // An operator's login shell: XDG_RUNTIME_DIR set, no INTERCEPT_CONTROL_DIR.
      tui = await TmuxSession.start(TUI, {
        cwd: ROOT,
        env: { XDG_RUNTIME_DIR: runtime },
        columns: 160,
        rows: 30,
      });
      await tui.waitForText(/● live|○ /);
      // Other proxies of this user may run too: tab to ours.
      let screen = "";
      for (let tab = 0; tab < 30; tab++) {
        screen = await tui.capture();
        if (new RegExp(`^${name} · pid`, "m").test(screen)) break;
        await tui.sendKeys("Tab");
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      assert.match(screen, new RegExp(`^${name} · pid \\d+ · mini-server`, "m"));
      await tui.sendKeys("q");
      assert.equal(await tui.waitForExit(), 0);
    } finally {
      await tui?.kill();
      await proxy.dispose();
      await Deno.remove(runtime, { recursive: true });
    }
  },
});
