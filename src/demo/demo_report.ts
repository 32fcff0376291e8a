/**
 * What the demo prints without the dashboard: one line per decision, and a summary at the end
 * (calls allowed and denied per tool, and why calls were denied). Pure formatting.
 */
import type { ApprovalNotice } from "../control/protocol.ts";
import type { AgentCall, AgentLink } from "./simulated_agent.ts";

export interface FormatOptions {
  /** ANSI colours: allow green, deny red. */
  color?: boolean;
  /** Longest line; the result text is cut to fit (default: no limit). */
  width?: number;
}

const GREEN = "\x1b[32m";
const RED = "\x1b[31m";
const YELLOW = "\x1b[33m";
const DIM = "\x1b[2m";
const BOLD = "\x1b[1m";
const RESET = "\x1b[0m";

const TOOL_COLUMN = 18;

function paint(text: string, code: string, color: boolean): string {
  return color && text !== "" ? `${code}${text}${RESET}` : text;
}

/** `HH:MM:SS.mmm` in local time. */
export function clock(ts: number): string {
  const d = new Date(ts);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.` +
    String(d.getMilliseconds()).padStart(3, "0");
}

/** `12:00:01.234  produce-message     DENY   Writes are limited ... (retry in 41s)  [rule]` */
export function formatCallLine(call: AgentCall, options: FormatOptions = {}): string {
  const color = options.color ?? false;
  const verdict = call.allowed ? "ALLOW" : "DENY ";
  const head = `${clock(call.ts)}  ${call.tool.padEnd(TOOL_COLUMN)} `;
  const firstLine = call.text.split("\n", 1)[0];
  const detail = call.isError ? `server error: ${firstLine}` : firstLine;
  const room = (options.width ?? Infinity) - head.length - verdict.length - 2;
  // The reason comes first; the rule's name only where it fits.
  const rule = call.allowed || !call.rule || detail.length + call.rule.length + 4 > room
    ? ""
    : `  [${call.rule}]`;
  const cut = detail.length > room ? `${detail.slice(0, Math.max(room - 1, 10))}…` : detail;
  return head + paint(verdict, call.allowed ? GREEN : RED, color) + "  " +
    (call.isError ? paint(cut, YELLOW, color) : cut) + paint(rule, DIM, color);
}

/** `12:00:01.234  create-connector   HELD   waits for a human (3s): New connectors are ...` */
export function formatHeldLine(notice: ApprovalNotice, options: FormatOptions = {}): string {
  const { approval } = notice;
  const head = `${clock(notice.ts)}  ${approval.tool.padEnd(TOOL_COLUMN)} `;
  const seconds = Math.round((approval.expiresAt - approval.requestedAt) / 1000);
  const why = approval.reason ? `: ${approval.reason}` : "";
  const detail = `waits for a human (${seconds}s)${why}`;
  const room = (options.width ?? Infinity) - head.length - 7;
  const cut = detail.length > room ? `${detail.slice(0, Math.max(room - 1, 10))}…` : detail;
  return head + paint("HELD ", YELLOW, options.color ?? false) + "  " + cut;
}

/** `The agent speaks MCP 2026-07-28 (modern era)`: how its client connected. */
export function formatLink(link: AgentLink, options: FormatOptions = {}): string {
  return paint(`The agent speaks ${describeLink(link)}`, DIM, options.color ?? false);
}

function describeLink(link: AgentLink): string {
  return `MCP ${link.protocolVersion} (${link.era} era)`;
}

/** A step of the agent's script, as a heading between decision lines. */
export function formatNote(text: string, options: FormatOptions = {}): string {
  return paint(`── ${text}`, BOLD, options.color ?? false);
}

interface ToolCount {
  allowed: number;
  denied: number;
}

/** Counts of the calls seen so far, for the summary. */
export class DemoTally {
  readonly tools = new Map<string, ToolCount>();
  /** Denial reason (without the "retry in") → tool → count. */
  readonly reasons = new Map<string, Map<string, number>>();
  allowed = 0;
  denied = 0;
  /** The era the agent connected on; null until it did. */
  link: AgentLink | null = null;
  /** Calls held for a human, and what became of them. */
  readonly held: Record<ApprovalNotice["event"], number> = {
    requested: 0,
    granted: 0,
    rejected: 0,
    expired: 0,
    withdrawn: 0,
    released: 0,
  };

  /** A held call, or what became of one. */
  approval(notice: ApprovalNotice): void {
    if (Object.hasOwn(this.held, notice.event)) this.held[notice.event]++;
  }

  add(call: AgentCall): void {
    const count = this.tools.get(call.tool) ?? { allowed: 0, denied: 0 };
    this.tools.set(call.tool, count);
    if (call.allowed) {
      count.allowed++;
      this.allowed++;
      return;
    }
    count.denied++;
    this.denied++;
    const reason = call.text.replace(/ \(retry in [^)]*\)$/, "");
    const byTool = this.reasons.get(reason) ?? new Map<string, number>();
    this.reasons.set(reason, byTool);
    byTool.set(call.tool, (byTool.get(call.tool) ?? 0) + 1);
  }

  /** The summary's lines. */
  summary(elapsedMs: number): string[] {
    const seconds = (elapsedMs / 1000).toFixed(1);
    const lines = [
      `Summary: ${this.allowed + this.denied} calls in ${seconds}s, ` +
      `${this.allowed} allowed, ${this.denied} denied`,
      `  ${"tool".padEnd(TOOL_COLUMN)} ${"allowed".padStart(7)} ${"denied".padStart(7)}`,
    ];
    for (const [tool, count] of [...this.tools].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(
        `  ${tool.padEnd(TOOL_COLUMN)} ${String(count.allowed).padStart(7)} ` +
          String(count.denied).padStart(7),
      );
    }
    if (this.held.requested > 0) {
      const { requested, granted, rejected, expired, withdrawn, released } = this.held;
      const outcomes = [
        `${granted} approved`,
        `${rejected} rejected`,
        `${expired} timed out`,
        withdrawn ? `${withdrawn} withdrawn` : "",
        released ? `${released} released by a policy change` : "",
      ].filter(Boolean).join(", ");
      lines.push(`Held for a human: ${requested} call${requested === 1 ? "" : "s"}, ${outcomes}`);
    }
    if (this.link) lines.push(`Agent: ${describeLink(this.link)}`);
    if (this.reasons.size > 0) {
      lines.push("Denial reasons:");
      const sorted = [...this.reasons].map(([reason, byTool]) => ({
        reason,
        tools: [...byTool.keys()].sort().join(", "),
        total: [...byTool.values()].reduce((a, b) => a + b, 0),
      })).sort((a, b) => b.total - a.total || a.reason.localeCompare(b.reason));
      for (const { reason, tools, total } of sorted) {
        lines.push(`  ${String(total).padStart(4)}  ${tools}: ${reason}`);
      }
    }
    return lines;
  }
}
