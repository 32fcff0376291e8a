/**
 * Reading a byte stream into one reused buffer, rather than a fresh zero-filled 64 KiB buffer
 * per read as a default stream reader does. The bytes a read returns are valid until the next
 * read; whoever keeps them copies them (the line splitter does).
 */

export interface ChunkReader {
  /** The next chunk, or null once the stream ended (a broken pipe ends it too). */
  read(): Promise<Uint8Array | null>;
  /** Stops reading and lets go of the stream. */
  release(): void;
}

/** Something with `read(buffer)` as `Deno.stdin` and `Deno.FsFile` have it. */
export interface ReadInto {
  read(buffer: Uint8Array): Promise<number | null>;
}

export const READ_BUFFER_BYTES = 64 * 1024;

/** Reads `source` (such as `Deno.stdin`: no stream layer) into one buffer. */
export function readIntoChunks(source: ReadInto, size = READ_BUFFER_BYTES): ChunkReader {
  const buffer = new Uint8Array(size);
  let ended = false;
  return {
    async read() {
      if (ended) return null;
      let count: number | null;
      try {
        count = await source.read(buffer);
      } catch {
        count = null;
      }
      if (count === null) {
        ended = true;
        return null;
      }
      return buffer.subarray(0, count);
    },
    release() {
      ended = true;
    },
  };
}

/**
 * Reads a stream: a byte stream (a child process's stdout) through a BYOB reader that hands
 * one buffer back and forth; any other stream chunk by chunk, as its source makes them.
 */
export function streamChunks(
  readable: ReadableStream<Uint8Array>,
  size = READ_BUFFER_BYTES,
): ChunkReader {
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = readable.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream.
  }
  if (!byob) {
    const reader = readable.getReader();
    return {
      async read() {
        try {
          const { value, done } = await reader.read();
          return done ? null : value;
        } catch {
          return null;
        }
      },
      release: () => reader.releaseLock(),
    };
  }
  const reader = byob;
  let buffer: Uint8Array | null = new Uint8Array(size);
  return {
    async read() {
      if (!buffer) return null;
      try {
        const { value, done } = await reader.read(buffer);
        // The buffer was handed over to the stream; it comes back as `value`'s.
        buffer = done || !value ? null : new Uint8Array(value.buffer);
        return buffer ? value! : null;
      } catch {
        buffer = null;
        return null;
      }
    },
    release: () => reader.releaseLock(),
  };
}
