/**
 * The text around the two tables, as pure functions: the selected proxy's header, the proxy
 * tabs, the screen shown when no proxy runs, and the key help.
 */
import type { ProxySnapshot } from "./dashboard_state.ts";
import { proxyLabel } from "./dashboard_state.ts";
import { fit, textWidth, truncate } from "./format.ts";
import { fitSegments, type Segment } from "./view_model.ts";

/** The header of the selected proxy: what it runs, its policy, state and sessions. */
export function headerLines(proxy: ProxySnapshot, width: number): Segment[][] {
  const status = proxy.status;
  const link: Segment = proxy.link === "connected"
    ? { text: "● live", colour: "green" }
    : proxy.link === "connecting"
    ? { text: "○ connecting", colour: "yellow" }
    : { text: `○ reconnecting${proxy.linkError ? `: ${proxy.linkError}` : ""}`, colour: "red" };
  const upstream = status ? status.upstream.command.join(" ") : proxy.path;
  const title = `${proxyLabel(proxy)} · ${upstream}`;
  const linkText = truncate(link.text, Math.floor(width / 2));
  const titleWidth = Math.max(0, width - textWidth(linkText) - 1);
  const lines: Segment[][] = [[
    { text: fit(title, titleWidth) + " ", bold: true },
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
      { text: ` · state ${status.state} · ${sessionText}`, colour: "gray" },
    ], width));
  } else {
    lines.push([{ text: truncate(`socket ${proxy.path}`, width), colour: "gray" }]);
  }
  if (proxy.policyError) {
    const errors = proxy.policyError.split("\n").filter((line) => line.trim() !== "");
    const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : "";
    lines.push([{
      text: truncate(`✗ reload refused: ${errors[0] ?? ""}${more}`, width),
      colour: "red",
      bold: true,
    }]);
  }
  return lines;
}

/** The proxy tabs, shown when there is more than one. */
export function proxyTabs(
  proxies: readonly ProxySnapshot[],
  selected: string | null,
  width: number,
): Segment[] {
  const segments: Segment[] = [{ text: "proxies ", colour: "gray" }];
  for (const proxy of proxies) {
    const on = proxy.path === selected;
    const mark = proxy.link === "connected" ? "" : "○";
    segments.push({
      text: on ? `[${mark}${proxyLabel(proxy)}]` : ` ${mark}${proxyLabel(proxy)} `,
      bold: on,
      colour: on ? "cyan" : undefined,
    });
    segments.push({ text: " " });
  }
  return fitSegments(segments, width);
}

/** What the screen says when no proxy shows. */
export function emptyLines(
  source: { kind: "dir" | "path"; location: string },
  discovered: boolean,
): string[] {
  if (!discovered) return [`Looking for proxies in ${source.location}…`];
  const what = source.kind === "dir"
    ? `No running proxies found in ${source.location}`
    : `No proxy is listening on ${source.location}`;
  return [
    what,
    "Watching: a proxy shows here as soon as it starts (intercept -c POLICY -- CMD ...).",
  ];
}

export const HELP_KEYS: [string, string][] = [
  ["↑↓", "move"],
  ["d", "deny"],
  ["a", "allow"],
  ["D/A", "all"],
  ["r", "reload"],
  ["x", "reset"],
  ["tab", "next"],
  ["/", "filter"],
  ["q", "quit"],
];

/** The key help, dropping the last entries that do not fit. */
export function helpLine(width: number, keys: [string, string][] = HELP_KEYS): string {
  let line = "";
  for (const [key, what] of keys) {
    const next = `${line}${line ? "  " : ""}${key} ${what}`;
    if (textWidth(next) > width) break;
    line = next;
  }
  return line;
}
