import assert from "node:assert/strict";
import type { StreamEntry, ToolSnapshot } from "../../tui/dashboard_state.ts";
import {
  cycle,
  filterStream,
  filterTools,
  layoutRows,
  matchesFilter,
  moveSelection,
  resolveSelection,
  scrollStart,
  sortTools,
  streamOf,
  tooSmall,
} from "../../tui/navigation.ts";
import { decisionNotice } from "./fakes.ts";

const tools: ToolSnapshot[] = ["list-topics", "produce-message", "delete-topics"].map((name) => ({
  name,
  posture: name === "delete-topics" ? "deny" : "allow",
  allowed: 0,
  denied: 0,
  quotas: [],
  perMinute: 0,
  nextSlotAt: null,
}));

Deno.test("matchesFilter() needs every word, in any case; an empty filter matches all", () => {
  assert.equal(matchesFilter("produce-message limited", "PRODUCE lim"), true);
  assert.equal(matchesFilter("produce-message limited", "produce deny"), false);
  assert.equal(matchesFilter("anything", "  "), true);
});

Deno.test("filterTools() keeps the tools whose name or posture match", () => {
  assert.deepEqual(filterTools(tools, "topics").map((t) => t.name), [
    "list-topics",
    "delete-topics",
  ]);
  assert.deepEqual(filterTools(tools, "deny").map((t) => t.name), ["delete-topics"]);
  assert.deepEqual(filterTools(tools, "nothing-like-it"), []);
});

Deno.test("filterStream() matches tool, verdict, rule and reason", () => {
  const entries: StreamEntry[] = [
    { kind: "decision", proxy: "/p", label: "kafka", notice: decisionNotice("list-topics", 1) },
    {
      kind: "decision",
      proxy: "/p",
      label: "kafka",
      notice: decisionNotice("produce-message", 2, {
        decision: "deny",
        rule: "limit",
        reason: "Rate limit hit",
      }),
    },
    {
      kind: "control",
      proxy: "/p",
      label: "kafka",
      notice: { ts: 3, event: "deny", tool: "produce-message", reason: null },
    },
  ];
  assert.equal(filterStream(entries, "").length, 3);
  assert.deepEqual(filterStream(entries, "rate LIMIT").map((e) => e.notice.ts), [2]);
  assert.deepEqual(filterStream(entries, "produce").map((e) => e.notice.ts), [2, 3]);
  assert.deepEqual(filterStream(entries, "allow-reads").map((e) => e.notice.ts), [1]);
  assert.deepEqual(filterStream(entries, "zzz"), []);
});

Deno.test("moveSelection() moves and stops at either end", () => {
  const names = ["a", "b", "c"];
  assert.equal(moveSelection(names, "a", 1), "b");
  assert.equal(moveSelection(names, "c", 1), "c");
  assert.equal(moveSelection(names, "a", -1), "a");
  assert.equal(moveSelection(names, "b", Infinity), "c");
  assert.equal(moveSelection(names, "b", -Infinity), "a");
});

Deno.test("moveSelection() starts from an end when nothing is selected, and handles no items", () => {
  assert.equal(moveSelection(["a", "b"], null, 1), "a");
  assert.equal(moveSelection(["a", "b"], "gone", -1), "b");
  assert.equal(moveSelection([], "a", 1), null);
});

Deno.test("resolveSelection() keeps a visible selection and falls back to the first", () => {
  assert.equal(resolveSelection(["a", "b"], "b"), "b");
  assert.equal(resolveSelection(["a", "b"], "filtered-out"), "a");
  assert.equal(resolveSelection([], "a"), null);
});

Deno.test("cycle() wraps around both ways", () => {
  assert.equal(cycle(["a", "b", "c"], "c", 1), "a");
  assert.equal(cycle(["a", "b", "c"], "a", -1), "c");
  assert.equal(cycle(["a"], null, 1), "a");
  assert.equal(cycle([], null, 1), null);
});

Deno.test("scrollStart() keeps the selected row in view", () => {
  assert.equal(scrollStart(5, 4, 10), 0, "everything fits");
  assert.equal(scrollStart(30, 0, 10), 0);
  assert.equal(scrollStart(30, 15, 10), 10);
  assert.equal(scrollStart(30, 29, 10), 20);
  assert.equal(scrollStart(30, 5, 0), 0);
});

Deno.test("layoutRows() splits 80x24 between tools and the stream, both visible", () => {
  assert.deepEqual(layoutRows(24, 2, 4), { toolRows: 4, streamRows: 13 });
  assert.deepEqual(layoutRows(24, 2, 40), { toolRows: 10, streamRows: 7 });
  assert.deepEqual(layoutRows(24, 4, 0), { toolRows: 1, streamRows: 14 });
});

Deno.test("layoutRows() gives a tiny terminal what it can and never a negative count", () => {
  assert.deepEqual(layoutRows(8, 2, 10), { toolRows: 1, streamRows: 0 });
  assert.deepEqual(layoutRows(3, 2, 10), { toolRows: 0, streamRows: 0 });
});

Deno.test("tooSmall() below 80 columns or 24 rows", () => {
  assert.equal(tooSmall(80, 24), false);
  assert.equal(tooSmall(79, 50), true);
  assert.equal(tooSmall(200, 23), true);
});

Deno.test("sortTools() puts the busiest first, ties by name; or sorts by name", () => {
  const busy = tools.map((tool, i) => ({ ...tool, perMinute: [5, 40, 5][i] }));
  assert.deepEqual(sortTools(busy, "activity").map((t) => t.name), [
    "produce-message",
    "delete-topics",
    "list-topics",
  ]);
  assert.deepEqual(sortTools(busy, "name").map((t) => t.name), [
    "delete-topics",
    "list-topics",
    "produce-message",
  ]);
});

Deno.test("streamOf() keeps one proxy's entries, or all of them", () => {
  const entries: StreamEntry[] = ["/a", "/b", "/a"].map((proxy, i) => ({
    kind: "decision",
    proxy,
    label: proxy,
    notice: decisionNotice("echo", i),
  }));
  assert.deepEqual(streamOf(entries, "/a").map((e) => e.notice.ts), [0, 2]);
  assert.equal(streamOf(entries, null), entries);
});
