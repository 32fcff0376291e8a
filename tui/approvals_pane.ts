/**
 * The approvals pane as pure functions: the calls held for a human on every proxy (tool, who
 * called, the arguments as the policy saw them on one line, time left counting down), the
 * selected call's full line, and the footer's hint while calls wait.
 */
import type { HeldSnapshot } from "./dashboard_state.ts";
import {
  callerText,
  fit,
  formatClock,
  formatDuration,
  oneLine,
  textWidth,
  titledRule,
  truncate,
} from "./format.ts";
import type { ScreenLine } from "./frame.ts";
import { type HeldKey, heldKey } from "./approval_keys.ts";
import { scrollStart } from "./navigation.ts";
import { type Colour, fitSegments, type Segment } from "./view_model.ts";

/** The held calls as the keys see them, in the pane's order. */
export function heldKeys(held: readonly HeldSnapshot[]): HeldKey[] {
  return held.map(({ proxy, view }) => ({
    key: heldKey(proxy, view.id),
    proxy,
    id: view.id,
    tool: view.tool,
    operator: view.from.includes("operator"),
  }));
}

/** Rows the pane takes on a screen of `rows`: its title and up to 3 calls (more when tall). */
export function paneRows(rows: number, count: number): number {
  if (count === 0) return 0;
  const most = Math.min(8, Math.max(2, Math.floor((rows - 18) / 2)));
  return 1 + Math.min(count, most);
}

export interface PaneOptions {
  width: number;
  /** Rows for the pane, its title included (`paneRows`). */
  rows: number;
  now: number;
  /** The selected call's `heldKey`, and whether the arrows move in the pane. */
  selected: string | null;
  focused: boolean;
  /** Name each call's proxy (several proxies show). */
  showProxy: boolean;
}

const CLOCK = 5;
const TOOL_MAX = 24;
const PROXY_MAX = 14;
const WHO_MAX = 24;

/** The pane's lines: a title, then one line per held call, soonest to expire first. */
export function approvalsPane(held: readonly HeldSnapshot[], options: PaneOptions): ScreenLine[] {
  const { width, now } = options;
  if (held.length === 0 || options.rows <= 0) return [];
  const rows = Math.max(0, options.rows - 1);
  const index = held.findIndex((h) => heldKey(h.proxy, h.view.id) === options.selected);
  const start = scrollStart(held.length, Math.max(0, index), rows);
  const shown = held.slice(start, start + rows);
  const hidden = held.length - shown.length;
  const title = [
    `held for approval: ${held.length}`,
    "y approves · n rejects",
    hidden > 0 ? `${hidden} more (↑ ↓)` : "",
  ].filter(Boolean).join(" · ");
  const lines: ScreenLine[] = [{
    segments: [{ text: titledRule(title, width), colour: "yellow", bold: options.focused }],
  }];
  const widths = columns(shown, width, options.showProxy);
  for (const item of shown) {
    const on = heldKey(item.proxy, item.view.id) === options.selected;
    lines.push({ segments: heldRow(item, widths, on, now), inverse: on && options.focused });
  }
  return lines;
}

interface Widths {
  tool: number;
  proxy: number;
  who: number;
  args: number;
}

function columns(shown: readonly HeldSnapshot[], width: number, showProxy: boolean): Widths {
  let tool = 8;
  let proxy = 0;
  let who = 3;
  for (const item of shown) {
    tool = Math.max(tool, textWidth(item.view.tool));
    if (showProxy) proxy = Math.max(proxy, textWidth(item.label));
    who = Math.max(who, textWidth(callerText(item.view)));
  }
  tool = Math.min(tool, TOOL_MAX);
  proxy = Math.min(proxy, PROXY_MAX);
  who = Math.min(who, WHO_MAX);
  const fixed = 2 + CLOCK + 1 + tool + 1 + (proxy ? proxy + 1 : 0);
  let args = width - fixed - who - 1;
  if (args < 16) {
    who = 0;
    args = width - fixed;
  }
  return { tool, proxy, who, args: Math.max(0, args) };
}

function heldRow(item: HeldSnapshot, widths: Widths, on: boolean, now: number): Segment[] {
  const { view } = item;
  const left = view.expiresAt - now;
  const segments: Segment[] = [
    { text: fit(on ? "›" : "", 2), bold: true },
    { text: fit(formatDuration(left), CLOCK, "right") + " ", colour: clockColour(left) },
    { text: fit(view.tool, widths.tool) + " ", colour: "yellow", bold: true },
  ];
  if (widths.proxy) segments.push({ text: fit(item.label, widths.proxy) + " ", colour: "blue" });
  if (widths.who) segments.push({ text: fit(callerText(view), widths.who) + " ", colour: "cyan" });
  const userOnly = !view.from.includes("operator");
  if (userOnly) segments.push({ text: "(the user answers) ", dim: true });
  const room = Math.max(0, widths.args - (userOnly ? 19 : 0));
  segments.push({ text: argsText(view.args, room) });
  return segments;
}

function clockColour(left: number): Colour {
  return left <= 5_000 ? "red" : "yellow";
}

/** The selected held call in a line: the arguments first, then where, the rule, who, the id. */
export function heldLine(item: HeldSnapshot | null, width: number, now: number): Segment[] {
  if (!item) return [{ text: "No call is waiting for approval", dim: true }];
  const { view } = item;
  const head = `${view.tool} on ${item.label}: `;
  const args = argsText(view.args, Math.max(20, Math.floor((width - textWidth(head)) * 0.6)));
  const parts = [
    `rule ${view.rule}`,
    view.client ? `client ${view.client}` : "",
    view.principal ? `principal ${view.principal}` : "",
    `session ${view.session.slice(0, 8)}`,
    `held at ${formatClock(view.requestedAt)}, ${formatDuration(view.expiresAt - now)} left`,
    view.askingUser ? "the user is asked too" : "",
    `id ${view.id}`,
  ].filter(Boolean).join(" · ");
  return fitSegments([
    { text: head, bold: true },
    { text: `${args} · ` },
    { text: parts, dim: true },
  ], width);
}

/** The footer's line while calls wait (when nothing else is said there); else null. */
export function heldHint(held: readonly HeldSnapshot[], now: number): Segment[] | null {
  const first = held[0];
  if (!first) return null;
  const left = formatDuration(first.view.expiresAt - now);
  const text = held.length > 1
    ? `⏸ ${held.length} calls wait for approval (the first for ${left}): ` +
      "↑ picks one, y approves it, n rejects it"
    : !first.view.from.includes("operator")
    ? `⏸ ${first.view.tool} waits for the agent's user on ${first.label} (${left} left)`
    : `⏸ ${first.view.tool} waits for approval on ${first.label} (${left} left): ` +
      "y approves it, n rejects it";
  return [{ text, colour: "yellow", bold: true }];
}

/** Top-level keys shown, at most; the rest is cut. */
const MAX_KEYS = 50;

/**
 * The arguments as the policy saw them, on one line within `width`: `key=value` in the order
 * they came, values as compact JSON; when that is too long, objects and arrays give way to
 * `{…}` and `[…N]` so every key shows, then the line is cut. Work is bounded by `width`, not by
 * the size of the arguments.
 */
export function argsText(args: Readonly<Record<string, unknown>>, width: number): string {
  if (width <= 0) return "";
  const entries: [string, unknown][] = [];
  for (const key in args) {
    if (!Object.hasOwn(args, key)) continue;
    if (entries.length === MAX_KEYS) break;
    entries.push([key, args[key]]);
  }
  if (entries.length === 0) return truncate("(no arguments)", width);
  const line = (short: boolean) =>
    entries.map(([key, value]) => {
      const nested = typeof value === "object" && value !== null;
      const text = short && nested
        ? Array.isArray(value) ? `[…${value.length}]` : "{…}"
        : compactJson(value, width + 1);
      return `${key.length > width ? key.slice(0, width) : key}=${text}`;
    }).join(" ");
  const full = oneLine(line(false));
  if (textWidth(full) <= width) return full;
  return truncate(line(true), width);
}

/** JSON without spaces, cut after about `budget` characters (the rest is never visited). */
export function compactJson(value: unknown, budget: number): string {
  let out = "";
  const write = (text: string): boolean => {
    out += text;
    return out.length <= budget;
  };
  const walk = (item: unknown, depth: number): boolean => {
    if (typeof item === "string") {
      return write(JSON.stringify(item.length > budget ? item.slice(0, budget) : item));
    }
    if (typeof item !== "object" || item === null) return write(String(JSON.stringify(item)));
    if (depth >= 32) return write("…");
    if (Array.isArray(item)) {
      if (!write("[")) return false;
      for (let i = 0; i < item.length; i++) {
        if ((i > 0 && !write(",")) || !walk(item[i], depth + 1)) return false;
      }
      return write("]");
    }
    if (!write("{")) return false;
    let first = true;
    for (const key in item) {
      if (!Object.hasOwn(item, key)) continue;
      if (!first && !write(",")) return false;
      first = false;
      const shown = key.length > budget ? key.slice(0, budget) : key;
      if (!write(`${JSON.stringify(shown)}:`)) return false;
      if (!walk((item as Record<string, unknown>)[key], depth + 1)) return false;
    }
    return write("}");
  };
  walk(value, 0);
  return out.length > budget ? out.slice(0, budget) : out;
}
