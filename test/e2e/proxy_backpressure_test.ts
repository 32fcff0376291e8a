/**
 * A peer that stops reading: the proxy stops reading the other side once a bounded backlog
 * builds up (so its memory stays bounded), yet stays live itself (its control socket answers,
 * signals end it), and loses nothing when the peer reads again.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { ControlClient } from "../../src/control/control_client.ts";
import { childEnv, fixturePath, policyPath, proxyArgs } from "./helpers.ts";
import { interceptCommand, ROOT } from "./intercept_command.ts";

const MAX_BYTES = 65_536;
/** Each call's answer echoes its argument: CALLS × ARG_BYTES, far more than any backlog bound. */
const CALLS = 2_000;
const ARG_BYTES = 16_384;
const encoder = new TextEncoder();

interface Proxy {
  child: Deno.ChildProcess;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  control: string;
  dir: string;
}

/** The proxy with stdout piped but not read, once its policy and control socket are in. */
async function startProxy(upstream: string[]): Promise<Proxy> {
  const dir = await Deno.makeTempDir({ prefix: "intercept-backpressure-" });
  const control = `${dir}/control.sock`;
  const flags = ["--max-message-bytes", String(MAX_BYTES), "--control", control, "--no-watch"];
  const { command, args } = interceptCommand([
    ...proxyArgs(policyPath("allow_all.yaml"), upstream, [...flags, "--log-level", "debug"]),
  ]);
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: childEnv(),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The proxy says "Serving" once its policy and control socket are in.
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("Serving ")) {
    const { value, done } = await stderr.read();
    if (done) throw new Error(`The proxy ended before serving:\n${said}`);
    said += value;
  }
  void (async () => {
    while (!(await stderr.read()).done); // keeps draining stderr
  })();
  return { child, writer: child.stdin.getWriter(), control, dir };
}

function send(proxy: Proxy, message: unknown): Promise<void> {
  return proxy.writer.write(encoder.encode(JSON.stringify(message) + "\n"));
}

function initialize(id: number) {
  return {
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "backpressure", version: "1" },
    },
  };
}

function bigCall(id: number) {
  return {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "echo", arguments: { blob: "x".repeat(ARG_BYTES) } },
  };
}

/**
 * Sends `CALLS` big calls in the background; resolves once writing them stalls (the proxy
 * stopped reading: no write completed for a second) or all are written.
 */
async function sendUntilStalled(
  proxy: Proxy,
): Promise<{ written: number; sending: Promise<void> }> {
  let written = 0;
  const sending = (async () => {
    for (let id = 1; id <= CALLS; id++) {
      await send(proxy, bigCall(id));
      written++;
    }
  })().catch(() => {});
  for (let last = -1; last !== written && written < CALLS;) {
    last = written;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return { written, sending };
}

function rssMiB(pid: number): number | null {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) / 1024;
  } catch {
    return null; // not Linux
  }
}

/** `status` over the control socket, within a generous deadline: the proxy is not stuck. */
async function statusAnswers(control: string): Promise<boolean> {
  const client = await ControlClient.connect(control, { timeoutMs: 10_000 });
  try {
    const status = await client.request<{ pid: number }>("status", undefined, {
      timeoutMs: 10_000,
    });
    return typeof status.pid === "number";
  } finally {
    client.close();
  }
}

async function exitsWithin(child: Deno.ChildProcess, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const exited = await Promise.race([child.status.then(() => true), timeout]);
  clearTimeout(timer);
  return exited;
}

Deno.test("the proxy stays live and bounded while its client reads no answers", async () => {
  const proxy = await startProxy(["deno", "run", "-A", fixturePath("mini_server.ts")]);
  try {
    await send(proxy, initialize(0));
    const before = rssMiB(proxy.child.pid);
    const { written, sending } = await sendUntilStalled(proxy);
    ok(
      written < CALLS,
      `the proxy read all ${CALLS} calls (${CALLS * ARG_BYTES} bytes of answers)`,
    );
    ok(await statusAnswers(proxy.control), "the control socket answers");
    const after = rssMiB(proxy.child.pid);
    if (before !== null && after !== null) {
      ok(after - before < 24, `memory grew by ${(after - before).toFixed(1)} MiB`);
    }
    // The client reads again: every call is answered, none lost.
    const answered = new Set<number>();
    const lines = proxy.child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    while (answered.size < CALLS + 1) {
      const { value, done } = await lines.read();
      if (done) break;
      buffered += value;
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      for (const line of parts) {
        const message = JSON.parse(line);
        ok(message.result, `an answer with a result: ${line.slice(0, 200)}`);
        answered.add(message.id);
      }
    }
    await sending;
    equal(answered.size, CALLS + 1);
    deepEqual([...answered].sort((a, b) => a - b).at(-1), CALLS);
    await proxy.writer.close();
    equal((await proxy.child.status).code, 0);
    lines.releaseLock();
  } finally {
    await stop(proxy);
  }
});

Deno.test("the proxy stays live while its server reads nothing, and a signal ends it", async () => {
  const proxy = await startProxy(["deno", "run", "-A", fixturePath("deaf_server.ts")]);
  const reading = proxy.child.stdout.pipeTo(new WritableStream()).catch(() => {});
  try {
    await send(proxy, initialize(0));
    const { written } = await sendUntilStalled(proxy);
    ok(written < CALLS, "the proxy stopped reading the client once the server's backlog built");
    ok(await statusAnswers(proxy.control), "the control socket answers");
    proxy.child.kill("SIGTERM");
    ok(await exitsWithin(proxy.child, 15_000), "SIGTERM ended the proxy and its server");
  } finally {
    await stop(proxy);
    await reading;
  }
});

async function stop(proxy: Proxy): Promise<void> {
  // Not awaited: writes the proxy never read would hold the close up.
  proxy.writer.close().catch(() => {});
  if (!await exitsWithin(proxy.child, 10_000)) {
    try {
      proxy.child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }
  await proxy.child.status;
  await proxy.child.stdout.cancel().catch(() => {});
  await Deno.remove(proxy.dir, { recursive: true }).catch(() => {});
}
