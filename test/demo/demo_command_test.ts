/** `intercept demo` run as a real process: the server, the proxy and the agent, end to end. */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { AGENT_ERAS } from "../../src/demo/agent_era.ts";
import { CUSTOM_POLICY, leftBehind, runDemo, spawnDemo } from "./support.ts";

const LINE = /^\d\d:\d\d:\d\d\.\d{3} {2}(\S+)\s+(ALLOW|DENY) {1,2}(.*)$/;

function decisions(stdout: string) {
  return stdout.split("\n").flatMap((line) => {
    const m = LINE.exec(line);
    return m ? [{ tool: m[1], verdict: m[2], text: m[3] }] : [];
  });
}

/** The script's denials: a rate limit, a destructive call, a call without its required argument. */
function assertScriptDenials(seen: ReturnType<typeof decisions>): void {
  ok(seen.some((d) => d.tool === "produce-message" && /retry in/.test(d.text)), "a rate limit");
  ok(seen.some((d) => d.tool === "delete-topics" && d.verdict === "DENY"), "a destructive call");
  ok(
    seen.some((d) =>
      d.tool === "produce-message" && d.verdict === "DENY" && /topicName/.test(d.text)
    ),
    "a call without topicName",
  );
}

/** Kills what a failed test left behind (by pid) and fails with the list. */
function assertNoneLeft(pids: number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  deepEqual(pids, [], "processes left behind");
}

Deno.test("intercept demo --headless runs for --duration: allowed and denied calls, a summary", async () => {
  const { code, stdout, stderr, marker } = await runDemo([
    "--headless",
    "--duration",
    "4",
    "--pace-ms",
    "20",
  ]);
  equal(code, 0, stderr);
  const seen = decisions(stdout);
  ok(seen.some((d) => d.verdict === "ALLOW"), stdout);
  ok(seen.some((d) => d.verdict === "DENY"), stdout);
  assertScriptDenials(seen);
  ok(seen.some((d) => d.tool === "consume-messages" && d.verdict === "ALLOW"), "a read");
  match(stdout, /^Summary: \d+ calls in \d+\.\ds, \d+ allowed, \d+ denied$/m);
  match(stdout, /^ {2}produce-message +\d+ +\d+$/m);
  match(stdout, /^Denial reasons:$/m);
  assertNoneLeft(await leftBehind(marker));
});

/** The protocol each `--era` ends up on: auto goes modern, as the proxy offers 2026-07-28. */
const SPOKEN = {
  modern: "MCP 2026-07-28 (modern era)",
  auto: "MCP 2026-07-28 (modern era)",
  legacy: "MCP 2025-11-25 (legacy era)",
};

for (const era of AGENT_ERAS) {
  Deno.test(`intercept demo --headless --era ${era} without --duration runs the script once and ends`, async () => {
    const { code, stdout, stderr, marker } = await runDemo([
      "--headless",
      "--pace-ms",
      "0",
      "--era",
      era,
    ]);
    equal(code, 0, stderr);
    equal(stdout.split("\n")[0], `The agent speaks ${SPOKEN[era]}`);
    match(stdout, new RegExp(`^Agent: ${RegExp.escape(SPOKEN[era])}$`, "m"));
    assertOneRun(stdout);
    assertNoneLeft(await leftBehind(marker));
  });
}

/** One pass of the script, headless: every kind of decision, the held call denied, a summary. */
function assertOneRun(stdout: string): void {
  const seen = decisions(stdout);
  equal(seen.filter((d) => d.tool === "list-topics").length, 1, stdout);
  equal(seen.at(-2)?.tool, "consume-messages");
  // The last call is held for a human; headless nobody answers, and it is denied.
  match(
    stdout,
    /^\d\d:\d\d:\d\d\.\d{3} {2}create-connector +HELD {3}waits for a human \(3s\): New connectors are approved by a human$/m,
  );
  const last = seen.at(-1)!;
  deepEqual([last.tool, last.verdict], ["create-connector", "DENY"]);
  equal(
    last.text.trim(),
    "New connectors are approved by a human: no answer within 3s  [connectors need a human]",
  );
  match(stdout, /^Summary: /m);
  match(stdout, /^Held for a human: 1 call, 0 approved, 0 rejected, 1 timed out$/m);
  match(stdout, /^ +1 {2}create-connector: New connectors are approved by a human: no answer/m);
  assertScriptDenials(seen);
}

Deno.test("intercept demo --policy runs the demo under a policy of one's own", async () => {
  const { code, stdout, stderr } = await runDemo([
    "--headless",
    "--pace-ms",
    "0",
    "--policy",
    CUSTOM_POLICY,
  ]);
  equal(code, 0, stderr);
  match(
    stdout,
    /DENY {3}Writes are limited to 30 a minute \(retry in .*\[produce-message writes are paced\]$/m,
  );
});

Deno.test("intercept demo ends cleanly on SIGINT: exit 0, a summary, nothing left behind", async () => {
  const { child, marker } = spawnDemo([
    "--headless",
    "--duration",
    "120",
    "--pace-ms",
    "50",
  ]);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  while (!/ALLOW/.test(stdout)) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += value;
  }
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += value;
  }
  const stderr = await new Response(child.stderr).text();
  const status = await child.status;
  equal(status.code, 0, stderr);
  match(stdout, /^Summary: /m);
  assertNoneLeft(await leftBehind(marker));
});

Deno.test("intercept demo refuses an --era that is none of modern, auto and legacy", async () => {
  const { code, stdout, stderr } = await runDemo(["--headless", "--era", "2026-07-28"]);
  equal(code, 2);
  equal(stdout, "");
  match(stderr, /--era must be modern, auto or legacy, got "2026-07-28".*intercept demo --help/s);
});

Deno.test("intercept demo refuses a --duration that is not a number of seconds", async () => {
  const { code, stdout, stderr } = await runDemo(["--headless", "--duration", "abc"]);
  equal(code, 2);
  equal(stdout, "");
  match(stderr, /--duration must be a number of seconds above 0.*got "abc".*intercept demo --help/);
});

Deno.test("intercept demo refuses unknown flags and a --policy that does not load", async () => {
  const unknown = await runDemo(["--headles"]);
  equal(unknown.code, 2);
  match(unknown.stderr, /Unknown flag --headles; did you mean --headless\?/);
  const missing = await runDemo(["--headless", "--policy", "no/such/policy.yaml"]);
  equal(missing.code, 2);
  match(missing.stderr, /no\/such\/policy\.yaml.*no such file/);
});

Deno.test("intercept demo --help describes the flags", async () => {
  const { code, stdout } = await runDemo(["--help"]);
  equal(code, 0);
  match(stdout, /--headless/);
  match(stdout, /--duration SECONDS/);
  match(stdout, /--pace-ms N/);
  match(stdout, /--era ERA +the MCP era of the agent's client \(default modern\)/);
});
