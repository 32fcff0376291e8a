/**
 * The text around the two tables, as pure functions: the selected proxy's header, the proxy
 * tabs, the selected tool's line, the screen shown when no proxy runs, the help, the full
 * error of a refused reload, and the screen for a terminal too small.
 */
import type { ProxySnapshot, ToolSnapshot } from "./dashboard_state.ts";
import { fit, formatDuration, oneLine, textWidth, truncate } from "./format.ts";
import type { WatchSource } from "./proxy_link.ts";
import { MIN_COLUMNS, MIN_ROWS } from "./navigation.ts";
import {
  fitSegments,
  liveDenyText,
  nextSlotIn,
  postureLabel,
  type Segment,
  storeSegment,
  tightestQuota,
} from "./view_model.ts";

/** The header of the selected proxy: what it runs, its policy, state and sessions. */
export function headerLines(proxy: ProxySnapshot, width: number, now: number): Segment[][] {
  const status = proxy.status;
  const link: Segment = proxy.link !== "connected"
    ? proxy.link === "connecting"
      ? { text: "○ connecting", colour: "yellow" }
      : { text: `○ reconnecting${proxy.linkError ? `: ${proxy.linkError}` : ""}`, colour: "red" }
    : proxy.staleSince !== null
    ? { text: `◌ no answer for ${formatDuration(now - proxy.staleSince)}`, colour: "yellow" }
    : { text: "● live", colour: "green" };
  const parts = [proxy.label];
  if (status) {
    if (!proxy.label.startsWith("pid ")) parts.push(`pid ${status.pid}`);
    // The server's own name reads better than the command line that started it.
    const server = status.server;
    if (!server) parts.push(status.upstream.command.join(" "));
    else if (server.name !== proxy.label) parts.push(`${server.name} ${server.version}`.trim());
    else if (server.version) parts.push(`version ${server.version}`);
  } else parts.push(proxy.path);
  const linkText = truncate(link.text, Math.floor(width / 2));
  const titleWidth = Math.max(0, width - textWidth(linkText) - 1);
  const lines: Segment[][] = [[
    { text: fit(oneLine(parts.join(" · ")), titleWidth) + " ", bold: true },
    { ...link, text: linkText },
  ]];
  if (status) {
    const sessions = status.sessions;
    const clients = sessions.map((s) => s.client ? `${s.client.name} ${s.client.version}` : s.id);
    const sessionText = `${sessions.length} session${sessions.length === 1 ? "" : "s"}` +
      (clients.length ? `: ${clients.join(", ")}` : "");
    lines.push(fitSegments([
      {
        text: `policy ${status.policy.source} (default ${status.policy.defaultPosture})`,
        colour: "cyan",
      },
      { text: " · ", dim: true },
      storeSegment(status),
      { text: ` · ${sessionText}`, dim: true },
    ], width));
  } else {
    lines.push([{ text: truncate(`socket ${proxy.path}`, width), dim: true }]);
  }
  if (proxy.policyError) {
    const errors = proxy.policyError.split("\n").filter((line) => line.trim() !== "");
    const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : "";
    lines.push([
      { text: "✗ reload refused ", colour: "red", bold: true },
      { text: "(e shows all) ", dim: true },
      { text: truncate(`${errors[0] ?? ""}${more}`, Math.max(0, width - 31)), colour: "red" },
    ]);
  }
  return lines;
}

/** The proxy tabs, shown when there is more than one. */
export function proxyTabs(
  proxies: readonly ProxySnapshot[],
  selected: string | null,
  width: number,
): Segment[] {
  const segments: Segment[] = [{ text: "proxies ", dim: true }];
  for (const proxy of proxies) {
    const on = proxy.path === selected;
    const mark = proxy.link !== "connected" ? "○" : proxy.staleSince !== null ? "◌" : "";
    segments.push({
      text: on ? `[${mark}${proxy.label}]` : ` ${mark}${proxy.label} `,
      bold: on,
      colour: on ? "cyan" : undefined,
    });
    segments.push({ text: " " });
  }
  return fitSegments(segments, width);
}

/** The selected tool in a line: live deny (who, when, why), quota, next slot and rate. */
export function toolLine(
  tool: ToolSnapshot | null,
  proxy: ProxySnapshot,
  width: number,
  now: number,
): Segment[] {
  if (!tool) return [{ text: "No tool selected", dim: true }];
  const segments: Segment[] = [{ text: `${tool.name}: `, bold: true }];
  const denied = liveDenyText(tool, proxy.status?.liveDenies ?? []);
  if (denied) {
    segments.push({ text: `live-denied ${denied}`, colour: "magenta" });
    return fitSegments(segments, width);
  }
  const parts = [postureLabel(tool.posture)];
  const quota = tightestQuota(tool.quotas, now);
  if (quota) {
    parts.push(`${quota.remaining}/${quota.max} left of ${quota.rule} (per ${quota.per})`);
    if (quota.resetInMs > 0) parts.push(`whole again in ${formatDuration(quota.resetInMs)}`);
    const next = nextSlotIn(tool, now, quota);
    parts.push(
      next
        ? `next call passes in ${formatDuration(next)}`
        : quota.remaining > 0
        ? "next call passes now"
        : "",
    );
  }
  parts.push(`${tool.perMinute} calls in the last minute`);
  segments.push({ text: parts.filter(Boolean).join(" · "), dim: true });
  return fitSegments(segments, width);
}

/** What the screen says when no proxy shows: where it looked, and that it keeps looking. */
export function emptyLines(
  source: WatchSource,
  discovered: boolean,
  splash: readonly string[] | null = null,
): string[] {
  if (splash) return [...splash];
  const where = source.kind === "dirs" ? source.locations.join(", ") : source.location;
  if (!discovered) return [`Looking for proxies in ${where}…`];
  if (source.kind === "path") {
    return [
      `No proxy is listening on ${source.location}`,
      "Watching: it shows here as soon as it starts.",
    ];
  }
  return [
    "No running proxies found.",
    ...source.locations.map((dir) => `  looked in ${dir}`),
    "Watching: a proxy shows here as soon as it starts (intercept -c POLICY -- CMD ...).",
  ];
}

/** Every key, for `?`. */
export const KEYS: [string, string][] = [
  ["↑ ↓", "select a tool (PgUp PgDn Home End); ↑ at the top: the approvals pane"],
  ["tab", "next proxy (shift+tab: previous)"],
  ["d", "deny the selected tool live on this proxy (asks a reason)"],
  ["a", "allow it again on this proxy"],
  ["D", "deny it on every proxy shown (asks a reason, then y to confirm)"],
  ["A", "allow it on every proxy shown (y to confirm)"],
  ["x", "reset the selected tool's quotas"],
  ["y", "approve the held call marked › in the approvals pane (it runs)"],
  ["n", "reject it (asks a reason the agent reads; Enter, Esc)"],
  ["r", "reload this proxy's policy file"],
  ["e", "show the full error of a refused reload"],
  ["s", "sort tools by calls per minute, or by name"],
  ["/", "filter tools and decisions (Enter keeps it, Esc clears it)"],
  ["p", "pause the stream; PgUp PgDn Home End scroll it; p again follows"],
  ["v", "stream of this proxy, or of every proxy"],
  ["?", "this help"],
  ["q", "quit (in a prompt or here: close it)"],
  ["Esc", "clear the filter; cancel a prompt"],
];

export function helpLines(): Segment[][] {
  return [
    [{ text: "Keys", bold: true }],
    ...KEYS.map(([key, what]): Segment[] => [
      { text: `  ${key.padEnd(6)}`, bold: true, colour: "cyan" },
      { text: what },
    ]),
    [],
    [{ text: "Columns", bold: true }],
    [{
      text: "  /MIN calls in the last minute · ALLOW DENY since the proxy started · QUOTA LEFT " +
        "the tightest quota · NEXT when one more call passes, when sooner than RESET · RESET " +
        "when the quota is whole again · a * after live-deny: denied by a pattern",
    }],
    [],
    [{ text: "Esc, ? or q closes this help.", dim: true }],
  ];
}

/** A refused reload's full error, one located error per line. */
export function errorLines(error: string): Segment[][] {
  return [
    [{ text: "Reload refused; the previous policy stays in force:", bold: true, colour: "red" }],
    ...error.split("\n").filter((line) => line.trim() !== "").map((line): Segment[] => [
      { text: line },
    ]),
    [],
    [{ text: "↑ ↓ scroll · Esc, e or q closes", dim: true }],
  ];
}

/** Lines wrapped to `width` columns, for text that must be read whole. */
export function wrapSegments(lines: Segment[][], width: number): Segment[][] {
  const out: Segment[][] = [];
  for (const line of lines) {
    const text = line.map((segment) => segment.text).join("");
    if (textWidth(text) <= width || line.length !== 1) {
      out.push(fitSegments(line, width));
      continue;
    }
    const chars = Array.from(oneLine(text));
    for (let i = 0; i < chars.length; i += width) {
      out.push([{ ...line[0], text: chars.slice(i, i + width).join("") }]);
    }
  }
  return out;
}

export function tooSmallLines(columns: number, rows: number): string[] {
  // Short lines: they must fit the small screen they are on.
  return [
    "Terminal too small",
    `The dashboard needs ${MIN_COLUMNS}×${MIN_ROWS};`,
    `this one is ${columns}×${rows}.`,
    "Enlarge it, or q to quit.",
  ];
}

export const FOOTER_KEYS: [string, string][] = [
  ["↑↓", "move"],
  ["d", "deny"],
  ["a", "allow"],
  ["D/A", "all"],
  ["r", "reload"],
  ["x", "reset"],
  ["tab", "next"],
  ["p", "pause"],
  ["?", "help"],
  ["q", "quit"],
];

/** The key help, dropping the last entries that do not fit (keeping `?` and `q`). */
export function helpLine(width: number, keys: [string, string][] = FOOTER_KEYS): string {
  const kept = keys.filter(([key]) => key === "?" || key === "q");
  const words = (list: [string, string][]) =>
    list.map(([key, what]) => `${key} ${what}`).join("  ");
  let shown = keys.filter((entry) => !kept.includes(entry));
  while (shown.length > 0 && textWidth(words([...shown, ...kept])) > width) {
    shown = shown.slice(0, -1);
  }
  return truncate(words([...shown, ...kept]), width);
}
