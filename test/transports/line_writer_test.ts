/** LineWriter: one write per turn of the event loop, order kept, a broken stream reported once. */
import { deepEqual, equal } from "node:assert/strict";
import { LineWriter, writerSink } from "../../src/transports/line_writer.ts";

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
  const writer = new LineWriter(writerSink(stream.getWriter()));
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
  const writer = new LineWriter(writerSink(stream.getWriter()));
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
  const writer = new LineWriter(writerSink(stream.getWriter()));
  writer.send('{"text":"café ☕ 😀"}');
  await writer.drain();
  deepEqual(writes, ['{"text":"café ☕ 😀"}\n']);
});

Deno.test("LineWriter drain() resolves at once when nothing is queued", async () => {
  const { writes, stream } = recordingStream();
  await new LineWriter(writerSink(stream.getWriter())).drain();
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
  const writer = new LineWriter(
    writerSink(stream.getWriter()),
    (error) => errors.push(error.message),
  );
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
  const writer = new LineWriter(writerSink(inner), (error) => errors.push(error));
  writer.send("x");
  await writer.drain();
  writer.send("y");
  await writer.drain();
  equal(errors.length, 1);
});

Deno.test("LineWriter backlog counts what is queued or being written, until written", async () => {
  const { stream, hold, writes } = recordingStream();
  const writer = new LineWriter(writerSink(stream.getWriter()));
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

/** A sink that takes at most `max` bytes per write and holds each write until released. */
function slowSink(max: number) {
  const held: { bytes: Uint8Array; taken: number; resolve: (n: number) => void }[] = [];
  const written: number[] = [];
  const sink = {
    write(bytes: Uint8Array): Promise<number> {
      return new Promise<number>((resolve) => {
        held.push({ bytes, taken: Math.min(max, bytes.length), resolve });
      });
    },
  };
  /** Completes the oldest write: its bytes are read now, as a real write reads them late. */
  const complete = () => {
    const write = held.shift()!;
    written.push(...write.bytes.subarray(0, write.taken));
    write.resolve(write.taken);
  };
  return { sink, held, written, complete };
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("LineWriter finishes a write the sink took in parts", async () => {
  const { sink, held, written, complete } = slowSink(3);
  const writer = new LineWriter(sink);
  writer.send("abcdefg");
  const drained = writer.drain();
  while (true) {
    await settle();
    if (held.length === 0) break;
    complete();
  }
  await drained;
  equal(decoder.decode(new Uint8Array(written)), "abcdefg\n");
  equal(writer.backlog, 0);
});

Deno.test("LineWriter does not touch bytes a write still holds", async () => {
  const { sink, held, written, complete } = slowSink(1 << 20);
  const writer = new LineWriter(sink);
  writer.send("first");
  await settle();
  equal(held.length, 1, "the first write is under way");
  writer.send("second, which must not overwrite the first in the shared buffer");
  await settle();
  complete();
  await settle();
  complete();
  await writer.drain();
  equal(
    decoder.decode(new Uint8Array(written)),
    "first\nsecond, which must not overwrite the first in the shared buffer\n",
  );
});

Deno.test("LineWriter writes a batch too large for its buffer", async () => {
  const { writes, stream } = recordingStream();
  const writer = new LineWriter(writerSink(stream.getWriter()));
  const big = "é".repeat(40_000);
  writer.send(big);
  writer.send("after");
  await writer.drain();
  equal(writes.join(""), `${big}\nafter\n`);
});

Deno.test("LineWriter reports a sink that accepts no bytes", async () => {
  const errors: string[] = [];
  const writer = new LineWriter({ write: () => Promise.resolve(0) }, (e) => errors.push(e.message));
  writer.send("x");
  await writer.drain();
  deepEqual(errors, ["The stream accepted no bytes"]);
  equal(writer.backlog, 0);
});
