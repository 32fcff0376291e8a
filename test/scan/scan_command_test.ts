/** `intercept scan` run from source against real servers, dying ones and hanging ones. */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { EVERYTHING, ROOT, runIntercept } from "../e2e/helpers.ts";

/** Every tool server-everything 2026.8.31 lists to a client offering roots, sampling, elicitation. */
const EVERYTHING_TOOLS = [
  "echo",
  "get-annotated-message",
  "get-env",
  "get-resource-links",
  "get-resource-reference",
  "get-roots-list",
  "get-structured-content",
  "get-sum",
  "get-tiny-image",
  "gzip-file-as-resource",
  "simulate-research-query",
  "toggle-simulated-logging",
  "toggle-subscriber-updates",
  "trigger-elicitation-request",
  "trigger-elicitation-request-async",
  "trigger-long-running-operation",
  "trigger-sampling-request",
  "trigger-sampling-request-async",
  "trigger-url-elicitation",
];

Deno.test("intercept scan writes a valid policy with every tool of server-everything", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intercept-scan-" });
  try {
    const first = `${dir}/first.yaml`;
    const second = `${dir}/second.yaml`;
    const run1 = await runIntercept(["scan", "--no-date", "-o", first, "--", ...EVERYTHING]);
    equal(run1.code, 0, run1.stderr);
    match(run1.stderr, /wrote .*first\.yaml \(mcp-servers\/everything 2\.0\.0, 19 tools\)/);
    equal(run1.stdout, "");
    const text = await Deno.readTextFile(first);
    const policy = loadPolicyText(text, first);
    deepEqual([...policy.exact.keys()].sort(), EVERYTHING_TOOLS);
    match(text, /^# Policy for the MCP server mcp-servers\/everything 2\.0\.0, written by/);
    ok(!/Scanned on/.test(text), "--no-date leaves the date out");
    // Annotations decide: echo is read-only, toggles change state.
    deepEqual(policy.exact.get("echo")!.rules, []);
    equal(policy.exact.get("toggle-simulated-logging")!.rules[0].quota?.max, 30);
    match(
      text,
      /# Echoes back the input string\n {2}# Arguments: message \(string, required\)\n {2}echo:/,
    );

    const run2 = await runIntercept(["scan", "--no-date", "-o", second, "--", ...EVERYTHING]);
    equal(run2.code, 0, run2.stderr);
    equal(await Deno.readTextFile(second), text, "a rescan gives the same file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("intercept scan prints the policy to stdout without -o, dated on one line", async () => {
  const { code, stdout, stderr } = await runIntercept(["scan", "--", ...EVERYTHING]);
  equal(code, 0, stderr);
  loadPolicyText(stdout, "stdout");
  const dated = stdout.split("\n").filter((line) => /\d{4}-\d{2}-\d{2}/.test(line));
  equal(dated.length, 1, dated.join("\n"));
  match(dated[0], /^# Scanned on \d{4}-\d{2}-\d{2}\.$/);
});

Deno.test("intercept scan names a server that exits at start, with its exit code", async () => {
  const started = Date.now();
  const { code, stdout, stderr } = await runIntercept([
    "scan",
    "--",
    "deno",
    "eval",
    "console.error('no config found'); Deno.exit(3)",
  ]);
  equal(code, 1, stderr);
  equal(stdout, "");
  match(stderr, /The server "deno eval .*" exited with code 3 before it answered initialize/);
  match(stderr, /no config found/, "the server's last stderr lines are shown");
  ok(Date.now() - started < 15_000);
});

Deno.test("intercept scan reports a command that does not exist", async () => {
  const { code, stderr } = await runIntercept(["scan", "--", "intercept-no-such-command-x"]);
  equal(code, 1, stderr);
  match(stderr, /Cannot start the server "intercept-no-such-command-x": command not found/);
});

Deno.test("intercept scan stops a server that never answers, after --timeout-ms", async () => {
  // A distinctive duration, to find the process afterwards if it were left behind.
  const marker = "61.2345";
  const started = Date.now();
  const { code, stderr } = await runIntercept([
    "scan",
    "--timeout-ms",
    "2000",
    "--",
    "sleep",
    marker,
  ]);
  const elapsed = Date.now() - started;
  equal(code, 1, stderr);
  match(stderr, /The server "sleep 61\.2345" did not answer initialize within 2000 ms/);
  ok(elapsed < 8_000, `returned after ${elapsed} ms`);
  deepEqual(await processesWith(marker), [], "no process is left behind");
});

Deno.test("intercept scan rejects a missing command and stray arguments", async () => {
  const missing = await runIntercept(["scan"]);
  equal(missing.code, 2);
  match(missing.stderr, /Missing the MCP server command/);
  const stray = await runIntercept(["scan", "server.js"]);
  equal(stray.code, 2);
  match(stray.stderr, /put the server command after --/);
  const badTimeout = await runIntercept(["scan", "--timeout-ms", "soon", "--", "true"]);
  equal(badTimeout.code, 2);
  match(badTimeout.stderr, /--timeout-ms must be a whole number/);
});

/** Pids of running processes whose command line contains `text`. */
async function processesWith(text: string): Promise<number[]> {
  const pids: number[] = [];
  if (Deno.build.os !== "linux") {
    console.error("No /proc here: the check for processes left behind is skipped");
    return pids;
  }
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      if (cmdline.split("\0").includes(text)) pids.push(Number(entry.name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

const PAGED = ["deno", "run", "-A", `${ROOT}test/scan/fixtures/paged_server.ts`];

Deno.test("intercept scan pages through every tools/list page", async () => {
  const { code, stdout, stderr } = await runIntercept(["scan", "--no-date", "--", ...PAGED]);
  equal(code, 0, stderr);
  const policy = loadPolicyText(stdout, "paged.yaml");
  deepEqual([...policy.exact.keys()], ["list-things", "make-thing", "run-script", "drop-thing"]);
  match(stdout, /# Makes a thing\n/, "the first listing of a tool listed twice wins");
  match(
    stdout,
    /description: "paged-server 0\.0\.1: 4 tools \(1 read, 1 write, 1 execute, 1 destructive\)"/,
  );
});

Deno.test("intercept scan names the page a server stopped answering", async () => {
  const { code, stderr } = await runIntercept([
    "scan",
    "--timeout-ms",
    "3000",
    "--",
    ...PAGED,
    "hang",
  ]);
  equal(code, 1, stderr);
  match(
    stderr,
    /did not answer tools\/list \(page 2\) within 3000 ms \(--timeout-ms\); it was stopped/,
  );
});
