/** Logging to stderr (stdout carries MCP traffic and is never written to here). */

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function isLogLevel(value: string): value is LogLevel {
  return value in ORDER;
}

export function createLogger(
  level: LogLevel = "info",
  write: (line: string) => void = writeStderr,
): Logger {
  const at = (wanted: LogLevel) => (message: string) => {
    if (ORDER[wanted] >= ORDER[level]) write(`intercept: ${wanted}: ${message}`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  } catch {
    // stderr is gone; there is nowhere left to say it.
  }
}
