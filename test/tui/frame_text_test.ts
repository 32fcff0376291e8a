import assert from "node:assert/strict";
import type { ProxySnapshot, ToolSnapshot } from "../../tui/dashboard_state.ts";
import {
  emptyLines,
  errorLines,
  headerLines,
  helpLine,
  helpLines,
  KEYS,
  proxyTabs,
  toolLine,
  tooSmallLines,
  wrapSegments,
} from "../../tui/frame_text.ts";
import type { Segment } from "../../tui/view_model.ts";
import { makeStatus, quota } from "./fakes.ts";

const text = (segments: Segment[]) => segments.map((s) => s.text).join("");
const NOW = 1_700_000_000_000;

function proxy(overrides: Partial<ProxySnapshot> = {}): ProxySnapshot {
  const path = "/run/intercept/4242.sock";
  return {
    path,
    label: "pid 4242",
    link: "connected",
    staleSince: null,
    status: makeStatus(4242, [], path),
    tools: [],
    policyError: null,
    linkError: null,
    perMinute: 0,
    ...overrides,
  };
}

function tool(overrides: Partial<ToolSnapshot> = {}): ToolSnapshot {
  return {
    name: "produce-message",
    posture: "limited",
    allowed: 1,
    denied: 0,
    quotas: [],
    perMinute: 12,
    nextSlotAt: null,
    ...overrides,
  };
}

Deno.test("headerLines() shows upstream, pid, policy, state and sessions within the width", () => {
  const lines = headerLines(proxy(), 80, NOW).map(text);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^pid 4242 · npx -y @confluentinc\/mcp-confluent\s+● live$/);
  assert.equal(lines[0].length, 80);
  assert.equal(
    lines[1],
    "policy kafka.yaml (default deny) · state memory · 1 session: claude-code 1.0",
  );
});

Deno.test("headerLines() names the proxy, then its pid and the server's name", () => {
  const status = {
    ...makeStatus(4242, [], "/p"),
    name: "kafka-prod",
    server: { name: "mcp-confluent", version: "1.5.0" },
  };
  const [first] = headerLines(proxy({ label: "kafka-prod", status }), 100, NOW).map(text);
  assert.match(first, /^kafka-prod · pid 4242 · mcp-confluent 1\.5\.0\s+● live$/);
  const same = { ...status, name: "mcp-confluent" };
  const [own] = headerLines(proxy({ label: "mcp-confluent", status: same }), 100, NOW).map(text);
  assert.match(own, /^mcp-confluent · pid 4242 · version 1\.5\.0\s+● live$/);
});

Deno.test("headerLines() marks a proxy that missed a poll, and says for how long", () => {
  const [first] = headerLines(proxy({ staleSince: NOW - 4_000 }), 80, NOW).map(text);
  assert.match(first, /◌ no answer for 4s$/);
});

Deno.test("headerLines() shows a refused reload and a lost connection", () => {
  const lines = headerLines(
    proxy({
      link: "retrying",
      linkError: "connection closed",
      policyError: "k.yaml:3:5: bad\nk.yaml:4:1: worse",
    }),
    80,
    NOW,
  ).map(text);
  assert.match(lines[0], /○ reconnecting: connection closed$/);
  assert.equal(lines[2], "✗ reload refused (e shows all) k.yaml:3:5: bad (+1 more)");
  const unknown = headerLines(
    proxy({ status: null, link: "connecting", label: "4242.sock" }),
    80,
    NOW,
  ).map(text);
  assert.match(unknown[0], /^4242\.sock · \/run\/intercept\/4242\.sock\s+○ connecting$/);
});

Deno.test("proxyTabs() marks the selected proxy, the disconnected and the stale ones", () => {
  const a = proxy();
  const b = proxy({
    path: "/run/intercept/7.sock",
    label: "7.sock",
    status: null,
    link: "retrying",
  });
  const c = proxy({ path: "/run/intercept/8.sock", label: "github", staleSince: NOW });
  assert.equal(text(proxyTabs([a, b, c], a.path, 80)), "proxies [pid 4242]  ○7.sock   ◌github  ");
  assert.equal(text(proxyTabs([a, b], b.path, 80)), "proxies  pid 4242  [○7.sock] ");
});

Deno.test("toolLine() tells the selected tool's quota, next slot and rate, or its live deny", () => {
  const spent = tool({
    quotas: [{ ...quota({ remaining: 0, max: 30, resetInMs: 60_000 }), observedAt: NOW }],
    nextSlotAt: NOW + 12_000,
  });
  assert.equal(
    text(toolLine(spent, proxy(), 200, NOW)),
    "produce-message: limited · 0/30 left of produce-limit (per session) · whole again in 1m · " +
      "next call passes in 12s · 12 calls in the last minute",
  );
  const denied = tool({ posture: "live-deny", liveDenyReason: "incident 42" });
  const status = {
    ...makeStatus(4242, [], "/p"),
    liveDenies: [{ tool: "produce-message", reason: "incident 42", at: NOW, by: "ann via ctl" }],
  };
  assert.match(
    text(toolLine(denied, proxy({ status }), 200, NOW)),
    /^produce-message: live-denied ann via ctl at \d\d:\d\d:\d\d · incident 42$/,
  );
  assert.equal(text(toolLine(null, proxy(), 80, NOW)), "No tool selected");
});

Deno.test("emptyLines() says every place it looked, and that it keeps watching", () => {
  const source = {
    kind: "dirs" as const,
    locations: ["/tmp/intercept-1", "/run/user/1/intercept"],
  };
  assert.deepEqual(emptyLines(source, false), [
    "Looking for proxies in /tmp/intercept-1, /run/user/1/intercept…",
  ]);
  const lines = emptyLines(source, true);
  assert.equal(lines[0], "No running proxies found.");
  assert.deepEqual(lines.slice(1, 3), [
    "  looked in /tmp/intercept-1",
    "  looked in /run/user/1/intercept",
  ]);
  assert.match(lines[3], /^Watching/);
  assert.equal(
    emptyLines({ kind: "path", location: "/tmp/a.sock" }, true)[0],
    "No proxy is listening on /tmp/a.sock",
  );
  assert.deepEqual(emptyLines(source, true, ["Starting the demo…"]), ["Starting the demo…"]);
});

Deno.test("helpLines() lists every key the keymap handles", () => {
  const help = helpLines().map(text).join("\n");
  for (
    const key of [
      "↑ ↓",
      "tab",
      "d",
      "a",
      "D",
      "A",
      "x",
      "r",
      "e",
      "s",
      "/",
      "p",
      "v",
      "?",
      "q",
      "Esc",
    ]
  ) {
    assert.ok(KEYS.some(([k]) => k === key), `${key} is listed`);
    assert.match(help, new RegExp(`^  ${key.replace(/[?/]/g, "\\$&")} `, "m"));
  }
});

Deno.test("errorLines() and wrapSegments() show every located error whole", () => {
  const long = `k.yaml:3:5: ${"x".repeat(150)}`;
  const lines = wrapSegments(errorLines(`${long}\nk.yaml:9:1: Bad window`), 80).map(text);
  assert.match(lines[0], /^Reload refused/);
  assert.equal(lines[1].length, 80);
  assert.equal(lines[1] + lines[2], long.slice(0, 160));
  assert.ok(lines.includes("k.yaml:9:1: Bad window"));
});

Deno.test("tooSmallLines() says what the dashboard needs and what it has", () => {
  assert.deepEqual(tooSmallLines(60, 20), [
    "Terminal too small",
    "The dashboard needs 80×24;",
    "this one is 60×20.",
    "Enlarge it, or q to quit.",
  ]);
});

Deno.test("helpLine() fits the width and always keeps ? and q", () => {
  const line = helpLine(80);
  assert.ok(line.length <= 80);
  assert.match(line, /^↑↓ move {2}d deny.*\? help {2}q quit$/);
  assert.equal(helpLine(31), "↑↓ move  d deny  ? help  q quit");
  assert.equal(helpLine(30), "↑↓ move  ? help  q quit");
  assert.equal(helpLine(0), "");
});
