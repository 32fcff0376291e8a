/**
 * Newline framing for MCP's stdio transport, with a size limit: a line longer than
 * `maxBytes` is never held in memory; only its size and its first and last bytes are kept.
 * The limit is on the message, so the `\r` of a CRLF ending does not count toward it.
 */

export interface OversizeLine {
  size: number;
  /** The first and last bytes of the line, for finding its JSON-RPC id. */
  head: string;
  tail: string;
}

export interface LineHandlers {
  line(text: string): void;
  oversize(line: OversizeLine): void;
  /** A handler threw on one line: the lines after it are still delivered. */
  error?(error: Error): void;
}

const NEWLINE = 0x0a;
const RETURN = 0x0d;
const EDGE_BYTES = 512;

export class LineSplitter {
  #decoder = new TextDecoder("utf-8", { fatal: false });
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #discarding: { size: number; head: Uint8Array; tail: Uint8Array } | null = null;

  constructor(readonly maxBytes: number, readonly handlers: LineHandlers) {}

  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline < 0) {
        this.#take(chunk.subarray(start));
        return;
      }
      const length = newline - start - (newline > start && chunk[newline - 1] === RETURN ? 1 : 0);
      if (this.#pendingBytes === 0 && !this.#discarding && length <= this.maxBytes) {
        this.#emit(chunk.subarray(start, newline)); // the whole line is here: no copy
      } else {
        this.#take(chunk.subarray(start, newline));
        this.#finishLine();
      }
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (this.#pendingBytes > 0 || this.#discarding) this.#finishLine();
  }

  #take(part: Uint8Array): void {
    if (part.length === 0) return;
    if (this.#discarding) {
      this.#discarding.size += part.length;
      this.#discarding.tail = lastBytes(this.#discarding.tail, part);
      return;
    }
    // One byte of room for a `\r` that may end the line; #finishLine checks what it was.
    if (this.#pendingBytes + part.length > this.maxBytes + 1) {
      const head = concat([...this.#pending, part], this.#pendingBytes + part.length);
      this.#discarding = {
        size: head.length,
        head: head.slice(0, EDGE_BYTES),
        tail: head.slice(Math.max(0, head.length - EDGE_BYTES)),
      };
      this.#pending = [];
      this.#pendingBytes = 0;
      return;
    }
    // Copy: the caller may reuse the chunk's buffer.
    this.#pending.push(part.slice());
    this.#pendingBytes += part.length;
  }

  #finishLine(): void {
    if (this.#discarding) {
      const { size, head, tail } = this.#discarding;
      this.#discarding = null;
      this.handlers.oversize({
        size,
        head: this.#decoder.decode(head),
        tail: this.#decoder.decode(tail),
      });
      return;
    }
    const bytes = this.#pending.length === 1
      ? this.#pending[0]
      : concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    if (bytes.length > this.maxBytes && bytes[bytes.length - 1] !== RETURN) {
      this.handlers.oversize({
        size: bytes.length,
        head: this.#decoder.decode(bytes.subarray(0, EDGE_BYTES)),
        tail: this.#decoder.decode(bytes.subarray(Math.max(0, bytes.length - EDGE_BYTES))),
      });
      return;
    }
    this.#emit(bytes);
  }

  #emit(bytes: Uint8Array): void {
    let length = bytes.length;
    if (length > 0 && bytes[length - 1] === RETURN) length--;
    if (length === 0) return;
    try {
      this.handlers.line(
        this.#decoder.decode(length === bytes.length ? bytes : bytes.subarray(0, length)),
      );
    } catch (error) {
      if (!this.handlers.error) throw error;
      this.handlers.error(error as Error);
    }
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
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
