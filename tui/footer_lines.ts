/** The footer's two lines: a prompt, a confirmation, a message, a notice or a guide; the keys. */
import type { DashboardSnapshot } from "./dashboard_state.ts";
import { truncate } from "./format.ts";
import type { FrameOptions, ScreenLine } from "./frame.ts";
import { heldHint } from "./approvals_pane.ts";
import { FOOTER_KEYS, helpLine } from "./frame_text.ts";
import type { KeyContext, UiState } from "./keymap.ts";

const NOTICE_COLOURS = { info: "green", warn: "yellow", error: "red" } as const;

export function footerLines(
  snapshot: DashboardSnapshot,
  ui: UiState,
  options: FrameOptions,
  context: KeyContext,
): ScreenLine[] {
  const width = options.columns;
  const mode = ui.mode;
  const hint = (text: string): ScreenLine => ({ segments: [{ text, dim: true }] });
  switch (mode.kind) {
    case "reason": {
      if (mode.tool === null) {
        return [
          {
            segments: [{
              text: "No tool selected: nothing to deny.",
              colour: "yellow",
              bold: true,
            }],
          },
          hint("Esc closes · pick a tool with ↑ ↓ first"),
        ];
      }
      const what = mode.scope === "all"
        ? `Deny ${mode.tool} on all ${context.everywhere.length} proxies`
        : `Deny ${mode.tool}`;
      const typed = `, reason (optional): ${mode.text}█`;
      // Cut from the start, so what is being typed stays in view.
      const room = Math.max(0, width - Array.from(what).length);
      return [
        {
          segments: [{ text: what, colour: "magenta", bold: true }, {
            text: truncateStart(typed, room),
          }],
        },
        hint(
          mode.scope === "all"
            ? "Enter asks to confirm · Esc cancels"
            : "Enter denies · Esc cancels",
        ),
      ];
    }
    case "confirm": {
      const verb = mode.action === "deny" ? "Deny" : "Allow";
      const names = mode.proxies.join(", ");
      return [
        {
          segments: [
            {
              text: `${verb} ${mode.tool} on all ${mode.proxies.length} proxies: `,
              colour: "magenta",
              bold: true,
            },
            { text: `${names}?` },
          ],
        },
        { segments: [{ text: "y sends it · n or Esc cancels", bold: true }] },
      ];
    }
    case "reject": {
      const held = (snapshot.approvals ?? []).find((h) =>
        h.proxy === mode.proxy && h.view.id === mode.id
      );
      const what = `Reject ${mode.tool}`;
      const typed = `, reason (optional): ${mode.text}█`;
      const room = Math.max(0, width - Array.from(what).length);
      return [
        {
          segments: [{ text: what, colour: "red", bold: true }, {
            text: truncateStart(typed, room),
          }],
        },
        held ? hint(`Enter rejects it (the agent reads the reason) · Esc cancels`) : {
          segments: [{
            text: "It is not waiting any more (Enter asks the proxy anyway) · Esc cancels",
            colour: "yellow",
          }],
        },
      ];
    }
    case "filter":
      return [
        { segments: [{ text: truncateStart(`/${mode.text}█`, width) }] },
        hint("Filter tools and decisions · Enter keeps it · Esc clears it"),
      ];
  }
  const notice = snapshot.notice;
  const first: ScreenLine = ui.message
    ? { segments: [{ text: ui.message, colour: "yellow", bold: true }] }
    : notice
    ? { segments: [{ text: truncate(notice.text, width), colour: NOTICE_COLOURS[notice.level] }] }
    : ui.filter
    ? hint(`filter: ${ui.filter} (Esc clears)`)
    : snapshot.approvals?.length
    ? { segments: heldHint(snapshot.approvals, snapshot.now)! }
    : options.guide && snapshot.proxies.length > 0
    ? { segments: [{ text: options.guide, colour: "cyan" }] }
    : { segments: [] };
  const keys = snapshot.proxies.length === 0
    ? helpLine(width, [["?", "help"], ["q", "quit"]])
    : snapshot.approvals?.length
    ? helpLine(width, [["y/n", "approve/reject"], ...FOOTER_KEYS])
    : helpLine(width);
  return [first, hint(keys)];
}

function truncateStart(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  return "…" + chars.slice(chars.length - width + 1).join("");
}
