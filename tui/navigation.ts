/** Pure navigation for the dashboard: the `/` filter, selection movement, scrolling, rows. */
import type { StreamEntry, ToolSnapshot } from "./dashboard_state.ts";

/** Whether `text` holds every word of `query`, ignoring case; an empty query matches all. */
export function matchesFilter(text: string, query: string): boolean {
  const haystack = text.toLowerCase();
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}

export function filterTools(tools: readonly ToolSnapshot[], query: string): ToolSnapshot[] {
  return tools.filter((tool) => matchesFilter(`${tool.name} ${tool.posture}`, query));
}

/** Busiest first (calls in the last minute, then name), or by name. */
export function sortTools(
  tools: readonly ToolSnapshot[],
  sort: "activity" | "name",
): ToolSnapshot[] {
  const byName = (a: ToolSnapshot, b: ToolSnapshot) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return sort === "name"
    ? [...tools].sort(byName)
    : [...tools].sort((a, b) => b.perMinute - a.perMinute || byName(a, b));
}

/** The entries of one proxy (the selected one), or of all when `proxy` is null. */
export function streamOf(
  entries: readonly StreamEntry[],
  proxy: string | null,
): readonly StreamEntry[] {
  return proxy === null ? entries : entries.filter((entry) => entry.proxy === proxy);
}

/** Stream entries whose tool, verdict, rule or reason match; policy and operator events too. */
export function filterStream(
  entries: readonly StreamEntry[],
  query: string,
): readonly StreamEntry[] {
  if (query.trim() === "") return entries;
  return entries.filter((entry) => {
    const text = entry.kind === "decision"
      ? [
        entry.notice.tool,
        entry.notice.decision,
        entry.notice.rule,
        entry.notice.reason ?? "",
        entry.notice.client ?? "",
        entry.label,
      ].join(" ")
      : entry.kind === "policy"
      ? `policy ${entry.notice.event} ${entry.notice.error ?? ""}`
      : entry.kind === "approval"
      ? approvalText(entry)
      : `operator ${entry.notice.event} ${entry.notice.tool ?? ""} ${entry.notice.reason ?? ""}`;
    return matchesFilter(text, query);
  });
}

function approvalText(entry: StreamEntry & { kind: "approval" }): string {
  const { event, approval, by, reason } = entry.notice;
  const word = event === "requested" ? "held" : event === "granted" ? "approved" : event;
  const { tool, rule, client } = approval;
  return [word, tool, rule, client ?? "", by ?? "", reason ?? "", entry.label].join(" ");
}

/** The selected name, or the first when the selection is gone (filtered out, proxy changed). */
export function resolveSelection(names: readonly string[], current: string | null): string | null {
  if (current !== null && names.includes(current)) return current;
  return names[0] ?? null;
}

/** The name `delta` rows away from the selection, stopping at either end. */
export function moveSelection(
  names: readonly string[],
  current: string | null,
  delta: number,
): string | null {
  if (names.length === 0) return null;
  const index = current === null ? -1 : names.indexOf(current);
  if (index < 0) return names[delta < 0 ? names.length - 1 : 0];
  return names[Math.min(names.length - 1, Math.max(0, index + delta))];
}

/** The first row to show so that row `selected` of `count` is visible in `height` rows. */
export function scrollStart(count: number, selected: number, height: number): number {
  if (height <= 0 || count <= height) return 0;
  const wanted = selected - Math.floor(height / 2);
  return Math.min(count - height, Math.max(0, wanted));
}

/** The next item after `current` (or before, with `delta` -1), wrapping around. */
export function cycle<T>(items: readonly T[], current: T | null, delta: 1 | -1): T | null {
  if (items.length === 0) return null;
  const index = current === null ? -1 : items.indexOf(current);
  if (index < 0) return items[0];
  return items[(index + delta + items.length) % items.length];
}

/** How many screen rows the tool table and the decision stream get. */
export interface RowLayout {
  toolRows: number;
  streamRows: number;
}

/** The smallest screen the dashboard draws on; below it, it says so. */
export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;

export function tooSmall(columns: number, rows: number): boolean {
  return columns < MIN_COLUMNS || rows < MIN_ROWS;
}

/**
 * Splits the rows left after the header (`headerRows`), the selected tool's line and the two
 * footer lines between the tool table and the stream: tools get what they need up to 60%, the
 * stream the rest, and each of them at least 3 rows where the screen has them.
 */
export function layoutRows(rows: number, headerRows: number, toolCount: number): RowLayout {
  const titles = 3; // the table's column titles, the selected tool's line, the stream's title
  const footer = 2;
  const free = Math.max(0, Math.floor(rows) - headerRows - titles - footer);
  const toolCap = Math.max(Math.min(3, free), Math.floor(free * 0.6));
  const toolRows = Math.min(Math.max(1, toolCount), toolCap, free);
  return { toolRows, streamRows: Math.max(0, free - toolRows) };
}
