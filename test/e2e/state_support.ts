/** Proxies on a shared state store for the end-to-end tests: start, call, wait for a change. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { interceptCommand } from "./intercept_command.ts";
import { childEnv, fixturePath, type JsonObject, policyPath, ROOT, textOf } from "./helpers.ts";

/** The modern test server: it starts fast and has `echo`. */
export const ECHO_SERVER = ["deno", "run", "-A", fixturePath("modern_server.ts")];

export interface ProxyOptions {
  state?: string;
  flags?: string[];
  /** Set as INTERCEPT_CONTROL_DIR for the proxy (machine-wide denies and sockets). */
  controlDir?: string;
  policy?: string;
}

/** A client connected through a proxy with the given store; `close()` ends both. */
export async function startProxy(options: ProxyOptions): Promise<Client> {
  const args = [
    "-c",
    policyPath(options.policy ?? "global_quota.yaml"),
    ...(options.state ? ["--state", options.state] : []),
    ...(options.flags ?? ["--no-control"]),
    "--",
    ...ECHO_SERVER,
  ];
  const env = childEnv();
  if (options.controlDir) env.INTERCEPT_CONTROL_DIR = options.controlDir;
  const transport = new StdioClientTransport({
    ...interceptCommand(args),
    cwd: ROOT,
    env,
    stderr: "ignore",
  });
  const client = new Client({ name: "intercept-state-e2e", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

export async function echo(client: Client, message = "hi"): Promise<JsonObject> {
  return await client.callTool({ name: "echo", arguments: { message } }) as JsonObject;
}

/** Whether a call passed (the server answered) or was denied, and the text either way. */
export async function tryEcho(client: Client): Promise<{ passed: boolean; text: string }> {
  const result = await echo(client);
  return { passed: result.isError !== true, text: textOf(result) };
}

/** Calls until `want` holds (a change that comes from outside: a poll, a reconnect), or fails. */
export async function callUntil(
  client: Client,
  want: (outcome: { passed: boolean; text: string }) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<{ passed: boolean; text: string; afterMs: number }> {
  const started = Date.now();
  let last = { passed: false, text: "" };
  while (Date.now() - started < timeoutMs) {
    last = await tryEcho(client);
    if (want(last)) return { ...last, afterMs: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms; last answer: ${last.text}`);
}
