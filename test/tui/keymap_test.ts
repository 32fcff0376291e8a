import assert from "node:assert/strict";
import type { StreamEntry } from "../../tui/dashboard_state.ts";
import {
  handleInput,
  handleKey,
  initialUi,
  type KeyContext,
  type KeyInfo,
  type UiState,
} from "../../tui/keymap.ts";
import { decisionNotice } from "./fakes.ts";

const STREAM: StreamEntry[] = Array.from({ length: 30 }, (_, i) => ({
  kind: "decision",
  proxy: "/run/a.sock",
  label: "a",
  notice: decisionNotice("echo", 1000 + i),
}));

const context: KeyContext = {
  proxies: ["/run/a.sock", "/run/b.sock"],
  everywhere: ["kafka-prod", "github"],
  tools: ["list-topics", "produce-message", "delete-topics"],
  pageSize: 5,
  streamRows: 10,
  stream: STREAM,
  hasError: false,
};

/** Feeds keys (a string is typed text, an object a special key) and collects commands. */
function press(keys: (string | KeyInfo)[], ui: UiState = initialUi, ctx = context) {
  const commands = [];
  for (const key of keys) {
    const result = typeof key === "string"
      ? handleInput(ui, key, {}, ctx)
      : handleInput(ui, "", key, ctx);
    ui = result.ui;
    commands.push(...result.commands);
  }
  return { ui, commands };
}

Deno.test("handleKey() moves the selection with the arrows and page keys", () => {
  assert.equal(press([{ downArrow: true }]).ui.tool, "produce-message");
  assert.equal(
    press([{ downArrow: true }, { downArrow: true }, { downArrow: true }]).ui.tool,
    "delete-topics",
  );
  assert.equal(press([{ downArrow: true }, { upArrow: true }]).ui.tool, "list-topics");
  assert.equal(press([{ pageDown: true }]).ui.tool, "delete-topics");
  assert.equal(press([{ end: true }, { home: true }]).ui.tool, "list-topics");
});

Deno.test("handleKey() d asks for a reason; Enter denies with it", () => {
  const { ui, commands } = press([
    { downArrow: true },
    "d",
    "disk",
    " full",
    { backspace: true },
    "l",
    { return: true },
  ]);
  assert.deepEqual(commands, [
    { kind: "deny", proxy: "/run/a.sock", tool: "produce-message", reason: "disk full" },
  ]);
  assert.equal(ui.mode.kind, "normal");
});

Deno.test("handleKey() d then Enter denies without a reason; Esc cancels", () => {
  assert.deepEqual(press(["d", { return: true }]).commands, [
    { kind: "deny", proxy: "/run/a.sock", tool: "list-topics", reason: null },
  ]);
  const cancelled = press(["d", "oops", { escape: true }]);
  assert.deepEqual(cancelled.commands, []);
  assert.equal(cancelled.ui.mode.kind, "normal");
});

Deno.test("handleKey() D asks a reason, then lists the proxies by name and waits for y", () => {
  const asked = press(["D", "incident 7", { return: true }]);
  assert.deepEqual(asked.commands, []);
  assert.deepEqual(asked.ui.mode, {
    kind: "confirm",
    action: "deny",
    tool: "list-topics",
    reason: "incident 7",
    proxies: ["kafka-prod", "github"],
  });
  assert.deepEqual(press(["y"], asked.ui).commands, [
    { kind: "denyEverywhere", tool: "list-topics", reason: "incident 7" },
  ]);
  for (const no of ["n", "q", { escape: true }]) {
    const cancelled = press([no], asked.ui);
    assert.deepEqual(cancelled.commands, [], `${JSON.stringify(no)} sends nothing`);
    assert.equal(cancelled.ui.mode.kind, "normal");
    assert.equal(cancelled.ui.message, "Cancelled: nothing was sent");
  }
  // Other keys do nothing while it waits: r does not reload, d does not open a prompt.
  const waiting = press(["r", "d", "x"], asked.ui);
  assert.deepEqual(waiting.commands, []);
  assert.equal(waiting.ui.mode.kind, "confirm");
});

Deno.test("handleKey() A asks to confirm before allowing everywhere", () => {
  const asked = press([{ downArrow: true }, "A"]);
  assert.deepEqual(asked.commands, []);
  assert.equal(asked.ui.mode.kind, "confirm");
  assert.deepEqual(press(["y"], asked.ui).commands, [
    { kind: "allowEverywhere", tool: "produce-message" },
  ]);
});

Deno.test("handleKey() maps a, r, x and q to their commands", () => {
  const on = { ...initialUi, tool: "produce-message" };
  assert.deepEqual(press(["a"], on).commands, [
    { kind: "allow", proxy: "/run/a.sock", tool: "produce-message" },
  ]);
  assert.deepEqual(press(["r"]).commands, [{ kind: "reload", proxy: "/run/a.sock" }]);
  assert.deepEqual(press(["x"], on).commands, [
    { kind: "reset", proxy: "/run/a.sock", tool: "produce-message" },
  ]);
  assert.deepEqual(press(["q"]).commands, [{ kind: "quit" }]);
});

Deno.test("handleKey() with no tool selected says so, and a typed reason never runs as keys", () => {
  const empty = { ...context, tools: [] };
  for (const key of ["a", "A", "x"]) {
    const { ui, commands } = press([key], initialUi, empty);
    assert.deepEqual(commands, []);
    assert.equal(ui.message, "No tool selected: pick one with ↑ ↓ first");
  }
  // d, then "reload queue" and Enter: without the prompt, r would reload and q would quit.
  const typed = press(["d", "reload queue", { return: true }], initialUi, empty);
  assert.deepEqual(typed.commands, []);
  assert.equal(typed.ui.mode.kind, "normal");
  assert.equal(typed.ui.message, "No tool selected: nothing was denied");
  const big = press(["D", "quit", { escape: true }], initialUi, empty);
  assert.deepEqual(big.commands, []);
  // The message goes with the next key.
  assert.equal(press(["s"], typed.ui).ui.message, null);
});

Deno.test("handleKey() tab cycles the proxies and shift+tab goes back", () => {
  const once = press([{ tab: true }]);
  assert.equal(once.ui.proxy, "/run/b.sock");
  assert.equal(press([{ tab: true }], once.ui).ui.proxy, "/run/a.sock");
  assert.equal(press([{ tab: true, shift: true }]).ui.proxy, "/run/b.sock");
});

Deno.test("handleKey() / edits the filter live; Enter keeps it, Esc clears it", () => {
  const typed = press(["/", "prod"]);
  assert.equal(typed.ui.filter, "prod");
  assert.equal(press([{ return: true }], typed.ui).ui.filter, "prod");
  assert.equal(press([{ escape: true }], typed.ui).ui.filter, "");
});

Deno.test("handleKey() s sorts by name or activity, v switches the stream's scope", () => {
  assert.equal(initialUi.sort, "activity");
  assert.equal(press(["s"]).ui.sort, "name");
  assert.equal(press(["s", "s"]).ui.sort, "activity");
  assert.equal(initialUi.scope, "proxy");
  assert.equal(press(["v"]).ui.scope, "all");
});

Deno.test("handleKey() p freezes the stream; PgUp PgDn Home End scroll it; p follows again", () => {
  const paused = press(["p"]).ui;
  assert.equal(paused.paused?.entries, STREAM);
  assert.equal(paused.paused?.back, 0);
  assert.equal(press([{ pageUp: true }], paused).ui.paused?.back, 9);
  assert.equal(
    press([{ pageUp: true }, { pageUp: true }, { pageUp: true }], paused).ui.paused?.back,
    20,
    "stops at the oldest",
  );
  assert.equal(press([{ home: true }], paused).ui.paused?.back, 20);
  assert.equal(press([{ home: true }, { end: true }], paused).ui.paused?.back, 0);
  assert.equal(press([{ pageUp: true }, { pageDown: true }], paused).ui.paused?.back, 0);
  // The arrows still move the tool selection while paused.
  assert.equal(press([{ downArrow: true }], paused).ui.tool, "produce-message");
  assert.equal(press(["p"], paused).ui.paused, null);
});

Deno.test("handleKey() ? opens the help, e the refused reload's error; both close on Esc", () => {
  const help = press(["?"]).ui;
  assert.deepEqual(help.mode, { kind: "help", scroll: 0 });
  assert.deepEqual(press([{ downArrow: true }], help).ui.mode, { kind: "help", scroll: 1 });
  assert.equal(press(["q"], help).commands.length, 0, "q closes the help, not the dashboard");
  assert.equal(press([{ escape: true }], help).ui.mode.kind, "normal");
  assert.equal(press(["e"]).ui.message, "No refused reload to show");
  const error = press(["e"], initialUi, { ...context, hasError: true }).ui;
  assert.deepEqual(error.mode, { kind: "error", proxy: "/run/a.sock", scroll: 0 });
  assert.equal(press(["e"], error).ui.mode.kind, "normal");
});

Deno.test("handleKey() ignores tool keys when there is no proxy", () => {
  const none: KeyContext = { ...context, proxies: [], tools: [] };
  for (const key of ["d", "D", "a", "A", "x", "r"]) {
    assert.deepEqual(press([key], initialUi, none).commands, []);
  }
});

Deno.test("handleKey() ignores unknown keys and control chords", () => {
  assert.deepEqual(press(["z", "1"]).commands, []);
  assert.deepEqual(handleKey(initialUi, "q", { ctrl: true }, context).command, undefined);
});

Deno.test("handleInput() takes several keys from one read, in order", () => {
  // Two Tabs in one read move twice.
  assert.equal(handleInput(initialUi, "\t\t", {}, context).ui.proxy, "/run/a.sock");
  assert.equal(handleInput(initialUi, "\t", {}, context).ui.proxy, "/run/b.sock");
  // A reason typed fast, with Enter, in one chunk.
  const prompt = handleInput(initialUi, "d", {}, context).ui;
  assert.deepEqual(handleInput(prompt, "incident 42\r", {}, context).commands, [
    { kind: "deny", proxy: "/run/a.sock", tool: "list-topics", reason: "incident 42" },
  ]);
  // Esc and then / at once reach Ink as Alt+/: the Esc cancels, the / opens the filter.
  const typing = handleInput(initialUi, "d", {}, context).ui;
  const after = handleInput(typing, "/", { meta: true }, context).ui;
  assert.equal(after.mode.kind, "filter");
});

Deno.test("handleInput() takes each key of one read in the context the keys before it made", () => {
  const toolsOf: Record<string, string[]> = {
    "/run/a.sock": ["list-topics", "produce-message"],
    "/run/b.sock": ["create-issue", "merge-pull-request"],
  };
  const contextOf = (ui: UiState): KeyContext => ({
    ...context,
    tools: toolsOf[ui.proxy ?? "/run/a.sock"],
  });
  // Tab to the second proxy, then d at once: the reason is asked for that proxy's tool.
  const asked = handleInput(initialUi, "\td", {}, contextOf).ui;
  assert.deepEqual(asked.mode, {
    kind: "reason",
    scope: "one",
    proxy: "/run/b.sock",
    tool: "create-issue",
    text: "",
  });
  // And x resets the new proxy's tool, not the old one's.
  assert.deepEqual(handleInput(initialUi, "\tx", {}, contextOf).commands, [
    { kind: "reset", proxy: "/run/b.sock", tool: "create-issue" },
  ]);
});
