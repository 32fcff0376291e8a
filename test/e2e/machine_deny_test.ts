/**
 * Machine-wide denies through real processes: `ctl deny --all` with no proxy running is kept in
 * the control folder, a proxy started afterwards obeys it (calls and tools/list), and
 * `ctl allow --all` lifts it on the running proxy.
 */
import { equal, ok } from "node:assert/strict";
import { childEnv, DENIAL_PREFIX, ROOT } from "./helpers.ts";
import { interceptCommand } from "./intercept_command.ts";
import { callUntil, startProxy, tryEcho } from "./state_support.ts";

async function ctl(controlDir: string, ...args: string[]) {
  const { command, args: argv } = interceptCommand(["ctl", ...args]);
  const output = await new Deno.Command(command, {
    args: argv,
    cwd: ROOT,
    env: { ...childEnv(), INTERCEPT_CONTROL_DIR: controlDir },
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stderr: decoder.decode(output.stderr) };
}

Deno.test("intercept ctl deny --all stops a proxy started afterwards, until allow --all", async () => {
  const root = await Deno.makeTempDir({ prefix: "intercept-machine-" });
  const controlDir = `${root}/intercept`;
  const denied = await ctl(controlDir, "--all", "deny", "ech*", "--reason", "Incident 7");
  equal(denied.code, 0, denied.stderr);
  const client = await startProxy({ policy: "allow_all.yaml", controlDir, flags: [] });
  try {
    equal((await tryEcho(client)).text, `${DENIAL_PREFIX}Incident 7`);
    const tools = (await client.listTools()).tools.map((tool: { name: string }) => tool.name);
    ok(!tools.includes("echo"), "hidden from tools/list too");
    const allowed = await ctl(controlDir, "--all", "allow", "ech*");
    equal(allowed.code, 0, allowed.stderr);
    await callUntil(client, (o) => o.passed, "the machine-wide allow reaches the proxy");
  } finally {
    await client.close();
    await Deno.remove(root, { recursive: true });
  }
});
