/** LineSplitter: newline framing at any chunk boundary, and a size limit that holds nothing big. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { LineSplitter, type OversizeLine } from "../../src/transports/line_splitter.ts";

const encoder = new TextEncoder();

interface Collected {
  splitter: LineSplitter;
  lines: string[];
  oversize: OversizeLine[];
  /** Lines and oversize reports, in the order they came. */
  events: string[];
}

function splitter(maxBytes = 64): Collected {
  const lines: string[] = [];
  const oversize: OversizeLine[] = [];
  const events: string[] = [];
  const splitter = new LineSplitter(maxBytes, {
    line: (text) => {
      lines.push(text);
      events.push(`line:${text}`);
    },
    oversize: (line) => {
      oversize.push(line);
      events.push(`oversize:${line.size}`);
    },
  });
  return { splitter, lines, oversize, events };
}

/** Feeds `text` as UTF-8, cut into chunks of `size` bytes. */
function feed(s: LineSplitter, text: string, size: number): void {
  const bytes = encoder.encode(text);
  for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size));
}

const MESSAGES = [
  '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  '{"text":"café ☕ 😀 €"}',
  '{"jsonrpc":"2.0","method":"x"}',
];

Deno.test("LineSplitter delivers the same lines whatever the chunk size", () => {
  const text = MESSAGES.join("\n") + "\n";
  for (const size of [1, 2, 3, 5, 7, 64, 1_000]) {
    const c = splitter();
    feed(c.splitter, text, size);
    c.splitter.end();
    deepEqual(c.lines, MESSAGES, `chunks of ${size} bytes`);
    deepEqual(c.oversize, []);
  }
});

Deno.test("LineSplitter joins multi-byte characters split across chunks", () => {
  const bytes = encoder.encode("😀€é\n");
  for (let cut = 1; cut < bytes.length - 1; cut++) {
    const c = splitter();
    c.splitter.push(bytes.slice(0, cut));
    c.splitter.push(bytes.slice(cut));
    deepEqual(c.lines, ["😀€é"], `cut at byte ${cut}`);
  }
});

Deno.test("LineSplitter strips CRLF endings, even split between chunks", () => {
  const c = splitter();
  feed(c.splitter, "a\r\nb\r", 100);
  feed(c.splitter, "\nc\r\n", 100);
  deepEqual(c.lines, ["a", "b", "c"]);
});

Deno.test("LineSplitter skips empty lines", () => {
  const c = splitter();
  feed(c.splitter, "\n\r\n\na\n\n", 1);
  deepEqual(c.lines, ["a"]);
});

Deno.test("LineSplitter delivers a last line without a newline at end()", () => {
  const c = splitter();
  feed(c.splitter, "a\nlast", 3);
  deepEqual(c.lines, ["a"]);
  c.splitter.end();
  deepEqual(c.lines, ["a", "last"]);
  c.splitter.end();
  deepEqual(c.lines, ["a", "last"], "a second end() adds nothing");
});

Deno.test("LineSplitter does not keep a reference to the caller's buffer", () => {
  const c = splitter();
  const buffer = encoder.encode("abc");
  c.splitter.push(buffer);
  buffer.set(encoder.encode("xyz"));
  c.splitter.push(encoder.encode("\n"));
  deepEqual(c.lines, ["abc"]);
});

Deno.test("LineSplitter delivers a line of exactly maxBytes", () => {
  const c = splitter(10);
  feed(c.splitter, "0123456789\n", 4);
  deepEqual(c.lines, ["0123456789"]);
});

Deno.test("LineSplitter accepts a line of exactly maxBytes ended by CRLF, as with LF", () => {
  for (const size of [1, 3, 4, 11, 12, 100]) {
    const c = splitter(10);
    feed(c.splitter, "0123456789\r\nabc\r\n0123456789\n", size);
    deepEqual(c.events, ["line:0123456789", "line:abc", "line:0123456789"], `chunks of ${size}`);
  }
  const last = splitter(10);
  feed(last.splitter, "0123456789\r", 4);
  last.splitter.end();
  deepEqual(last.lines, ["0123456789"]);
});

Deno.test("LineSplitter refuses a line one byte over maxBytes, with CRLF or LF", () => {
  for (const size of [1, 3, 4, 11, 12, 100]) {
    const c = splitter(10);
    feed(c.splitter, "0123456789x\r\n0123456789y\nok\r\n", size);
    deepEqual(c.events, ["oversize:12", "oversize:11", "line:ok"], `chunks of ${size}`);
  }
  const last = splitter(10);
  feed(last.splitter, "0123456789x", 4);
  last.splitter.end();
  deepEqual(last.events, ["oversize:11"]);
});

Deno.test("LineSplitter reports a line over the limit by size, never delivers it, and goes on", () => {
  for (const size of [1, 3, 16, 10_000]) {
    const c = splitter(16);
    const big = '{"id":7,"x":"' + "y".repeat(40) + '"}';
    feed(c.splitter, `ok1\n${big}\nok2\n`, size);
    deepEqual(c.events, ["line:ok1", `oversize:${big.length}`, "line:ok2"], `chunks of ${size}`);
    equal(c.oversize[0].size, encoder.encode(big).length);
    ok(c.oversize[0].head.startsWith('{"id":7'), c.oversize[0].head);
    ok(c.oversize[0].tail.endsWith('y"}'), c.oversize[0].tail);
  }
});

Deno.test("LineSplitter keeps only the edges of an oversized line", () => {
  const c = splitter(1_024);
  const big = '{"jsonrpc":"2.0","id":"head-id",' + "x".repeat(100_000) + ',"end":"tail-mark"}';
  feed(c.splitter, big + "\n", 4_096);
  const [report] = c.oversize;
  equal(report.size, big.length);
  ok(report.head.length <= 512 && report.tail.length <= 512);
  ok(report.head.startsWith('{"jsonrpc":"2.0","id":"head-id"'));
  ok(report.tail.endsWith('"end":"tail-mark"}'));
  deepEqual(c.lines, []);
});

Deno.test("LineSplitter counts bytes, not characters, against the limit", () => {
  const c = splitter(8);
  feed(c.splitter, "€€€\n", 1); // 9 bytes in 3 characters
  deepEqual(c.lines, []);
  equal(c.oversize[0].size, 9);
});

Deno.test("LineSplitter reports an oversized last line without a newline at end()", () => {
  const c = splitter(4);
  feed(c.splitter, "ok\n0123456789", 3);
  deepEqual(c.events, ["line:ok"]);
  c.splitter.end();
  deepEqual(c.events, ["line:ok", "oversize:10"]);
});

Deno.test("LineSplitter handles back-to-back oversized lines separately", () => {
  const c = splitter(4);
  feed(c.splitter, "123456\n1234567\nab\n", 2);
  deepEqual(c.events, ["oversize:6", "oversize:7", "line:ab"]);
});
