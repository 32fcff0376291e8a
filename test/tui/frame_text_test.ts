import assert from "node:assert/strict";
import type { ProxySnapshot } from "../../tui/dashboard_state.ts";
import { emptyLines, headerLines, helpLine, proxyTabs } from "../../tui/frame_text.ts";
import type { Segment } from "../../tui/view_model.ts";
import { makeStatus } from "./fakes.ts";

const text = (segments: Segment[]) => segments.map((s) => s.text).join("");

function proxy(overrides: Partial<ProxySnapshot> = {}): ProxySnapshot {
  const path = "/run/intercept/4242.sock";
  return {
    path,
    link: "connected",
    status: makeStatus(4242, [], path),
    tools: [],
    policyError: null,
    linkError: null,
    ...overrides,
  };
}

Deno.test("headerLines() shows upstream, pid, policy, state and sessions within the width", () => {
  const lines = headerLines(proxy(), 80).map(text);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^pid 4242 · npx -y @confluentinc\/mcp-confluent\s+● live$/);
  assert.equal(lines[0].length, 80);
  assert.equal(
    lines[1],
    "policy kafka.yaml (default deny) · state memory · 1 session: claude-code 1.0",
  );
});

Deno.test("headerLines() shows a refused reload and a lost connection", () => {
  const lines = headerLines(
    proxy({
      link: "retrying",
      linkError: "connection closed",
      policyError: "k.yaml:3:5: bad\nk.yaml:4:1: worse",
    }),
    80,
  ).map(text);
  assert.match(lines[0], /○ reconnecting: connection closed$/);
  assert.equal(lines[2], "✗ reload refused: k.yaml:3:5: bad (+1 more)");
  const unknown = headerLines(proxy({ status: null, link: "connecting" }), 80).map(text);
  assert.match(unknown[0], /^4242\.sock · \/run\/intercept\/4242\.sock\s+○ connecting$/);
});

Deno.test("proxyTabs() marks the selected proxy and the disconnected ones", () => {
  const a = proxy();
  const b = proxy({ path: "/run/intercept/7.sock", status: null, link: "retrying" });
  assert.equal(text(proxyTabs([a, b], a.path, 80)), "proxies [pid 4242]  ○7.sock  ");
  assert.equal(text(proxyTabs([a, b], b.path, 80)), "proxies  pid 4242  [○7.sock] ");
});

Deno.test("emptyLines() says where it looked, and that it keeps watching", () => {
  assert.deepEqual(emptyLines({ kind: "dir", location: "/run/user/1/intercept" }, false), [
    "Looking for proxies in /run/user/1/intercept…",
  ]);
  const [first, second] = emptyLines({ kind: "dir", location: "/run/user/1/intercept" }, true);
  assert.equal(first, "No running proxies found in /run/user/1/intercept");
  assert.match(second, /^Watching/);
  assert.equal(
    emptyLines({ kind: "path", location: "/tmp/a.sock" }, true)[0],
    "No proxy is listening on /tmp/a.sock",
  );
});

Deno.test("helpLine() fits 80 columns and drops what does not fit", () => {
  const line = helpLine(80);
  assert.ok(line.length <= 80);
  assert.match(line, /d deny.*q quit$/);
  assert.equal(line.length, 80, "every key shows at 80 columns");
  assert.equal(helpLine(20), "↑↓ move  d deny");
  assert.equal(helpLine(0), "");
});
