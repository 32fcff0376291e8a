/** LineWriter: one write per turn of the event loop, order kept, a broken stream reported once. */
import { deepEqual, equal } from "node:assert/strict";
import { LineWriter } from "../../src/transports/line_writer.ts";

const decoder = new TextDecoder();

/** A writable stream that records every write as text; `hold()` holds writes back. */
function recordingStream(): {
  writes: string[];
  stream: WritableStream<Uint8Array>;
  hold: () => () => void;
} {
  const writes: string[] = [];
  let held: Promise<void> | null = null;
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (held) await held;
      writes.push(decoder.decode(chunk));
    },
  });
  const hold = () => {
    let release!: () => void;
    held = new Promise((resolve) => release = resolve);
    return () => {
      held = null;
      release();
    };
  };
  return { writes, stream, hold };
}

Deno.test("LineWriter coalesces sends of one tick into one write", async () => {
  const { writes, stream } = recordingStream();
  const writer = new LineWriter(stream.getWriter());
  writer.send("a");
  writer.send("b");
  writer.send("c");
  deepEqual(writes, [], "nothing is written synchronously");
  await writer.drain();
  deepEqual(writes, ["a\nb\nc\n"]);
  writer.send("d");
  await writer.drain();
  deepEqual(writes, ["a\nb\nc\n", "d\n"]);
});

Deno.test("LineWriter keeps order across sends made while a write is in progress", async () => {
  const { writes, stream, hold } = recordingStream();
  const writer = new LineWriter(stream.getWriter());
  const release = hold();
  writer.send("1");
  await new Promise((resolve) => setTimeout(resolve, 0));
  writer.send("2");
  writer.send("3");
  release();
  await writer.drain();
  writer.send("4");
  await writer.drain();
  deepEqual(writes.join("").split("\n"), ["1", "2", "3", "4", ""]);
  deepEqual(writes, ["1\n", "2\n3\n", "4\n"]);
});

Deno.test("LineWriter writes UTF-8", async () => {
  const { writes, stream } = recordingStream();
  const writer = new LineWriter(stream.getWriter());
  writer.send('{"text":"café ☕ 😀"}');
  await writer.drain();
  deepEqual(writes, ['{"text":"café ☕ 😀"}\n']);
});

Deno.test("LineWriter drain() resolves at once when nothing is queued", async () => {
  const { writes, stream } = recordingStream();
  await new LineWriter(stream.getWriter()).drain();
  deepEqual(writes, []);
});

Deno.test("LineWriter reports a failing stream once and ignores later sends", async () => {
  let attempts = 0;
  const stream = new WritableStream<Uint8Array>({
    write() {
      attempts++;
      throw new Error("broken pipe");
    },
  });
  const errors: string[] = [];
  const writer = new LineWriter(stream.getWriter(), (error) => errors.push(error.message));
  writer.send("a");
  writer.send("b");
  await writer.drain();
  deepEqual(errors, ["broken pipe"]);
  writer.send("c");
  writer.send("d");
  await writer.drain();
  await new Promise((resolve) => setTimeout(resolve, 0));
  deepEqual(errors, ["broken pipe"]);
  equal(attempts, 1);
});

Deno.test("LineWriter reports a stream closed by its reader once", async () => {
  const stream = new WritableStream<Uint8Array>();
  const inner = stream.getWriter();
  await inner.close();
  const errors: Error[] = [];
  const writer = new LineWriter(inner, (error) => errors.push(error));
  writer.send("x");
  await writer.drain();
  writer.send("y");
  await writer.drain();
  equal(errors.length, 1);
});

Deno.test("LineWriter backlog counts what is queued or being written, until written", async () => {
  const { stream, hold, writes } = recordingStream();
  const writer = new LineWriter(stream.getWriter());
  const release = hold();
  writer.send("abc");
  writer.send("de");
  equal(writer.backlog, 7);
  await new Promise((resolve) => setTimeout(resolve, 0));
  equal(writer.backlog, 7, "a held write still counts");
  release();
  await writer.drain();
  equal(writer.backlog, 0);
  deepEqual(writes, ["abc\nde\n"]);
});
