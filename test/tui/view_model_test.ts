import assert from "node:assert/strict";
import type { StreamEntry, ToolSnapshot } from "../../tui/dashboard_state.ts";
import {
  postureColour,
  postureLabel,
  quotaCell,
  type Segment,
  streamColumns,
  streamLine,
  tightestQuota,
  toolColumns,
  toolHeader,
  toolRow,
} from "../../tui/view_model.ts";
import { decisionNotice, quota } from "./fakes.ts";

const text = (segments: Segment[]) => segments.map((s) => s.text).join("");
const NOW = 1_700_000_000_000;

function toolSnapshot(overrides: Partial<ToolSnapshot> = {}): ToolSnapshot {
  return {
    name: "produce-message",
    posture: "limited",
    allowed: 12,
    denied: 3,
    quotas: [],
    ...overrides,
  };
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

Deno.test("toolColumns() fills 80 columns exactly, and grows the name first when wider", () => {
  for (const width of [80, 100, 120, 200]) {
    const c = toolColumns(width);
    const total = c.marker + c.name + c.posture + c.allowed + c.denied + c.quota + c.reset + 5;
    assert.equal(total, width, `width ${width}`);
    assert.equal(toolHeader(c).length, width);
  }
  assert.equal(toolColumns(80).name, 28);
  assert.equal(toolColumns(80).quota, 18);
  assert.ok(toolColumns(120).name > 28 && toolColumns(120).quota === 30);
});

Deno.test("toolColumns() squeezes the name below 80 columns instead of failing", () => {
  const c = toolColumns(50);
  assert.ok(c.name >= 0 && c.quota >= 0);
  assert.equal(toolColumns(10).name, 0);
});

Deno.test("toolRow() shows posture, counts, the tightest quota's bar and its reset time", () => {
  const tool = toolSnapshot({
    quotas: [
      {
        ...quota({ rule: "hourly", max: 100, remaining: 90, resetInMs: 3_600_000 }),
        observedAt: NOW,
      },
      { ...quota({ rule: "minute", max: 30, remaining: 3, resetInMs: 90_000 }), observedAt: NOW },
    ],
  });
  const segments = toolRow(tool, toolColumns(80), { selected: true, now: NOW + 10_000 });
  const line = text(segments);
  assert.equal(line.length, 80);
  assert.match(line, /^› produce-message\s+limited\s+12\s+3 █░+ 3\/30\s+1m20s$/);
  assert.equal(segments[2].colour, "yellow");
  assert.equal(segments[5].colour, "yellow", "3 of 30 left is low");
});

Deno.test("toolRow() shows a dash for a tool without quotas, and cuts a long name", () => {
  const tool = toolSnapshot({ name: "a-tool-name-that-is-far-too-long-to-fit", posture: "allow" });
  const line = text(toolRow(tool, toolColumns(80), { selected: false, now: NOW }));
  assert.equal(line.length, 80);
  assert.match(line, /^ {2}a-tool-name-that-is-far-too…/);
  assert.match(line, / - {17} {7}$/);
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

Deno.test("streamLine() shows a deny in red with its rule and reason, fitted to the width", () => {
  const ts = new Date(2025, 0, 2, 12, 0, 1).getTime();
  const notice = decisionNotice("produce-message", ts, {
    decision: "deny",
    rule: "produce-limit",
    reason: "Rate limit 30/minute exceeded",
  });
  const entry: StreamEntry = { kind: "decision", proxy: "/p", pid: 4242, notice };
  const segments = streamLine(entry, 80, { showPid: false });
  const line = text(segments);
  assert.match(
    line,
    /^12:00:01 ✗ deny {2}produce-message\s+produce-limit\s+Rate limit 30\/minute exceeded$/,
  );
  assert.ok(line.length <= 80);
  assert.ok(segments.some((s) => s.text.includes("deny") && s.colour === "red"));
  const narrow = text(streamLine(entry, 60, { showPid: true }));
  assert.equal(narrow.length, 60);
  assert.match(narrow, /^12:00:01 4242 {4}✗ deny .*…$/);
});

Deno.test("streamLine() shows an allow in green, and policy and operator events", () => {
  const ts = new Date(2025, 0, 2, 12, 0, 2).getTime();
  const allow = decisionNotice("list-topics", ts);
  const allowLine = streamLine({ kind: "decision", proxy: "/p", pid: 1, notice: allow }, 80, {
    showPid: false,
  });
  assert.match(text(allowLine), /^12:00:02 ✓ allow list-topics\s+allow-reads\s*$/);
  assert.equal(allowLine[1].colour, "green");
  const refused = streamLine(
    {
      kind: "policy",
      proxy: "/p",
      pid: 1,
      notice: {
        ts,
        event: "reload_failed",
        source: "k.yaml",
        error: "k.yaml:1:1: bad\nmore",
        toolsChanged: false,
      },
    },
    80,
    { showPid: false },
  );
  assert.equal(text(refused), "12:00:02 ✗ reload refused, old policy kept: k.yaml:1:1: bad");
  const denied = streamLine(
    {
      kind: "control",
      proxy: "/p",
      pid: 1,
      notice: { ts, event: "deny", tool: "produce-message", reason: "incident" },
    },
    80,
    { showPid: false },
  );
  assert.equal(text(denied), "12:00:02 ● operator denied produce-message: incident");
});

Deno.test("streamColumns() fits the longest tool and rule shown, within caps", () => {
  const entries: StreamEntry[] = [
    {
      kind: "decision",
      proxy: "/p",
      pid: 1,
      notice: decisionNotice("echo", 1, { rule: "default" }),
    },
    {
      kind: "decision",
      proxy: "/p",
      pid: 1,
      notice: decisionNotice("alter-topic-config", 2, { rule: "known topics only" }),
    },
  ];
  assert.deepEqual(streamColumns(entries, 100, { showPid: false }), { tool: 18, rule: 17 });
  assert.deepEqual(streamColumns(entries, 80, { showPid: true }), { tool: 18, rule: 16 });
  assert.deepEqual(streamColumns(entries, 40, { showPid: true }), { tool: 12, rule: 10 });
  assert.deepEqual(streamColumns([], 80, { showPid: false }), { tool: 4, rule: 4 });
  const line = streamLine(entries[0], 80, { showPid: false, columns: { tool: 18, rule: 17 } });
  assert.equal(
    line.map((s) => s.text).join(""),
    `${line[0].text}✓ allow echo${" ".repeat(15)}default${" ".repeat(11)}`,
  );
});

Deno.test("toolRow() leaves the reset column empty for a quota nothing has used", () => {
  const tool = toolSnapshot({
    quotas: [{
      ...quota({ rule: "minute", max: 30, remaining: 30, resetInMs: 0 }),
      observedAt: NOW,
    }],
  });
  const line = text(toolRow(tool, toolColumns(80), { selected: false, now: NOW }));
  assert.equal(line.length, 80);
  assert.match(line, / 30\/30 {7}$/);
  assert.doesNotMatch(line, /0s$/);
});
