/**
 * The top-level JSON-RPC `id` of a message, read from its edges without parsing the rest:
 * to charge a message too large to parse to its own request, and to put the client's id back
 * into an answer without re-serialising it (the answer reaches the client byte for byte).
 * Only a member of the outermost object counts: an `"id"` nested inside `result` or `params`
 * is skipped.
 */
import type { JsonRpcId } from "./jsonrpc.ts";

/** Where an id's value stands in the text: `text.slice(start, end)` is its JSON. */
interface IdSpan {
  readonly id: JsonRpcId;
  readonly start: number;
  readonly end: number;
}

/**
 * The id named at the top level of the head or of the tail; null when neither names one, or
 * when they name different ones (duplicate keys: which one a parser keeps is not ours to guess).
 */
export function sniffTopLevelId(head: string, tail: string): JsonRpcId | null {
  const first = spanFromHead(head, head.length);
  const last = spanFromTail(tail, 0);
  if (first && last && first.id !== last.id) return null;
  return (first ?? last)?.id ?? null;
}

/** How far into each end of a message `replaceTopLevelId` looks for the id. */
export const ID_SEARCH_CHARS = 4_096;

/**
 * `line` with its top-level id, which must be `expected`, replaced by `id`; null when the id is
 * not found near either end, or is found twice (the caller then re-serialises the parsed
 * message instead).
 */
export function replaceTopLevelId(
  line: string,
  expected: JsonRpcId,
  id: JsonRpcId,
): string | null {
  const first = spanFromHead(line, Math.min(line.length, ID_SEARCH_CHARS));
  const last = spanFromTail(line, Math.max(0, line.length - ID_SEARCH_CHARS));
  if (first && last && first.start !== last.start) return null;
  const span = first ?? last;
  if (!span || span.id !== expected) return null;
  return line.slice(0, span.start) + JSON.stringify(id) + line.slice(span.end);
}

const QUOTE = 34;
const BACKSLASH = 92;

/** Scans forward from the opening brace, up to `limit`. */
function spanFromHead(text: string, limit: number): IdSpan | null {
  let i = skipSpace(text, 0, limit);
  if (text.charCodeAt(i) !== 123 /* { */) return null;
  i++;
  let depth = 1;
  let expectKey = true;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i, limit);
      if (end < 0) return null;
      if (depth === 1 && expectKey) {
        const colon = skipSpace(text, end + 1, limit);
        if (text.charCodeAt(colon) !== 58 /* : */) return null;
        if (isIdKey(text, i, end)) {
          return primitiveSpan(text, skipSpace(text, colon + 1, limit), limit);
        }
        expectKey = false;
        i = colon + 1;
        continue;
      }
      i = end + 1;
      continue;
    }
    if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return null;
    } else if (c === 44 /* , */ && depth === 1) expectKey = true;
    i++;
  }
  return null;
}

/** Scans backward from the closing brace, down to `stop`; members cut off there are skipped. */
function spanFromTail(text: string, stop: number): IdSpan | null {
  let i = text.length - 1;
  while (i >= stop && isSpace(text.charCodeAt(i))) i--;
  if (i < stop || text.charCodeAt(i) !== 125 /* } */) return null;
  let depth = 1;
  let memberEnd = i; // exclusive end of the member being read backwards
  for (i--; i >= stop; i--) {
    const c = text.charCodeAt(i);
    if (c === QUOTE && !isEscaped(text, i, stop)) {
      let j = i - 1;
      while (j >= stop && !(text.charCodeAt(j) === QUOTE && !isEscaped(text, j, stop))) j--;
      if (j < stop) return null;
      i = j;
      continue;
    }
    if (c === 125 || c === 93) depth++;
    else if (c === 123 || c === 91) {
      depth--;
      if (depth === 0) return memberSpan(text, i + 1, memberEnd);
    } else if (c === 44 && depth === 1) {
      const span = memberSpan(text, i + 1, memberEnd);
      if (span) return span;
      memberEnd = i;
    }
  }
  return null;
}

/** The id's span when `text.slice(from, to)` is the member `"id": <string or number>`. */
function memberSpan(text: string, from: number, to: number): IdSpan | null {
  const keyStart = skipSpace(text, from, to);
  if (text.charCodeAt(keyStart) !== QUOTE) return null;
  const keyEnd = stringEnd(text, keyStart, to);
  if (keyEnd < 0 || !isIdKey(text, keyStart, keyEnd)) return null;
  const colon = skipSpace(text, keyEnd + 1, to);
  if (text.charCodeAt(colon) !== 58) return null;
  const start = skipSpace(text, colon + 1, to);
  let end = to;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  const id = numberAt(text, start, end) ?? parseJson(text.slice(start, end));
  return isId(id) ? { id, start, end } : null;
}

function primitiveSpan(text: string, at: number, limit: number): IdSpan | null {
  if (text.charCodeAt(at) === QUOTE) {
    const end = stringEnd(text, at, limit);
    if (end < 0) return null;
    const id = parseJson(text.slice(at, end + 1));
    return typeof id === "string" ? { id, start: at, end: end + 1 } : null;
  }
  let end = at;
  while (end < limit && isNumberChar(text.charCodeAt(end))) end++;
  if (end === limit || end === at) return null; // the number may go on past what was read
  const id = numberAt(text, at, end) ?? parseJson(text.slice(at, end));
  return isId(id) ? { id, start: at, end } : null;
}

/**
 * Whether the JSON string from the quote at `start` to the one at `end` is `"id"`: at once for
 * the plain spelling, parsed when it has escapes (`"\u0069d"` is "id" too).
 */
function isIdKey(text: string, start: number, end: number): boolean {
  if (end - start === 3) {
    return text.charCodeAt(start + 1) === 105 /* i */ && text.charCodeAt(start + 2) === 100;
  }
  const escaped = text.indexOf("\\", start);
  return escaped >= 0 && escaped < end && parseJson(text.slice(start, end + 1)) === "id";
}

/** A plain run of digits (no sign, no leading zero, no fraction) as its number; else null. */
function numberAt(text: string, start: number, end: number): number | null {
  if (end - start > 15 || end === start) return null; // beyond 15 digits, let JSON.parse round
  if (text.charCodeAt(start) === 48 /* 0 */ && end - start > 1) return null;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return value;
}

function isId(value: unknown): value is JsonRpcId {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/** Index of the quote that closes the string opened at `start`, or -1 when it is cut off. */
function stringEnd(text: string, start: number, limit: number): number {
  for (let i = start + 1; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return -1;
}

/** A quote preceded by an odd run of backslashes is part of the string, not its edge. */
function isEscaped(text: string, at: number, stop: number): boolean {
  let count = 0;
  for (let i = at - 1; i >= stop && text.charCodeAt(i) === BACKSLASH; i--) count++;
  return count % 2 === 1;
}

function skipSpace(text: string, from: number, limit: number): number {
  let i = from;
  while (i < limit && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** `-`, `+`, digits, `.`, `e` and `E`: the characters of a JSON number. */
function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
