import assert from "node:assert/strict";
import type { ApprovalNotice } from "../../src/control/protocol.ts";
import { StreamBuffer, type StreamEntry } from "../../tui/dashboard_state.ts";
import { filterStream } from "../../tui/navigation.ts";
import { latestEvent, streamColumns, streamLine, type StreamRow } from "../../tui/stream_view.ts";
import type { Segment } from "../../tui/view_model.ts";
import { decisionNotice, heldView } from "./fakes.ts";

const text = (segments: Segment[]) => segments.map((s) => s.text).join("");
const TS = new Date(2025, 0, 2, 12, 0, 1).getTime();
const VIEW = heldView("a1", { requestedAt: TS, expiresAt: TS + 20_000 });

function held(event: ApprovalNotice["event"], extra: Partial<ApprovalNotice> = {}): StreamEntry {
  return {
    kind: "approval",
    proxy: "/p/1.sock",
    label: "kafka-demo",
    notice: { ts: TS, event, approval: VIEW, by: null, reason: null, ...extra },
  };
}

const row = (e: StreamEntry): StreamRow => ({ entry: e, count: 1 });

function line(e: StreamEntry, width = 100): Segment[] {
  return streamLine(row(e), width, streamColumns([row(e)], width, { showProxy: false }));
}

Deno.test("streamLine() shows a held call in yellow, in the columns of a decision", () => {
  const segments = line(held("requested"), 200);
  assert.equal(
    text(segments),
    "12:00:01 ⏸ held  create-connector connectors need a human claude-code uid:ann " +
      "waits for approval (20s): New connectors are approved by a human",
  );
  const verdict = segments.find((s) => s.text.startsWith("⏸ held"));
  assert.equal(verdict?.colour, "yellow");
});

Deno.test("streamLine() says what became of a held call, and who decided", () => {
  const cases: [StreamEntry, string, string | undefined][] = [
    [
      held("granted", { by: "ann via dashboard" }),
      "● approved create-connector by ann via dashboard",
      "green",
    ],
    [
      held("rejected", { by: "bob via ctl", reason: "not on a Friday" }),
      "● rejected create-connector by bob via ctl: not on a Friday",
      "red",
    ],
    [held("expired"), "● expired create-connector: nobody answered in time", "red"],
    [held("withdrawn"), "● withdrawn create-connector: the agent cancelled it or left", undefined],
  ];
  for (const [entry, expected, colour] of cases) {
    const segments = line(entry);
    assert.equal(text(segments), `12:00:01 ${expected}`);
    assert.equal(segments.at(-1)?.colour, colour, expected);
  }
});

Deno.test("filterStream() finds held calls by tool, outcome and who decided", () => {
  const entries = [held("requested"), held("rejected", { by: "bob via ctl", reason: "too big" })];
  assert.equal(filterStream(entries, "held").length, 1);
  assert.equal(filterStream(entries, "create-connector").length, 2);
  assert.equal(filterStream(entries, "bob big").length, 1);
});

Deno.test("latestEvent() pins operator and policy events, not held calls", () => {
  assert.equal(latestEvent([held("requested"), held("granted")]), null);
});

Deno.test("StreamBuffer counts held calls with decisions, apart from operator events", () => {
  const buffer = new StreamBuffer(3, 2);
  const decision = (ts: number): StreamEntry => ({
    kind: "decision",
    proxy: "/p/1.sock",
    label: "kafka-demo",
    notice: decisionNotice("list-topics", ts),
  });
  buffer.add({
    kind: "control",
    proxy: "/p/1.sock",
    label: "kafka-demo",
    notice: { ts: TS - 10, event: "deny", tool: "x", reason: null },
  });
  assert.equal(buffer.add(held("requested")), true);
  assert.equal(buffer.add(held("requested")), false, "the same notice twice is one entry");
  for (let i = 1; i <= 3; i++) buffer.add(decision(TS + i));
  const kinds = buffer.entries().map((e) => e.kind);
  assert.deepEqual(kinds, ["control", "decision", "decision", "decision"]);
});
