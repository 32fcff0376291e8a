import assert from "node:assert/strict";
import {
  handleInput,
  handleKey,
  initialUi,
  type KeyContext,
  type KeyInfo,
  type UiState,
} from "../../tui/keymap.ts";

const context: KeyContext = {
  proxies: ["/run/a.sock", "/run/b.sock"],
  tools: ["list-topics", "produce-message", "delete-topics"],
  pageSize: 5,
};

/** Feeds keys (a string is typed text, an object a special key) and collects commands. */
function press(keys: (string | KeyInfo)[], ui: UiState = initialUi, ctx = context) {
  const commands = [];
  for (const key of keys) {
    const result = typeof key === "string"
      ? handleKey(ui, key, {}, ctx)
      : handleKey(ui, "", key, ctx);
    ui = result.ui;
    if (result.command) commands.push(result.command);
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
    {
      return: true,
    },
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
  const cancelled = press(["d", "q", { escape: true }]);
  assert.deepEqual(cancelled.commands, [], "q while typing a reason is text, not quit");
  assert.equal(cancelled.ui.mode.kind, "normal");
});

Deno.test("handleKey() maps a, A, D, r, x and q to their commands", () => {
  assert.deepEqual(press(["a", "A", "r", "x", "q"]).commands, [
    { kind: "allow", proxy: "/run/a.sock", tool: "list-topics" },
    { kind: "allowEverywhere", tool: "list-topics" },
    { kind: "reload", proxy: "/run/a.sock" },
    { kind: "reset", proxy: "/run/a.sock", tool: "list-topics" },
    { kind: "quit" },
  ]);
  assert.deepEqual(press(["D", "incident", { return: true }]).commands, [
    { kind: "denyEverywhere", tool: "list-topics", reason: "incident" },
  ]);
});

Deno.test("handleKey() tab cycles the proxies and shift+tab goes back", () => {
  assert.equal(press([{ tab: true }]).ui.proxy, "/run/b.sock");
  assert.equal(press([{ tab: true }, { tab: true }]).ui.proxy, "/run/a.sock");
  assert.equal(press([{ tab: true, shift: true }]).ui.proxy, "/run/b.sock");
  assert.deepEqual(press([{ tab: true }, "r"]).commands, [{
    kind: "reload",
    proxy: "/run/b.sock",
  }]);
});

Deno.test("handleKey() / edits the filter live; Enter keeps it, Esc clears it", () => {
  const kept = press(["/", "prod", { return: true }]);
  assert.equal(kept.ui.filter, "prod");
  assert.equal(kept.ui.mode.kind, "normal");
  assert.equal(press(["/", "prod"]).ui.filter, "prod", "filters while typing");
  assert.equal(press(["/", "prod", { escape: true }]).ui.filter, "");
  assert.equal(press(["/", "prod", { return: true }, { escape: true }]).ui.filter, "");
});

Deno.test("handleKey() ignores tool keys when there is no tool or no proxy", () => {
  const empty = { proxies: [], tools: [], pageSize: 5 };
  assert.deepEqual(press(["d", "a", "x", "r", { downArrow: true }], initialUi, empty).commands, []);
  assert.equal(press(["d"], initialUi, empty).ui.mode.kind, "normal");
  assert.deepEqual(press(["q"], initialUi, empty).commands, [{ kind: "quit" }]);
});

Deno.test("handleKey() ignores unknown keys and control chords", () => {
  const { ui, commands } = press(["z", { ctrl: true }, "?"]);
  assert.deepEqual(commands, []);
  assert.deepEqual(ui, initialUi);
});

Deno.test("handleInput() takes a chunk of typed text and Enter as separate keys", () => {
  const open = handleKey(initialUi, "d", {}, context).ui;
  const { ui, commands } = handleInput(open, "incident 42\r", {}, context);
  assert.deepEqual(commands, [
    { kind: "deny", proxy: "/run/a.sock", tool: "list-topics", reason: "incident 42" },
  ]);
  assert.equal(ui.mode.kind, "normal");
});

Deno.test("handleInput() plays a chunk of keys in order, and passes single keys through", () => {
  assert.deepEqual(handleInput(initialUi, "ax", {}, context).commands, [
    { kind: "allow", proxy: "/run/a.sock", tool: "list-topics" },
    { kind: "reset", proxy: "/run/a.sock", tool: "list-topics" },
  ]);
  assert.deepEqual(
    handleInput(initialUi, "", { downArrow: true }, context).ui.tool,
    "produce-message",
  );
  assert.deepEqual(handleInput(initialUi, "", {}, context), { ui: initialUi, commands: [] });
});
