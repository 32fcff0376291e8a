import assert from "node:assert/strict";
import {
  approvalsPane,
  argsText,
  compactJson,
  heldHint,
  heldKeys,
  heldLine,
  paneRows,
} from "../../tui/approvals_pane.ts";
import { heldKey } from "../../tui/approval_keys.ts";
import type { HeldSnapshot } from "../../tui/dashboard_state.ts";
import { textWidth } from "../../tui/format.ts";
import { heldView } from "./fakes.ts";

const NOW = 1_700_000_000_000;
const A = "/run/a.sock";

function held(id: string, left: number, overrides = {}): HeldSnapshot {
  return {
    proxy: A,
    label: "kafka-demo",
    view: heldView(id, { requestedAt: NOW - 1000, expiresAt: NOW + left, ...overrides }),
  };
}

const text = (segments: { text: string }[]) => segments.map((s) => s.text).join("");

function pane(items: HeldSnapshot[], options: Partial<Parameters<typeof approvalsPane>[1]> = {}) {
  return approvalsPane(items, {
    width: 80,
    rows: paneRows(24, items.length),
    now: NOW,
    selected: items[0] ? heldKey(items[0].proxy, items[0].view.id) : null,
    focused: false,
    showProxy: false,
    ...options,
  });
}

Deno.test("paneRows() is nothing without held calls, a title and up to 3 calls at 24 rows", () => {
  assert.equal(paneRows(24, 0), 0);
  assert.equal(paneRows(24, 1), 2);
  assert.equal(paneRows(24, 9), 4);
  assert.equal(paneRows(30, 9), 7);
  assert.equal(paneRows(60, 20), 9);
});

Deno.test("approvalsPane() shows time left, tool, caller and arguments within the width", () => {
  const lines = pane([held("a1", 18_000), held("b2", 4_000, { tool: "produce-message" })]);
  const rows = lines.map((line) => text(line.segments));
  assert.match(rows[0], /^── held for approval: 2 · y approves · n rejects ─+$/);
  assert.match(
    rows[1],
    /^› {3}18s create-connector claude-code uid:ann connectorName="orders-s3-sink"$/,
  );
  assert.match(rows[2], /^ {5}4s produce-message {2}claude-code uid:ann /);
  for (const row of rows) assert.ok(textWidth(row) <= 80, row);
  // Under five seconds left, the clock turns red.
  assert.equal(lines[1].segments[1].colour, "yellow");
  assert.equal(lines[2].segments[1].colour, "red");
  assert.equal(lines[1].inverse, false, "not focused: a marker, no highlight");
  const focused = pane([held("a1", 18_000)], { focused: true });
  assert.equal(focused[1].inverse, true);
});

Deno.test("approvalsPane() counts down as the clock moves, and never below zero", () => {
  const item = held("a1", 18_000);
  const at = (now: number) => text(pane([item], { now })[1].segments).slice(2, 7).trim();
  assert.equal(at(NOW), "18s");
  assert.equal(at(NOW + 1_000), "17s");
  assert.equal(at(NOW + 17_500), "1s");
  assert.equal(at(NOW + 30_000), "0s");
});

Deno.test("approvalsPane() scrolls to the selected call and says how many are not shown", () => {
  const items = Array.from({ length: 6 }, (_, i) => held(`c${i}`, 10_000 + i * 1000));
  const lines = pane(items, { selected: heldKey(A, "c5"), focused: true });
  assert.equal(lines.length, 4);
  assert.match(text(lines[0].segments), /held for approval: 6 · y approves · n rejects · 3 more/);
  assert.match(text(lines[3].segments), /^› +15s/);
});

Deno.test("approvalsPane() names the proxy when several show, and who answers a user-only call", () => {
  const user = held("u1", 30_000, { from: ["user"] });
  const lines = pane([user], { showProxy: true, width: 120 });
  assert.match(
    text(lines[1].segments),
    /create-connector kafka-demo +claude-code uid:ann +\(the user answers\) connectorName=/,
  );
});

Deno.test("argsText() shows every key; objects give way before the line is cut", () => {
  const args = {
    connectorName: "orders-s3-sink",
    connectorConfig: { "connector.class": "S3_SINK", topics: "orders" },
  };
  assert.equal(
    argsText(args, 200),
    'connectorName="orders-s3-sink" connectorConfig={"connector.class":"S3_SINK","topics":"orders"}',
  );
  assert.equal(argsText(args, 50), 'connectorName="orders-s3-sink" connectorConfig={…}');
  assert.equal(
    argsText({ ids: [1, 2, 3], name: "x".repeat(100) }, 30),
    'ids=[…3] name="xxxxxxxxxxxxxx…',
  );
  assert.equal(argsText({}, 30), "(no arguments)");
  assert.equal(argsText(args, 0), "");
});

Deno.test("argsText() keeps control characters off the screen", () => {
  const shown = argsText({ "evil\u001b[2Jkey": "line\nbreak\u009b" }, 80);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(shown, /[\u0000-\u001f\u007f-\u009f]/);
  assert.match(shown, /evil \[2Jkey="line\\nbreak "/);
});

Deno.test("argsText() does work bounded by the width, not by the size of keys or values", () => {
  const huge = {
    ["k".repeat(5_000_000)]: "v".repeat(5_000_000),
    list: new Array(1_000_000).fill(1),
  };
  const shown = argsText(huge, 60);
  assert.equal(textWidth(shown), 60);
  assert.match(shown, /^k+…$/);
});

Deno.test("compactJson() stops after its budget, however big the value", () => {
  const huge = { list: Array.from({ length: 200_000 }, (_, i) => ({ i })) };
  const started = performance.now();
  const out = compactJson(huge, 40);
  assert.ok(performance.now() - started < 1000);
  assert.equal(out, '{"list":[{"i":0},{"i":1},{"i":2},{"i":3}');
  assert.equal(compactJson({ a: [1, null, true, "s"] }, 100), '{"a":[1,null,true,"s"]}');
  assert.equal(compactJson("x".repeat(10_000_000), 5), '"xxxx');
});

Deno.test("heldHint() tells what waits and which keys answer it", () => {
  assert.equal(heldHint([], NOW), null);
  assert.equal(
    text(heldHint([held("a1", 18_000)], NOW)!),
    "⏸ create-connector waits for approval on kafka-demo (18s left): y approves it, n rejects it",
  );
  assert.equal(
    text(heldHint([held("a1", 18_000), held("b2", 30_000)], NOW)!),
    "⏸ 2 calls wait for approval (the first for 18s): ↑ picks one, y approves it, n rejects it",
  );
  assert.match(
    text(heldHint([held("u1", 9_000, { from: ["user"] })], NOW)!),
    /waits for the agent's user on kafka-demo \(9s left\)$/,
  );
});

Deno.test("heldLine() puts the arguments first, then the rule, the caller and the id", () => {
  const line = text(heldLine(held("a1", 18_000), 200, NOW));
  assert.match(
    line,
    /^create-connector on kafka-demo: connectorName="orders-s3-sink" · rule connectors need a human · client claude-code · principal uid:ann · session s1 · held at \d\d:\d\d:\d\d, 18s left · id a1$/,
  );
  assert.ok(textWidth(text(heldLine(held("a1", 18_000), 80, NOW))) <= 80);
  assert.equal(text(heldLine(null, 80, NOW)), "No call is waiting for approval");
});

Deno.test("heldKeys() marks the calls an operator may answer", () => {
  const keys = heldKeys([held("a1", 1), held("u1", 1, { from: ["user"] })]);
  assert.deepEqual(keys.map((k) => [k.key, k.tool, k.operator]), [
    [heldKey(A, "a1"), "create-connector", true],
    [heldKey(A, "u1"), "create-connector", false],
  ]);
});
