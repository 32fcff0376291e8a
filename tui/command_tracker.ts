/**
 * The dashboard's commands to proxies, told truthfully: each proxy's answer is awaited for a
 * bounded time; one that has not answered by then is reported as "no answer yet; may still
 * apply", and the report is corrected when its answer, or the event saying it applied, comes.
 */
import type { ControlNotice } from "../src/control/protocol.ts";
import { NOT_DENIED } from "../src/control/protocol.ts";
import type { Notice } from "./dashboard_state.ts";
import { errorText, type TimerId, type Timers } from "./proxy_link.ts";

export type Method = "deny" | "allow" | "reload" | "reset";

export interface Command {
  paths: readonly string[];
  method: Method;
  tool: string | null;
  params: Record<string, unknown>;
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
}

type Result =
  | { path: string; kind: "done"; note?: string }
  | { path: string; kind: "failed"; error: string }
  | { path: string; kind: "late" };

interface Late {
  path: string;
  method: Method;
  tool: string | null;
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
        const notDenied = (error?.data as { reason?: unknown } | undefined)?.reason === NOT_DENIED;
        if (command.method === "allow" && command.paths.length > 1 && notDenied) {
          return { path, kind: "done", note: "was not denied" };
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
  if (late.length > 0) {
    const who = late.map((r) => labelOf(r.path)).join(", ");
    parts.push(`No answer yet from ${who}; the ${command.method} may still apply`);
  }
  const level = failed.length === 0 && late.length === 0
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
  }
}

function failedVerb(method: Method): string {
  return method === "reload"
    ? "Reload refused"
    : `${method[0].toUpperCase()}${method.slice(1)} failed`;
}

function oneLine(text: string): string {
  return text.replaceAll("\n", "; ");
}
