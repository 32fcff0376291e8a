/** Parsing of rate-limit windows and the `"30/minute"` shorthand. */

/** A Map, not an object: a window named `constructor` must be unknown, not Object's own. */
const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ["ms", 1],
  ["s", 1_000],
  ["sec", 1_000],
  ["second", 1_000],
  ["seconds", 1_000],
  ["m", 60_000],
  ["min", 60_000],
  ["minute", 60_000],
  ["minutes", 60_000],
  ["h", 3_600_000],
  ["hour", 3_600_000],
  ["hours", 3_600_000],
  ["d", 86_400_000],
  ["day", 86_400_000],
  ["days", 86_400_000],
]);

const MAX_WINDOW_MS = 31 * 86_400_000;
export const MAX_QUOTA = 1_000_000;

/**
 * A window is a number of seconds, a duration (`30s`, `5m`, `1h`, `1d`) or a unit name
 * (`minute`, `hour`, `day`). Returns milliseconds, or an error message.
 */
export function parseWindow(window: number | string): number | string {
  if (typeof window === "number") {
    if (!Number.isFinite(window) || window <= 0) {
      return `Window ${window} must be a positive number of seconds`;
    }
    return checkRange(window * 1_000, String(window));
  }
  // Trimmed first, so that no two runs of spaces meet in the pattern: it cannot backtrack.
  const match = /^(\d+(?:\.\d+)?)?\s*([a-z]+)$/i.exec(window.trim());
  const unit = match && UNIT_MS.get(match[2].toLowerCase());
  if (!match || !unit) {
    return `Cannot parse window "${window}": use seconds (60), a duration (30s, 5m, 1h, 1d) ` +
      `or minute, hour or day`;
  }
  const count = match[1] === undefined ? 1 : Number(match[1]);
  if (count <= 0) return `Window "${window}" must be longer than zero`;
  return checkRange(count * unit, `"${window}"`);
}

function checkRange(ms: number, shown: string): number | string {
  if (ms < 1) return `Window ${shown} is shorter than a millisecond`;
  if (ms > MAX_WINDOW_MS) return `Window ${shown} is longer than the 31-day maximum`;
  return Math.round(ms);
}

/** `"30/minute"`, `"5/hour"`, `"100/30s"` → max and window, or an error message. */
export function parseRateShorthand(text: string): { max: number; windowMs: number } | string {
  const match = /^(\d+)\s*\/\s*(.+)$/s.exec(text.trim());
  if (!match) {
    return `Cannot parse rate_limit "${text}": write it as COUNT/WINDOW, such as "30/minute"`;
  }
  const max = Number(match[1]);
  const quotaError = checkMax(max);
  if (quotaError) return `Cannot parse rate_limit "${text}": ${quotaError}`;
  const windowMs = parseWindow(match[2]);
  if (typeof windowMs === "string") {
    return `Cannot parse rate_limit "${text}": window must be second, minute, hour or day, ` +
      `or a duration such as 30s`;
  }
  return { max, windowMs };
}

export function checkMax(max: number): string | null {
  if (!Number.isInteger(max) || max < 1) return `max must be a whole number of at least 1`;
  if (max > MAX_QUOTA) return `max must be at most ${MAX_QUOTA.toLocaleString("en")}`;
  return null;
}

/** `60000` → `1m`, `90000` → `1m30s`: how windows and retry times read in messages. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.ceil(ms))}ms`;
  let seconds = Math.ceil(ms / 1_000);
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60]] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`);
  return parts.join("");
}
