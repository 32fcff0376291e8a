/**
 * The decision stream as lines: identical decisions in a row collapse into one with a count,
 * each line says which proxy (when several show), the verdict, the tool, the rule (not for an
 * allow whose rule is the tool's own entry), who called (client or session, principal) and why.
 */
import type { StreamEntry } from "./dashboard_state.ts";
import { callerText, fit, formatClock, formatDuration, textWidth } from "./format.ts";
import { fitSegments, type Segment } from "./view_model.ts";

/** A stream line: an entry, and how many identical ones in a row it stands for. */
export interface StreamRow {
  entry: StreamEntry;
  count: number;
}

/** Collapses runs of identical decisions (same proxy, tool, verdict, rule, reason, caller). */
export function collapseStream(entries: readonly StreamEntry[]): StreamRow[] {
  const rows: StreamRow[] = [];
  let last: StreamRow | null = null;
  for (const entry of entries) {
    if (last && sameLine(last.entry, entry)) {
      last.entry = entry;
      last.count++;
      continue;
    }
    last = { entry, count: 1 };
    rows.push(last);
  }
  return rows;
}

function sameLine(a: StreamEntry, b: StreamEntry): boolean {
  if (a.kind !== "decision" || b.kind !== "decision" || a.proxy !== b.proxy) return false;
  const x = a.notice;
  const y = b.notice;
  return x.tool === y.tool && x.decision === y.decision && x.rule === y.rule &&
    x.reason === y.reason && x.client === y.client && x.session === y.session;
}

/** Widths of the stream's columns. */
export interface StreamColumns {
  proxy: number;
  tool: number;
  rule: number;
  who: number;
}

const CLOCK = 9;
const VERDICT = 8;

/**
 * Sizes the columns to the longest values among the rows shown, within caps that leave the
 * reason most of a narrow screen; the proxy column only when several proxies show; the caller
 * from 100 columns, or on a narrower screen when the rows shown come from several callers.
 */
export function streamColumns(
  rows: readonly StreamRow[],
  width: number,
  options: { showProxy: boolean },
): StreamColumns {
  const body = Math.max(0, width - CLOCK - VERDICT);
  let proxy = 0;
  let tool = 4;
  let rule = 4;
  let who = 3;
  const callers = new Set<string>();
  for (const { entry } of rows) {
    if (options.showProxy) proxy = Math.max(proxy, textWidth(entry.label));
    const call = callOf(entry);
    if (!call) continue;
    tool = Math.max(tool, textWidth(call.tool));
    rule = Math.max(rule, textWidth(call.rule));
    const caller = call.who;
    callers.add(caller);
    who = Math.max(who, textWidth(caller));
  }
  const showWho = width >= 100 || callers.size > 1;
  return {
    proxy: options.showProxy ? Math.min(proxy, 14) : 0,
    tool: Math.min(tool, Math.max(12, Math.floor(body * 0.28))),
    rule: Math.min(rule, Math.max(8, Math.floor(body * 0.2))),
    who: showWho ? Math.min(who, Math.max(10, Math.floor(body * 0.22))) : 0,
  };
}

/** The columns of a decision, or of a call held for a human; null for other entries. */
function callOf(entry: StreamEntry): { tool: string; rule: string; who: string } | null {
  if (entry.kind === "decision") {
    return { tool: entry.notice.tool, rule: ruleText(entry), who: callerText(entry.notice) };
  }
  if (entry.kind !== "approval" || entry.notice.event !== "requested") return null;
  const view = entry.notice.approval;
  return { tool: view.tool, rule: view.rule, who: callerText(view) };
}

/** The rule shown: empty for an allow decided by the tool's own entry (it would repeat it). */
function ruleText(entry: StreamEntry & { kind: "decision" }): string {
  const { rule, tool, decision } = entry.notice;
  return decision === "allow" && rule === tool ? "" : rule;
}

/** One stream row as a line of segments, cut to `width`. */
export function streamLine(row: StreamRow, width: number, columns: StreamColumns): Segment[] {
  const { entry, count } = row;
  const head: Segment[] = [{ text: formatClock(entry.notice.ts) + " ", dim: true }];
  if (columns.proxy > 0) head.push({ text: fit(entry.label, columns.proxy) + " ", colour: "blue" });
  const rest = Math.max(0, width - CLOCK - (columns.proxy > 0 ? columns.proxy + 1 : 0));
  const times: Segment[] = count > 1 ? [{ text: ` ×${count}`, bold: true }] : [];
  return [...head, ...fitSegments([...entryBody(entry, columns), ...times], rest)];
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
        { text: fit(ruleText(entry), columns.rule) + " ", dim: true },
        {
          text: columns.who > 0 ? fit(callerText(entry.notice), columns.who) + " " : "",
          colour: "cyan",
        },
        { text: n.reason ?? "", colour: allowed ? undefined : "red" },
      ];
    }
    case "approval":
      return approvalBody(entry, columns);
    case "policy":
    case "control":
      return [{ ...eventText(entry) }];
  }
}

/** A held call in the columns of a decision, in yellow; what became of it in one line. */
function approvalBody(
  entry: StreamEntry & { kind: "approval" },
  columns: StreamColumns,
): Segment[] {
  const { event, approval: view, by, reason } = entry.notice;
  const who = by ? ` by ${by}` : "";
  switch (event) {
    case "requested": {
      const wait = formatDuration(view.expiresAt - view.requestedAt);
      const why = view.reason ? `: ${view.reason}` : "";
      return [
        { text: "⏸ held  ", colour: "yellow", bold: true },
        { text: fit(view.tool, columns.tool) + " ", colour: "yellow" },
        { text: fit(view.rule, columns.rule) + " ", dim: true },
        { text: columns.who > 0 ? fit(callerText(view), columns.who) + " " : "", colour: "cyan" },
        { text: `waits for approval (${wait})${why}`, colour: "yellow" },
      ];
    }
    case "granted":
      return [{ text: `● approved ${view.tool}${who}`, colour: "green", bold: true }];
    case "rejected":
      return [{
        text: `● rejected ${view.tool}${who}${reason ? `: ${reason}` : ""}`,
        colour: "red",
        bold: true,
      }];
    case "expired":
      return [{ text: `● expired ${view.tool}: nobody answered in time`, colour: "red" }];
    case "withdrawn":
      return [{ text: `● withdrawn ${view.tool}: the agent cancelled it or left`, dim: true }];
    case "released":
      return [{
        text: `● released ${view.tool}: the policy changed, the call was decided again`,
        dim: true,
      }];
  }
}

/** A policy or operator event as one segment of text. */
export function eventText(entry: StreamEntry & { kind: "policy" | "control" }): Segment {
  if (entry.kind === "policy") {
    const n = entry.notice;
    if (n.event === "reloaded") {
      return { text: `↻ policy reloaded from ${n.source}`, colour: "cyan" };
    }
    const first = (n.error ?? "").split("\n")[0];
    return {
      text: `✗ reload refused, old policy kept (e shows why): ${first}`,
      colour: "red",
      bold: true,
    };
  }
  const n = entry.notice;
  const who = n.by ? ` (${n.by})` : "";
  const what = n.event === "deny"
    ? `operator denied ${n.tool}${who}${n.reason ? `: ${n.reason}` : ""}`
    : n.event === "allow"
    ? `operator allowed ${n.tool}${who}`
    : `operator reset ${n.tool ? `the quotas of ${n.tool}` : "every quota"}${who}`;
  return { text: `● ${what}`, colour: n.event === "deny" ? "magenta" : "yellow" };
}

/** The newest policy or operator event among `entries`, or null. */
export function latestEvent(
  entries: readonly StreamEntry[],
): (StreamEntry & { kind: "policy" | "control" }) | null {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry.kind === "policy" || entry.kind === "control") return entry;
  }
  return null;
}
