/**
 * The dashboard's keys as a pure function: a key and the UI state give the next UI state and,
 * maybe, a command for the store. The Ink component only feeds it keys and runs the command.
 */
import { oneLine } from "./format.ts";
import { cycle, moveSelection, resolveSelection } from "./navigation.ts";

export type Mode =
  | { kind: "normal" }
  | { kind: "filter"; text: string }
  | { kind: "reason"; scope: "one" | "all"; proxy: string; tool: string; text: string };

export interface UiState {
  /** The selected proxy's socket path and tool name; null follows the first one. */
  proxy: string | null;
  tool: string | null;
  filter: string;
  mode: Mode;
}

export const initialUi: UiState = { proxy: null, tool: null, filter: "", mode: { kind: "normal" } };

export type Command =
  | { kind: "deny"; proxy: string; tool: string; reason: string | null }
  | { kind: "allow"; proxy: string; tool: string }
  | { kind: "denyEverywhere"; tool: string; reason: string | null }
  | { kind: "allowEverywhere"; tool: string }
  | { kind: "reload"; proxy: string }
  | { kind: "reset"; proxy: string; tool: string }
  | { kind: "quit" };

/** The parts of Ink's `Key` the dashboard reads. */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

/** What is on screen when the key comes: proxy paths in order, the visible tools' names. */
export interface KeyContext {
  proxies: readonly string[];
  tools: readonly string[];
  pageSize: number;
}

export interface KeyResult {
  ui: UiState;
  command?: Command;
}

export function handleKey(
  ui: UiState,
  input: string,
  key: KeyInfo,
  context: KeyContext,
): KeyResult {
  switch (ui.mode.kind) {
    case "filter":
      return filterKey(ui, ui.mode, input, key);
    case "reason":
      return reasonKey(ui, ui.mode, input, key);
    default:
      return normalKey(ui, input, key, context);
  }
}

/**
 * Like `handleKey`, for what a terminal delivers at once: a paste, or keys typed faster than
 * they are read (`incident 42` and Enter may arrive as one chunk). Each character counts as a
 * key, and a line break as Enter.
 */
export function handleInput(
  ui: UiState,
  input: string,
  key: KeyInfo,
  context: KeyContext,
): { ui: UiState; commands: Command[] } {
  const chars = Array.from(input);
  if (chars.length <= 1) {
    const result = handleKey(ui, input, key, context);
    return { ui: result.ui, commands: result.command ? [result.command] : [] };
  }
  const commands: Command[] = [];
  for (const char of chars) {
    const enter = char === "\r" || char === "\n";
    const result = enter
      ? handleKey(ui, "", { return: true }, context)
      : handleKey(ui, char, {}, context);
    ui = result.ui;
    if (result.command) commands.push(result.command);
  }
  return { ui, commands };
}

function normalKey(ui: UiState, input: string, key: KeyInfo, context: KeyContext): KeyResult {
  const proxy = resolveSelection(context.proxies, ui.proxy);
  const tool = resolveSelection(context.tools, ui.tool);
  const move = (delta: number): KeyResult => ({
    ui: { ...ui, tool: moveSelection(context.tools, tool, delta) },
  });
  if (key.upArrow) return move(-1);
  if (key.downArrow) return move(1);
  if (key.pageUp) return move(-Math.max(1, context.pageSize));
  if (key.pageDown) return move(Math.max(1, context.pageSize));
  if (key.home) return move(-Infinity);
  if (key.end) return move(Infinity);
  if (key.tab) {
    return { ui: { ...ui, proxy: cycle(context.proxies, proxy, key.shift ? -1 : 1), tool: null } };
  }
  if (key.escape) return { ui: { ...ui, filter: "" } };
  if (key.ctrl || key.meta) return { ui };
  switch (input) {
    case "q":
      return { ui, command: { kind: "quit" } };
    case "/":
      return { ui: { ...ui, mode: { kind: "filter", text: ui.filter } } };
    case "r":
      return proxy ? { ui, command: { kind: "reload", proxy } } : { ui };
  }
  if (!proxy || !tool) return { ui };
  switch (input) {
    case "d":
      return { ui: { ...ui, tool, mode: { kind: "reason", scope: "one", proxy, tool, text: "" } } };
    case "D":
      return { ui: { ...ui, tool, mode: { kind: "reason", scope: "all", proxy, tool, text: "" } } };
    case "a":
      return { ui: { ...ui, tool }, command: { kind: "allow", proxy, tool } };
    case "A":
      return { ui: { ...ui, tool }, command: { kind: "allowEverywhere", tool } };
    case "x":
      return { ui: { ...ui, tool }, command: { kind: "reset", proxy, tool } };
  }
  return { ui };
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
): KeyResult {
  const normal = { ...ui, mode: { kind: "normal" } as const };
  if (key.escape) return { ui: normal };
  if (key.return) {
    const reason = mode.text.trim() || null;
    const command: Command = mode.scope === "all"
      ? { kind: "denyEverywhere", tool: mode.tool, reason }
      : { kind: "deny", proxy: mode.proxy, tool: mode.tool, reason };
    return { ui: normal, command };
  }
  return { ui: { ...ui, mode: { ...mode, text: editText(mode.text, input, key) } } };
}

/** A line of text after one key: printable input appended, backspace takes one back. */
function editText(text: string, input: string, key: KeyInfo): string {
  if (key.backspace || key.delete) return Array.from(text).slice(0, -1).join("");
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow) return text;
  return text + oneLine(input);
}
