/**
 * Server-Sent Events (the `text/event-stream` format of the WHATWG HTML standard), parsed from
 * bytes as they arrive, with a size limit: an event whose data is over `maxBytes` is never held
 * in memory; only its size and the first and last bytes of its data are kept. Lines end in LF,
 * CRLF or CR, also when a chunk ends between CR and LF; comment lines (`:`) are skipped.
 */

export interface SseEvent {
  /** The `event` field; "message" when the event has none. */
  readonly type: string;
  /** The `data` lines, joined by "\n". */
  readonly data: string;
  /** The last event id of the stream so far (the `id` field persists across events). */
  readonly id: string;
}

export interface OversizeEvent {
  readonly type: string;
  /** Bytes of data, in all. */
  readonly size: number;
  /** The first and last bytes of the data, for finding its JSON-RPC id. */
  readonly head: string;
  readonly tail: string;
}

export interface SseHandlers {
  event(event: SseEvent): void;
  oversize(event: OversizeEvent): void;
  /** The server asked for this reconnection delay (the `retry` field). */
  retry?(ms: number): void;
}

/** Bytes kept of each end of an oversized event's data. */
export const EDGE_BYTES = 512;
/** Room for a field name, the colon and a space on a line that carries `maxBytes` of data. */
const FIELD_ROOM = 64;

const LF = 0x0a;
const CR = 0x0d;

/** A line too long to keep: its size and its ends. */
interface LongLine {
  size: number;
  head: Uint8Array;
  tail: Uint8Array;
}

export class SseParser {
  readonly #maxBytes: number;
  readonly #handlers: SseHandlers;
  readonly #decoder = new TextDecoder("utf-8", { fatal: false });
  #line: Uint8Array[] = [];
  #lineBytes = 0;
  #longLine: LongLine | null = null;
  /** The previous chunk ended in CR: a LF starting this one ends nothing. */
  #afterCr = false;
  #firstLine = true;
  // The event being read.
  #type = "";
  #data: string[] = [];
  #dataBytes = 0;
  #hasData = false;
  #oversize: { size: number; head: Uint8Array; tail: Uint8Array } | null = null;
  #lastId = "";

  constructor(maxBytes: number, handlers: SseHandlers) {
    this.#maxBytes = maxBytes;
    this.#handlers = handlers;
  }

  /** The stream's last event id, for resuming it. */
  get lastEventId(): string {
    return this.#lastId;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    if (this.#afterCr && chunk.length > 0) {
      this.#afterCr = false;
      if (chunk[0] === LF) start = 1;
    }
    for (let i = start; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== LF && byte !== CR) continue;
      this.#take(chunk.subarray(start, i));
      this.#endLine();
      if (byte === CR) {
        if (i + 1 === chunk.length) this.#afterCr = true;
        else if (chunk[i + 1] === LF) i++;
      }
      start = i + 1;
    }
    this.#take(chunk.subarray(start));
  }

  /** The stream ended: an event not ended by a blank line is dropped, as the standard says. */
  end(): void {
    this.#line = [];
    this.#lineBytes = 0;
    this.#longLine = null;
    this.#resetEvent();
  }

  #take(part: Uint8Array): void {
    if (part.length === 0) return;
    if (this.#longLine) {
      this.#longLine.size += part.length;
      this.#longLine.tail = lastBytes(this.#longLine.tail, part);
      return;
    }
    if (this.#lineBytes + part.length > this.#maxBytes + FIELD_ROOM) {
      const joined = concat([...this.#line, part], this.#lineBytes + part.length);
      this.#longLine = {
        size: joined.length,
        head: joined.slice(0, EDGE_BYTES + FIELD_ROOM),
        tail: joined.slice(Math.max(0, joined.length - EDGE_BYTES)),
      };
      this.#line = [];
      this.#lineBytes = 0;
      return;
    }
    this.#line.push(part.slice()); // the caller may reuse the chunk's buffer
    this.#lineBytes += part.length;
  }

  #endLine(): void {
    const long = this.#longLine;
    if (long) {
      this.#longLine = null;
      this.#firstLine = false;
      return this.#longField(long);
    }
    const bytes = this.#line.length === 1 ? this.#line[0] : concat(this.#line, this.#lineBytes);
    this.#line = [];
    this.#lineBytes = 0;
    let text = this.#decoder.decode(bytes);
    let bomBytes = 0;
    if (this.#firstLine) {
      this.#firstLine = false;
      if (text.startsWith("\uFEFF")) {
        text = text.slice(1);
        bomBytes = 3;
      }
    }
    if (text === "") return this.#dispatch();
    if (text.startsWith(":")) return; // a comment (keep-alives)
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        return this.#addData(
          value,
          bytes.length - bomBytes - byteLength(text.slice(0, text.length - value.length)),
        );
      case "event":
        this.#type = value;
        return;
      case "id":
        if (!value.includes("\0")) this.#lastId = value;
        return;
      case "retry":
        if (/^\d+$/.test(value)) this.#handlers.retry?.(Number(value));
        return;
    }
  }

  /** A line over the limit: only a data line counts (its data is then over the limit too). */
  #longField(long: LongLine): void {
    const headText = this.#decoder.decode(long.head);
    const colon = headText.indexOf(":");
    if (colon < 0 || headText.slice(0, colon).replace(/^\uFEFF/, "") !== "data") return;
    const prefix = headText.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1;
    const prefixBytes = byteLength(headText.slice(0, prefix));
    const valueHead = long.head.subarray(prefixBytes);
    this.#hasData = true;
    const oversize = this.#oversize ?? this.#startOversize();
    if (oversize.size > 0) oversize.tail = lastBytes(oversize.tail, NEWLINE);
    if (oversize.head.length < EDGE_BYTES) {
      oversize.head = concat([oversize.head, valueHead], oversize.head.length + valueHead.length)
        .slice(0, EDGE_BYTES);
    }
    oversize.size += (oversize.size > 0 ? 1 : 0) + long.size - prefixBytes;
    oversize.tail = lastBytes(oversize.tail, long.tail);
  }

  #addData(value: string, valueBytes: number): void {
    const separator = this.#hasData ? 1 : 0;
    this.#hasData = true;
    if (this.#oversize) {
      const bytes = new TextEncoder().encode((separator ? "\n" : "") + value);
      this.#oversize.size += bytes.length;
      this.#oversize.tail = lastBytes(this.#oversize.tail, bytes);
      return;
    }
    if (this.#dataBytes + separator + valueBytes > this.#maxBytes) {
      const oversize = this.#startOversize();
      const bytes = new TextEncoder().encode((separator ? "\n" : "") + value);
      oversize.size += bytes.length;
      oversize.head = concat([oversize.head, bytes], oversize.head.length + bytes.length)
        .slice(0, EDGE_BYTES);
      oversize.tail = lastBytes(oversize.tail, bytes);
      return;
    }
    this.#data.push(value);
    this.#dataBytes += separator + valueBytes;
  }

  /** Moves the data read so far into an oversize record. */
  #startOversize(): { size: number; head: Uint8Array; tail: Uint8Array } {
    const sofar = new TextEncoder().encode(this.#data.join("\n"));
    this.#oversize = {
      size: sofar.length,
      head: sofar.slice(0, EDGE_BYTES),
      tail: sofar.slice(Math.max(0, sofar.length - EDGE_BYTES)),
    };
    this.#data = [];
    this.#dataBytes = 0;
    return this.#oversize;
  }

  #dispatch(): void {
    const type = this.#type || "message";
    const oversize = this.#oversize;
    const hasData = this.#hasData;
    const data = this.#data;
    this.#resetEvent();
    if (oversize) {
      this.#handlers.oversize({
        type,
        size: oversize.size,
        head: this.#decoder.decode(oversize.head),
        tail: this.#decoder.decode(oversize.tail),
      });
      return;
    }
    if (!hasData) return; // no data field: nothing to dispatch
    this.#handlers.event({ type, data: data.join("\n"), id: this.#lastId });
  }

  #resetEvent(): void {
    this.#type = "";
    this.#data = [];
    this.#dataBytes = 0;
    this.#hasData = false;
    this.#oversize = null;
  }
}

const NEWLINE = new Uint8Array([LF]);
const encoder = new TextEncoder();

function byteLength(text: string): number {
  // ASCII is the common case for field values: no encoding needed to count it.
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return encoder.encode(text).length;
  }
  return text.length;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
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
  const joined = concat([previous, next], previous.length + next.length);
  return joined.slice(Math.max(0, joined.length - EDGE_BYTES));
}
