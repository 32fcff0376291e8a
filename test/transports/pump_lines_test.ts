/** pumpLines: a reader that waits when the lines' consumer asks it to (backpressure). */
import { deepEqual, equal } from "node:assert/strict";
import { pumpLines } from "../../src/transports/stdio.ts";

Deno.test("pumpLines() reads no further chunk while chunkEnd's promise is pending", async () => {
  const encoder = new TextEncoder();
  let pulls = 0;
  const chunks = ["a\n", "b\n", "c\n"];
  const readable = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(encoder.encode(next));
    },
  }, { highWaterMark: 0 });
  const lines: string[] = [];
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => release = resolve);
  let ends = 0;
  const done = pumpLines(readable, 1024, {
    line: (text) => lines.push(text),
    oversize: () => {},
    end: () => ends++,
    chunkEnd: () => lines.length === 1 ? blocked : undefined,
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  deepEqual(lines, ["a"]);
  equal(pulls, 1, "the second chunk was not asked for");
  release();
  await done;
  deepEqual(lines, ["a", "b", "c"]);
  equal(ends, 1);
});

Deno.test("pumpLines() goes on after a handler throws, and reports it", async () => {
  const readable = ReadableStream.from([new TextEncoder().encode("bad\ngood\n")]);
  const lines: string[] = [];
  const errors: string[] = [];
  await pumpLines(readable, 1024, {
    line: (text) => {
      if (text === "bad") throw new Error("boom");
      lines.push(text);
    },
    oversize: () => {},
    end: () => {},
    error: (error) => errors.push(error.message),
  });
  deepEqual(errors, ["boom"]);
  deepEqual(lines, ["good"], "the lines after it still arrive");
});
