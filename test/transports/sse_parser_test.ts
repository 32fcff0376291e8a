import { deepEqual, equal, ok } from "node:assert/strict";
import {
  EDGE_BYTES,
  type OversizeEvent,
  type SseEvent,
  SseParser,
} from "../../src/transports/sse_parser.ts";

const encoder = new TextEncoder();

function parse(chunks: (string | Uint8Array)[], maxBytes = 1024) {
  const events: SseEvent[] = [];
  const oversize: OversizeEvent[] = [];
  const retries: number[] = [];
  const parser = new SseParser(maxBytes, {
    event: (event) => events.push(event),
    oversize: (event) => oversize.push(event),
    retry: (ms) => retries.push(ms),
  });
  for (const chunk of chunks) {
    parser.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
  }
  parser.end();
  return { events, oversize, retries, parser };
}

/** Every way of cutting `bytes` in two. */
function everySplit(text: string): Uint8Array[][] {
  const bytes = encoder.encode(text);
  const splits: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.length; i++) splits.push([bytes.slice(0, i), bytes.slice(i)]);
  return splits;
}

Deno.test("SseParser reads events with their type, data lines and id", () => {
  const { events } = parse([
    'event: message\nid: 7\ndata: {"a":1}\n\n',
    "data: first\ndata: second\n\n",
    "event: endpoint\ndata: /message?sessionId=x\n\n",
  ]);
  deepEqual(events, [
    { type: "message", data: '{"a":1}', id: "7" },
    { type: "message", data: "first\nsecond", id: "7" },
    { type: "endpoint", data: "/message?sessionId=x", id: "7" },
  ]);
});

Deno.test("SseParser gives the same events however the stream is cut into chunks", () => {
  const text =
    'event: message\r\nid: é1\r\ndata: {"text":"héllo 世界"}\r\n\r\n:\r\ndata: b\r\n\r\n';
  const expected = [
    { type: "message", data: '{"text":"héllo 世界"}', id: "é1" },
    { type: "message", data: "b", id: "é1" },
  ];
  for (const chunks of everySplit(text)) deepEqual(parse(chunks).events, expected);
  // One byte at a time.
  const bytes = encoder.encode(text);
  deepEqual(parse([...bytes].map((b) => new Uint8Array([b]))).events, expected);
});

Deno.test("SseParser ends lines at LF, CRLF and a lone CR, also across chunks", () => {
  const expected = [{ type: "message", data: "x", id: "" }, {
    type: "message",
    data: "y",
    id: "",
  }];
  deepEqual(parse(["data: x\n\ndata: y\n\n"]).events, expected);
  deepEqual(parse(["data: x\r\n\r\ndata: y\r\n\r\n"]).events, expected);
  deepEqual(parse(["data: x\r\rdata: y\r\r"]).events, expected);
  // A chunk ending in CR followed by one starting with LF: one line end, not two.
  deepEqual(parse(["data: x\r", "\n\r", "\ndata: y\r", "\n\r\n"]).events, expected);
});

Deno.test("SseParser skips comments and keep-alives and dispatches nothing without data", () => {
  const { events } = parse([":\r\n", ": keep-alive\n\n", "event: ping\n\n", "id: 3\n\n"]);
  deepEqual(events, []);
});

Deno.test("SseParser drops an event the stream ends before its blank line", () => {
  const { events } = parse(["data: whole\n\n", "data: cut off\n"]);
  deepEqual(events.map((e) => e.data), ["whole"]);
});

Deno.test("SseParser takes one space after the colon off, keeps the rest, and strips a BOM", () => {
  const { events } = parse(["\uFEFFdata:no space\n\n", "data:  two spaces\n\n", "data\n\n"]);
  deepEqual(events.map((e) => e.data), ["no space", " two spaces", ""]);
});

Deno.test("SseParser reports retry and ignores an id with a NUL", () => {
  const { events, retries } = parse([
    "retry: 2500\nretry: soon\nid: 1\n\n",
    "id: a\0b\ndata: x\n\n",
  ]);
  deepEqual(retries, [2500]);
  equal(events[0].id, "1");
});

Deno.test("SseParser reports data over the limit with its size and ends, not the data", () => {
  const big = `{"jsonrpc":"2.0","result":{"text":"${"x".repeat(5_000)}"},"id":42}`;
  const { events, oversize } = parse([`data: ${big}\n\n`, "data: small\n\n"], 1_000);
  equal(oversize.length, 1);
  equal(oversize[0].size, big.length);
  equal(oversize[0].head, big.slice(0, EDGE_BYTES));
  equal(oversize[0].tail, big.slice(-EDGE_BYTES));
  ok(oversize[0].tail.endsWith('"id":42}'));
  deepEqual(events.map((e) => e.data), ["small"], "the stream goes on after it");
});

Deno.test("SseParser reports an event whose many data lines add up over the limit", () => {
  const line = "y".repeat(300);
  const chunks = [...Array(10)].map(() => `data: ${line}\n`);
  const { events, oversize } = parse([...chunks, "\n", "data: after\n\n"], 1_000);
  equal(oversize.length, 1);
  equal(oversize[0].size, 10 * 300 + 9, "the lines and the newlines between them");
  equal(oversize[0].head, `${line}\n${line}`.slice(0, EDGE_BYTES));
  equal(oversize[0].tail, `${line}\n${line}`.slice(-EDGE_BYTES));
  deepEqual(events.map((e) => e.data), ["after"]);
});

Deno.test("SseParser keeps an oversized event's size right when it arrives in small chunks", () => {
  const big = "z".repeat(10_000);
  const text = `event: message\ndata: ${big}\n\n`;
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 7) chunks.push(text.slice(i, i + 7));
  const { oversize } = parse(chunks, 1_000);
  equal(oversize.length, 1);
  equal(oversize[0].size, big.length);
  equal(oversize[0].type, "message");
});

Deno.test("SseParser ignores an overlong comment line and goes on", () => {
  const { events, oversize } = parse([`:${"c".repeat(10_000)}\n`, "data: next\n\n"], 1_000);
  deepEqual(oversize, []);
  deepEqual(events.map((e) => e.data), ["next"]);
});

Deno.test("SseParser accepts data exactly at the limit", () => {
  const exact = "q".repeat(1_000);
  const { events, oversize } = parse([`data: ${exact}\n\n`], 1_000);
  deepEqual(oversize, []);
  equal(events[0].data, exact);
});

Deno.test("SseParser remembers the last event id for resuming", () => {
  const { parser } = parse(["id: 5\ndata: a\n\n", "data: b\n\n"]);
  equal(parser.lastEventId, "5");
});
