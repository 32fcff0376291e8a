/**
 * `intercept --listen` and who the agents are: `per: principal` quotas keyed by the bearer
 * token's principal span every session and era of that principal and no one else's; the
 * control socket lists HTTP sessions with principal and client; 200 legacy sessions at once in
 * front of a remote server (`--upstream URL`), each answered on its own.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import type { StatusResult } from "../../src/control/protocol.ts";
import { connectAs, modernServer, type TestClient } from "./clients.ts";
import { DENIAL_PREFIX, type JsonObject, policyPath, runIntercept, textOf } from "./helpers.ts";
import { startHttpProxy } from "./http_proxy.ts";
import { startEverything } from "./http_servers.ts";

const POLICY = policyPath("principals.yaml");
const TOKENS = {
  // sha256 of "alice-token" and "bob-token"
  alice: "sha256:" + await hex("alice-token"),
  bob: "sha256:" + await hex("bob-token"),
};

async function hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

function allowed(result: JsonObject): boolean {
  return result.isError !== true;
}

Deno.test("intercept --listen: per-principal quotas span a principal's sessions and eras, not others'", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intercept-principals-" });
  await Deno.chmod(dir, 0o700);
  const tokens = `${dir}/tokens.yaml`;
  await Deno.writeTextFile(tokens, `alice: "${TOKENS.alice}"\nbob: "${TOKENS.bob}"\n`);
  const control = `${dir}/proxy.sock`;
  const proxy = await startHttpProxy(POLICY, modernServer(), [
    "--auth-tokens",
    tokens,
    "--control",
    control,
  ]);
  const clients: TestClient[] = [];
  const connect = async (kind: "v1" | "v2-modern", token: string, name: string) => {
    const client = await connectAs(kind, { url: proxy.url, headers: bearer(token) }, { name });
    clients.push(client);
    return client;
  };
  try {
    const aliceOne = await connect("v1", "alice-token", "alice-laptop");
    const aliceTwo = await connect("v1", "alice-token", "alice-ci");
    const aliceModern = await connect("v2-modern", "alice-token", "alice-modern");
    const bob = await connect("v1", "bob-token", "bob-laptop");

    // Three echoes for alice, wherever they come from; the fourth is over.
    ok(allowed(await aliceOne.callTool("echo", { message: "1" })));
    ok(allowed(await aliceTwo.callTool("echo", { message: "2" })));
    ok(allowed(await aliceModern.callTool("echo", { message: "3" })));
    const over = await aliceTwo.callTool("echo", { message: "4" });
    ok(textOf(over).startsWith(`${DENIAL_PREFIX}Three echoes a minute per principal`));
    // Bob has his own three.
    for (let i = 0; i < 3; i++) ok(allowed(await bob.callTool("echo", { message: `b${i}` })));
    ok(!allowed(await bob.callTool("echo", { message: "b3" })));

    // Per-session quotas stay per legacy session, even for one principal.
    ok(allowed(await aliceOne.callTool("add", { a: 1, b: 2 })));
    ok(allowed(await aliceTwo.callTool("add", { a: 1, b: 2 })));
    ok(!allowed(await aliceOne.callTool("add", { a: 1, b: 2 })));

    // The control socket lists the legacy sessions with their principal and client.
    const status = await runIntercept(["ctl", "--control", control, "status"]);
    equal(status.code, 0, status.stderr);
    const { sessions } = JSON.parse(status.stdout) as StatusResult;
    const seen = sessions
      .map((session) => `${session.principal} ${session.client?.name}`)
      .sort();
    for (const expected of ["alice alice-ci", "alice alice-laptop", "bob bob-laptop"]) {
      ok(seen.includes(expected), `${expected} in ${seen.join(", ")}`);
    }
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => {})));
    equal((await proxy.stop()).code, 0, proxy.stderr());
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("intercept --listen --upstream URL: 200 legacy sessions at once, each its own answers", async () => {
  const server = await startEverything("streamableHttp");
  const proxy = await startHttpProxy(policyPath("allow_all.yaml"), server.url, [
    "--max-sessions",
    "250",
  ]);
  try {
    const headers = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    };
    const rpc = async (session: string | null, message: JsonObject) => {
      const response = await fetch(proxy.url, {
        method: "POST",
        headers: session ? { ...headers, "mcp-session-id": session } : headers,
        body: JSON.stringify(message),
      });
      const text = await response.text();
      const data = text.split("\n").filter((line) => line.startsWith("data: ")).pop();
      const body = data ? JSON.parse(data.slice(6)) : text ? JSON.parse(text) : null;
      return { status: response.status, session: response.headers.get("mcp-session-id"), body };
    };
    const one = async (n: number) => {
      const opened = await rpc(null, {
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: `agent-${n}`, version: "1" },
        },
      });
      equal(opened.status, 200, JSON.stringify(opened.body));
      const session = opened.session!;
      ok(session, "a session id");
      equal(
        (await rpc(session, { jsonrpc: "2.0", method: "notifications/initialized" })).status,
        202,
      );
      const called = await rpc(session, {
        jsonrpc: "2.0",
        id: n,
        method: "tools/call",
        params: { name: "echo", arguments: { message: `agent ${n}` } },
      });
      equal(called.status, 200);
      equal(called.body.id, n);
      equal(textOf(called.body.result), `Echo: agent ${n}`);
      const closed = await fetch(proxy.url, {
        method: "DELETE",
        headers: { "mcp-session-id": session },
      });
      await closed.body?.cancel();
      return session;
    };
    const sessions = await Promise.all(Array.from({ length: 200 }, (_, n) => one(n)));
    equal(new Set(sessions).size, 200, "every session its own id");
  } finally {
    equal((await proxy.stop()).code, 0, proxy.stderr());
    await server.stop();
  }
});

Deno.test("intercept --listen refuses a session past --max-sessions, and serves again once one ends", async () => {
  const proxy = await startHttpProxy(policyPath("allow_all.yaml"), modernServer(), [
    "--max-sessions",
    "1",
  ]);
  try {
    const first = await connectAs("v1", { url: proxy.url });
    const refused = await connectAs("v1", { url: proxy.url }).then(
      async (client) => {
        await client.close();
        return null;
      },
      (error: Error) => error.message,
    );
    ok(refused?.includes("Too many sessions (1)"), String(refused));
    // The agent ends its session (DELETE): its place is free at once.
    const transport = (first.sdk as unknown as { transport: { terminateSession(): Promise<void> } })
      .transport;
    await transport.terminateSession();
    await first.close();
    const again = await connectAs("v1", { url: proxy.url });
    deepEqual(textOf(await again.callTool("echo", { message: "x" })), "Echo: x");
    await again.close();
  } finally {
    await proxy.stop();
  }
});

Deno.test("intercept --listen gives one principal at most a quarter of --max-sessions when tokens name several", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intercept-principals-" });
  const tokens = `${dir}/tokens.yaml`;
  await Deno.writeTextFile(tokens, `alice: "${TOKENS.alice}"\nbob: "${TOKENS.bob}"\n`);
  const proxy = await startHttpProxy(policyPath("allow_all.yaml"), modernServer(), [
    "--auth-tokens",
    tokens,
    "--max-sessions",
    "8",
  ]);
  const clients: TestClient[] = [];
  const connect = (token: string) =>
    connectAs("v1", { url: proxy.url, headers: bearer(token) }).then(
      (client) => {
        clients.push(client);
        return null;
      },
      (error: Error) => error.message,
    );
  try {
    equal(await connect("alice-token"), null);
    equal(await connect("alice-token"), null);
    const refused = await connect("alice-token");
    ok(refused?.includes("Too many sessions of alice (2)"), String(refused));
    equal(await connect("bob-token"), null, "bob still gets a session");
  } finally {
    for (const client of clients) await client.close();
    await proxy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
