/**
 * The keys of the approvals pane, as a pure function beside the keymap: `y` approves the
 * selected held call, `n` asks a reason and rejects it, and the arrows move between the tool
 * table and the pane (↑ from the first tool enters the pane, ↓ from its last call leaves it).
 */
import type { KeyContext, KeyInfo, KeyResult, UiState } from "./keymap.ts";
import { moveSelection, resolveSelection } from "./navigation.ts";

/** A held call as the keys see it. */
export interface HeldKey {
  /** Unique across proxies: the proxy's socket path and the call's id. */
  key: string;
  proxy: string;
  id: string;
  tool: string;
  /** An operator may answer it (`from` names `operator`). */
  operator: boolean;
}

export function heldKey(proxy: string, id: string): string {
  return `${proxy}\u0000${id}`;
}

/** The pane has the arrows: the operator moved there and calls are held. */
export function approvalsFocused(ui: UiState, context: KeyContext): boolean {
  return ui.focus === "approvals" && (context.approvals?.length ?? 0) > 0;
}

/** The held call `y` and `n` act on: the one chosen, else the first (soonest to expire). */
export function selectedHeld(ui: UiState, context: KeyContext): HeldKey | null {
  const held = context.approvals ?? [];
  const key = resolveSelection(held.map((h) => h.key), ui.approval);
  return held.find((h) => h.key === key) ?? null;
}

/** A key for the pane in normal mode, or null when it is not one (the keymap takes it). */
export function approvalKey(
  ui: UiState,
  input: string,
  key: KeyInfo,
  context: KeyContext,
): KeyResult | null {
  const held = context.approvals ?? [];
  const keys = held.map((h) => h.key);
  const current = selectedHeld(ui, context);
  if (approvalsFocused(ui, context)) {
    const select = (delta: number): KeyResult => ({
      ui: { ...ui, approval: moveSelection(keys, current?.key ?? null, delta) },
    });
    if (key.upArrow) return select(-1);
    if (key.downArrow) {
      if (current?.key !== keys.at(-1)) return select(1);
      return { ui: { ...ui, focus: "tools", tool: context.tools[0] ?? null } };
    }
    // While the stream is paused, the page keys scroll it.
    if (!ui.paused) {
      const page = Math.max(1, (context.approvalRows ?? 1) - 1);
      if (key.pageUp) return select(-page);
      if (key.pageDown) return select(page);
      if (key.home) return select(-Infinity);
      if (key.end) return select(Infinity);
    }
  } else if (key.upArrow && held.length > 0) {
    const tool = resolveSelection(context.tools, ui.tool);
    if (tool === null || context.tools.indexOf(tool) === 0) {
      return { ui: { ...ui, focus: "approvals", approval: keys.at(-1)! } };
    }
  }
  if (key.ctrl || key.meta || (input !== "y" && input !== "n")) return null;
  if (!current) return { ui: { ...ui, message: "No call is waiting for approval" } };
  if (!current.operator) {
    return {
      ui: {
        ...ui,
        message: `Only the agent's user can answer ${current.tool} (the rule says from: user)`,
      },
    };
  }
  const chosen = { ...ui, approval: current.key };
  if (input === "y") {
    return {
      ui: chosen,
      command: { kind: "approve", proxy: current.proxy, id: current.id, tool: current.tool },
    };
  }
  const mode = {
    kind: "reject",
    proxy: current.proxy,
    id: current.id,
    tool: current.tool,
    text: "",
  } as const;
  return { ui: { ...chosen, mode } };
}
