/**
 * Reading what an MCP server sends back over HTTP, within bounds: a JSON body or an SSE stream
 * no larger per message than the size limit, an error body read only so far, and the JSON-RPC
 * lines intercept makes up when an exchange fails.
 */
import { EDGE_BYTES, type OversizeEvent, type SseEvent, SseParser } from "./sse_parser.ts";

export type JsonRpcId = string | number;

/** A body or event over the size limit: its size and ends (the proxy finds the id in them). */
export interface Oversize {
  readonly size: number;
  readonly head: string;
  readonly tail: string;
}

export type BodyText = { readonly text: string } | { readonly oversize: Oversize };

/** Codes by which a 2026-07-28 server says it is one (never a reason to fall back to SSE). */
const MODERN_ERROR_CODES: ReadonlySet<unknown> = new Set([-32020, -32021, -32022, -32601]);

/** How much of an error answer (a non-2xx body) is read, at most. */
export const ERROR_BODY_BYTES = 65_536;

/**
 * Reads `body` whole when it is at most `maxBytes`, else only its size and ends. `onChunk`
 * runs after each chunk (a sign of life, for timeouts).
 */
export async function readBody(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  onChunk: () => void = () => {},
): Promise<BodyText> {
  if (!body) return { text: "" };
  const parts: Uint8Array[] = [];
  let size = 0;
  let head: Uint8Array | null = null;
  let tail: Uint8Array = new Uint8Array(0);
  for await (const chunk of body) {
    onChunk();
    size += chunk.length;
    if (head === null && size <= maxBytes) {
      parts.push(chunk);
      continue;
    }
    if (head === null) {
      const sofar = concat([...parts, chunk]);
      head = sofar.slice(0, EDGE_BYTES);
      tail = sofar.slice(Math.max(0, sofar.length - EDGE_BYTES));
      parts.length = 0;
      continue;
    }
    tail = lastBytes(tail, chunk);
  }
  const decoder = new TextDecoder();
  if (head !== null) {
    return { oversize: { size, head: decoder.decode(head), tail: decoder.decode(tail) } };
  }
  return { text: decoder.decode(concat(parts)) };
}

/** The start of an error body, up to `limit` bytes; the rest is not read. */
export async function readErrorBody(
  body: ReadableStream<Uint8Array> | null,
  limit = ERROR_BODY_BYTES,
): Promise<string> {
  if (!body) return "";
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(concat(parts).subarray(0, limit));
}

export interface EventPump {
  event(event: SseEvent): void;
  oversize(event: OversizeEvent): void;
  /** After each chunk's events: a promise returned here is waited for (backpressure). */
  chunkEnd(): void | Promise<void>;
  retry?(ms: number): void;
}

/** Feeds an SSE body to `pump` until it ends; returns the stream's last event id. */
export async function pumpEvents(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  pump: EventPump,
): Promise<string> {
  const parser = new SseParser(maxBytes, pump);
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(value);
      const wait = pump.chunkEnd();
      if (wait) await wait;
    }
  } finally {
    reader.releaseLock();
  }
  parser.end();
  return parser.lastEventId;
}

/** The JSON-RPC error line intercept sends the proxy for a request that failed on the way. */
export function errorLine(id: JsonRpcId, message: string, code = -32603): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } });
}

/** The server's own JSON-RPC error in an error body, or null when the body holds none. */
export function jsonRpcError(text: string): { code: number; message: string } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const error = (parsed as Record<string, unknown>).error;
  if (typeof error !== "object" || error === null) return null;
  const { code, message } = error as Record<string, unknown>;
  if (typeof code !== "number" || !Number.isInteger(code)) return null;
  return { ...(error as Record<string, unknown>), code, message: String(message ?? "") };
}

/** The server's error under the request's own id, as one line. */
export function serverErrorLine(id: JsonRpcId, error: object): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error });
}

/** Whether an error body proves a 2026-07-28 server (so no legacy SSE fallback). */
export function isModernError(text: string): boolean {
  return MODERN_ERROR_CODES.has(jsonRpcError(text)?.code);
}

/** An error body shortened for a message: one line, at most 200 characters. */
export function excerpt(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function lastBytes(previous: Uint8Array, next: Uint8Array): Uint8Array {
  if (next.length >= EDGE_BYTES) return next.slice(next.length - EDGE_BYTES);
  const joined = concat([previous, next]);
  return joined.slice(Math.max(0, joined.length - EDGE_BYTES));
}
