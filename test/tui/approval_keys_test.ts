import assert from "node:assert/strict";
import { approvalsFocused, type HeldKey, heldKey, selectedHeld } from "../../tui/approval_keys.ts";
import {
  handleInput,
  initialUi,
  type KeyContext,
  type KeyInfo,
  type UiState,
} from "../../tui/keymap.ts";

const A = "/run/a.sock";
const B = "/run/b.sock";

function held(proxy: string, id: string, tool: string, operator = true): HeldKey {
  return { key: heldKey(proxy, id), proxy, id, tool, operator };
}

const HELD = [
  held(A, "a1", "create-connector"),
  held(B, "b2", "produce-message"),
  held(A, "a3", "alter-topic-config"),
];

const context: KeyContext = {
  proxies: [A, B],
  everywhere: ["kafka-prod", "github"],
  tools: ["list-topics", "produce-message", "delete-topics"],
  pageSize: 5,
  streamRows: 10,
  stream: [],
  hasError: false,
  approvals: HELD,
  approvalRows: 2,
};

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

Deno.test("approval keys: y approves the first held call on the proxy that holds it", () => {
  assert.deepEqual(press(["y"]).commands, [
    { kind: "approve", proxy: A, id: "a1", tool: "create-connector" },
  ]);
  // Wherever the tool selection is: y and n are the pane's keys only.
  assert.deepEqual(press([{ downArrow: true }, "y"]).commands, [
    { kind: "approve", proxy: A, id: "a1", tool: "create-connector" },
  ]);
});

Deno.test("approval keys: ↑ from the first tool enters the pane, ↓ from its last call leaves it", () => {
  const entered = press([{ upArrow: true }]).ui;
  assert.equal(entered.focus, "approvals");
  assert.equal(entered.approval, heldKey(A, "a3"), "the call next to the table");
  assert.equal(approvalsFocused(entered, context), true);
  const up = press([{ upArrow: true }], entered).ui;
  assert.equal(up.approval, heldKey(B, "b2"));
  assert.deepEqual(press(["y"], up).commands, [
    { kind: "approve", proxy: B, id: "b2", tool: "produce-message" },
  ]);
  assert.equal(press([{ upArrow: true }, { upArrow: true }], up).ui.approval, heldKey(A, "a1"));
  assert.equal(press([{ home: true }], up).ui.approval, heldKey(A, "a1"));
  assert.equal(press([{ end: true }], up).ui.approval, heldKey(A, "a3"));
  const left = press([{ downArrow: true }], entered).ui;
  assert.equal(left.focus, "tools");
  assert.equal(left.tool, "list-topics");
  // Down in the table moves tools, as ever; ↑ from a lower tool moves up the table.
  const tools = press([{ downArrow: true }, { upArrow: true }]).ui;
  assert.equal(tools.focus, "tools");
  assert.equal(tools.tool, "list-topics");
});

Deno.test("approval keys: n asks a reason; what is typed never runs as keys; Enter rejects", () => {
  const asked = press(["n"]).ui;
  assert.deepEqual(asked.mode, {
    kind: "reject",
    proxy: A,
    id: "a1",
    tool: "create-connector",
    text: "",
  });
  const typed = press(["quit, deny yx", { backspace: true }, "es", { return: true }], asked);
  assert.deepEqual(typed.commands, [
    { kind: "reject", proxy: A, id: "a1", tool: "create-connector", reason: "quit, deny yes" },
  ]);
  assert.equal(typed.ui.mode.kind, "normal");
  assert.deepEqual(press([{ return: true }], asked).commands, [
    { kind: "reject", proxy: A, id: "a1", tool: "create-connector", reason: null },
  ]);
  const cancelled = press(["dq", { escape: true }], asked);
  assert.deepEqual(cancelled.commands, []);
  assert.equal(cancelled.ui.mode.kind, "normal");
  assert.equal(cancelled.ui.message, "Cancelled: nothing was sent");
  // The reason and Enter typed fast, in one read.
  assert.deepEqual(handleInput(asked, "too big\r", {}, context).commands, [
    { kind: "reject", proxy: A, id: "a1", tool: "create-connector", reason: "too big" },
  ]);
});

Deno.test("approval keys: y and n with nothing held say so and send nothing", () => {
  const none = { ...context, approvals: [] };
  for (const key of ["y", "n"]) {
    const { ui, commands } = press([key], initialUi, none);
    assert.deepEqual(commands, []);
    assert.equal(ui.message, "No call is waiting for approval");
    assert.equal(ui.mode.kind, "normal");
  }
  // A context without the field (an older frame) is the same as nothing held.
  const { approvals: _, ...older } = context;
  assert.deepEqual(press(["y"], initialUi, older).commands, []);
});

Deno.test("approval keys: a call only the agent's user may answer is not sent", () => {
  const user = { ...context, approvals: [held(A, "u1", "pay", false)] };
  for (const key of ["y", "n"]) {
    const { ui, commands } = press([key], initialUi, user);
    assert.deepEqual(commands, []);
    assert.equal(ui.message, "Only the agent's user can answer pay (the rule says from: user)");
  }
});

Deno.test("approval keys: a chosen call that is gone falls back to the first; focus returns to tools", () => {
  const chosen = { ...initialUi, approval: heldKey(B, "gone"), focus: "approvals" as const };
  assert.equal(selectedHeld(chosen, context)?.id, "a1");
  const empty = { ...context, approvals: [] };
  const moved = press([{ downArrow: true }], chosen, empty).ui;
  assert.equal(moved.focus, "tools");
  assert.equal(moved.tool, "produce-message", "the arrows are the table's again");
});

Deno.test("approval keys: the page keys scroll a paused stream, not the pane", () => {
  const paused = { ...initialUi, focus: "approvals" as const, paused: { entries: [], back: 0 } };
  assert.equal(press([{ end: true }], paused).ui.approval, null);
  assert.equal(
    press([{ pageDown: true }], { ...paused, paused: null }).ui.approval,
    heldKey(B, "b2"),
  );
});

Deno.test("approval keys: the existing keys keep working while calls are held", () => {
  const on = { ...initialUi, tool: "produce-message" };
  assert.deepEqual(press(["a"], on).commands, [{
    kind: "allow",
    proxy: A,
    tool: "produce-message",
  }]);
  assert.deepEqual(press(["d", "x", { return: true }], on).commands, [
    { kind: "deny", proxy: A, tool: "produce-message", reason: "x" },
  ]);
  assert.equal(press([{ tab: true }]).ui.proxy, B);
  assert.deepEqual(press(["D", { return: true }, "y"]).commands, [
    { kind: "denyEverywhere", tool: "list-topics", reason: null },
  ], "y in a confirmation confirms, it approves nothing");
  assert.deepEqual(press(["q"]).commands, [{ kind: "quit" }]);
});
