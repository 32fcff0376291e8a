/**
 * Tool-name globs: `*` matches any run of characters (none included), `?` exactly one
 * character (a code point), everything else itself. Matching never backtracks: the pattern is
 * split at its stars, the first piece must start the name and the last must end it, and each
 * piece between is placed at its leftmost fit. That costs at most O(name × pattern).
 */

/** A piece between stars: literal text and `?` (null), in order. */
type Piece = readonly (string | null)[];

export function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

interface Pieces {
  readonly first: Piece;
  readonly middle: readonly Piece[];
  /** The piece after the last star; null when the pattern has no star. */
  readonly last: Piece | null;
}

export class Glob {
  /** The text every matching name starts with: the pattern up to its first `*` or `?`. */
  readonly prefix: string;
  /** The text every matching name ends with: the pattern after its last `*` or `?` ("" for none). */
  readonly suffix: string;
  /** Split on first use: a policy may hold many globs that no call ever reaches. */
  #pieces: Pieces | null = null;

  /** `source` is the glob as written. */
  constructor(readonly source: string) {
    let end = 0;
    while (end < source.length && source[end] !== "*" && source[end] !== "?") end++;
    this.prefix = source.slice(0, end);
    let start = source.length;
    while (start > end && source[start - 1] !== "*" && source[start - 1] !== "?") start--;
    this.suffix = start > end ? source.slice(start) : "";
  }

  /** True when the glob matches the whole of `name`. */
  test(name: string): boolean {
    const pieces = this.#pieces ??= split(this.source);
    const start = matchForward(pieces.first, name, 0);
    if (start < 0) return false;
    if (pieces.last === null) return start === name.length;
    const end = matchBackward(pieces.last, name, name.length);
    if (end < start) return false;
    let at = start;
    for (const piece of pieces.middle) {
      at = findLeftmost(piece, name, at, end);
      if (at < 0) return false;
    }
    return true;
  }
}

function split(source: string): Pieces {
  const pieces = source.split("*").map(toPiece);
  return {
    first: pieces[0],
    last: pieces.length > 1 ? pieces[pieces.length - 1] : null,
    middle: pieces.slice(1, -1).filter((piece) => piece.length > 0),
  };
}

function toPiece(text: string): Piece {
  const piece: (string | null)[] = [];
  let literal = "";
  for (const char of text) {
    if (char !== "?") literal += char;
    else {
      if (literal) piece.push(literal);
      literal = "";
      piece.push(null);
    }
  }
  if (literal) piece.push(literal);
  return piece;
}

/** Matches `piece` at `at`; returns where it ends, or -1. */
function matchForward(piece: Piece, name: string, at: number): number {
  for (const part of piece) {
    if (part === null) {
      if (at >= name.length) return -1;
      at += codePointWidth(name, at);
    } else {
      if (!name.startsWith(part, at)) return -1;
      at += part.length;
    }
  }
  return at;
}

/** Matches `piece` so that it ends at `end`; returns where it starts, or -1. */
function matchBackward(piece: Piece, name: string, end: number): number {
  for (let i = piece.length - 1; i >= 0; i--) {
    const part = piece[i];
    if (part === null) {
      if (end <= 0) return -1;
      end -= isLowSurrogate(name, end - 1) && isHighSurrogate(name, end - 2) ? 2 : 1;
    } else {
      if (end < part.length || !name.startsWith(part, end - part.length)) return -1;
      end -= part.length;
    }
  }
  return end;
}

/** The end of the leftmost fit of `piece` starting at or after `from` and ending by `limit`. */
function findLeftmost(piece: Piece, name: string, from: number, limit: number): number {
  const lead = piece[0];
  let at = from;
  while (at < limit) {
    if (lead !== null) {
      at = name.indexOf(lead, at);
      if (at < 0 || at + lead.length > limit) return -1;
    }
    const end = matchForward(piece, name, at);
    if (end >= 0 && end <= limit) return end;
    at += codePointWidth(name, at);
  }
  return -1;
}

function codePointWidth(name: string, at: number): number {
  return isHighSurrogate(name, at) && isLowSurrogate(name, at + 1) ? 2 : 1;
}

function isHighSurrogate(name: string, at: number): boolean {
  const code = name.charCodeAt(at);
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(name: string, at: number): boolean {
  const code = name.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff;
}
