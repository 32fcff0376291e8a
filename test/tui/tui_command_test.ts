import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/args.ts";
import { runTui, TUI_HELP } from "../../src/commands/tui.ts";

/** Runs `fn` with console.log and console.error captured. */
async function captured(fn: () => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...args: unknown[]) => out.push(args.join(" "));
  console.error = (...args: unknown[]) => err.push(args.join(" "));
  try {
    return { code: await fn(), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("runTui() refuses without a terminal, with a clear message and exit code 2", async () => {
  const { code, out, err } = await captured(() => runTui([], { isTerminal: () => false }));
  assert.equal(code, 2);
  assert.equal(out, "");
  assert.match(err, /the dashboard needs a terminal \(stdin and stdout must be a TTY\)/);
  assert.match(err, /intercept ctl/);
});

Deno.test("runTui() --help prints the keys and flags", async () => {
  const { code, out } = await captured(() => runTui(["--help"], { isTerminal: () => false }));
  assert.equal(code, 0);
  assert.equal(out, TUI_HELP);
  assert.match(out, /--control PATH/);
  assert.match(out, /D \/ A\s+deny \/ allow it on every proxy shown/);
});

Deno.test("runTui() rejects an unknown flag and a --control without a path", async () => {
  await assert.rejects(() => runTui(["--controll", "x"]), UsageError);
  await assert.rejects(() => runTui(["--control"]), /Flag --control needs a value/);
});
