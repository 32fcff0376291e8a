import assert from "node:assert/strict";
import type { StreamEntry } from "../../tui/dashboard_state.ts";
import {
  collapseStream,
  latestEvent,
  streamColumns,
  streamLine,
  type StreamRow,
} from "../../tui/stream_view.ts";
import type { Segment } from "../../tui/view_model.ts";
import { decisionNotice } from "./fakes.ts";

const text = (segments: Segment[]) => segments.map((s) => s.text).join("");
const TS = new Date(2025, 0, 2, 12, 0, 1).getTime();

function entry(
  tool: string,
  ts: number,
  overrides: Parameters<typeof decisionNotice>[2] = {},
  proxy = "/p/1.sock",
): StreamEntry {
  return {
    kind: "decision",
    proxy,
    label: "kafka-prod",
    notice: decisionNotice(tool, ts, overrides),
  };
}

const row = (e: StreamEntry, count = 1): StreamRow => ({ entry: e, count });

Deno.test("streamLine() shows a deny with its rule, caller and reason, fitted to the width", () => {
  const e = entry("produce-message", TS, {
    decision: "deny",
    rule: "produce-limit",
    reason: "Rate limit 30/minute exceeded",
  });
  const columns = streamColumns([row(e)], 100, { showProxy: false });
  const segments = streamLine(row(e), 100, columns);
  const line = text(segments);
  assert.match(
    line,
    /^12:00:01 ✗ deny {2}produce-message produce-limit claude-code Rate limit 30\/minute exceeded$/,
  );
  assert.ok(segments.some((s) => s.text.includes("deny") && s.colour === "red"));
  const narrow = text(streamLine(row(e), 60, streamColumns([row(e)], 60, { showProxy: true })));
  assert.equal(narrow.length, 60);
  assert.match(narrow, /^12:00:01 kafka-prod ✗ deny .*…$/);
});

Deno.test("streamLine() leaves the rule out for an allow by the tool's own entry", () => {
  const own = entry("list-topics", TS, { rule: "list-topics" });
  const glob = entry("delete-topics", TS, { rule: "delete-*" });
  const columns = streamColumns([row(own), row(glob)], 100, { showProxy: false });
  assert.match(
    text(streamLine(row(own), 100, columns)),
    /^12:00:01 ✓ allow list-topics\s+claude-code\s*$/,
  );
  assert.match(text(streamLine(row(glob), 100, columns)), /delete-topics delete-\* claude-code/);
});

Deno.test("streamLine() names the caller: client, else the session, and the principal", () => {
  const anonymous = entry("echo", TS, {
    client: null,
    session: "3f2a91bc-77",
    principal: "uid:ann",
  });
  const columns = streamColumns([row(anonymous)], 140, { showProxy: false });
  assert.match(
    text(streamLine(row(anonymous), 140, columns)),
    /echo allow-reads session 3f2a91bc uid:ann $/,
  );
  // Below 100 columns the caller shows only when the rows come from several callers.
  const one = [row(entry("echo", TS)), row(entry("echo", TS + 1))];
  const narrow = streamColumns(one, 80, { showProxy: false });
  assert.equal(narrow.who, 0);
  assert.match(text(streamLine(one[0], 80, narrow)), /^12:00:01 ✓ allow echo allow-reads $/);
  const two = [...one, row(entry("echo", TS + 2, { client: "cursor" }))];
  assert.equal(streamColumns(two, 80, { showProxy: false }).who, 11);
});

Deno.test("collapseStream() folds identical decisions in a row into one line with a count", () => {
  const same = (ts: number) => entry("echo", ts, { decision: "deny", reason: "no", rule: "r" });
  const rows = collapseStream([
    same(1),
    same(2),
    same(3),
    entry("echo", 4),
    same(5),
    entry("echo", 6, { decision: "deny", reason: "no", rule: "r" }, "/p/2.sock"),
  ]);
  assert.deepEqual(rows.map((r) => [r.entry.notice.ts, r.count]), [[3, 3], [4, 1], [5, 1], [6, 1]]);
  const columns = streamColumns(rows, 80, { showProxy: false });
  assert.match(text(streamLine(rows[0], 80, columns)), / no ×3$/);
});

Deno.test("streamLine() shows policy and operator events, with who acted", () => {
  const refused: StreamEntry = {
    kind: "policy",
    proxy: "/p",
    label: "kafka",
    notice: {
      ts: TS,
      event: "reload_failed",
      source: "k.yaml",
      error: "k.yaml:1:1: bad\nmore",
      toolsChanged: false,
    },
  };
  const columns = streamColumns([], 100, { showProxy: false });
  assert.equal(
    text(streamLine(row(refused), 100, columns)),
    "12:00:01 ✗ reload refused, old policy kept (e shows why): k.yaml:1:1: bad",
  );
  const denied: StreamEntry = {
    kind: "control",
    proxy: "/p",
    label: "kafka",
    notice: { ts: TS, event: "deny", tool: "produce-*", reason: "incident", by: "ann via ctl" },
  };
  assert.equal(
    text(streamLine(row(denied), 100, columns)),
    "12:00:01 ● operator denied produce-* (ann via ctl): incident",
  );
  assert.equal(latestEvent([refused, denied, entry("echo", TS + 1)]), denied);
  assert.equal(latestEvent([entry("echo", TS)]), null);
});

Deno.test("streamColumns() fits the longest values shown, within caps", () => {
  const rows = [
    row(entry("echo", 1, { rule: "default" })),
    row(entry("alter-topic-config", 2, { rule: "known topics only" })),
  ];
  assert.deepEqual(streamColumns(rows, 100, { showProxy: false }), {
    proxy: 0,
    tool: 18,
    rule: 16,
    who: 11,
  });
  assert.deepEqual(streamColumns(rows, 80, { showProxy: true }).proxy, 10);
  assert.deepEqual(streamColumns([], 100, { showProxy: false }), {
    proxy: 0,
    tool: 4,
    rule: 4,
    who: 3,
  });
});
