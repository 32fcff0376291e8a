/** BatchWriter: one write per batch, order kept, a bounded buffer, a failed sink reported once. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { BatchWriter, type ByteSink } from "../../src/audit/batch_writer.ts";

const decoder = new TextDecoder();

/** A sink that records writes; `hold()` stalls it until released; `chunk` caps each write. */
function recordingSink(chunk = Infinity): {
  writes: string[];
  sink: ByteSink;
  hold: () => () => void;
} {
  const writes: string[] = [];
  let held: Promise<void> | null = null;
  const sink: ByteSink = {
    async write(bytes) {
      if (held) await held;
      const part = bytes.subarray(0, Math.min(bytes.length, chunk));
      writes.push(decoder.decode(part));
      return part.length;
    },
  };
  const hold = () => {
    let release!: () => void;
    held = new Promise((resolve) => release = resolve);
    return () => {
      held = null;
      release();
    };
  };
  return { writes, sink, hold };
}

Deno.test("BatchWriter writes the lines of one tick in one write, in order", async () => {
  const { writes, sink } = recordingSink();
  const writer = new BatchWriter(sink);
  for (let i = 0; i < 5; i++) writer.push(`{"i":${i}}`);
  deepEqual(writes, [], "nothing is written synchronously");
  await writer.drain();
  deepEqual(writes, ['{"i":0}\n{"i":1}\n{"i":2}\n{"i":3}\n{"i":4}\n']);
});

Deno.test("BatchWriter batches what arrives while a write is in flight", async () => {
  const { writes, sink, hold } = recordingSink();
  const writer = new BatchWriter(sink);
  const release = hold();
  writer.push('{"i":0}');
  await Promise.resolve();
  writer.push('{"i":1}');
  writer.push('{"i":2}');
  release();
  await writer.drain();
  deepEqual(writes, ['{"i":0}\n', '{"i":1}\n{"i":2}\n']);
});

Deno.test("BatchWriter finishes short writes", async () => {
  const { writes, sink } = recordingSink(3);
  const writer = new BatchWriter(sink);
  writer.push('{"text":"héllo"}');
  await writer.drain();
  ok(writes.length > 1);
  equal(writes.join(""), '{"text":"héllo"}\n');
});

Deno.test("BatchWriter drops past its bound while the sink stalls and reports the count", async () => {
  const { writes, sink, hold } = recordingSink();
  const writer = new BatchWriter(sink, { maxLines: 10 });
  const release = hold();
  writer.push('{"i":0}');
  await Promise.resolve(); // line 0 is in flight, stalled
  let accepted = 0;
  for (let i = 1; i <= 50; i++) if (writer.push(`{"i":${i}}`)) accepted++;
  equal(accepted, 10, "the buffer holds 10 lines, never more");
  equal(writer.dropped, 40);
  equal(writer.unreported, 40);
  release();
  await writer.drain();
  writer.push('{"i":51}');
  await writer.drain();
  const lines = writes.join("").trimEnd().split("\n").map((line) => JSON.parse(line));
  deepEqual(lines.map((line) => line.i), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 51]);
  deepEqual(lines.at(-1), { i: 51, droppedBefore: 40 });
  equal(writer.unreported, 0);
});

Deno.test("BatchWriter bounds the characters it holds", async () => {
  const { sink, hold } = recordingSink();
  const writer = new BatchWriter(sink, { maxChars: 100 });
  const release = hold();
  equal(writer.push(`{"s":"${"x".repeat(60)}"}`), true);
  equal(writer.push(`{"s":"${"x".repeat(60)}"}`), false);
  equal(writer.push(`{"s":"x"}`), true);
  release();
  await writer.drain();
  equal(writer.dropped, 1);
});

Deno.test("BatchWriter reports a write error once and counts what it drops", async () => {
  const errors: Error[] = [];
  let calls = 0;
  const writer = new BatchWriter({
    write: () => {
      calls++;
      return Promise.reject(new Error("No space left on device"));
    },
  }, { onError: (error) => errors.push(error) });
  writer.push('{"i":0}');
  writer.push('{"i":1}');
  await writer.drain();
  for (let i = 2; i < 5; i++) equal(writer.push(`{"i":${i}}`), false);
  await writer.drain();
  equal(calls, 1);
  deepEqual(errors.map((error) => error.message), ["No space left on device"]);
  equal(writer.dropped, 5);
  equal(writer.failed?.message, "No space left on device");
});

Deno.test("BatchWriter survives an error reporter that throws", async () => {
  const writer = new BatchWriter({ write: () => Promise.reject(new Error("gone")) }, {
    onError: () => {
      throw new Error("reporter broke");
    },
  });
  writer.push("{}");
  await writer.drain();
  equal(writer.dropped, 1);
});

Deno.test("BatchWriter makes a line pushed as a maker at the end of the turn, in order", async () => {
  const { writes, sink } = recordingSink();
  const writer = new BatchWriter(sink);
  let made = 0;
  writer.push('{"i":0}');
  writer.push(() => {
    made++;
    return '{"i":1}';
  });
  writer.push('{"i":2}');
  equal(made, 0, "not made on the pusher's path");
  await Promise.resolve();
  equal(made, 1, "made at the end of the turn");
  await writer.drain();
  equal(made, 1);
  deepEqual(writes, ['{"i":0}\n{"i":1}\n{"i":2}\n']);
});

Deno.test("BatchWriter makes lines at once even while a write is stalled", async () => {
  const { writes, sink, hold } = recordingSink();
  const writer = new BatchWriter(sink);
  const release = hold();
  writer.push('{"i":0}');
  await new Promise((resolve) => setTimeout(resolve, 0));
  let made = false;
  writer.push(() => {
    made = true;
    return '{"i":1}';
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  ok(made, "what the maker holds is let go of before the sink moves");
  release();
  await writer.drain();
  deepEqual(writes, ['{"i":0}\n', '{"i":1}\n']);
});

Deno.test("BatchWriter drops a made line past its bound; the next line reports it", async () => {
  const { writes, sink, hold } = recordingSink();
  const writer = new BatchWriter(sink, { maxChars: 30 });
  const release = hold();
  writer.push(() => '{"a":"0123456789"}');
  writer.push(() => '{"b":"0123456789"}');
  await new Promise((resolve) => setTimeout(resolve, 0));
  equal(writer.dropped, 1);
  writer.push(() => '{"c":1}');
  release();
  await writer.drain();
  deepEqual(writes.join("").split("\n").slice(0, -1), [
    '{"a":"0123456789"}',
    '{"c":1,"droppedBefore":1}',
  ]);
});

Deno.test("BatchWriter with delayMs writes a busy stream in one write, and drain() does not wait", async () => {
  const { writes, sink } = recordingSink();
  const writer = new BatchWriter(sink, { delayMs: 60_000 });
  for (let turn = 0; turn < 3; turn++) {
    writer.push(`{"turn":${turn}}`);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  deepEqual(writes, [], "gathering");
  await writer.drain(); // long before a minute
  deepEqual(writes, ['{"turn":0}\n{"turn":1}\n{"turn":2}\n']);
  writer.push('{"turn":3}');
  await writer.drain();
  deepEqual(writes.at(-1), '{"turn":3}\n');
});

Deno.test("BatchWriter writes a batch from its own buffer while the next one fills the other", async () => {
  const { writes, sink, hold } = recordingSink();
  const writer = new BatchWriter(sink);
  const release = hold();
  writer.push(`{"big":"${"x".repeat(100_000)}"}`); // grows the buffer past its first size
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < 3; i++) writer.push(`{"i":${i}}`);
  await new Promise((resolve) => setTimeout(resolve, 0));
  release();
  await writer.drain();
  writer.push('{"after":true}');
  await writer.drain();
  equal(writes.length, 3);
  equal(writes[0].length, 100_011);
  deepEqual(writes.slice(1), ['{"i":0}\n{"i":1}\n{"i":2}\n', '{"after":true}\n']);
});

Deno.test("BatchWriter encodes a turn of lines in any script, past its first buffer, in order", async () => {
  const { writes, sink } = recordingSink();
  const writer = new BatchWriter(sink);
  // 3-byte and 4-byte UTF-8, made and pushed, past the 64 KiB the buffer starts with.
  const lines = Array.from({ length: 600 }, (_, i) => `{"i":${i},"t":"${"€😀".repeat(40)}"}`);
  lines.forEach((line, i) => writer.push(i % 2 === 0 ? line : () => line));
  await writer.drain();
  equal(writes.join(""), lines.join("\n") + "\n");
});
