/**
 * The audit log (`--audit FILE|-`): one JSON line per decision and per lifecycle event,
 * appended to a file or written to stderr. Recording never throws and never waits for the
 * disk; `close()` writes everything still buffered.
 */
import { createLogger } from "../cli/log.ts";
import type { DecisionEvent } from "../proxy/events.ts";
import { decisionLine, type LifecycleEvent, lifecycleLine } from "./audit_record.ts";
import { BatchWriter, type ByteSink } from "./batch_writer.ts";

export type { LifecycleEvent } from "./audit_record.ts";

export interface AuditOptions {
  /** Write each call's raw arguments too (`--audit-args`); otherwise only their SHA-256. */
  includeArgs?: boolean;
  now?: () => number;
  /** Where a write error is reported, once; stderr by default. */
  log?: { error(message: string): void };
  /** Lines held while the disk is slow before new ones are dropped (default 10,000). */
  maxBufferedLines?: number;
  /** How long lines gather before one write (default 20 ms; `close()` writes at once). */
  batchMs?: number;
}

/** A busy proxy writes its audit lines about 50 times a second, not once per turn. */
const DEFAULT_BATCH_MS = 20;

/** The audit target cannot be opened; the message names it. */
export class AuditOpenError extends Error {
  override name = "AuditOpenError";
}

/** Paths that are this process's stdout, which carries MCP traffic. */
const STDOUT_PATHS = new Set(["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]);

export class AuditLog {
  readonly #target: string;
  readonly #writer: BatchWriter;
  readonly #closeSink: () => void;
  readonly #includeArgs: boolean;
  readonly #now: () => number;
  readonly #log: { error(message: string): void };
  #reported = false;
  #closing: Promise<void> | null = null;

  private constructor(
    target: string,
    sink: ByteSink,
    closeSink: () => void,
    options: AuditOptions,
  ) {
    this.#target = target;
    this.#closeSink = closeSink;
    this.#includeArgs = options.includeArgs ?? false;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? createLogger("error");
    this.#writer = new BatchWriter(sink, {
      maxLines: options.maxBufferedLines,
      delayMs: options.batchMs ?? DEFAULT_BATCH_MS,
      onError: (error) =>
        this.#reportOnce(
          `Writing the audit log ${this.#name} failed, later lines are dropped: ${error.message}`,
        ),
    });
  }

  /**
   * Opens the audit log. `target` is a file path (appended to; created with mode 0600 if
   * missing; its folder must exist) or "-" for stderr.
   */
  static async open(target: string, options: AuditOptions = {}): Promise<AuditLog> {
    if (target === "-") {
      return new AuditLog(
        target,
        { write: (bytes) => Deno.stderr.write(bytes) },
        () => {},
        options,
      );
    }
    if (target === "") throw new AuditOpenError("Cannot open the audit log: the path is empty");
    if (STDOUT_PATHS.has(target)) {
      throw new AuditOpenError(
        `Cannot write the audit log to "${target}": stdout carries MCP traffic (use "-" for stderr)`,
      );
    }
    let file: Deno.FsFile;
    try {
      file = await Deno.open(target, { append: true, create: true, mode: 0o600 });
    } catch (error) {
      throw new AuditOpenError(`Cannot open audit file "${target}": ${openFailure(error)}`);
    }
    return new AuditLog(target, file, () => file.close(), options);
  }

  /**
   * Records one decision of the proxy. Its line (the arguments' hash included) is made at the
   * end of the turn, off the call's path; the event must not change until then.
   */
  decision(event: DecisionEvent): void {
    if (this.#closing) return;
    this.#writer.push(() => this.#decisionLine(event));
  }

  #decisionLine(event: DecisionEvent): string {
    try {
      return decisionLine(event, this.#includeArgs);
    } catch (error) {
      this.#reportOnce(`Cannot write an audit line: ${(error as Error).message}`);
      return lifecycleLine("decision_unwritable", { tool: event.decision.tool }, event.ts);
    }
  }

  /** Records a lifecycle event: `{"ts", "type": event, ...data}`. */
  lifecycle(event: LifecycleEvent, data: Record<string, unknown>): void {
    if (this.#closing) return;
    try {
      this.#writer.push(lifecycleLine(event, data, this.#now()));
    } catch (error) {
      this.#reportOnce(`Cannot write an audit line: ${(error as Error).message}`);
    }
  }

  /** Lines dropped so far: a stalled disk with a full buffer, or after a write error. */
  get dropped(): number {
    return this.#writer.dropped;
  }

  /** Writes everything still buffered; after it, nothing was lost. Later records are ignored. */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    await this.#writer.drain();
    if (this.#writer.unreported > 0) {
      // Lines dropped after the last written one: say so before the file ends.
      this.#writer.push(lifecycleLine("dropped", {}, this.#now()));
      await this.#writer.drain();
    }
    if (this.#writer.failed && this.#writer.dropped > 0) {
      this.#log.error(`The audit log ${this.#name} lost ${this.#writer.dropped} line(s)`);
    }
    try {
      this.#closeSink();
    } catch {
      // Already closed; nothing buffered is left.
    }
  }

  get #name(): string {
    return this.#target === "-" ? "on stderr" : `"${this.#target}"`;
  }

  #reportOnce(message: string): void {
    if (this.#reported) return;
    this.#reported = true;
    try {
      this.#log.error(message);
    } catch {
      // Nowhere left to report it.
    }
  }
}

function openFailure(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "its folder does not exist";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "it is a folder";
  return (error as Error).message;
}
