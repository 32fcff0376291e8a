/**
 * The whole screen as a pure function of the store's snapshot, the UI state and the terminal
 * size: exactly `rows` lines of segments, each within `columns`, plus what the keys need to
 * know about it. The Ink app only styles these lines and draws them.
 */
import type {
  DashboardSnapshot,
  HeldSnapshot,
  ProxySnapshot,
  StreamEntry,
} from "./dashboard_state.ts";
import { approvalsPane, heldKeys, heldLine, paneRows } from "./approvals_pane.ts";
import { titledRule } from "./format.ts";
import {
  emptyLines,
  errorLines,
  headerLines,
  helpLines,
  proxyTabs,
  toolLine,
  tooSmallLines,
  wrapSegments,
} from "./frame_text.ts";
import { footerLines } from "./footer_lines.ts";
import type { KeyContext, UiState } from "./keymap.ts";
import {
  filterStream,
  filterTools,
  layoutRows,
  resolveSelection,
  scrollStart,
  sortTools,
  streamOf,
  tooSmall,
} from "./navigation.ts";
import {
  collapseStream,
  eventText,
  latestEvent,
  streamColumns,
  streamLine,
} from "./stream_view.ts";
import { fitSegments, type Segment, toolColumns, toolHeader, toolRow } from "./view_model.ts";

export interface ScreenLine {
  segments: Segment[];
  inverse?: boolean;
}

export interface FrameOptions {
  columns: number;
  rows: number;
  /** A hint for newcomers in the footer when nothing else is said there (the demo's). */
  guide?: string | null;
  /** Shown instead of "no proxies" while something starts (the demo's splash). */
  splash?: readonly string[] | null;
}

export interface Frame {
  lines: ScreenLine[];
  context: KeyContext;
}

export function buildFrame(snapshot: DashboardSnapshot, ui: UiState, options: FrameOptions): Frame {
  const { columns: width, rows } = options;
  const paths = snapshot.proxies.map((proxy) => proxy.path);
  const path = resolveSelection(paths, ui.proxy);
  const proxy = snapshot.proxies.find((p) => p.path === path) ?? null;
  const tools = proxy ? sortTools(filterTools(proxy.tools, ui.filter), ui.sort) : [];
  const toolName = resolveSelection(tools.map((t) => t.name), ui.tool);
  const followed = ui.scope === "all" || snapshot.proxies.length < 2 ? null : path;
  const stream = filterStream(streamOf(snapshot.stream, followed), ui.filter);
  const header = proxy
    ? [
      ...(snapshot.proxies.length > 1 ? [proxyTabs(snapshot.proxies, path, width)] : []),
      ...headerLines(proxy, width, snapshot.now),
    ]
    : [];
  const held = snapshot.approvals ?? [];
  const keys = heldKeys(held);
  const chosen = resolveSelection(keys.map((k) => k.key), ui.approval);
  const heldFocus = ui.focus === "approvals" && held.length > 0;
  // While the pane has the arrows, the line under the table is the selected call's.
  const focusHeld = heldFocus
    ? { item: held[keys.findIndex((k) => k.key === chosen)] ?? null }
    : null;
  const pane = proxy && !tooSmall(width, rows)
    ? approvalsPane(held, {
      width,
      rows: paneRows(rows, held.length),
      now: snapshot.now,
      selected: chosen,
      focused: heldFocus,
      showProxy: snapshot.proxies.length > 1,
    })
    : [];
  const layout = layoutRows(rows, header.length + pane.length, tools.length);
  const context: KeyContext = {
    proxies: paths,
    everywhere: snapshot.proxies.filter((p) => p.link === "connected").map((p) => p.label),
    tools: tools.map((t) => t.name),
    pageSize: Math.max(1, layout.toolRows - 1),
    streamRows: layout.streamRows,
    stream,
    hasError: proxy?.policyError != null,
    approvals: keys,
    approvalRows: Math.max(0, pane.length - 1),
  };
  let lines: ScreenLine[];
  if (tooSmall(width, rows)) {
    const message = tooSmallLines(width, rows).map((text, i): Segment[] => [
      { text, bold: i === 0, colour: i === 0 ? "yellow" : undefined },
    ]);
    lines = wrapSegments(message, width).map((segments) => ({ segments }));
  } else if (!proxy) {
    lines = emptyScreen(snapshot, options);
  } else {
    const body = ui.mode.kind === "help" || ui.mode.kind === "error"
      ? overlay(ui, proxy, width, rows - header.length - 2)
      : [
        ...pane,
        ...table(tools, toolName, proxy, layout.toolRows, ui, width, snapshot.now, focusHeld),
        ...streamArea(
          stream,
          ui,
          proxy,
          followed,
          layout.streamRows,
          width,
          snapshot.proxies.length,
        ),
      ];
    lines = [...header.map((segments) => ({ segments })), ...body];
  }
  const footer = tooSmall(width, rows) ? [] : footerLines(snapshot, ui, options, context);
  while (lines.length < rows - footer.length) lines.push({ segments: [] });
  lines = [...lines.slice(0, Math.max(0, rows - footer.length)), ...footer].slice(0, rows);
  return {
    lines: lines.map((line) => ({ ...line, segments: fitSegments(line.segments, width) })),
    context,
  };
}

function emptyScreen(snapshot: DashboardSnapshot, options: FrameOptions): ScreenLine[] {
  const lines = emptyLines(snapshot.source, snapshot.discovered, options.splash ?? null);
  return [
    { segments: [{ text: "intercept dashboard", bold: true }] },
    ...lines.map((text, i): ScreenLine => ({
      segments: [i === 0 ? { text, colour: "yellow" } : { text, dim: true }],
    })),
  ];
}

function table(
  tools: ReturnType<typeof sortTools>,
  selected: string | null,
  proxy: ProxySnapshot,
  rows: number,
  ui: UiState,
  width: number,
  now: number,
  focusHeld: { item: HeldSnapshot | null } | null,
): ScreenLine[] {
  const longest = tools.reduce((most, t) => Math.max(most, Array.from(t.name).length), 0);
  const columns = toolColumns(width, longest);
  const index = tools.findIndex((tool) => tool.name === selected);
  const start = scrollStart(tools.length, Math.max(0, index), rows);
  const lines: ScreenLine[] = [{
    segments: [{ text: toolHeader(columns, ui.sort), bold: true, dim: true }],
  }];
  if (tools.length === 0) {
    const text = ui.filter ? `No tool matches "${ui.filter}"` : "No tools yet";
    lines.push({ segments: [{ text, dim: true }] });
  }
  for (const tool of tools.slice(start, start + rows)) {
    const on = tool.name === selected;
    const liveDenies = proxy.status?.liveDenies ?? [];
    lines.push({
      segments: toolRow(tool, columns, { selected: on, now, liveDenies }),
      inverse: on && !focusHeld,
    });
  }
  while (lines.length < rows + 1) lines.push({ segments: [] });
  const tool = tools.find((t) => t.name === selected) ?? null;
  lines.push({
    segments: focusHeld ? heldLine(focusHeld.item, width, now) : toolLine(tool, proxy, width, now),
  });
  return lines;
}

function streamArea(
  stream: readonly StreamEntry[],
  ui: UiState,
  proxy: ProxySnapshot,
  followed: string | null,
  rows: number,
  width: number,
  proxyCount: number,
): ScreenLine[] {
  const entries = ui.paused ? ui.paused.entries : stream;
  const collapsed = collapseStream(entries);
  const back = ui.paused?.back ?? 0;
  const end = collapsed.length - back;
  let shown = collapsed.slice(Math.max(0, end - rows), end);
  // The newest policy or operator event stays in view, pinned, when decisions pushed it out.
  const event = latestEvent(entries);
  const pinned = event && rows > 1 && !shown.some((row) => row.entry === event) ? event : null;
  if (pinned) shown = shown.slice(1);
  const whose = followed === null ? (proxyCount > 1 ? "every proxy" : proxy.label) : proxy.label;
  const state = ui.paused
    ? `paused (p follows)${newer(stream, ui.paused.entries)}${back ? ` · ${back} back` : ""}`
    : "";
  const title = ["decisions", whose, ui.filter ? `matching "${ui.filter}"` : "", state]
    .filter(Boolean).join(" · ");
  const lines: ScreenLine[] = [{
    segments: [{
      text: titledRule(title, width),
      dim: !ui.paused,
      bold: !!ui.paused,
      colour: ui.paused ? "yellow" : undefined,
    }],
  }];
  if (rows <= 0) return lines;
  if (pinned) {
    lines.push({
      segments: [{ text: "pinned   ", dim: true }, eventText(pinned)],
    });
  }
  if (shown.length === 0 && !pinned) {
    lines.push({
      segments: [{ text: ui.filter ? "No decision matches" : "No decisions yet", dim: true }],
    });
  }
  const columns = streamColumns(shown, width, { showProxy: followed === null && proxyCount > 1 });
  for (const row of shown) lines.push({ segments: streamLine(row, width, columns) });
  return lines;
}

function newer(live: readonly StreamEntry[], frozen: readonly StreamEntry[]): string {
  const last = frozen.at(-1)?.notice.ts ?? -Infinity;
  let count = 0;
  for (let i = live.length - 1; i >= 0 && live[i].notice.ts > last; i--) count++;
  return count ? ` · ${count} newer` : "";
}

function overlay(ui: UiState, proxy: ProxySnapshot, width: number, rows: number): ScreenLine[] {
  const mode = ui.mode as { kind: "help" | "error"; scroll: number };
  const content = mode.kind === "help" ? helpLines() : errorLines(proxy.policyError ?? "");
  const wrapped = wrapSegments(content, width);
  const scroll = Math.min(mode.scroll, Math.max(0, wrapped.length - rows));
  return wrapped.slice(scroll, scroll + rows).map((segments) => ({ segments }));
}
