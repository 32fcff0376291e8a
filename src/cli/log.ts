/**
 * Logging to stderr (stdout carries MCP traffic and is never written to here), as text
 * (`intercept: warn: message`) or as JSON lines (`{"ts","level","msg"}`, `--log-format json`).
 * Writing never blocks: lines wait in a bounded queue while stderr is full (a client that
 * does not read it), past the bound they are dropped and counted, and the count is logged
 * once writing resumes.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogFormat = "text" | "json";
const FORMATS: readonly string[] = ["text", "json"] satisfies LogFormat[];

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Waits until every queued line is written, or `timeoutMs`; false when lines are left. */
  flush(timeoutMs: number): Promise<boolean>;
}

export interface LoggerOptions {
  /** "text" by default. */
  format?: LogFormat;
  /** Receives each line without its newline; stderr (through a bounded queue) by default. */
  write?: (line: string) => void;
  /** The clock for JSON lines' `ts`. */
  now?: () => number;
}

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(ORDER, value);
}

export function isLogFormat(value: string): value is LogFormat {
  return FORMATS.includes(value);
}

/** A logger that drops messages below `level`; the second argument is a writer or options. */
export function createLogger(
  level: LogLevel = "info",
  output: ((line: string) => void) | LoggerOptions = {},
): Logger {
  const options = typeof output === "function" ? { write: output } : output;
  const now = options.now ?? Date.now;
  const format = options.format === "json"
    ? (wanted: LogLevel, message: string) =>
      JSON.stringify({ ts: new Date(now()).toISOString(), level: wanted, msg: message })
    : (wanted: LogLevel, message: string) => `intercept: ${wanted}: ${escapeControls(message)}`;
  const queue = options.write ? null : new LineQueue(Deno.stderr, {
    note: (dropped) => format("warn", `${dropped} log line(s) dropped: stderr was not being read`),
  });
  const write = options.write ?? ((line: string) => queue!.push(line));
  const at = (wanted: LogLevel) => (message: string) => {
    if (ORDER[wanted] >= ORDER[level]) write(format(wanted, message));
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    flush: (timeoutMs) => queue ? queue.flush(timeoutMs) : Promise.resolve(true),
  };
}

/**
 * Control characters as escapes (`\n`, `\u001b`): messages hold text agents and servers chose
 * (tool names, methods), which must not start a line of its own or drive the reader's terminal.
 */
function escapeControls(message: string): string {
  // deno-lint-ignore no-control-regex
  return message.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/g, (char) => {
    if (char === "\n") return "\\n";
    if (char === "\r") return "\\r";
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** Where queued lines go: `Deno.stderr`, or a test's stand-in. `write` may write part. */
export interface LineSink {
  write(bytes: Uint8Array): Promise<number>;
}

export interface LineQueueOptions {
  /** Lines held while the sink is busy (1,000). */
  maxLines?: number;
  /** Bytes held while the sink is busy (1 MiB); a longer single line is cut. */
  maxBytes?: number;
  /** The line that reports `dropped` lost lines, written once writing resumes. */
  note: (dropped: number) => string;
}

const encoder = new TextEncoder();

/**
 * Lines written to a sink one batch at a time, never waiting: `push` returns at once. While a
 * write is under way lines queue up to the bound; past it they are dropped and counted, and
 * the count goes out as a line of its own as soon as there is room again.
 */
export class LineQueue {
  readonly #sink: LineSink;
  readonly #maxLines: number;
  readonly #maxBytes: number;
  readonly #note: (dropped: number) => string;
  #lines: string[] = [];
  #bytes = 0;
  #dropped = 0;
  #droppedTotal = 0;
  #pumping: Promise<void> | null = null;
  #broken = false;

  constructor(sink: LineSink, options: LineQueueOptions) {
    this.#sink = sink;
    this.#maxLines = options.maxLines ?? 1_000;
    this.#maxBytes = options.maxBytes ?? 1024 * 1024;
    this.#note = options.note;
  }

  /** Lines dropped since the queue was made. */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  push(line: string): void {
    if (this.#broken) return;
    if (line.length > this.#maxBytes / 4) line = `${line.slice(0, this.#maxBytes / 4)}…`;
    if (this.#lines.length >= this.#maxLines || this.#bytes + line.length > this.#maxBytes) {
      this.#dropped++;
      this.#droppedTotal++;
      return;
    }
    this.#report();
    this.#lines.push(line);
    this.#bytes += line.length;
    this.#pumping ??= this.#pump();
  }

  /** Resolves true once everything queued is written, false after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => timer = setTimeout(resolve, timeoutMs, false));
    try {
      while (this.#pumping) {
        if (await Promise.race([this.#pumping.then(() => true), late]) === false) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  #report(): void {
    if (this.#dropped === 0) return;
    const note = this.#note(this.#dropped);
    this.#dropped = 0;
    this.#lines.push(note);
    this.#bytes += note.length;
  }

  async #pump(): Promise<void> {
    try {
      // Lines logged in the same turn go out in one write.
      await Promise.resolve();
      while (this.#lines.length > 0) {
        const bytes = encoder.encode(this.#lines.join("\n") + "\n");
        this.#lines = [];
        this.#bytes = 0;
        for (let written = 0; written < bytes.length;) {
          const wrote = await this.#sink.write(bytes.subarray(written));
          // A sink that takes nothing would be asked forever: count it as gone.
          if (wrote <= 0) throw new Error("stderr takes no more bytes");
          written += wrote;
        }
        this.#report();
      }
    } catch {
      // stderr is gone; there is nowhere left to say it.
      this.#broken = true;
      this.#lines = [];
    } finally {
      this.#pumping = null;
    }
  }
}
