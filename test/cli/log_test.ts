/** createLogger: text and JSON lines, level filtering, the old call forms. */
import { deepEqual, equal } from "node:assert/strict";
import { createLogger, isLogFormat, isLogLevel } from "../../src/cli/log.ts";

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
