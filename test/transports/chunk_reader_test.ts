/**
 * Chunk readers: reads into one reused buffer (our stdin, a child's byte stream), and lines
 * framed correctly over them whatever the read boundaries.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { readIntoChunks, streamChunks } from "../../src/transports/chunk_reader.ts";
import type { OversizeLine } from "../../src/transports/line_splitter.ts";
import { pumpLines } from "../../src/transports/stdio.ts";

const encoder = new TextEncoder();

/** A `read(buffer)` source that hands out `parts` one read at a time, as a pipe would. */
function scriptedSource(parts: (string | Uint8Array | Error)[]) {
  const buffers = new Set<ArrayBufferLike>();
  let reads = 0;
  return {
    buffers,
    get reads() {
      return reads;
    },
    read(buffer: Uint8Array): Promise<number | null> {
      reads++;
      buffers.add(buffer.buffer);
      const next = parts.shift();
      if (next === undefined) return Promise.resolve(null);
      if (next instanceof Error) return Promise.reject(next);
      const bytes = typeof next === "string" ? encoder.encode(next) : next;
      buffer.set(bytes);
      return Promise.resolve(bytes.length);
    },
  };
}

async function linesOf(
  parts: (string | Uint8Array | Error)[],
  maxBytes = 1024,
): Promise<{ lines: string[]; oversize: OversizeLine[]; buffers: number }> {
  const source = scriptedSource(parts);
  const lines: string[] = [];
  const oversize: OversizeLine[] = [];
  await pumpLines(readIntoChunks(source, 64), maxBytes, {
    line: (text) => lines.push(text),
    oversize: (line) => oversize.push(line),
    end: () => {},
  });
  return { lines, oversize, buffers: source.buffers.size };
}

Deno.test("readIntoChunks() reads every chunk into the same buffer", async () => {
  const { lines, buffers } = await linesOf(['{"a":1}\n{"b"', ":2}\n", '{"c":3}\n']);
  deepEqual(lines, ['{"a":1}', '{"b":2}', '{"c":3}']);
  equal(buffers, 1);
});

Deno.test("pumpLines() over a reused buffer joins lines split across reads", async () => {
  const whole = '{"text":"café ☕ 😀"}\n{"n":2}\n';
  const bytes = encoder.encode(whole);
  // Every split point, multi-byte characters cut in two included.
  for (let cut = 1; cut < bytes.length; cut++) {
    const { lines } = await linesOf([bytes.slice(0, cut), bytes.slice(cut)]);
    deepEqual(lines, ['{"text":"café ☕ 😀"}', '{"n":2}'], `cut at ${cut}`);
  }
});

Deno.test("pumpLines() over a reused buffer strips CRLF, even split between reads", async () => {
  const { lines } = await linesOf(['{"a":1}\r', '\n{"b":2}\r\n']);
  deepEqual(lines, ['{"a":1}', '{"b":2}']);
});

Deno.test("pumpLines() over a reused buffer reports an oversize line and goes on", async () => {
  const big = "x".repeat(100);
  const { lines, oversize } = await linesOf([
    '{"a":1}\n' + big.slice(0, 40),
    big.slice(40),
    '\n{"b":2}\n',
  ], 64);
  deepEqual(lines, ['{"a":1}', '{"b":2}']);
  equal(oversize.length, 1);
  equal(oversize[0].size, 100);
});

Deno.test("readIntoChunks() ends at a read error as at end of input", async () => {
  const { lines } = await linesOf(['{"a":1}\n{"b":', new Error("EBADF")]);
  deepEqual(lines, ['{"a":1}', '{"b":'], "the last partial line is still delivered");
});

Deno.test("pumpLines() reads no further chunk from a reader while chunkEnd waits", async () => {
  const source = scriptedSource(["a\n", "b\n", "c\n"]);
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  const lines: string[] = [];
  const done = pumpLines(readIntoChunks(source), 1024, {
    line: (text) => lines.push(text),
    oversize: () => {},
    end: () => {},
    chunkEnd: () => lines.length === 1 ? blocked : undefined,
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  deepEqual(lines, ["a"]);
  equal(source.reads, 1, "the second chunk was not read");
  release();
  await done;
  deepEqual(lines, ["a", "b", "c"]);
});

/** A byte stream whose source fills the reader's own buffer, recording which buffers came. */
function byteStream(parts: string[]) {
  const sizes: number[] = [];
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller: ReadableByteStreamController) {
      const request = controller.byobRequest;
      const next = parts.shift();
      if (next === undefined) {
        controller.close();
        request?.respond(0);
        return;
      }
      const bytes = encoder.encode(next);
      if (!request?.view) {
        controller.enqueue(bytes);
        return;
      }
      sizes.push(request.view.byteLength);
      new Uint8Array(request.view.buffer, request.view.byteOffset).set(bytes);
      request.respond(bytes.length);
    },
  });
  return { stream, sizes };
}

Deno.test("streamChunks() reads a byte stream into the buffer it hands back and forth", async () => {
  const { stream, sizes } = byteStream(["ab", "cd", "ef"]);
  const reader = streamChunks(stream, 16);
  const chunks: string[] = [];
  for (let chunk = await reader.read(); chunk; chunk = await reader.read()) {
    chunks.push(new TextDecoder().decode(chunk));
  }
  deepEqual(chunks, ["ab", "cd", "ef"]);
  deepEqual(sizes, [16, 16, 16], "every read offered the whole buffer: none was allocated");
  equal(await reader.read(), null, "and stays ended");
});

Deno.test("streamChunks() reads any other stream chunk by chunk", async () => {
  const stream = ReadableStream.from([encoder.encode("a\nb"), encoder.encode("\n")]);
  const lines: string[] = [];
  await pumpLines(stream, 1024, { line: (t) => lines.push(t), oversize: () => {}, end: () => {} });
  deepEqual(lines, ["a", "b"]);
});

Deno.test("streamChunks() ends at an erroring stream as at end of input", async () => {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulls++ === 0) controller.enqueue(encoder.encode("a\n"));
      else controller.error(new Error("broken pipe"));
    },
  }, { highWaterMark: 0 });
  const reader = streamChunks(stream);
  ok(await reader.read());
  equal(await reader.read(), null);
});
