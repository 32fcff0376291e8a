/**
 * `intercept --listen`: SDK clients of both eras over Streamable HTTP through the real proxy
 * process, in front of the modern test server and server-everything; the security defaults
 * (tokens, Origin, Host, sizes); modern header checks; legacy sessions' lifecycle; drain.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { type ClientKind, connectAs, modernServer } from "./clients.ts";
import {
  decisionOf,
  DENIAL_PREFIX,
  EVERYTHING,
  type JsonObject,
  policyPath,
  runIntercept,
  textOf,
} from "./helpers.ts";
import { type HttpProxy, modernHeaders, startHttpProxy } from "./http_proxy.ts";
import { envelope } from "./modern_envelope.ts";

const POLICY = policyPath("eras.yaml");
const TOKEN_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // "test"
const BOB_HASH = "81b637d8fcd2c6da6359e6963113a1170de795e4b725b84d1e0b4cfd9ec58ce9"; // "bob"

function modernCall(id: number, name: string, args: JsonObject): JsonObject {
  return {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: args, _meta: envelope() },
  };
}

async function post(
  proxy: HttpProxy,
  message: JsonObject,
  headers: Record<string, string> = modernHeaders(message),
): Promise<{ status: number; body: JsonObject; headers: Headers }> {
  const response = await fetch(proxy.url, {
    method: "POST",
    headers,
    body: JSON.stringify(message),
  });
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  const body = type.includes("event-stream")
    ? JSON.parse(text.split("\n").filter((line) => line.startsWith("data: ")).pop()!.slice(6))
    : text === ""
    ? {}
    : JSON.parse(text);
  return { status: response.status, body, headers: response.headers };
}

for (
  const [name, upstream, kinds] of [
    ["the modern server", modernServer(), ["v1", "v2-legacy", "v2-modern"]],
    ["server-everything", EVERYTHING, ["v1", "v2-legacy"]],
  ] as [string, string[], ClientKind[]][]
) {
  for (const kind of kinds) {
    Deno.test(`intercept --listen serves the ${kind} client in front of ${name}`, async () => {
      const proxy = await startHttpProxy(POLICY, upstream);
      try {
        const client = await connectAs(kind, { url: proxy.url });
        try {
          const names = (await client.listTools()).map((tool) => tool.name);
          ok(names.includes("echo"), names.join(", "));
          ok(!names.includes("toggle-extra"), "hidden by the policy");
          const allowed = await client.callTool("echo", { message: "over http" });
          ok(textOf(allowed).includes("over http"), textOf(allowed));
          const denied = await client.callTool("echo", { message: "a secret" });
          equal(textOf(denied), `${DENIAL_PREFIX}Echoing secrets is not allowed`);
          equal(decisionOf(denied).rule, "no secrets");
        } finally {
          await client.close();
        }
      } finally {
        equal((await proxy.stop()).code, 0, proxy.stderr());
      }
    });
  }
}

Deno.test("intercept --listen keeps per-session quotas per legacy session, per principal for modern", async () => {
  const proxy = await startHttpProxy(POLICY, modernServer());
  try {
    // Two legacy sessions: one sum each.
    const first = await connectAs("v1", { url: proxy.url });
    const second = await connectAs("v1", { url: proxy.url });
    equal((await first.callTool("add", { a: 1, b: 2 })).isError, undefined);
    equal((await second.callTool("add", { a: 1, b: 2 })).isError, undefined);
    equal((await first.callTool("add", { a: 1, b: 2 })).isError, true);
    await first.close();
    await second.close();
    // Two modern clients of one principal share its quota: stateless requests have no session.
    const modernA = await connectAs("v2-modern", { url: proxy.url });
    const modernB = await connectAs("v2-modern", { url: proxy.url });
    equal((await modernA.callTool("add", { a: 1, b: 2 })).isError, undefined);
    const shared = await modernB.callTool("add", { a: 1, b: 2 });
    ok(textOf(shared).includes("One sum a minute"), textOf(shared));
    await modernA.close();
    await modernB.close();
  } finally {
    await proxy.stop();
  }
});

Deno.test("intercept --listen refuses a call without a valid bearer token", async () => {
  const dir = await Deno.makeTempDir();
  const tokens = `${dir}/tokens.yaml`;
  await Deno.writeTextFile(tokens, `alice: "sha256:${TOKEN_HASH}"\nbob: "sha256:${BOB_HASH}"\n`);
  const proxy = await startHttpProxy(POLICY, modernServer(), ["--auth-tokens", tokens]);
  try {
    const call = modernCall(1, "echo", { message: "hi" });
    const missing = await post(proxy, call);
    equal(missing.status, 401);
    ok(missing.headers.get("www-authenticate")?.startsWith("Bearer"), "says how to authenticate");
    const wrong = await post(proxy, call, { ...modernHeaders(call), authorization: "Bearer nope" });
    equal(wrong.status, 401);
    ok(wrong.headers.get("www-authenticate")?.includes("invalid_token"));
    const good = await post(proxy, call, { ...modernHeaders(call), authorization: "Bearer test" });
    equal(good.status, 200, JSON.stringify(good.body));
    equal(textOf(good.body.result as JsonObject), "Echo: hi");
    // A legacy session belongs to the principal that opened it.
    const alice = await connectAs("v1", {
      url: proxy.url,
      headers: { authorization: "Bearer test" },
    });
    try {
      const sessionId = (alice.sdk as unknown as { transport: { sessionId: string } }).transport
        .sessionId;
      ok(sessionId, "a session id");
      const stolen = await fetch(proxy.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: "Bearer bob",
          "mcp-session-id": sessionId,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
      });
      equal(stolen.status, 404, "bob cannot use alice's session");
      await stolen.body?.cancel();
    } finally {
      await alice.close();
    }
  } finally {
    await proxy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("intercept --listen refuses foreign Origins and Hosts, large and mistyped bodies", async () => {
  const proxy = await startHttpProxy(POLICY, modernServer(), [
    "--allowed-origins",
    "https://app.example",
    "--max-message-bytes",
    "4096",
  ]);
  try {
    const call = modernCall(1, "echo", { message: "hi" });
    const foreign = await post(proxy, call, {
      ...modernHeaders(call),
      origin: "https://evil.example",
    });
    equal(foreign.status, 403);
    const allowed = await post(proxy, call, {
      ...modernHeaders(call),
      origin: "https://app.example",
    });
    equal(allowed.status, 200);
    equal(await statusWithHost(proxy, "evil.example"), 403, "loopback names only (DNS rebinding)");
    equal(await statusWithHost(proxy, `localhost:${new URL(proxy.url).port}`), 200);
    const big = modernCall(2, "echo", { message: "x".repeat(5_000) });
    equal((await post(proxy, big)).status, 413);
    const text = await post(proxy, call, { ...modernHeaders(call), "content-type": "text/plain" });
    equal(text.status, 415);
    const noAccept = await post(proxy, call, {
      ...modernHeaders(call),
      accept: "application/json",
    });
    equal(noAccept.status, 406);
    const notJson = await fetch(proxy.url, {
      method: "POST",
      headers: modernHeaders(call),
      body: "{not json",
    });
    equal(notJson.status, 400);
    equal((await notJson.json()).error.code, -32700);
  } finally {
    await proxy.stop();
  }
});

/** The status of `GET /healthz` sent with `host` (fetch will not let a caller set Host). */
async function statusWithHost(proxy: HttpProxy, host: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(proxy.url).port) });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const buffer = new Uint8Array(1024);
    const read = await conn.read(buffer);
    const status = /^HTTP\/1\.1 (\d{3})/.exec(
      new TextDecoder().decode(buffer.subarray(0, read ?? 0)),
    );
    return Number(status?.[1] ?? 0);
  } finally {
    conn.close();
  }
}

Deno.test("intercept --listen refuses a non-loopback bind without tokens or --no-auth", async () => {
  const run = await runIntercept(["-c", POLICY, "--listen", "0.0.0.0:0", "--", "true"]);
  equal(run.code, 2);
  ok(run.stderr.includes("--auth-tokens"), run.stderr);
});

Deno.test("intercept --listen checks a modern request's headers against its body", async () => {
  const proxy = await startHttpProxy(POLICY, modernServer());
  try {
    const call = modernCall(7, "echo", { message: "hi" });
    const renamed = await post(proxy, call, { ...modernHeaders(call), "mcp-name": "add" });
    equal(renamed.status, 400);
    deepEqual([renamed.body.id, (renamed.body.error as JsonObject).code], [7, -32020]);
    const noVersion = { ...modernHeaders(call) };
    delete noVersion["mcp-protocol-version"];
    equal((await post(proxy, call, noVersion)).status, 400);
    const future = {
      ...call,
      params: { ...(call.params as JsonObject), _meta: envelope({ version: "2099-01-01" }) },
    };
    const unsupported = await post(proxy, future, {
      ...modernHeaders(future),
      "mcp-protocol-version": "2099-01-01",
    });
    equal(unsupported.status, 400);
    equal((unsupported.body.error as JsonObject).code, -32022);
    ok(((unsupported.body.error as JsonObject).data as JsonObject).supported);
  } finally {
    await proxy.stop();
  }
});

Deno.test("intercept --listen ends a legacy session on DELETE and when idle", async () => {
  const proxy = await startHttpProxy(POLICY, modernServer(), ["--session-idle-ms", "1000"]);
  try {
    const open = async () => {
      const response = await fetch(proxy.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-11-25",
            capabilities: {},
            clientInfo: { name: "t", version: "1" },
          },
        }),
      });
      await response.body?.cancel();
      return response.headers.get("mcp-session-id")!;
    };
    const ping = async (id: string) => {
      const response = await fetch(proxy.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-session-id": id,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
      });
      await response.body?.cancel();
      return response.status;
    };
    const deleted = await open();
    equal(await ping(deleted), 200);
    const gone = await fetch(proxy.url, {
      method: "DELETE",
      headers: { "mcp-session-id": deleted },
    });
    equal(gone.status, 204);
    equal(await ping(deleted), 404);
    const idle = await open();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    equal(await ping(idle), 404, "ended after a second without requests");
  } finally {
    await proxy.stop();
  }
});

Deno.test("intercept --listen announces a live deny on legacy GET streams and modern listens", async () => {
  const folder = await Deno.makeTempDir({ prefix: "intercept-http-" });
  const control = `${folder}/proxy.sock`;
  const proxy = await startHttpProxy(POLICY, modernServer(), ["--control", control]);
  try {
    const legacy = await connectAs("v1", { url: proxy.url });
    const modern = await connectAs("v2-modern", { url: proxy.url });
    const legacyChanges = await legacy.watchToolChanges();
    const modernChanges = await modern.watchToolChanges();
    await legacy.listTools();
    const denied = await runIntercept(["ctl", "--control", control, "deny", "echo"]);
    equal(denied.code, 0, denied.stderr);
    await legacyChanges.waitFor(1);
    await modernChanges.waitFor(1);
    ok(!(await modern.listTools()).some((tool) => tool.name === "echo"));
    equal(decisionOf(await legacy.callTool("echo", { message: "x" })).rule, "operator deny");
    await modernChanges.close();
    await legacy.close();
    await modern.close();
  } finally {
    await proxy.stop();
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
});

Deno.test("intercept --listen serves 200 concurrent modern requests, each its own answer", async () => {
  const proxy = await startHttpProxy(POLICY, modernServer());
  try {
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => {
      const call = modernCall(i, "echo", { message: `n${i}` });
      return post(proxy, call);
    }));
    for (const [i, answer] of answers.entries()) {
      equal(answer.status, 200);
      equal(answer.body.id, i);
      equal(textOf(answer.body.result as JsonObject), `Echo: n${i}`);
    }
  } finally {
    await proxy.stop();
  }
});

Deno.test("intercept --listen drains on SIGTERM: a call in flight is answered, then it exits 0", async () => {
  const proxy = await startHttpProxy(policyPath("allow_all.yaml"), modernServer());
  const call = modernCall(1, "long-running", { steps: 4, stepMs: 250 });
  const pending = post(proxy, call);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stopped = proxy.stop();
  const answer = await pending;
  equal(answer.status, 200);
  ok(!answer.body.error, JSON.stringify(answer.body));
  equal((await stopped).code, 0);
});
