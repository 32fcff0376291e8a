import assert from "node:assert/strict";
import type { ToolSnapshot } from "../../tui/dashboard_state.ts";
import {
  liveDenyText,
  nextSlotIn,
  postureColour,
  postureLabel,
  quotaCell,
  type Segment,
  tightestQuota,
  toolColumns,
  toolHeader,
  toolRow,
} from "../../tui/view_model.ts";
import { quota } from "./fakes.ts";

const text = (segments: Segment[]) => segments.map((s) => s.text).join("");
const NOW = 1_700_000_000_000;

function toolSnapshot(overrides: Partial<ToolSnapshot> = {}): ToolSnapshot {
  return {
    name: "produce-message",
    posture: "limited",
    allowed: 12,
    denied: 3,
    quotas: [],
    perMinute: 0,
    nextSlotAt: null,
    ...overrides,
  };
}

function widthOf(c: ReturnType<typeof toolColumns>): number {
  const cells = c.marker + c.name + c.posture + c.rate + c.allowed + c.denied + c.quota +
    c.next + c.reset;
  return cells + 7 + (c.detail > 0 ? c.detail + 1 : 0);
}

Deno.test("postureLabel() and postureColour() name and colour every posture", () => {
  assert.equal(postureLabel("live-deny"), "live-deny");
  assert.equal(postureColour("allow"), "green");
  assert.equal(postureColour("deny"), "red");
  assert.equal(postureColour("limited"), "yellow");
  assert.equal(postureColour("hidden"), "gray");
  assert.equal(postureLabel("unknown" as never), "unknown");
  assert.equal(postureColour("unknown" as never), "white");
});

Deno.test("toolColumns() fills the width exactly at every size from 80 columns", () => {
  for (const width of [80, 81, 100, 120, 160, 200, 300]) {
    for (const longest of [4, 15, 28, 60]) {
      const c = toolColumns(width, longest);
      assert.equal(widthOf(c), width, `width ${width}, longest name ${longest}`);
      assert.equal(toolHeader(c, "activity").length, width);
    }
  }
});

Deno.test("toolColumns() gives names their room before the quota bar grows, TOOL up to 40", () => {
  // At 80 columns a 28-character name is whole, the quota keeps its count.
  const narrow = toolColumns(80, 28);
  assert.equal(narrow.name, 25, "what 80 columns leave above the quota's minimum");
  assert.equal(narrow.quota, 9);
  const roomy = toolColumns(100, 28);
  assert.equal(roomy.name, 28);
  assert.equal(roomy.quota, 26);
  // At 200 columns TOOL stops at 40, the bar at 30, and the live-deny detail takes the rest.
  const wide = toolColumns(200, 60);
  assert.deepEqual([wide.name, wide.quota, wide.detail], [40, 30, 83]);
  assert.equal(toolColumns(200, 10).name, 12, "never narrower than 12");
});

Deno.test("toolRow() shows posture, rate, counts, the tightest quota's bar and its reset", () => {
  const tool = toolSnapshot({
    perMinute: 42,
    quotas: [
      {
        ...quota({ rule: "hourly", max: 100, remaining: 90, resetInMs: 3_600_000 }),
        observedAt: NOW,
      },
      { ...quota({ rule: "minute", max: 30, remaining: 3, resetInMs: 90_000 }), observedAt: NOW },
    ],
  });
  const segments = toolRow(tool, toolColumns(100, 15), { selected: true, now: NOW + 10_000 });
  const line = text(segments);
  assert.equal(line.length, 100);
  assert.match(line, /^› produce-message\s+limited\s+42\s+12\s+3 █+░+ 3\/30\s+1m20s$/);
  assert.equal(segments[2].colour, "yellow");
  assert.equal(segments[6].colour, "yellow", "3 of 30 left is low");
});

Deno.test("toolRow() shows a dash for a tool without quotas, and cuts a long name", () => {
  const tool = toolSnapshot({ name: "a-tool-name-that-is-far-too-long-to-fit", posture: "allow" });
  const line = text(toolRow(tool, toolColumns(80, 39), { selected: false, now: NOW }));
  assert.equal(line.length, 80);
  assert.match(line, /^ {2}a-tool-name-that-is-far-… allow/);
  assert.match(line, / - {8} {6} {7}$/);
});

Deno.test("toolRow() leaves the reset column empty for a quota nothing has used", () => {
  const tool = toolSnapshot({
    quotas: [{
      ...quota({ rule: "minute", max: 30, remaining: 30, resetInMs: 0 }),
      observedAt: NOW,
    }],
  });
  const line = text(toolRow(tool, toolColumns(80, 15), { selected: false, now: NOW }));
  assert.equal(line.length, 80);
  assert.match(line, / 30\/30 {13}$/);
});

Deno.test("nextSlotIn() is shown only when the quota is spent and the slot comes before RESET", () => {
  const spent = [{ ...quota({ remaining: 0, max: 30, resetInMs: 60_000 }), observedAt: NOW }];
  const tool = toolSnapshot({ quotas: spent, nextSlotAt: NOW + 12_000 });
  assert.equal(nextSlotIn(tool, NOW), 12_000);
  const line = text(toolRow(tool, toolColumns(80, 15), { selected: false, now: NOW }));
  assert.match(line, / 0\/30\s+12s\s+1m$/);
  assert.equal(nextSlotIn({ ...tool, nextSlotAt: NOW + 60_000 }, NOW), null, "same as RESET");
  assert.equal(nextSlotIn({ ...tool, nextSlotAt: NOW - 1 }, NOW), null, "already open");
  const left = [{ ...quota({ remaining: 4, max: 30, resetInMs: 60_000 }), observedAt: NOW }];
  assert.equal(nextSlotIn({ ...tool, quotas: left }, NOW), null, "a call passes now");
});

Deno.test("toolRow() shows who live-denied a tool, when and why, where the screen has room", () => {
  const at = new Date(2025, 0, 2, 11, 33, 15).getTime();
  const tool = toolSnapshot({
    posture: "live-deny",
    liveDenyReason: "incident 42",
    liveDenyPattern: "produce-*",
  });
  const liveDenies = [{ tool: "produce-*", reason: "incident 42", at, by: "ann via ctl" }];
  assert.equal(
    liveDenyText(tool, liveDenies),
    "by pattern produce-* · ann via ctl at 11:33:15 · incident 42",
  );
  const wide = text(toolRow(tool, toolColumns(200, 15), { selected: false, now: NOW, liveDenies }));
  assert.match(wide, /live-deny\*.*by pattern produce-\* · ann via ctl at 11:33:15 · incident 42/);
  const narrow = text(
    toolRow(tool, toolColumns(80, 15), { selected: false, now: NOW, liveDenies }),
  );
  assert.doesNotMatch(narrow, /ann via ctl/);
  assert.equal(liveDenyText(toolSnapshot(), liveDenies), null);
});

Deno.test("tightestQuota() counts the reset down and never below zero", () => {
  const quotas = [{ ...quota({ remaining: 5, resetInMs: 30_000 }), observedAt: NOW }];
  assert.equal(tightestQuota(quotas, NOW + 10_000)?.resetInMs, 20_000);
  assert.equal(tightestQuota(quotas, NOW + 99_000)?.resetInMs, 0);
  assert.equal(tightestQuota([], NOW), null);
});

Deno.test("quotaCell() shrinks the bar so the count always shows", () => {
  assert.equal(quotaCell({ remaining: 3, max: 30 }, 18), "█░░░░░░░░░░░░ 3/30");
  assert.equal(quotaCell({ remaining: 300, max: 1000 }, 10), "300/1000  ");
  assert.equal(quotaCell(null, 5), "-    ");
});
