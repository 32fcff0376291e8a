/** The proxy's lifecycle: the upstream dying, signals, and the client going away. */
import { equal, ok } from "node:assert/strict";
import {
  delay,
  EVERYTHING,
  fixturePath,
  isObject,
  type JsonObject,
  policyPath,
  RawProxy,
  textOf,
} from "./helpers.ts";

const POLICY = policyPath("allow_all.yaml");
const MINI_SERVER = fixturePath("mini_server.ts");

/** Pids of the live (not zombie) processes in process group `pgid`. */
async function liveInGroup(pgid: number): Promise<number[]> {
  const output = await new Deno.Command("ps", {
    args: ["-e", "-o", "pid=,pgid=,stat="],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(output.stdout).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, stat]) => pid && Number(group) === pgid && !stat.startsWith("Z"))
    .map(([pid]) => Number(pid));
}

/** Kills what a failed test left of group `pgid`. */
async function killGroup(pgid: number): Promise<void> {
  for (const pid of await liveInGroup(pgid)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

async function waitUntilGone(pgid: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let live = await liveInGroup(pgid);
  while (live.length > 0 && Date.now() < deadline) {
    await delay(50);
    live = await liveInGroup(pgid);
  }
  return live;
}

Deno.test("intercept proxy ends an in-flight call and exits with the upstream's code when it dies", async () => {
  const proxy = RawProxy.start(POLICY, ["deno", "run", "-A", MINI_SERVER]);
  try {
    await proxy.initialize();
    await proxy.send({
      jsonrpc: "2.0",
      id: "in-flight",
      method: "tools/call",
      params: { name: "crash", arguments: {} },
    });
    const answer = await proxy.answerTo("in-flight");
    ok(isObject(answer.error), JSON.stringify(answer));
    equal(answer.error.code, -32603);
    ok(String(answer.error.message).includes("code 7"), String(answer.error.message));
    const status = await proxy.exited();
    equal(status?.code, 7, proxy.stderr);
  } finally {
    await proxy.dispose();
  }
});

Deno.test("intercept proxy passes SIGTERM to the upstream's process group, leaving no orphans", async () => {
  const pidFile = await Deno.makeTempFile({ prefix: "intercept-e2e-pids-" });
  // The upstream starts a grandchild, as `npx` starts `node`, then becomes the MCP server.
  const upstream = [
    "bash",
    "-c",
    'sleep 300 & echo "$$ $!" > "$0"; exec deno run -A "$1"',
    pidFile,
    MINI_SERVER,
  ];
  const proxy = RawProxy.start(POLICY, upstream);
  let pgid = 0;
  try {
    await proxy.initialize();
    const [group, grandchild] = (await Deno.readTextFile(pidFile)).trim().split(" ").map(Number);
    pgid = group;
    ok(pgid > 0 && grandchild > 0);
    ok((await liveInGroup(pgid)).includes(grandchild), "the grandchild runs in the group");

    proxy.child.kill("SIGTERM");
    const status = await proxy.exited(10_000);
    ok(status, "the proxy exits on SIGTERM");
    equal(status.code, 128 + 15, "the upstream's own code: killed by SIGTERM");
    equal((await waitUntilGone(pgid, 5_000)).length, 0, "no process of the group remains");
  } finally {
    if (pgid) await killGroup(pgid);
    await proxy.dispose();
    await Deno.remove(pidFile);
  }
});

Deno.test("intercept proxy closes the upstream's stdin when the client does, and exits with its code", async () => {
  // The mini server exits with 3 only when its stdin ends.
  const proxy = RawProxy.start(POLICY, ["deno", "run", "-A", MINI_SERVER, "3"]);
  try {
    await proxy.initialize();
    const started = Date.now();
    await proxy.closeStdin();
    const status = await proxy.exited();
    equal(status?.code, 3, proxy.stderr);
    ok(Date.now() - started < 5_000, "well within the shutdown grace");
  } finally {
    await proxy.dispose();
  }
});

Deno.test("intercept proxy decides and forwards a waiting call before it closes the upstream's stdin", async () => {
  // The call needs the server's schema: it waits for the proxy's own tools/list while the client
  // has already closed its side. It must still be decided, forwarded and answered.
  const proxy = RawProxy.start(policyPath("required_args.yaml"), EVERYTHING);
  try {
    await proxy.initialize();
    await proxy.send({
      jsonrpc: "2.0",
      id: "last-call",
      method: "tools/call",
      params: { name: "get-sum", arguments: { a: 2, b: 3 } },
    });
    await proxy.closeStdin();
    const answer = await proxy.answerTo("last-call", { timeoutMs: 15_000 });
    equal(textOf(answer.result as JsonObject), "The sum of 2 and 3 is 5.");
    equal((await proxy.exited())?.code, 0, proxy.stderr);
  } finally {
    await proxy.dispose();
  }
});

Deno.test("intercept proxy sends SIGTERM to an upstream that ignores the end of its stdin", async () => {
  const pidFile = await Deno.makeTempFile({ prefix: "intercept-e2e-pids-" });
  // The server itself stops at the end of stdin, but the shell around it lingers.
  const upstream = [
    "sh",
    "-c",
    'echo $$ > "$0"; deno run -A "$1"; sleep 300',
    pidFile,
    MINI_SERVER,
  ];
  const proxy = RawProxy.start(POLICY, upstream, ["--shutdown-grace-ms", "300"]);
  let pgid = 0;
  try {
    await proxy.initialize();
    pgid = Number(await Deno.readTextFile(pidFile));
    await proxy.closeStdin();
    const status = await proxy.exited(10_000);
    ok(status, "the proxy exits after the grace period");
    equal(status.code, 128 + 15, proxy.stderr);
    equal((await waitUntilGone(pgid, 5_000)).length, 0, "no process of the group remains");
  } finally {
    if (pgid) await killGroup(pgid);
    await proxy.dispose();
    await Deno.remove(pidFile);
  }
});

Deno.test("intercept proxy ends what the upstream left in its group when the upstream exits", async () => {
  const pidFile = await Deno.makeTempFile({ prefix: "intercept-e2e-pids-" });
  // The shell leaves a background child behind and exits 4 once the client has gone.
  const upstream = [
    "sh",
    "-c",
    'echo $$ > "$0"; sleep 300 & deno run -A "$1"; exit 4',
    pidFile,
    MINI_SERVER,
  ];
  const proxy = RawProxy.start(POLICY, upstream, ["--shutdown-grace-ms", "2000"]);
  let pgid = 0;
  try {
    await proxy.initialize();
    pgid = Number(await Deno.readTextFile(pidFile));
    ok((await liveInGroup(pgid)).length >= 2, "the shell and its background child run");
    await proxy.closeStdin();
    const status = await proxy.exited(10_000);
    equal(status?.code, 4, proxy.stderr);
    equal((await waitUntilGone(pgid, 3_000)).length, 0, "the background child is gone too");
  } finally {
    if (pgid) await killGroup(pgid);
    await proxy.dispose();
    await Deno.remove(pidFile);
  }
});
