/**
 * `intercept --upstream URL` when the server misbehaves or goes away, through the real proxy
 * process: credentials on every request, a POST that is never answered, an answer over the size
 * limit, a session the server forgets, a server restarted (its sessions lost) or stopped.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { type JsonObject, policyPath, RawProxy, textOf } from "./helpers.ts";
import { RecordingServer, startEverything, startModernHttp } from "./http_servers.ts";
import { modernRequest } from "./modern_envelope.ts";

const POLICY = policyPath("allow_all.yaml");

function proxyTo(url: string, flags: string[] = []): RawProxy {
  return new RawProxy(["-c", POLICY, "--no-control", "--upstream", url, ...flags]);
}

function errorOf(answer: JsonObject): { code: number; message: string } {
  ok(answer.error, JSON.stringify(answer));
  return answer.error as { code: number; message: string };
}

async function call(proxy: RawProxy, name: string, message = "hi"): Promise<JsonObject> {
  return await proxy.request("tools/call", { name, arguments: { message } });
}

Deno.test("intercept --upstream sends every --header on every request, and ends the session", async () => {
  const server = new RecordingServer();
  const proxy = proxyTo(server.url, [
    "--header",
    "Authorization: Bearer e2e-token",
    "--header",
    "X-Tenant: blue",
  ]);
  try {
    await proxy.initialize();
    equal(textOf((await call(proxy, "echo")).result as JsonObject), "Echo: hi");
    await proxy.closeStdin();
    equal((await proxy.exited())?.code, 0, proxy.stderr);
    // initialize, initialized, then the GET stream and the call in either order, then DELETE.
    const methods = server.seen.map((r) => r.method);
    deepEqual(methods.slice(0, 2), ["POST", "POST"]);
    deepEqual(methods.slice(2, 4).sort(), ["GET", "POST"]);
    equal(methods[4], "DELETE");
    equal(methods.length, 5);
    for (const request of server.seen) {
      equal(request.headers.authorization, "Bearer e2e-token");
      equal(request.headers["x-tenant"], "blue");
    }
    const called = server.seen.find((r) => r.body?.method === "tools/call")!;
    const session = called.headers["mcp-session-id"];
    ok(session, "the session id goes on every request after initialize");
    equal(server.seen[4].headers["mcp-session-id"], session, "and the DELETE ends it");
    equal(called.headers["mcp-protocol-version"], "2025-06-18");
    ok(!proxy.stderr.includes("e2e-token"), "credentials never reach the log");
  } finally {
    await proxy.dispose();
    await server.close();
  }
});

Deno.test("intercept --upstream answers a call the server never answers, after --upstream-timeout-ms", async () => {
  const server = new RecordingServer();
  const proxy = proxyTo(server.url, ["--upstream-timeout-ms", "1000"]);
  try {
    await proxy.initialize();
    const started = Date.now();
    const error = errorOf(await call(proxy, "hang"));
    equal(error.code, -32603);
    equal(
      error.message,
      "The upstream did not answer tools/call within 1000 ms (--upstream-timeout-ms)",
    );
    ok(Date.now() - started < 10_000);
    equal(textOf((await call(proxy, "echo")).result as JsonObject), "Echo: hi", "it goes on");
    const cancelled = server.seen.find((r) => r.body?.method === "notifications/cancelled");
    ok(cancelled, "the legacy server is told the call was given up");
  } finally {
    await proxy.dispose();
    await server.close();
  }
});

Deno.test("intercept --upstream refuses an answer over --max-message-bytes and goes on", async () => {
  const server = new RecordingServer();
  const proxy = proxyTo(server.url, ["--max-message-bytes", "65536"]);
  try {
    await proxy.initialize();
    const error = errorOf(await call(proxy, "huge"));
    equal(error.code, -32603);
    match(error.message, /The server's answer of \d+ bytes exceeds the proxy's size limit/);
    equal(textOf((await call(proxy, "echo")).result as JsonObject), "Echo: hi");
  } finally {
    await proxy.dispose();
    await server.close();
  }
});

Deno.test("intercept --upstream ends with code 1 when the server forgets the session", async () => {
  const server = new RecordingServer();
  const proxy = proxyTo(server.url);
  try {
    await proxy.initialize();
    await call(proxy, "expire");
    match(errorOf(await call(proxy, "echo")).message, /no longer knows this session \(HTTP 404\)/);
    equal((await proxy.exited())?.code, 1);
    match(proxy.stderr, /The upstream http:\/\/127\.0\.0\.1:\d+\/mcp is gone: .*HTTP 404/);
  } finally {
    await proxy.dispose();
    await server.close();
  }
});

Deno.test("intercept --upstream ends with code 1 when server-everything restarts and loses the session", async () => {
  let server = await startEverything("streamableHttp");
  const port = Number(new URL(server.url).port);
  const proxy = proxyTo(server.url);
  try {
    await proxy.initialize();
    equal(textOf((await call(proxy, "echo")).result as JsonObject), "Echo: hi");
    await server.stop();
    match(errorOf(await call(proxy, "echo")).message, /Cannot reach the upstream/);
    server = await startEverything("streamableHttp", port);
    // Its GET stream comes back refused: the session is gone for good.
    const status = await proxy.exited(60_000);
    equal(status?.code, 1, proxy.stderr);
    // Refused once it is back; or, on a slow machine, not back within the GET stream's retries.
    match(proxy.stderr, /is gone: (the server no longer knows the session|its GET stream could)/);
  } finally {
    await proxy.dispose();
    await server.stop();
  }
});

Deno.test("intercept --upstream ends with code 1 when a legacy SSE server goes away", async () => {
  const server = await startEverything("sse");
  const proxy = proxyTo(server.url);
  try {
    await proxy.initialize();
    equal(textOf((await call(proxy, "echo")).result as JsonObject), "Echo: hi");
    await server.stop();
    equal((await proxy.exited(20_000))?.code, 1, proxy.stderr);
    match(proxy.stderr, /is gone: its SSE stream ended/);
  } finally {
    await proxy.dispose();
    await server.stop();
  }
});

Deno.test("intercept --upstream answers modern calls with errors while the server is down, and stays", async () => {
  const server = await startModernHttp({ mode: "modern-only" });
  const proxy = proxyTo(server.url);
  try {
    const listed = await modernRequest(proxy, "tools/list");
    ok(listed.result, JSON.stringify(listed));
    await server.stop();
    const failed = await modernRequest(proxy, "tools/call", {
      name: "echo",
      arguments: { message: "hi" },
    });
    match(errorOf(failed).message, /Cannot reach the upstream http:\/\/127\.0\.0\.1:\d+\/mcp/);
    equal(await proxy.exited(500), null, "no session to lose: the proxy stays");
    await proxy.closeStdin();
    equal((await proxy.exited())?.code, 0);
  } finally {
    await proxy.dispose();
    await server.stop();
  }
});
