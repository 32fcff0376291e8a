/** buildFrame() with calls held for a human: the pane, its focus, the footer, the help. */
import assert from "node:assert/strict";
import { styleLine } from "../../tui/ansi.ts";
import { heldKey } from "../../tui/approval_keys.ts";
import type { DashboardSnapshot, HeldSnapshot, ProxySnapshot } from "../../tui/dashboard_state.ts";
import { buildFrame, type FrameOptions } from "../../tui/frame.ts";
import { initialUi, type UiState } from "../../tui/keymap.ts";
import { heldView, makeStatus, tool } from "./fakes.ts";

const NOW = new Date(2025, 0, 2, 12, 0, 0).getTime();
const PATH = "/run/intercept/4242.sock";

function proxy(): ProxySnapshot {
  const tools = [tool("list-topics", { allowed: 4 }), tool("create-connector")];
  return {
    path: PATH,
    label: "kafka-demo",
    link: "connected",
    staleSince: null,
    status: { ...makeStatus(4242, tools, PATH), name: "kafka-demo" },
    tools: tools.map((t) => ({ ...t, quotas: [], perMinute: 0, nextSlotAt: null })),
    policyError: null,
    linkError: null,
    perMinute: 0,
  };
}

function held(id: string, left: number): HeldSnapshot {
  return {
    proxy: PATH,
    label: "kafka-demo",
    view: heldView(id, { requestedAt: NOW - 2000, expiresAt: NOW + left }),
  };
}

function snapshot(approvals: HeldSnapshot[]): DashboardSnapshot {
  return {
    now: NOW,
    source: { kind: "dirs", locations: ["/tmp/intercept-1000"] },
    discovered: true,
    proxies: [proxy()],
    stream: [],
    notice: null,
    approvals,
  };
}

function screen(
  snap: DashboardSnapshot,
  ui: UiState = initialUi,
  options: Partial<FrameOptions> = {},
) {
  const frame = buildFrame(snap, ui, { columns: 80, rows: 24, ...options });
  const lines = frame.lines.map((line) => line.segments.map((s) => s.text).join(""));
  return { frame, lines, text: lines.join("\n") };
}

Deno.test("buildFrame() shows held calls above the tools at 80×24, and still fills the screen", () => {
  const { frame, lines } = screen(snapshot([held("a1", 18_000), held("b2", 40_000)]));
  assert.equal(lines.length, 24);
  for (const line of lines) assert.ok(Array.from(line).length <= 80, line);
  assert.match(lines[2], /^── held for approval: 2 · y approves · n rejects ─+$/);
  assert.match(lines[3], /^› {3}18s create-connector claude-code uid:ann connectorName=/);
  assert.match(lines[4], /^ {4}40s create-connector/);
  assert.match(lines[5], /^ {2}TOOL/);
  assert.equal(frame.lines[6].inverse, true, "the table has the arrows");
  assert.match(lines[22], /^⏸ 2 calls wait for approval \(the first for 18s\)/);
  assert.match(lines[23], /^y\/n approve\/reject {2}↑↓ move/);
  assert.deepEqual(frame.context.approvals?.map((k) => k.id), ["a1", "b2"]);
  assert.equal(frame.context.approvalRows, 2);
});

Deno.test("buildFrame() without held calls has no pane and the usual footer", () => {
  const { lines, frame } = screen(snapshot([]));
  assert.match(lines[2], /^ {2}TOOL/);
  assert.doesNotMatch(lines.at(-1)!, /y\/n/);
  assert.deepEqual(frame.context.approvals, []);
});

Deno.test("buildFrame() with the pane focused highlights the call and details it under the table", () => {
  const ui = { ...initialUi, focus: "approvals" as const, approval: heldKey(PATH, "b2") };
  const { frame, lines } = screen(snapshot([held("a1", 18_000), held("b2", 40_000)]), ui, {
    columns: 200,
  });
  assert.equal(frame.lines[4].inverse, true);
  assert.match(lines[4], /^› {3}40s/);
  assert.equal(frame.lines[6].inverse, false, "the tool keeps its marker, not the highlight");
  assert.match(lines[6], /^› /);
  const detail = lines.find((line) => line.startsWith("create-connector on kafka-demo: "));
  assert.match(
    detail ?? "",
    /connectorName="orders-s3-sink" · rule connectors need a human · .* · id b2$/,
  );
});

Deno.test("buildFrame() asks the reason to reject, and says when the call waits no more", () => {
  const mode = {
    kind: "reject",
    proxy: PATH,
    id: "a1",
    tool: "create-connector",
    text: "too big",
  } as const;
  const ui = { ...initialUi, mode };
  const waiting = screen(snapshot([held("a1", 18_000)]), ui).lines;
  assert.equal(waiting.at(-2), "Reject create-connector, reason (optional): too big█");
  assert.equal(waiting.at(-1), "Enter rejects it (the agent reads the reason) · Esc cancels");
  const gone = screen(snapshot([]), ui).lines;
  assert.equal(
    gone.at(-1),
    "It is not waiting any more (Enter asks the proxy anyway) · Esc cancels",
  );
});

Deno.test("buildFrame() help lists y and n", () => {
  const { text } = screen(snapshot([]), { ...initialUi, mode: { kind: "help", scroll: 0 } }, {
    rows: 40,
    columns: 160,
  });
  assert.match(text, /^ {2}y {5}approve the held call marked › in the approvals pane/m);
  assert.match(text, /^ {2}n {5}reject it \(asks a reason the agent reads; Enter, Esc\)/m);
});

Deno.test("buildFrame() held calls under NO_COLOR: words and markers, no colour codes", () => {
  const { frame } = screen(snapshot([held("a1", 3_000)]));
  const plain = frame.lines.map((line) =>
    styleLine(line.segments, { color: false, inverse: line.inverse })
  ).join("\n");
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(plain, /\u001b\[3\dm/);
  assert.match(plain, /held for approval: 1/);
  const coloured = frame.lines.map((line) => styleLine(line.segments, { color: true })).join("\n");
  // deno-lint-ignore no-control-regex
  assert.match(coloured, /\u001b\[31m {3}3s /, "under five seconds, red");
});
