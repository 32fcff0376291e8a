/** The proxy with a stderr nobody reads: its log lines must never stall MCP traffic. */
import { deepEqual, ok } from "node:assert/strict";
import { childEnv, fixturePath, policyPath, proxyArgs, ROOT } from "./helpers.ts";
import { interceptCommand } from "./intercept_command.ts";

Deno.test("intercept keeps answering calls while nobody reads its stderr", async () => {
  const { command, args } = interceptCommand(proxyArgs(policyPath("allow_all.yaml"), [
    "deno",
    "run",
    "-A",
    fixturePath("mini_server.ts"),
  ], ["--no-control"]));
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: childEnv(),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    // A pipe nobody reads: once its buffer (64 KiB) is full, a blocking write never returns.
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const send = (message: unknown) =>
    writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
  let buffered = "";
  let answered = false;
  const next = async (): Promise<Record<string, unknown>> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("No answer within 20 s: the proxy is stuck")),
        20_000,
      );
    });
    try {
      return await Promise.race([read(), late]);
    } finally {
      clearTimeout(timer);
    }
  };
  const read = async (): Promise<Record<string, unknown>> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("The proxy closed its stdout");
      buffered += value;
    }
    const end = buffered.indexOf("\n");
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    return JSON.parse(line);
  };
  try {
    await send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t" } },
    });
    ok((await next()).result, "initialized");
    // Each of these is refused with a warning on stderr: about 4,000 lines, 250 kB.
    const flood = Array.from({ length: 4_000 }, () =>
      JSON.stringify({ jsonrpc: "2.0", method: "tools/call", params: { name: "echo" } }))
      .join("\n") + "\n";
    // Not awaited: a stuck proxy stops reading its stdin too.
    void writer.write(new TextEncoder().encode(flood)).catch(() => {});
    for (let id = 2; id < 5; id++) {
      void send({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "echo", arguments: { id } },
      }).catch(() => {});
      const answer = await next();
      deepEqual(answer.id, id);
      ok(answer.result, `call ${id} answered: ${JSON.stringify(answer)}`);
    }
    answered = true;
  } finally {
    // A proxy stuck writing to the unread pipe would never read the end of its stdin.
    if (!answered) child.kill("SIGKILL");
    await child.stderr.cancel().catch(() => {});
    await writer.close().catch(() => {});
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.status;
  }
});
