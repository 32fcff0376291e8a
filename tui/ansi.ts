/**
 * Screen lines as text with SGR styling, built once per line from view-model segments, so the
 * terminal gets one string per line instead of a tree of styled pieces. Colours are the eight
 * standard ones (terminals map them to the theme, light or dark); secondary text is dim, not
 * grey, so it stays readable on both; with `color` off (NO_COLOR) only bold, dim and inverse
 * remain, which carry no colour.
 */
import type { Colour, Segment } from "./view_model.ts";

const FOREGROUND: Record<Exclude<Colour, "gray">, number> = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  white: 37,
};

export interface StyleOptions {
  /** Colours on; false under NO_COLOR. */
  color: boolean;
  /** The whole line in reverse video (the selected row). */
  inverse?: boolean;
}

/** The segments as one line of text with SGR codes; plain text when nothing is styled. */
export function styleLine(segments: readonly Segment[], options: StyleOptions): string {
  let out = options.inverse ? "\u001b[7m" : "";
  let styled = options.inverse === true;
  for (const segment of segments) {
    const codes = sgr(segment, options.color);
    if (codes.length === 0) {
      out += segment.text;
      continue;
    }
    styled = true;
    // Reset only what this segment set, so the line's inverse carries on.
    out += `\u001b[${codes.join(";")}m${segment.text}\u001b[${resets(codes).join(";")}m`;
  }
  return styled ? `${out}\u001b[0m` : out;
}

function sgr(segment: Segment, color: boolean): number[] {
  const codes: number[] = [];
  if (segment.bold) codes.push(1);
  if (segment.colour === "gray" || segment.dim) codes.push(2);
  else if (color && segment.colour) codes.push(FOREGROUND[segment.colour]);
  return codes;
}

function resets(codes: number[]): number[] {
  const out: number[] = [];
  // Bold and dim share one reset.
  if (codes.includes(1) || codes.includes(2)) out.push(22);
  if (codes.some((code) => code >= 30 && code <= 37)) out.push(39);
  return out;
}

/** Whether colours are wanted: NO_COLOR set to anything non-empty turns them off. */
export function colorWanted(env: (name: string) => string | undefined): boolean {
  const noColor = env("NO_COLOR");
  return noColor === undefined || noColor === "";
}
