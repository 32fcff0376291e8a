/** createLogger: text and JSON lines, level filtering, the old call forms. */
import { deepEqual, equal } from "node:assert/strict";
import { createLogger, isLogFormat, isLogLevel, LineQueue } from "../../src/cli/log.ts";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 250);

function capture(): { lines: string[]; write: (line: string) => void } {
  const lines: string[] = [];
  return { lines, write: (line) => lines.push(line) };
}

Deno.test("createLogger(level, write) writes text lines at and above the level", () => {
  const { lines, write } = capture();
  const log = createLogger("warn", write);
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  deepEqual(lines, ["intercept: warn: w", "intercept: error: e"]);
});

Deno.test("createLogger() defaults to info", () => {
  const { lines, write } = capture();
  const log = createLogger(undefined, { write });
  log.debug("d");
  log.info("i");
  deepEqual(lines, ["intercept: info: i"]);
});

Deno.test("createLogger() with format json writes one JSON object per line", () => {
  const { lines, write } = capture();
  const log = createLogger("debug", { format: "json", write, now: () => T0 });
  log.debug("starting");
  log.warn('Refused "x"\nsecond line');
  equal(lines.length, 2);
  equal(lines[0], '{"ts":"2026-01-01T12:00:00.250Z","level":"debug","msg":"starting"}');
  equal(lines[1].includes("\n"), false);
  deepEqual(JSON.parse(lines[1]), {
    ts: "2026-01-01T12:00:00.250Z",
    level: "warn",
    msg: 'Refused "x"\nsecond line',
  });
});

Deno.test("createLogger() with format json filters by level", () => {
  const { lines, write } = capture();
  const log = createLogger("error", { format: "json", write, now: () => T0 });
  log.info("i");
  log.warn("w");
  log.error("e");
  deepEqual(lines.map((line) => JSON.parse(line).level), ["error"]);
});

Deno.test("createLogger() with format text matches the old form", () => {
  const { lines, write } = capture();
  createLogger("info", { format: "text", write }).info("hello");
  deepEqual(lines, ["intercept: info: hello"]);
});

Deno.test("isLogFormat() accepts text and json only", () => {
  deepEqual(["text", "json", "JSON", "yaml", ""].map(isLogFormat), [
    true,
    true,
    false,
    false,
    false,
  ]);
});

Deno.test("isLogLevel() accepts the four levels and nothing inherited", () => {
  deepEqual(["debug", "info", "warn", "error", "trace", "toString"].map(isLogLevel), [
    true,
    true,
    true,
    true,
    false,
    false,
  ]);
});

Deno.test("createLogger() writes to stderr by default, never stdout", async () => {
  const script = `
    import { createLogger } from ${
    JSON.stringify(new URL("../../src/cli/log.ts", import.meta.url).href)
  };
    createLogger("info", { format: "json" }).warn("to stderr");
    createLogger("info").error("text too");
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdin: "null",
  }).output();
  equal(code, 0);
  equal(new TextDecoder().decode(stdout), "");
  const [json, text] = new TextDecoder().decode(stderr).trimEnd().split("\n");
  equal(JSON.parse(json).msg, "to stderr");
  equal(text, "intercept: error: text too");
});

/** A sink whose writes wait until released, like a pipe nobody reads. */
function stalledSink() {
  const chunks: string[] = [];
  let release = () => {};
  let stalled = new Promise<void>((resolve) => release = resolve);
  return {
    chunks,
    text: () => chunks.join(""),
    release: () => release(),
    stall: () => stalled = new Promise<void>((resolve) => release = resolve),
    async write(bytes: Uint8Array): Promise<number> {
      await stalled;
      chunks.push(new TextDecoder().decode(bytes));
      return bytes.length;
    },
  };
}

Deno.test("LineQueue.push() never waits; past the bound it drops and counts, then reports", async () => {
  const sink = stalledSink();
  const queue = new LineQueue(sink, { maxLines: 10, note: (n) => `dropped ${n}` });
  for (let i = 0; i < 25; i++) queue.push(`line ${i}`);
  equal(queue.droppedTotal, 15);
  sink.release();
  equal(await queue.flush(5_000), true);
  const lines = sink.text().trimEnd().split("\n");
  deepEqual(lines, [...Array.from({ length: 10 }, (_, i) => `line ${i}`), "dropped 15"]);
  queue.push("after");
  await queue.flush(5_000);
  equal(sink.text().trimEnd().split("\n").at(-1), "after");
});

Deno.test("LineQueue reports drops before the first line it takes again", async () => {
  const sink = stalledSink();
  const queue = new LineQueue(sink, { maxLines: 2, note: (n) => `dropped ${n}` });
  queue.push("a");
  await Promise.resolve();
  await Promise.resolve();
  // "a" is being written and waits; the queue holds two more, then drops.
  for (const line of ["b", "c", "d", "e"]) queue.push(line);
  sink.release();
  await queue.flush(5_000);
  queue.push("f");
  await queue.flush(5_000);
  deepEqual(sink.text().trimEnd().split("\n"), ["a", "b", "c", "dropped 2", "f"]);
});

Deno.test("LineQueue.flush() gives up after its timeout while the sink is stuck", async () => {
  const sink = stalledSink();
  const queue = new LineQueue(sink, { note: (n) => `dropped ${n}` });
  queue.push("stuck");
  equal(await queue.flush(50), false);
  sink.release();
  equal(await queue.flush(5_000), true);
});

Deno.test("LineQueue cuts a line longer than a quarter of its byte bound", async () => {
  const sink = stalledSink();
  sink.release();
  const queue = new LineQueue(sink, { maxBytes: 40, note: (n) => `dropped ${n}` });
  queue.push("x".repeat(100));
  await queue.flush(5_000);
  equal(sink.text(), `${"x".repeat(10)}…\n`);
});

Deno.test("createLogger() with format text writes control characters as escapes: one message, one line", () => {
  const { lines, write } = capture();
  const log = createLogger("info", write);
  // An agent picks tool names and methods that end up in messages.
  log.warn('a call of "x\nintercept: info: policy reloaded\u001b[2J\r\u0085" was dropped');
  equal(lines.length, 1);
  equal(
    lines[0],
    'intercept: warn: a call of "x\\nintercept: info: policy reloaded\\u001b[2J\\r\\u0085" was dropped',
  );
});

Deno.test("LineQueue gives up on a sink that takes no bytes, instead of asking it forever", async () => {
  let writes = 0;
  const queue = new LineQueue({
    write: () => {
      writes++;
      return Promise.resolve(0);
    },
  }, { note: (n) => `dropped ${n}` });
  queue.push("nowhere");
  equal(await queue.flush(1_000), true, "the queue settles");
  equal(writes, 1);
  queue.push("later");
  equal(await queue.flush(1_000), true);
  equal(writes, 1, "a broken sink is not written to again");
});
