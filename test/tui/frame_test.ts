/** buildFrame(): the whole screen, line by line, for every mode and size. */
import assert from "node:assert/strict";
import type { DashboardSnapshot, ProxySnapshot, StreamEntry } from "../../tui/dashboard_state.ts";
import { buildFrame, type FrameOptions } from "../../tui/frame.ts";
import { initialUi, type UiState } from "../../tui/keymap.ts";
import { decisionNotice, makeStatus, tool } from "./fakes.ts";

const NOW = new Date(2025, 0, 2, 12, 0, 0).getTime();

function proxy(pid: number, name: string, overrides: Partial<ProxySnapshot> = {}): ProxySnapshot {
  const path = `/run/intercept/${pid}.sock`;
  const tools = [
    tool("list-topics", { allowed: 4 }),
    tool("produce-message", { posture: "limited", allowed: 9 }),
    tool("delete-topics", { posture: "deny", denied: 1 }),
  ];
  return {
    path,
    label: name,
    link: "connected",
    staleSince: null,
    status: { ...makeStatus(pid, tools, path), name },
    tools: tools.map((t, i) => ({ ...t, quotas: [], perMinute: [3, 40, 0][i], nextSlotAt: null })),
    policyError: null,
    linkError: null,
    perMinute: 43,
    ...overrides,
  };
}

function decisions(path: string, label: string, count: number, from = NOW - 10_000): StreamEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: "decision",
    proxy: path,
    label,
    notice: decisionNotice(i % 2 ? "list-topics" : "produce-message", from + i, {
      rule: `r${i}`,
    }),
  }));
}

function snapshot(overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  const a = proxy(4242, "kafka-prod");
  const b = proxy(4243, "github");
  return {
    now: NOW,
    source: { kind: "dirs", locations: ["/tmp/intercept-1000", "/run/user/1000/intercept"] },
    discovered: true,
    proxies: [a, b],
    stream: [...decisions(a.path, a.label, 30), ...decisions(b.path, b.label, 5, NOW - 5_000)],
    notice: null,
    ...overrides,
  };
}

function screen(snap = snapshot(), ui: UiState = initialUi, options: Partial<FrameOptions> = {}) {
  const frame = buildFrame(snap, ui, { columns: 100, rows: 30, ...options });
  const lines = frame.lines.map((line) => line.segments.map((s) => s.text).join(""));
  return { frame, lines, text: lines.join("\n") };
}

Deno.test("buildFrame() fills the screen exactly, never past its width, at every size", () => {
  for (const [columns, rows] of [[80, 24], [120, 40], [200, 50], [81, 25]]) {
    const { lines } = screen(snapshot(), initialUi, { columns, rows });
    assert.equal(lines.length, rows, `${columns}×${rows}`);
    for (const line of lines) assert.ok(Array.from(line).length <= columns, line);
  }
});

Deno.test("buildFrame() below 80×24 says the terminal is too small instead of clipping", () => {
  for (const [columns, rows] of [[79, 24], [80, 23], [40, 10]]) {
    const { lines, text } = screen(snapshot(), initialUi, { columns, rows });
    assert.equal(lines.length, rows);
    assert.equal(lines[0], "Terminal too small");
    assert.match(text, new RegExp(`this one is ${columns}×${rows}`));
    assert.doesNotMatch(text, /produce-message/);
  }
});

Deno.test("buildFrame() opens on the busiest tools, with the selected one's line below", () => {
  const { lines } = screen();
  const table = lines.findIndex((line) => line.includes("TOOL"));
  assert.match(lines[table], /\/MIN↓/);
  assert.match(lines[table + 1], /^› produce-message/);
  assert.match(lines[table + 2], /^ {2}list-topics/);
  assert.match(lines[table + 3], /^ {2}delete-topics/);
  assert.match(lines[table + 4], /^produce-message: limited · 40 calls in the last minute/);
  const byName = screen(snapshot(), { ...initialUi, sort: "name" }).lines;
  assert.match(byName[table + 1], /^› delete-topics/);
});

Deno.test("buildFrame() streams the selected proxy by default, every proxy with v", () => {
  const own = screen().text;
  assert.match(own, /── decisions · kafka-prod ─/);
  assert.doesNotMatch(own, /^11:59:55/m, "github's decisions are not in kafka-prod's stream");
  assert.match(own, /^11:59:50 ✓ allow/m);
  const all = screen(snapshot(), { ...initialUi, scope: "all" }).text;
  assert.match(all, /── decisions · every proxy ─/);
  assert.match(all, /^\d\d:\d\d:\d\d github\s+✓ allow/m);
  const second = screen(snapshot(), { ...initialUi, proxy: "/run/intercept/4243.sock" }).text;
  assert.match(second, /── decisions · github ─/);
});

Deno.test("buildFrame() keeps the newest operator event in view, pinned, under a flood", () => {
  const base = snapshot();
  const path = base.proxies[0].path;
  const event: StreamEntry = {
    kind: "control",
    proxy: path,
    label: "kafka-prod",
    notice: {
      ts: NOW - 20_000,
      event: "deny",
      tool: "echo",
      reason: "incident",
      by: "ann via ctl",
    },
  };
  const { text } = screen({ ...base, stream: [event, ...base.stream] });
  assert.match(text, /^pinned {3}● operator denied echo \(ann via ctl\): incident$/m);
});

Deno.test("buildFrame() paused: the frozen stream, how many newer, and scrolled back", () => {
  const base = snapshot();
  const frozen = base.stream.filter((e) => e.proxy === base.proxies[0].path).slice(0, 20);
  const ui: UiState = { ...initialUi, paused: { entries: frozen, back: 0 } };
  const { text, lines } = screen(base, ui);
  assert.match(text, /── decisions · kafka-prod · paused \(p follows\) · 10 newer ─/);
  const rows = (text: string[]) => text.filter((line) => /^\d\d:\d\d:\d\d/.test(line));
  assert.match(rows(lines).at(-1)!, / r19 /, "the last frozen entry, not a newer one");
  const back = screen(base, { ...ui, paused: { entries: frozen, back: 5 } });
  assert.match(back.text, /10 newer · 5 back/);
  assert.match(rows(back.lines).at(-1)!, / r14 /);
});

Deno.test("buildFrame() help lists the keys; the error view shows a refused reload whole", () => {
  const help = screen(snapshot(), { ...initialUi, mode: { kind: "help", scroll: 0 } }).text;
  assert.match(help, /^Keys$/m);
  assert.match(help, /^ {2}p {5}pause the stream/m);
  const error = "k.yaml:3:5: " + "a very long located error ".repeat(8) +
    "\nk.yaml:9:1: Bad window";
  const broken = snapshot();
  const proxies = [{ ...broken.proxies[0], policyError: error }, broken.proxies[1]];
  const shown = screen({ ...broken, proxies }, {
    ...initialUi,
    mode: { kind: "error", proxy: proxies[0].path, scroll: 0 },
  });
  assert.match(shown.text, /^Reload refused; the previous policy stays in force:$/m);
  assert.ok(shown.text.replaceAll("\n", "").includes(error.split("\n")[0]), "not cut off");
  assert.match(shown.text, /^k\.yaml:9:1: Bad window$/m);
});

Deno.test("buildFrame() asks to confirm an action on every proxy, naming them", () => {
  const ui: UiState = {
    ...initialUi,
    mode: {
      kind: "confirm",
      action: "deny",
      tool: "produce-message",
      reason: "incident",
      proxies: ["kafka-prod", "github"],
    },
  };
  const { lines } = screen(snapshot(), ui);
  assert.equal(lines.at(-2), "Deny produce-message on all 2 proxies: kafka-prod, github?");
  assert.equal(lines.at(-1), "y sends it · n or Esc cancels");
});

Deno.test("buildFrame() footer: a key's message, else the notice, else the guide", () => {
  const guide = "Try it: ↓ to produce-message, d to deny it live, ? for every key";
  assert.equal(screen(snapshot(), initialUi, { guide }).lines.at(-2), guide);
  const notice = { level: "info" as const, text: "Denied echo on kafka-prod", at: NOW };
  assert.equal(screen(snapshot({ notice }), initialUi, { guide }).lines.at(-2), notice.text);
  const message = { ...initialUi, message: "No tool selected: pick one with ↑ ↓ first" };
  assert.equal(screen(snapshot({ notice }), message).lines.at(-2), message.message);
  assert.match(screen().lines.at(-1)!, /\? help {2}q quit$/);
});

Deno.test("buildFrame() with no proxy says where it looked, or shows the splash", () => {
  const empty = screen(snapshot({ proxies: [], stream: [] })).lines;
  assert.deepEqual(empty.slice(0, 5), [
    "intercept dashboard",
    "No running proxies found.",
    "  looked in /tmp/intercept-1000",
    "  looked in /run/user/1000/intercept",
    "Watching: a proxy shows here as soon as it starts (intercept -c POLICY -- CMD ...).",
  ]);
  assert.equal(empty.at(-1), "? help  q quit");
  const splash = screen(snapshot({ proxies: [], stream: [] }), initialUi, {
    splash: ["Starting the demo…"],
  }).lines;
  assert.equal(splash[1], "Starting the demo…");
});

Deno.test("buildFrame() gives the keys what they need: proxies, names, tools, the stream", () => {
  const { frame } = screen();
  assert.deepEqual(frame.context.proxies, ["/run/intercept/4242.sock", "/run/intercept/4243.sock"]);
  assert.deepEqual(frame.context.everywhere, ["kafka-prod", "github"]);
  assert.deepEqual(frame.context.tools, ["produce-message", "list-topics", "delete-topics"]);
  assert.equal(frame.context.stream.length, 30);
  assert.equal(frame.context.hasError, false);
});
