/**
 * The dashboard's keys as a pure function: a key and the UI state give the next UI state and,
 * maybe, a command for the store. The Ink component only feeds it keys and runs the commands.
 */
import { approvalKey, type HeldKey } from "./approval_keys.ts";
import type { StreamEntry } from "./dashboard_state.ts";
import { oneLine } from "./format.ts";
import { type KeyInfo, splitKeys } from "./key_input.ts";
import { cycle, moveSelection, resolveSelection } from "./navigation.ts";

export type { KeyInfo } from "./key_input.ts";

export type Mode =
  | { kind: "normal" }
  | { kind: "filter"; text: string }
  /** Typing a deny's reason; `tool` null when none was selected (nothing will be denied). */
  | { kind: "reason"; scope: "one" | "all"; proxy: string; tool: string | null; text: string }
  /** An action on every proxy, waiting for y; `proxies` are their labels. */
  | {
    kind: "confirm";
    action: "deny" | "allow";
    tool: string;
    reason: string | null;
    proxies: readonly string[];
  }
  /** Typing the reason to reject a held call (`n`). */
  | { kind: "reject"; proxy: string; id: string; tool: string; text: string }
  | { kind: "help"; scroll: number }
  | { kind: "error"; proxy: string; scroll: number };

export interface UiState {
  /** The selected proxy's socket path and tool name; null follows the first one. */
  proxy: string | null;
  tool: string | null;
  filter: string;
  mode: Mode;
  /** Tools by calls per minute (busiest first), or by name. */
  sort: "activity" | "name";
  /** The stream of the selected proxy, or of every proxy. */
  scope: "proxy" | "all";
  /** While paused: the stream as it was, and how many lines it is scrolled back. */
  paused: { entries: readonly StreamEntry[]; back: number } | null;
  /** A message for the last key ("No tool selected"), gone at the next key. */
  message: string | null;
  /** The held call chosen in the approvals pane (`heldKey`); null follows the first. */
  approval: string | null;
  /** Which list the arrows move: the tool table or the approvals pane. */
  focus: "tools" | "approvals";
}

export const initialUi: UiState = {
  proxy: null,
  tool: null,
  filter: "",
  mode: { kind: "normal" },
  sort: "activity",
  scope: "proxy",
  paused: null,
  message: null,
  approval: null,
  focus: "tools",
};

export type Command =
  | { kind: "deny"; proxy: string; tool: string; reason: string | null }
  | { kind: "allow"; proxy: string; tool: string }
  | { kind: "denyEverywhere"; tool: string; reason: string | null }
  | { kind: "allowEverywhere"; tool: string }
  | { kind: "reload"; proxy: string }
  | { kind: "reset"; proxy: string; tool: string }
  | { kind: "approve"; proxy: string; id: string; tool: string }
  | { kind: "reject"; proxy: string; id: string; tool: string; reason: string | null }
  | { kind: "quit" };

/** What is on screen when the key comes. */
export interface KeyContext {
  /** Proxy socket paths in tab order. */
  proxies: readonly string[];
  /** Labels of the connected proxies, which an action on every proxy reaches. */
  everywhere: readonly string[];
  /** The visible tools' names, in table order. */
  tools: readonly string[];
  /** Rows of the tool table, and of the stream. */
  pageSize: number;
  streamRows: number;
  /** The stream in view (scope and filter applied), for pausing. */
  stream: readonly StreamEntry[];
  /** Whether the selected proxy has a refused reload's error to open. */
  hasError: boolean;
  /** The held calls in the approvals pane, in its order; none when absent. */
  approvals?: readonly HeldKey[];
  /** Rows of the approvals pane. */
  approvalRows?: number;
}

export interface KeyResult {
  ui: UiState;
  command?: Command;
}

/**
 * Every key in one `useInput` call, in order. Each key is taken in the context the keys before
 * it made (a Tab then `d` in one read asks about the newly selected proxy's tool): give a
 * function of the UI state when the context depends on it.
 */
export function handleInput(
  ui: UiState,
  input: string,
  key: KeyInfo,
  context: KeyContext | ((ui: UiState) => KeyContext),
): { ui: UiState; commands: Command[] } {
  const contextOf = typeof context === "function" ? context : () => context;
  const commands: Command[] = [];
  for (const press of splitKeys(input, key)) {
    const result = handleKey(ui, press.input, press.key, contextOf(ui));
    ui = result.ui;
    if (result.command) commands.push(result.command);
  }
  return { ui, commands };
}

export function handleKey(
  ui: UiState,
  input: string,
  key: KeyInfo,
  context: KeyContext,
): KeyResult {
  if (ui.message !== null) ui = { ...ui, message: null };
  switch (ui.mode.kind) {
    case "filter":
      return filterKey(ui, ui.mode, input, key);
    case "reason":
      return reasonKey(ui, ui.mode, input, key, context);
    case "reject":
      return rejectKey(ui, ui.mode, input, key);
    case "confirm":
      return confirmKey(ui, ui.mode, input, key);
    case "help":
    case "error":
      return overlayKey(ui, ui.mode, input, key);
    default:
      return normalKey(ui, input, key, context);
  }
}

function normalKey(ui: UiState, input: string, key: KeyInfo, context: KeyContext): KeyResult {
  // With nothing held, the arrows are the tool table's again.
  if (ui.focus === "approvals" && !context.approvals?.length) ui = { ...ui, focus: "tools" };
  const held = approvalKey(ui, input, key, context);
  if (held) return held;
  const proxy = resolveSelection(context.proxies, ui.proxy);
  const tool = resolveSelection(context.tools, ui.tool);
  const move = (delta: number): KeyResult => ({
    ui: { ...ui, tool: moveSelection(context.tools, tool, delta) },
  });
  const page = Math.max(1, context.pageSize);
  if (key.upArrow) return move(-1);
  if (key.downArrow) return move(1);
  if (ui.paused && (key.pageUp || key.pageDown || key.home || key.end)) {
    return { ui: { ...ui, paused: scrolled(ui.paused, key, context.streamRows) } };
  }
  if (key.pageUp) return move(-page);
  if (key.pageDown) return move(page);
  if (key.home) return move(-Infinity);
  if (key.end) return move(Infinity);
  if (key.tab) {
    return { ui: { ...ui, proxy: cycle(context.proxies, proxy, key.shift ? -1 : 1), tool: null } };
  }
  if (key.escape) return { ui: { ...ui, filter: "" } };
  if (key.ctrl || key.meta || input === "") return { ui };
  switch (input) {
    case "q":
      return { ui, command: { kind: "quit" } };
    case "?":
      return { ui: { ...ui, mode: { kind: "help", scroll: 0 } } };
    case "/":
      return { ui: { ...ui, mode: { kind: "filter", text: ui.filter } } };
    case "s":
      return { ui: { ...ui, sort: ui.sort === "activity" ? "name" : "activity" } };
    case "v":
      return { ui: { ...ui, scope: ui.scope === "proxy" ? "all" : "proxy", paused: null } };
    case "p":
      return {
        ui: { ...ui, paused: ui.paused ? null : { entries: context.stream, back: 0 } },
      };
    case "e":
      if (proxy && context.hasError) {
        return { ui: { ...ui, mode: { kind: "error", proxy, scroll: 0 } } };
      }
      return { ui: { ...ui, message: "No refused reload to show" } };
    case "r":
      return proxy ? { ui, command: { kind: "reload", proxy } } : { ui };
  }
  if (!proxy) return { ui };
  switch (input) {
    case "d":
    case "D": {
      const scope = input === "D" ? "all" : "one";
      return { ui: { ...ui, tool, mode: { kind: "reason", scope, proxy, tool, text: "" } } };
    }
  }
  if (!"aAx".includes(input)) return { ui };
  if (!tool) return { ui: { ...ui, message: "No tool selected: pick one with ↑ ↓ first" } };
  switch (input) {
    case "a":
      return { ui: { ...ui, tool }, command: { kind: "allow", proxy, tool } };
    case "A":
      return { ui: { ...ui, tool, mode: confirm("allow", tool, null, context) } };
    default:
      return { ui: { ...ui, tool }, command: { kind: "reset", proxy, tool } };
  }
}

function confirm(
  action: "deny" | "allow",
  tool: string,
  reason: string | null,
  context: KeyContext,
): Mode {
  return { kind: "confirm", action, tool, reason, proxies: context.everywhere };
}

function scrolled(
  paused: NonNullable<UiState["paused"]>,
  key: KeyInfo,
  rows: number,
): NonNullable<UiState["paused"]> {
  const most = Math.max(0, paused.entries.length - Math.max(1, rows));
  const page = Math.max(1, rows - 1);
  const back = key.home ? most : key.end ? 0 : paused.back + (key.pageUp ? page : -page);
  return { ...paused, back: Math.min(most, Math.max(0, back)) };
}

function filterKey(
  ui: UiState,
  mode: Mode & { kind: "filter" },
  input: string,
  key: KeyInfo,
): KeyResult {
  if (key.escape) return { ui: { ...ui, filter: "", mode: { kind: "normal" } } };
  if (key.return) return { ui: { ...ui, mode: { kind: "normal" } } };
  const text = editText(mode.text, input, key);
  return { ui: { ...ui, filter: text, mode: { ...mode, text } } };
}

function reasonKey(
  ui: UiState,
  mode: Mode & { kind: "reason" },
  input: string,
  key: KeyInfo,
  context: KeyContext,
): KeyResult {
  const normal = { ...ui, mode: { kind: "normal" } as const };
  if (key.escape) return { ui: normal };
  if (mode.tool === null) {
    // Whatever is typed here is swallowed: it must not run as keys.
    if (!key.return) return { ui };
    return { ui: { ...normal, message: "No tool selected: nothing was denied" } };
  }
  if (key.return) {
    const reason = mode.text.trim() || null;
    if (mode.scope === "all") {
      return { ui: { ...ui, mode: confirm("deny", mode.tool, reason, context) } };
    }
    return { ui: normal, command: { kind: "deny", proxy: mode.proxy, tool: mode.tool, reason } };
  }
  return { ui: { ...ui, mode: { ...mode, text: editText(mode.text, input, key) } } };
}

function rejectKey(
  ui: UiState,
  mode: Mode & { kind: "reject" },
  input: string,
  key: KeyInfo,
): KeyResult {
  const normal = { ...ui, mode: { kind: "normal" } as const };
  if (key.escape) return { ui: { ...normal, message: "Cancelled: nothing was sent" } };
  if (key.return) {
    const reason = mode.text.trim() || null;
    const { proxy, id, tool } = mode;
    return { ui: normal, command: { kind: "reject", proxy, id, tool, reason } };
  }
  // Whatever is typed is the reason: it never runs as keys.
  return { ui: { ...ui, mode: { ...mode, text: editText(mode.text, input, key) } } };
}

function confirmKey(
  ui: UiState,
  mode: Mode & { kind: "confirm" },
  input: string,
  key: KeyInfo,
): KeyResult {
  const normal = { ...ui, mode: { kind: "normal" } as const };
  if (input === "y" || input === "Y") {
    const command: Command = mode.action === "deny"
      ? { kind: "denyEverywhere", tool: mode.tool, reason: mode.reason }
      : { kind: "allowEverywhere", tool: mode.tool };
    return { ui: normal, command };
  }
  if (input === "n" || input === "N" || input === "q" || key.escape) {
    return { ui: { ...normal, message: "Cancelled: nothing was sent" } };
  }
  return { ui };
}

function overlayKey(
  ui: UiState,
  mode: Mode & { kind: "help" | "error" },
  input: string,
  key: KeyInfo,
): KeyResult {
  const closeKeys = mode.kind === "help" ? ["?", "q"] : ["e", "q"];
  if (key.escape || key.return || closeKeys.includes(input)) {
    return { ui: { ...ui, mode: { kind: "normal" } } };
  }
  const delta = key.upArrow ? -1 : key.downArrow ? 1 : key.pageUp ? -10 : key.pageDown ? 10 : 0;
  if (delta === 0) return { ui };
  return { ui: { ...ui, mode: { ...mode, scroll: Math.max(0, mode.scroll + delta) } } };
}

/** A line of text after one key: printable input appended, backspace takes one back. */
function editText(text: string, input: string, key: KeyInfo): string {
  if (key.backspace || key.delete) return Array.from(text).slice(0, -1).join("");
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow) return text;
  return text + oneLine(input);
}
