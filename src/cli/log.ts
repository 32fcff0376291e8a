/**
 * Logging to stderr (stdout carries MCP traffic and is never written to here), as text
 * (`intercept: warn: message`) or as JSON lines (`{"ts","level","msg"}`, `--log-format json`).
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
}

export interface LoggerOptions {
  /** "text" by default. */
  format?: LogFormat;
  /** Receives each line without its newline; stderr by default. */
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
  const write = options.write ?? writeStderr;
  const now = options.now ?? Date.now;
  const format = options.format === "json"
    ? (wanted: LogLevel, message: string) =>
      JSON.stringify({ ts: new Date(now()).toISOString(), level: wanted, msg: message })
    : (wanted: LogLevel, message: string) => `intercept: ${wanted}: ${message}`;
  const at = (wanted: LogLevel) => (message: string) => {
    if (ORDER[wanted] >= ORDER[level]) write(format(wanted, message));
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  try {
    const bytes = encoder.encode(line + "\n");
    for (let written = 0; written < bytes.length;) {
      written += Deno.stderr.writeSync(bytes.subarray(written));
    }
  } catch {
    // stderr is gone; there is nowhere left to say it.
  }
}
