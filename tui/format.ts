/** Pure text formatting for the dashboard: bars, durations, clock times, fitting to a width. */

const FULL = "█";
const EMPTY = "░";
const ELLIPSIS = "…";

/**
 * What is left of a quota as a bar and a count: 15 of 30 left is `█████░░░░░ 15/30`. A quota
 * with anything left shows at least one block, and only a full one fills the bar.
 */
export function quotaBar(remaining: number, max: number, barWidth = 10): string {
  const width = Math.max(0, Math.floor(barWidth));
  const safeMax = Number.isFinite(max) && max > 0 ? max : 0;
  const left = Number.isFinite(remaining) ? Math.min(Math.max(0, remaining), safeMax) : 0;
  let filled = safeMax === 0 ? 0 : Math.round((left / safeMax) * width);
  if (left > 0 && filled === 0) filled = Math.min(1, width);
  if (left < safeMax && filled === width && width > 0) filled = width - 1;
  const bar = FULL.repeat(filled) + EMPTY.repeat(width - filled);
  const count = `${left}/${safeMax}`;
  return width === 0 ? count : `${bar} ${count}`;
}

/**
 * A duration as an operator reads it: `12s`, `1m30s`, `2h5m`, `3d4h`. Rounds up, since it
 * says how long until something happens; a negative duration is `0s`, a non-number `?`.
 */
export function formatDuration(ms: number): string {
  if (Number.isNaN(ms)) return "?";
  if (ms === Infinity) return "∞";
  const total = Math.max(0, Math.ceil(ms / 1000));
  if (total < 60) return `${total}s`;
  const units: [number, string][] = [[86400, "d"], [3600, "h"], [60, "m"], [1, "s"]];
  const first = units.findIndex(([size]) => total >= size);
  const [bigSize, bigName] = units[first];
  const [smallSize, smallName] = units[first + 1];
  const big = Math.floor(total / bigSize);
  const small = Math.floor((total % bigSize) / smallSize);
  return small === 0 ? `${big}${bigName}` : `${big}${bigName}${small}${smallName}`;
}

/** `HH:MM:SS` of a timestamp, in local time. */
export function formatClock(ts: number): string {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return "--:--:--";
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");
}

/**
 * Text on one line: line breaks, tabs and other control characters (C0, DEL and C1, which
 * some terminals read as escape sequences) become spaces, and characters that show nothing or
 * turn the text around (Unicode format characters: bidi controls, zero-width ones) become
 * `\uXXXX`. Text from proxies (tool names, reasons, the arguments an operator approves) cannot
 * move the cursor, restyle the screen or read other than it is.
 */
export function oneLine(text: string): string {
  const flat = CONTROL.test(text) ? text.replace(CONTROLS, " ") : text;
  return FORMAT.test(flat)
    ? flat.replace(FORMATS, (char) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, "0")}`)
    : flat;
}

const FORMAT = /\p{Cf}/u;
const FORMATS = /\p{Cf}/gu;

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// deno-lint-ignore no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]+/g;

/** Text cut to `width` columns, ending with an ellipsis when it was cut. */
export function truncate(text: string, width: number): string {
  const limit = Math.max(0, Math.floor(width));
  const line = oneLine(text);
  // Most text has no character outside the BMP: one column per UTF-16 unit, no array needed.
  if (!ASTRAL.test(line)) {
    if (line.length <= limit) return line;
    return limit === 0 ? "" : line.slice(0, limit - 1) + ELLIPSIS;
  }
  const chars = Array.from(line);
  if (chars.length <= limit) return chars.join("");
  if (limit === 0) return "";
  return chars.slice(0, limit - 1).join("") + ELLIPSIS;
}

/** Text cut or padded to exactly `width` columns. */
export function fit(text: string, width: number, align: "left" | "right" = "left"): string {
  const cut = truncate(text, width);
  const pad = " ".repeat(Math.max(0, Math.floor(width) - textWidth(cut)));
  return align === "left" ? cut + pad : pad + cut;
}

/** How many columns `text` takes (one per code point; the dashboard draws no wide glyphs). */
export function textWidth(text: string): number {
  return ASTRAL.test(text) ? Array.from(text).length : text.length;
}

/** A surrogate: part of a character outside the BMP, two UTF-16 units for one column. */
const ASTRAL = /[\uD800-\uDFFF]/;

/** A count in at most five columns: `12345`, `123k`, `1.2M`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "?";
  if (n < 100_000) return String(n);
  if (n < 1_000_000) return `${Math.floor(n / 1000)}k`;
  return `${(Math.floor(n / 100_000) / 10).toFixed(1)}M`;
}

/** A horizontal rule with a title, `── decisions ─────`, exactly `width` columns. */
export function titledRule(title: string, width: number): string {
  const head = truncate(`── ${title} `, width);
  return head + "─".repeat(Math.max(0, Math.floor(width) - textWidth(head)));
}

/** Who made a call: the client's name, else the session's start; and the principal. */
export function callerText(
  call: { client: string | null; session: string; principal?: string | null },
): string {
  const caller = call.client ?? `session ${call.session.slice(0, 8)}`;
  return call.principal ? `${caller} ${call.principal}` : caller;
}
