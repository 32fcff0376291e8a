/**
 * The dashboard's view model: pure functions from store snapshots to the text and colours of
 * the tool table and the decision stream, so tests check layout and wording without rendering.
 * The header, the empty screen and the key help are in `frame_text.ts`.
 */
import type { Posture } from "../src/control/protocol.ts";
import type { QuotaSnapshot, StreamEntry, ToolSnapshot } from "./dashboard_state.ts";
import {
  fit,
  formatClock,
  formatCount,
  formatDuration,
  quotaBar,
  textWidth,
  truncate,
} from "./format.ts";

export type Colour = "green" | "red" | "yellow" | "cyan" | "magenta" | "gray" | "white";

/** A run of text in one colour; a line is a list of them. */
export interface Segment {
  text: string;
  colour?: Colour;
  bold?: boolean;
}

const POSTURES: Record<Posture, { label: string; colour: Colour }> = {
  allow: { label: "allow", colour: "green" },
  limited: { label: "limited", colour: "yellow" },
  conditional: { label: "conditional", colour: "cyan" },
  deny: { label: "deny", colour: "red" },
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
  allowed: number;
  denied: number;
  quota: number;
  reset: number;
}

const GAPS = 5;
const FIXED = { marker: 2, posture: 11, allowed: 5, denied: 5, reset: 6 };

/**
 * Fits the tool table to `width` (80 columns and up; narrower is squeezed): the name takes
 * what the quota does not, up to 40 columns, and any width left widens the quota bar.
 */
export function toolColumns(width: number): ToolColumns {
  const fixed = FIXED.marker + FIXED.posture + FIXED.allowed + FIXED.denied + FIXED.reset + GAPS;
  const flexible = Math.max(0, Math.floor(width) - fixed);
  let quota = Math.min(18, Math.max(0, flexible - 8));
  let name = Math.min(40, flexible - quota);
  quota = Math.min(30, flexible - name);
  name = flexible - quota;
  return { ...FIXED, name, quota };
}

export function toolHeader(columns: ToolColumns): string {
  return [
    fit("", columns.marker) + fit("TOOL", columns.name),
    fit("POSTURE", columns.posture),
    fit("ALLOW", columns.allowed, "right"),
    fit("DENY", columns.denied, "right"),
    fit("QUOTA LEFT", columns.quota),
    fit("RESET", columns.reset, "right"),
  ].join(" ");
}

/** The quota closest to running out, with its time to reset counted down to `now`. */
export function tightestQuota(
  quotas: readonly QuotaSnapshot[],
  now: number,
): { remaining: number; max: number; resetInMs: number } | null {
  let best: QuotaSnapshot | null = null;
  for (const quota of quotas) {
    const ratio = quota.max > 0 ? quota.remaining / quota.max : 0;
    const bestRatio = best && best.max > 0 ? best.remaining / best.max : Infinity;
    if (!best || ratio < bestRatio) best = quota;
  }
  if (!best) return null;
  const resetInMs = Math.max(0, best.resetInMs - Math.max(0, now - best.observedAt));
  return { remaining: best.remaining, max: best.max, resetInMs };
}

/** A quota cell: the bar shrinks so the count always shows. */
export function quotaCell(quota: { remaining: number; max: number } | null, width: number): string {
  if (!quota) return fit("-", width);
  const count = `${Math.max(0, quota.remaining)}/${quota.max}`;
  const bar = Math.min(20, width - textWidth(count) - 1);
  return fit(bar >= 3 ? quotaBar(quota.remaining, quota.max, bar) : count, width);
}

/** One tool's row as segments: name, coloured posture, counts, quota bar and reset time. */
export function toolRow(
  tool: ToolSnapshot,
  columns: ToolColumns,
  options: { selected: boolean; now: number },
): Segment[] {
  const quota = tightestQuota(tool.quotas, options.now);
  const quotaColour: Colour | undefined = !quota
    ? "gray"
    : quota.remaining === 0
    ? "red"
    : quota.remaining / quota.max <= 0.2
    ? "yellow"
    : "green";
  return [
    { text: fit(options.selected ? "›" : "", columns.marker), bold: true },
    { text: fit(tool.name, columns.name), bold: options.selected },
    {
      text: " " + fit(postureLabel(tool.posture), columns.posture),
      colour: postureColour(tool.posture),
    },
    { text: " " + fit(formatCount(tool.allowed), columns.allowed, "right"), colour: "green" },
    {
      text: " " + fit(formatCount(tool.denied), columns.denied, "right"),
      colour: tool.denied ? "red" : undefined,
    },
    { text: " " + quotaCell(quota, columns.quota), colour: quotaColour },
    {
      // A quota nothing has used yet has nothing to reset.
      text: " " +
        fit(
          quota && quota.resetInMs > 0 ? formatDuration(quota.resetInMs) : "",
          columns.reset,
          "right",
        ),
      colour: "gray",
    },
  ];
}

/** Widths of the stream's tool and rule columns. */
export interface StreamColumns {
  tool: number;
  rule: number;
}

const VERDICT_WIDTH = 8;

/**
 * Sizes the stream's tool and rule columns to the longest of the lines shown, within caps that
 * leave the reason most of a narrow screen.
 */
export function streamColumns(
  entries: readonly StreamEntry[],
  width: number,
  options: { showPid: boolean },
): StreamColumns {
  const body = Math.max(0, width - headWidth(options.showPid) - VERDICT_WIDTH);
  let tool = 4;
  let rule = 4;
  for (const entry of entries) {
    if (entry.kind !== "decision") continue;
    tool = Math.max(tool, textWidth(entry.notice.tool));
    rule = Math.max(rule, textWidth(entry.notice.rule));
  }
  return {
    tool: Math.min(tool, Math.max(12, Math.floor(body * 0.35))),
    rule: Math.min(rule, Math.max(10, Math.floor(body * 0.3))),
  };
}

function headWidth(showPid: boolean): number {
  return 9 + (showPid ? 8 : 0);
}

/** One stream entry as a line of segments, cut to `width`; `showPid` when several proxies show. */
export function streamLine(
  entry: StreamEntry,
  width: number,
  options: { showPid: boolean; columns?: StreamColumns },
): Segment[] {
  const head: Segment[] = [{ text: formatClock(entry.notice.ts) + " ", colour: "gray" }];
  if (options.showPid) head.push({ text: fit(String(entry.pid ?? "?"), 7) + " ", colour: "gray" });
  const rest = Math.max(0, width - headWidth(options.showPid));
  const columns = options.columns ?? streamColumns([entry], width, options);
  return [...head, ...fitSegments(entryBody(entry, columns), rest)];
}

function entryBody(entry: StreamEntry, columns: StreamColumns): Segment[] {
  switch (entry.kind) {
    case "decision": {
      const n = entry.notice;
      const allowed = n.decision === "allow";
      return [
        {
          text: allowed ? "✓ allow " : "✗ deny  ",
          colour: allowed ? "green" : "red",
          bold: !allowed,
        },
        { text: fit(n.tool, columns.tool) + " ", colour: allowed ? "green" : "red" },
        { text: fit(n.rule, columns.rule) + " ", colour: "gray" },
        { text: n.reason ?? "", colour: allowed ? undefined : "red" },
      ];
    }
    case "policy": {
      const n = entry.notice;
      if (n.event === "reloaded") {
        return [{ text: `↻ policy reloaded from ${n.source}`, colour: "cyan" }];
      }
      const first = (n.error ?? "").split("\n")[0];
      return [{ text: `✗ reload refused, old policy kept: ${first}`, colour: "red", bold: true }];
    }
    case "control": {
      const n = entry.notice;
      const what = n.event === "deny"
        ? `operator denied ${n.tool}${n.reason ? `: ${n.reason}` : ""}`
        : n.event === "allow"
        ? `operator allowed ${n.tool}`
        : `operator reset ${n.tool ? `the quotas of ${n.tool}` : "every quota"}`;
      return [{ text: `● ${what}`, colour: n.event === "deny" ? "magenta" : "yellow" }];
    }
  }
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
