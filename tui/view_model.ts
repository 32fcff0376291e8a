/**
 * The dashboard's view model for the tool table: pure functions from store snapshots to the
 * text and colours of each row, so tests check layout and wording without rendering. The
 * stream is in `stream_view.ts`; the header, the empty screen and the help in `frame_text.ts`.
 */
import type { Posture, StatusResult } from "../src/control/protocol.ts";
import type { QuotaSnapshot, ToolSnapshot } from "./dashboard_state.ts";
import {
  fit,
  formatClock,
  formatCount,
  formatDuration,
  quotaBar,
  textWidth,
  truncate,
} from "./format.ts";

export type Colour = "green" | "red" | "yellow" | "blue" | "cyan" | "magenta" | "gray" | "white";

/** A run of text in one style; a line is a list of them. */
export interface Segment {
  text: string;
  colour?: Colour;
  bold?: boolean;
  /** Secondary text: dim, readable on light and dark themes alike. */
  dim?: boolean;
}

const POSTURES: Record<Posture, { label: string; colour: Colour }> = {
  allow: { label: "allow", colour: "green" },
  limited: { label: "limited", colour: "yellow" },
  conditional: { label: "conditional", colour: "cyan" },
  deny: { label: "deny", colour: "red" },
  approval: { label: "approval", colour: "yellow" },
  hidden: { label: "hidden", colour: "gray" },
  "live-deny": { label: "live-deny", colour: "magenta" },
};

export function postureLabel(posture: Posture): string {
  return POSTURES[posture]?.label ?? String(posture);
}

export function postureColour(posture: Posture): Colour {
  return POSTURES[posture]?.colour ?? "white";
}

/** Widths of the tool table's columns; they and the gaps between them add up to the width. */
export interface ToolColumns {
  marker: number;
  name: number;
  posture: number;
  rate: number;
  allowed: number;
  denied: number;
  quota: number;
  next: number;
  reset: number;
  /** Who denied a live-denied tool, when and why; 0 when the screen has no room. */
  detail: number;
}

const FIXED = { marker: 2, posture: 11, rate: 5, allowed: 5, denied: 5, next: 5, reset: 6 };
/** One space before every column after the name. */
const GAPS = 7;
const NAME_MAX = 40;
const QUOTA_MIN = 9;
const QUOTA_MAX = 30;
const DETAIL_MIN = 20;

/**
 * Fits the table to `width` (80 columns and up): the name gets the space its longest tool
 * needs (up to 40) before the quota bar grows; the quota bar grows up to 30; what is left
 * shows who denied a live-denied tool, when there is room for it.
 */
export function toolColumns(width: number, longestName = NAME_MAX): ToolColumns {
  const fixed = Object.values(FIXED).reduce((sum, n) => sum + n, 0) + GAPS;
  const flexible = Math.max(0, Math.floor(width) - fixed);
  const wanted = Math.min(NAME_MAX, Math.max(12, longestName));
  const name = Math.max(0, Math.min(wanted, flexible - QUOTA_MIN));
  let quota = Math.min(QUOTA_MAX, flexible - name);
  let detail = flexible - name - quota - 1;
  if (detail < DETAIL_MIN) {
    quota = flexible - name;
    detail = 0;
  }
  return { ...FIXED, name, quota, detail };
}

export function toolHeader(columns: ToolColumns, sort: "activity" | "name"): string {
  const cells = [
    fit("", columns.marker) + fit(sort === "name" ? "TOOL ↓" : "TOOL", columns.name),
    fit("POSTURE", columns.posture),
    fit(sort === "activity" ? "/MIN↓" : "/MIN", columns.rate, "right"),
    fit("ALLOW", columns.allowed, "right"),
    fit("DENY", columns.denied, "right"),
    fit(columns.quota >= 10 ? "QUOTA LEFT" : "QUOTA", columns.quota),
    fit("NEXT", columns.next, "right"),
    fit("RESET", columns.reset, "right"),
  ];
  if (columns.detail > 0) cells.push(fit("LIVE DENY", columns.detail));
  return cells.join(" ");
}

/** The quota closest to running out, with its time to reset counted down to `now`. */
export function tightestQuota(
  quotas: readonly QuotaSnapshot[],
  now: number,
): { remaining: number; max: number; resetInMs: number; rule: string; per: string } | null {
  let best: QuotaSnapshot | null = null;
  for (const quota of quotas) {
    const ratio = quota.max > 0 ? quota.remaining / quota.max : 0;
    const bestRatio = best && best.max > 0 ? best.remaining / best.max : Infinity;
    if (!best || ratio < bestRatio) best = quota;
  }
  if (!best) return null;
  const resetInMs = Math.max(0, best.resetInMs - Math.max(0, now - best.observedAt));
  return { remaining: best.remaining, max: best.max, resetInMs, rule: best.rule, per: best.per };
}

/** A quota cell: the bar shrinks so the count always shows. */
export function quotaCell(quota: { remaining: number; max: number } | null, width: number): string {
  if (!quota) return fit("-", width);
  const count = `${Math.max(0, quota.remaining)}/${quota.max}`;
  const bar = Math.min(20, width - textWidth(count) - 1);
  return fit(bar >= 3 ? quotaBar(quota.remaining, quota.max, bar) : count, width);
}

/**
 * When one more call passes, if that is not now and not when the quota is whole again: the
 * quota is spent, and a denial said when the next slot opens.
 */
export function nextSlotIn(
  tool: ToolSnapshot,
  now: number,
  quota = tightestQuota(tool.quotas, now),
): number | null {
  if (!quota || quota.remaining > 0 || tool.nextSlotAt === null) return null;
  const next = tool.nextSlotAt - now;
  if (next <= 0) return null;
  return Math.abs(next - quota.resetInMs) < 1000 ? null : next;
}

/** Who denied a live-denied tool, when, and the pattern if not its own name. */
export function liveDenyText(
  tool: ToolSnapshot,
  liveDenies: StatusResult["liveDenies"],
): string | null {
  if (tool.posture !== "live-deny") return null;
  const pattern = tool.liveDenyPattern ?? tool.name;
  const scope = tool.liveDenyScope ?? "proxy";
  const entry = liveDenies.find((deny) =>
    deny.tool === pattern && (deny.scope ?? "proxy") === scope
  );
  const parts = [
    scope === "proxy" ? null : `${scope}-wide`,
    tool.liveDenyPattern ? `by pattern ${pattern}` : null,
  ];
  if (entry) parts.push(`${entry.by ? `${entry.by} ` : ""}at ${formatClock(entry.at)}`);
  parts.push(tool.liveDenyReason ?? entry?.reason ?? null);
  return parts.filter((part) => part).join(" · ");
}

/** The state store in the header: what it is, whether it answers, how fast. */
export function storeSegment(status: StatusResult): Segment {
  const store = status.store;
  if (!store) return { text: `state ${status.state}`, dim: true };
  const failOpen = store.failOpen ? " fail-open" : "";
  if (!store.reachable) {
    return {
      text: `state ${store.description} UNREACHABLE${failOpen}`,
      colour: "red",
      bold: true,
    };
  }
  const latency = store.kind === "memory" || store.latencyMs === null
    ? ""
    : ` ${store.latencyMs < 1 ? store.latencyMs.toFixed(2) : store.latencyMs.toFixed(1)} ms`;
  return {
    text: `state ${store.description}${latency}${failOpen}`,
    dim: !store.failOpen,
    colour: store.failOpen ? "yellow" : undefined,
  };
}

/** One tool's row as segments: name, posture, rate, counts, quota, next slot, reset, detail. */
export function toolRow(
  tool: ToolSnapshot,
  columns: ToolColumns,
  options: { selected: boolean; now: number; liveDenies?: StatusResult["liveDenies"] },
): Segment[] {
  const quota = tightestQuota(tool.quotas, options.now);
  const quotaColour: Colour | undefined = !quota
    ? "gray"
    : quota.remaining === 0
    ? "red"
    : quota.remaining / quota.max <= 0.2
    ? "yellow"
    : "green";
  const next = nextSlotIn(tool, options.now, quota);
  const posture = postureLabel(tool.posture) + (tool.liveDenyPattern ? "*" : "");
  const row: Segment[] = [
    { text: fit(options.selected ? "›" : "", columns.marker), bold: true },
    { text: fit(tool.name, columns.name), bold: options.selected },
    { text: " " + fit(posture, columns.posture), colour: postureColour(tool.posture) },
    {
      text: " " + fit(tool.perMinute ? formatCount(tool.perMinute) : "", columns.rate, "right"),
      bold: tool.perMinute > 0,
    },
    { text: " " + fit(formatCount(tool.allowed), columns.allowed, "right"), colour: "green" },
    {
      text: " " + fit(formatCount(tool.denied), columns.denied, "right"),
      colour: tool.denied ? "red" : undefined,
    },
    { text: " " + quotaCell(quota, columns.quota), colour: quotaColour },
    { text: " " + fit(next ? formatDuration(next) : "", columns.next, "right"), colour: "red" },
    {
      // A quota nothing has used yet has nothing to reset.
      text: " " +
        fit(
          quota && quota.resetInMs > 0 ? formatDuration(quota.resetInMs) : "",
          columns.reset,
          "right",
        ),
      dim: true,
    },
  ];
  if (columns.detail > 0) {
    const detail = liveDenyText(tool, options.liveDenies ?? []) ?? "";
    row.push({ text: " " + fit(detail, columns.detail), colour: "magenta" });
  }
  return row;
}

/** Cuts a line of segments to `width` columns, the last visible one ending in an ellipsis. */
export function fitSegments(segments: Segment[], width: number): Segment[] {
  const out: Segment[] = [];
  let left = Math.max(0, width);
  for (const segment of segments) {
    if (left === 0) break;
    const text = truncate(segment.text, left);
    out.push({ ...segment, text });
    left -= textWidth(text);
  }
  return out;
}
