import { deepEqual, equal, match, ok } from "node:assert/strict";
import { settlesWithin } from "../../src/transports/settles_within.ts";
import {
  type EventStream,
  FakeServer,
  Harness,
  json,
  MODERN_META,
  type Recorded,
  result,
  sse,
} from "./http_support.ts";

const INIT_PARAMS = {
  protocolVersion: "2025-06-18",
  capabilities: {},
  clientInfo: { name: "t", version: "1" },
};

function method(name: string) {
  return (r: Recorded) => r.body?.method === name;
}

Deno.test("HttpUpstream POSTs each message on its own and delivers JSON and SSE answers", async () => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  const server: FakeServer = new FakeServer(async (_req, body) => {
    if (body?.method === "slow") {
      await held;
      return json(result(body.id, { slow: true }));
    }
    if (body?.method === "streamed") {
      return sse(
        { jsonrpc: "2.0", method: "notifications/progress", params: { progress: 1 } },
        result(body.id, { streamed: true }),
      );
    }
    return json(result(body?.id, { echo: body?.method }));
  });
  const h = new Harness({ url: server.url, headers: [["Authorization", "Bearer s3cret"]] });
  try {
    h.send({ id: 1, method: "first" });
    await h.answer(1);
    h.send({ id: 2, method: "slow" });
    h.send({ id: 3, method: "streamed" });
    h.send({ id: 4, method: "plain" });
    // The slow one holds up nothing.
    deepEqual((await h.answer(3)).result, { streamed: true });
    deepEqual((await h.answer(4)).result, { echo: "plain" });
    ok(h.lines.some((m) => m.method === "notifications/progress"));
    release();
    deepEqual((await h.answer(2)).result, { slow: true });
    for (const request of server.requests) {
      equal(request.method, "POST");
      equal(request.headers.get("authorization"), "Bearer s3cret");
      equal(request.headers.get("accept"), "application/json, text/event-stream");
      equal(request.headers.get("content-type"), "application/json");
    }
    equal(h.upstream.description[0], `${server.url.origin}/mcp`);
  } finally {
    release();
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream keeps a legacy session: its id, its version, a GET stream and a DELETE", async () => {
  let getStream: EventStream | null = null;
  const server: FakeServer = new FakeServer((req, body) => {
    if (req.method === "GET") {
      getStream = server.stream();
      return getStream.response;
    }
    if (req.method === "DELETE") return new Response(null, { status: 200 });
    if (body?.method === "initialize") {
      return json(result(body.id, { protocolVersion: "2025-06-18", capabilities: {} }), {
        headers: { "mcp-session-id": "session-1" },
      });
    }
    if (body && !("id" in body)) return new Response(null, { status: 202 });
    return json(result(body?.id, {}));
  });
  const h = new Harness({ url: server.url });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    await h.answer(1);
    h.send({ method: "notifications/initialized" });
    h.send({ id: 2, method: "tools/list" });
    await h.answer(2);
    const list = server.requests.find(method("tools/list"))!;
    equal(list.headers.get("mcp-session-id"), "session-1");
    equal(list.headers.get("mcp-protocol-version"), "2025-06-18");
    equal(server.requests.find(method("initialize"))!.headers.get("mcp-session-id"), null);
    const get = await server.waitFor((r) => r.method === "GET");
    equal(get.headers.get("mcp-session-id"), "session-1");
    equal(get.headers.get("accept"), "text/event-stream");
    // What the server starts on its own comes on the GET stream.
    await h.waitFor(() => getStream !== null);
    getStream!.push(`data: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n`);
    await h.waitFor((m) => m.method === "notifications/tools/list_changed");
    equal(await h.upstream.shutdown(1_000), 0);
    const deleted = server.requests.find((r) => r.method === "DELETE")!;
    equal(deleted.headers.get("mcp-session-id"), "session-1");
    ok(h.ended);
  } finally {
    await server.close();
  }
});

Deno.test("HttpUpstream rebuilds 2026-07-28 headers from each body, Mcp-Param from the tool list", async () => {
  const tools = [
    {
      name: "execute_sql",
      inputSchema: {
        type: "object",
        properties: { region: { type: "string", "x-mcp-header": "Region" } },
      },
    },
    {
      name: "broken",
      inputSchema: {
        type: "object",
        properties: { n: { type: "number", "x-mcp-header": "N" } },
      },
    },
  ];
  const server: FakeServer = new FakeServer((_req, body) => {
    if (body?.method === "tools/list") return json(result(body.id, { tools }));
    return json(result(body?.id, { ok: true }));
  });
  const h = new Harness({ url: server.url });
  try {
    h.send({ id: 1, method: "tools/list", params: { _meta: MODERN_META } });
    const list = await h.answer(1);
    deepEqual(
      (list.result as { tools: { name: string }[] }).tools.map((t) => t.name),
      ["execute_sql"],
      "a tool with an invalid x-mcp-header is left out",
    );
    match(h.logs.join("\n"), /Left the tool "broken" out of tools\/list/);
    h.send({
      id: 2,
      method: "tools/call",
      params: { name: "execute_sql", arguments: { region: "eu-wést" }, _meta: MODERN_META },
    });
    await h.answer(2);
    const call = server.requests.find(method("tools/call"))!;
    equal(call.headers.get("mcp-protocol-version"), "2026-07-28");
    equal(call.headers.get("mcp-method"), "tools/call");
    equal(call.headers.get("mcp-name"), "execute_sql");
    equal(call.headers.get("mcp-param-region"), "=?base64?ZXUtd8Opc3Q=?=");
  } finally {
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream fetches the tool list again and retries once after a header mismatch", async () => {
  const server: FakeServer = new FakeServer((_req, body) => {
    if (body?.method === "tools/list") {
      return json(result(body.id, {
        tools: [{
          name: "pin",
          inputSchema: {
            type: "object",
            properties: { r: { type: "string", "x-mcp-header": "R" } },
          },
        }],
      }));
    }
    const headerOk = _req.headers.get("mcp-param-r") === "x";
    if (!headerOk) {
      return json({ jsonrpc: "2.0", id: body?.id, error: { code: -32020, message: "mismatch" } }, {
        status: 400,
      });
    }
    return json(result(body?.id, { pinned: true }));
  });
  const h = new Harness({ url: server.url });
  try {
    h.send({
      id: 7,
      method: "tools/call",
      params: { name: "pin", arguments: { r: "x" }, _meta: MODERN_META },
    });
    deepEqual((await h.answer(7)).result, { pinned: true });
    equal(server.requests.filter(method("tools/call")).length, 2);
    equal(h.lines.filter((m) => m.id === 7).length, 1, "one answer");
  } finally {
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream answers a request the server never answers, after the timeout", async () => {
  const server: FakeServer = new FakeServer((_req, body) => {
    if (body?.method === "hang") return new Promise<Response>(() => {});
    return json(result(body?.id, {}));
  });
  const h = new Harness({ url: server.url, requestTimeoutMs: 300 });
  try {
    h.send({ id: 1, method: "ping" });
    await h.answer(1);
    h.send({ id: 2, method: "hang", params: { _meta: MODERN_META } });
    const answer = await h.answer(2);
    deepEqual(answer.error, {
      code: -32603,
      message: "The upstream did not answer hang within 300 ms (--upstream-timeout-ms)",
    });
    h.send({ id: 3, method: "ping" });
    await h.answer(3);
    equal(await settlesWithin(h.upstream.exited, 50), false, "a timeout does not end it");
  } finally {
    await h.upstream.terminate(100);
    // The hung handler never ends: the server is dropped with the test's end.
    await settlesWithin(server.close(), 200);
  }
});

Deno.test("HttpUpstream keeps a silent listen stream open past the timeout", async () => {
  let stream: EventStream | null = null;
  const server: FakeServer = new FakeServer(() => {
    const opened = stream = server.stream();
    opened.push(
      `data: {"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{}}\n\n`,
    );
    return opened.response;
  });
  const h = new Harness({ url: server.url, requestTimeoutMs: 200 });
  try {
    h.send({ id: 1, method: "subscriptions/listen", params: { _meta: MODERN_META } });
    await h.waitFor((m) => m.method === "notifications/subscriptions/acknowledged");
    await new Promise((resolve) => setTimeout(resolve, 500));
    stream!.push(`data: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n`);
    await h.waitFor((m) => m.method === "notifications/tools/list_changed");
    ok(!h.lines.some((m) => m.id === 1), "no timeout error for the listen");
  } finally {
    (stream as EventStream | null)?.close();
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream hands an answer over the size limit on as oversize, with its ends", async () => {
  const big = "x".repeat(5_000);
  const server: FakeServer = new FakeServer((_req, body) => {
    const answer = result(body?.id, { text: big });
    return body?.method === "json" ? json(answer) : sse(answer);
  });
  const h = new Harness({ url: server.url }, 1_000);
  try {
    h.send({ id: 41, method: "json" });
    h.send({ id: 42, method: "sse" });
    await h.until(() => h.oversize.length === 2);
    for (const oversize of h.oversize) {
      ok(oversize.size > 5_000);
      ok(oversize.tail.endsWith("}") && /"id":4[12]/.test(oversize.head));
    }
    deepEqual(h.lines, [], "nothing else delivered: the proxy answers them");
  } finally {
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream answers with -32603 when the server cannot be reached, and goes on", async () => {
  const listener = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const h = new Harness({ url: new URL(`http://127.0.0.1:${port}/mcp`) });
  try {
    h.send({ id: 1, method: "tools/list" });
    const answer = await h.answer(1);
    equal((answer.error as { code: number }).code, -32603);
    match((answer.error as { message: string }).message, /Cannot reach the upstream http:\/\/127/);
    h.send({ id: 2, method: "tools/list" });
    await h.answer(2);
    equal(await settlesWithin(h.upstream.exited, 50), false, "a network error does not end it");
  } finally {
    await h.upstream.terminate(100);
  }
});

Deno.test("HttpUpstream relays a refused POST's JSON-RPC error, else says what HTTP said", async () => {
  const server: FakeServer = new FakeServer((_req, body) => {
    if (body?.method === "initialize") return json(result(body.id, {}));
    if (body?.method === "bad") {
      return json({ jsonrpc: "2.0", id: null, error: { code: -32602, message: "nope", data: 1 } }, {
        status: 400,
      });
    }
    return new Response("token expired", { status: 401, statusText: "Unauthorized" });
  });
  const h = new Harness({ url: server.url });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    await h.answer(1);
    h.send({ id: 2, method: "bad" });
    deepEqual((await h.answer(2)).error, { code: -32602, message: "nope", data: 1 });
    h.send({ id: 3, method: "tools/list" });
    deepEqual((await h.answer(3)).error, {
      code: -32603,
      message: "The upstream answered HTTP 401 Unauthorized (check the --header credentials): " +
        "token expired",
    });
  } finally {
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream refuses to follow a redirect with the credentials", async () => {
  const server: FakeServer = new FakeServer(() =>
    new Response(null, { status: 307, headers: { location: "https://elsewhere.example/mcp" } })
  );
  const h = new Harness({ url: server.url, headers: [["X-Key", "k"]] });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    match(
      ((await h.answer(1)).error as { message: string }).message,
      /redirected to https:\/\/elsewhere\.example\/mcp; give that URL to --upstream/,
    );
    equal(server.requests.length, 1);
  } finally {
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream ends with code 1 when the server no longer knows the session", async () => {
  const server: FakeServer = new FakeServer((req, body) => {
    if (req.method === "GET") return new Response(null, { status: 405 });
    if (body?.method === "initialize") {
      return json(result(body.id, { protocolVersion: "2025-06-18" }), {
        headers: { "mcp-session-id": "s" },
      });
    }
    return new Response("unknown session", { status: 404 });
  });
  const h = new Harness({ url: server.url });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    await h.answer(1);
    h.send({ id: 2, method: "tools/call", params: { name: "x" } });
    match(((await h.answer(2)).error as { message: string }).message, /no longer knows/);
    equal(await h.upstream.exited, 1);
    ok(h.ended);
    match(h.logs.join("\n"), /error: The upstream http:\/\/127\.0\.0\.1:\d+\/mcp is gone: .*404/);
  } finally {
    await server.close();
  }
});

Deno.test("HttpUpstream opens the GET stream again after it breaks, then loses a refused session", async () => {
  const streams: EventStream[] = [];
  let refuse = false;
  const server: FakeServer = new FakeServer((req, body) => {
    if (req.method === "GET") {
      if (refuse) return new Response("no session", { status: 404 });
      const stream = server.stream();
      streams.push(stream);
      stream.push(
        `id: e${streams.length}\ndata: {"jsonrpc":"2.0","method":"n${streams.length}"}\n\n`,
      );
      return stream.response;
    }
    if (body?.method === "initialize") {
      return json(result(body.id, { protocolVersion: "2025-06-18" }), {
        headers: { "mcp-session-id": "s" },
      });
    }
    return new Response(null, { status: 202 });
  });
  const h = new Harness({ url: server.url });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    await h.answer(1);
    h.send({ method: "notifications/initialized" });
    await h.waitFor((m) => m.method === "n1");
    streams[0].close();
    await h.waitFor((m) => m.method === "n2");
    const gets = server.requests.filter((r) => r.method === "GET");
    equal(gets[1].headers.get("last-event-id"), "e1", "it resumes after the last event");
    refuse = true;
    streams[1].close();
    equal(await h.upstream.exited, 1);
  } finally {
    await server.close();
  }
});

Deno.test("HttpUpstream closes a cancelled modern request's stream and tells a legacy server", async () => {
  const server: FakeServer = new FakeServer((_req, body) => {
    if (body?.method === "hang") return new Promise<Response>(() => {});
    if (body?.method === "initialize") return json(result(body.id, {}));
    return new Response(null, { status: 202 });
  });
  const h = new Harness({ url: server.url });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    await h.answer(1);
    h.send({ id: 2, method: "hang", params: { _meta: MODERN_META } });
    h.send({ id: 3, method: "hang", params: {} });
    await server.waitFor((r) => r.body?.id === 3);
    await server.waitFor((r) => r.body?.id === 2);
    h.send({
      method: "notifications/cancelled",
      params: { requestId: 2, _meta: MODERN_META },
    });
    h.send({ method: "notifications/cancelled", params: { requestId: 3 } });
    const cancel = await server.waitFor(method("notifications/cancelled"));
    deepEqual(cancel.body?.params, { requestId: 3 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    equal(server.requests.filter(method("notifications/cancelled")).length, 1);
    ok(!h.lines.some((m) => m.id === 2 || m.id === 3), "a cancelled request is not answered");
  } finally {
    await h.upstream.terminate(100);
    await settlesWithin(server.close(), 200);
  }
});

Deno.test("HttpUpstream falls back to the legacy HTTP+SSE transport when POST is refused", async () => {
  let stream: EventStream | null = null;
  const server: FakeServer = new FakeServer((req, body) => {
    const url = new URL(req.url);
    if (req.method === "GET" && url.pathname === "/mcp") {
      const opened = stream = server.stream();
      opened.push(`event: endpoint\ndata: /message?sessionId=abc\n\n`);
      return opened.response;
    }
    if (req.method === "POST" && url.pathname === "/message") {
      if (body && "id" in body && "method" in body) {
        stream!.push(
          `event: message\ndata: ${JSON.stringify(result(body.id, { via: "sse" }))}\n\n`,
        );
      }
      return new Response("Accepted", { status: 202 });
    }
    return new Response("Cannot POST /mcp", { status: 404 });
  });
  const h = new Harness({ url: server.url, headers: [["X-Key", "k"]] });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    h.send({ id: 2, method: "tools/list" });
    deepEqual((await h.answer(1)).result, { via: "sse" });
    deepEqual((await h.answer(2)).result, { via: "sse" });
    const posted = server.requests.filter((r) => r.method === "POST");
    deepEqual(posted.map((r) => r.body?.method), ["initialize", "initialize", "tools/list"]);
    for (const request of server.requests) equal(request.headers.get("x-key"), "k");
    stream!.close();
    equal(await h.upstream.exited, 1, "the session ends with its stream");
    match(h.logs.join("\n"), /is gone: its SSE stream ended/);
  } finally {
    await server.close();
  }
});

Deno.test("HttpUpstream does not fall back when a 400 carries a 2026-07-28 error", async () => {
  const server: FakeServer = new FakeServer((_req, body) =>
    json({
      jsonrpc: "2.0",
      id: body?.id,
      error: { code: -32022, message: "Unsupported", data: { supported: ["2026-07-28"] } },
    }, { status: 400 })
  );
  const h = new Harness({ url: server.url });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    const answer = await h.answer(1);
    equal((answer.error as { code: number }).code, -32022);
    ok(!server.requests.some((r) => r.method === "GET"), "no SSE probe");
  } finally {
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream delivers a pretty-printed answer on one line", async () => {
  const server: FakeServer = new FakeServer((_req, body) =>
    new Response(JSON.stringify(result(body?.id, { a: [1, 2] }), null, 2), {
      headers: { "content-type": "application/json" },
    })
  );
  const h = new Harness({ url: server.url });
  try {
    h.send({ id: 1, method: "x" });
    deepEqual((await h.answer(1)).result, { a: [1, 2] });
  } finally {
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream ends a session on SIGTERM at once, failing what is in flight", async () => {
  const server: FakeServer = new FakeServer((req, body) => {
    if (req.method === "DELETE") return new Response(null, { status: 204 });
    if (req.method === "GET") return new Response(null, { status: 405 });
    if (body?.method === "initialize") {
      return json(result(body.id, { protocolVersion: "2025-06-18" }), {
        headers: { "mcp-session-id": "s" },
      });
    }
    return new Promise<Response>(() => {});
  });
  const h = new Harness({ url: server.url });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    await h.answer(1);
    h.send({ id: 2, method: "hang" });
    await server.waitFor((r) => r.body?.id === 2);
    h.upstream.signal("SIGTERM");
    equal(await h.upstream.exited, 143);
    ok(server.requests.some((r) => r.method === "DELETE"));
  } finally {
    await settlesWithin(server.close(), 200);
  }
});

Deno.test("HttpUpstream holds later messages while the first POST finds the transport, at most the wait", async () => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  const server = new FakeServer(async (_req, body) => {
    if (body?.method === "first") await held;
    return json(result(body?.id, { method: body?.method }));
  });
  const h = new Harness({ url: server.url, detectWaitMs: 300 });
  try {
    h.send({ id: 1, method: "first" });
    h.send({ id: 2, method: "second" });
    equal(h.upstream.channel.backlog > 0, true, "the second waits in the queue");
    // The first has no answer yet: after the wait, Streamable HTTP is assumed and it goes.
    deepEqual((await h.answer(2)).result, { method: "second" });
    equal(h.upstream.channel.backlog, 0);
    release();
    deepEqual((await h.answer(1)).result, { method: "first" });
  } finally {
    release();
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream never POSTs to a legacy SSE endpoint on another origin", async () => {
  const server: FakeServer = new FakeServer((req) => {
    if (req.method === "GET") {
      const stream = server.stream();
      stream.push(`event: endpoint\ndata: http://elsewhere.invalid:1/message?s=1\n\n`);
      return stream.response;
    }
    return new Response("Cannot POST /mcp", { status: 404 });
  });
  const h = new Harness({ url: server.url, headers: [["Authorization", "Bearer t"]] });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    const error = (await h.answer(1)).error as { message: string };
    match(error.message, /HTTP 404 .*Cannot POST \/mcp/);
    match(h.logs.join("\n"), /its endpoint http:\/\/elsewhere\.invalid:1 is not on http:\/\/127/);
    equal(server.requests.filter((r) => r.method === "POST").length, 1);
  } finally {
    await h.upstream.terminate(100);
    await server.close();
  }
});

Deno.test("HttpUpstream resumes the GET stream only after an event id that fits in a header", async () => {
  const streams: EventStream[] = [];
  const server: FakeServer = new FakeServer((req, body) => {
    if (req.method === "GET") {
      const stream = server.stream();
      streams.push(stream);
      if (streams.length === 1) stream.push(`id: café\ndata: {"jsonrpc":"2.0","method":"n1"}\n\n`);
      return stream.response;
    }
    if (body?.method === "initialize") {
      return json(result(body.id, { protocolVersion: "2025-06-18" }), {
        headers: { "mcp-session-id": "s" },
      });
    }
    return new Response(null, { status: 202 });
  });
  const h = new Harness({ url: server.url });
  try {
    h.send({ id: 1, method: "initialize", params: INIT_PARAMS });
    await h.answer(1);
    h.send({ method: "notifications/initialized" });
    await h.waitFor((m) => m.method === "n1");
    const first = server.requests.find((r) => r.method === "GET");
    streams[0].close();
    const second = await server.waitFor((r) => r.method === "GET" && r !== first);
    equal(second.headers.get("last-event-id"), null);
  } finally {
    for (const stream of streams) stream.close();
    await h.upstream.terminate(100);
    await server.close();
  }
});
