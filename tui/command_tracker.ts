/**
 * The dashboard's commands to proxies, told truthfully: each proxy's answer is awaited for a
 * bounded time; one that has not answered by then is reported as "no answer yet; may still
 * apply", and the report is corrected when its answer, or the event saying it applied, comes.
 */
import type { ApprovalNotice, ControlNotice } from "../src/control/protocol.ts";
import { NOT_DENIED, NOT_WAITING } from "../src/control/protocol.ts";
import type { Notice } from "./dashboard_state.ts";
import { errorText, type TimerId, type Timers } from "./proxy_link.ts";

export type Method = "deny" | "allow" | "reload" | "reset" | "approve" | "reject";

export interface Command {
  paths: readonly string[];
  method: Method;
  tool: string | null;
  params: Record<string, unknown>;
  /** The held call's id, for approve and reject. */
  approval?: string;
}

export interface CommandOutcome {
  ok: boolean;
  text: string;
}

export interface TrackerDeps {
  now: () => number;
  timers: Timers;
  timeoutMs: number;
  labelOf: (path: string) => string;
  send: (path: string, method: Method, params: Record<string, unknown>) => Promise<unknown>;
  report: (level: Notice["level"], text: string) => CommandOutcome;
  /** What became of a held call that waits no more (`expired`, `approved by ann`); else null. */
  fateOf?: (path: string, id: string) => string | null;
}

type Result =
  | { path: string; kind: "done"; note?: string }
  | { path: string; kind: "failed"; error: string }
  /** An approve or reject of a call that was not waiting any more. */
  | { path: string; kind: "gone"; fate: string | null }
  | { path: string; kind: "late" };

interface Late {
  path: string;
  method: Method;
  tool: string | null;
  approval: string | null;
  by: unknown;
  sentAt: number;
  settled: boolean;
}

const LATE = Symbol("late");

export class CommandTracker {
  readonly #deps: TrackerDeps;
  readonly #late = new Set<Late>();
  readonly #timers = new Set<TimerId>();

  constructor(deps: TrackerDeps) {
    this.#deps = deps;
  }

  async run(command: Command): Promise<CommandOutcome> {
    const everywhere = command.paths.length > 1;
    const results = await Promise.all(command.paths.map((path) => this.#one(command, path)));
    return this.#deps.report(...summary(command, results, this.#deps.labelOf, everywhere));
  }

  /** A proxy's `control` event: a command that had not answered did apply. */
  confirmedBy(path: string, notice: ControlNotice): void {
    for (const late of this.#late) {
      if (late.path !== path || late.method !== notice.event || late.tool !== notice.tool) continue;
      this.#settle(late, { path, kind: "done" }, "applied");
    }
  }

  /**
   * A proxy's `approval` notice: an approve or reject that had not answered applied (the
   * notice names our answer and us), or came too late (someone or the clock answered first).
   */
  approvalSettled(path: string, notice: ApprovalNotice): void {
    if (notice.event === "requested") return;
    for (const late of this.#late) {
      if (late.path !== path || late.approval !== notice.approval.id) continue;
      const ours = notice.event === (late.method === "approve" ? "granted" : "rejected") &&
        notice.by === late.by;
      const fate = this.#deps.fateOf?.(path, notice.approval.id) ?? null;
      this.#settle(late, ours ? { path, kind: "done" } : { path, kind: "gone", fate }, "applied");
    }
  }

  stop(): void {
    for (const id of this.#timers) this.#deps.timers.clearTimeout(id);
    this.#timers.clear();
    this.#late.clear();
  }

  async #one(command: Command, path: string): Promise<Result> {
    const sentAt = this.#deps.now();
    const answer = this.#deps.send(path, command.method, command.params).then(
      (): Result => ({ path, kind: "done" }),
      (error): Result => {
        const reason = (error?.data as { reason?: unknown } | undefined)?.reason;
        if (command.method === "allow" && command.paths.length > 1 && reason === NOT_DENIED) {
          return { path, kind: "done", note: "was not denied" };
        }
        if (command.approval !== undefined && reason === NOT_WAITING) {
          return { path, kind: "gone", fate: this.#deps.fateOf?.(path, command.approval) ?? null };
        }
        return { path, kind: "failed", error: errorText(error) };
      },
    );
    let id: TimerId | null = null;
    const late = new Promise<typeof LATE>((resolve) => {
      id = this.#deps.timers.setTimeout(() => resolve(LATE), this.#deps.timeoutMs);
      this.#timers.add(id);
    });
    const first = await Promise.race([answer, late]);
    this.#deps.timers.clearTimeout(id);
    this.#timers.delete(id);
    if (first !== LATE) return first;
    const entry: Late = {
      path,
      method: command.method,
      tool: command.tool,
      approval: command.approval ?? null,
      by: command.params.by,
      sentAt,
      settled: false,
    };
    this.#late.add(entry);
    void answer.then((result) => this.#settle(entry, result, "answered"));
    return { path, kind: "late" };
  }

  #settle(late: Late, result: Result, how: "answered" | "applied"): void {
    if (late.settled) return;
    late.settled = true;
    this.#late.delete(late);
    const after = `${((this.#deps.now() - late.sentAt) / 1000).toFixed(1)} s`;
    const label = this.#deps.labelOf(late.path);
    if (result.kind === "failed") {
      this.#deps.report(
        "error",
        `${failedVerb(late.method)} on ${label} after all (${after}): ${oneLine(result.error)}`,
      );
    } else if (result.kind === "gone") {
      this.#deps.report("warn", `${goneText(late.tool, label, result.fate)} (after ${after})`);
    } else {
      const text = `${doneText(late.method, late.tool)} on ${label} (${how} after ${after})`;
      this.#deps.report("info", text);
    }
  }
}

function summary(
  command: Command,
  results: Result[],
  labelOf: (path: string) => string,
  everywhere: boolean,
): [Notice["level"], string] {
  const done = results.filter((r) => r.kind === "done");
  const failed = results.filter((r) => r.kind === "failed");
  const late = results.filter((r) => r.kind === "late");
  const gone = results.filter((r) => r.kind === "gone");
  const parts: string[] = [];
  if (done.length > 0) {
    const where = everywhere
      ? `on ${done.length} of ${results.length} proxies`
      : `on ${labelOf(done[0].path)}`;
    const notes = done.filter((r) => r.note).map((r) => `${labelOf(r.path)} ${r.note}`);
    parts.push(
      `${doneText(command.method, command.tool)} ${where}` +
        (notes.length ? ` (${notes.join(", ")})` : ""),
    );
  }
  for (const f of failed) {
    parts.push(`${failedVerb(command.method)} on ${labelOf(f.path)}: ${oneLine(f.error)}`);
  }
  for (const g of gone) parts.push(goneText(command.tool, labelOf(g.path), g.fate));
  if (late.length > 0) {
    const who = late.map((r) => labelOf(r.path)).join(", ");
    parts.push(`No answer yet from ${who}; the ${noun(command.method)} may still apply`);
  }
  const level = gone.length > 0 && failed.length === 0 && late.length === 0
    ? "warn"
    : failed.length === 0 && late.length === 0
    ? "info"
    : done.length > 0 || late.length > 0
    ? "warn"
    : "error";
  return [level, parts.join(". ")];
}

function doneText(method: Method, tool: string | null): string {
  switch (method) {
    case "deny":
      return `Denied ${tool}`;
    case "allow":
      return `Allowed ${tool}`;
    case "reload":
      return "Reloaded the policy";
    case "reset":
      return tool ? `Reset the quotas of ${tool}` : "Reset every quota";
    case "approve":
      return `Approved ${tool}`;
    case "reject":
      return `Rejected ${tool}`;
  }
}

function noun(method: Method): string {
  return method === "approve" ? "approval" : method === "reject" ? "rejection" : method;
}

/** The answer to an approve or reject of a call that was not waiting any more. */
function goneText(tool: string | null, label: string, fate: string | null): string {
  return `${tool ?? "The call"} was not waiting any more on ${label}` + (fate ? ` (${fate})` : "");
}

function failedVerb(method: Method): string {
  return method === "reload"
    ? "Reload refused"
    : `${method[0].toUpperCase()}${method.slice(1)} failed`;
}

function oneLine(text: string): string {
  return text.replaceAll("\n", "; ");
}
