/**
 * `/metrics` over HTTP: the stdio proxy's `--metrics` listener and the `--listen` route. Only
 * GET (and HEAD); behind the bearer token when `--listen` has tokens; a loopback bind answers
 * loopback Host names only and no browser Origin.
 */
import { equal, ok } from "node:assert/strict";
import { createLogger } from "../../src/cli/log.ts";
import { tokenDigest } from "../../src/transports/auth_tokens.ts";
import { type HttpListener, startHttpListener } from "../../src/transports/http_listener.ts";
import { startMetricsListener } from "../../src/transports/metrics_listener.ts";

const TEXT = "# HELP x_total X\n# TYPE x_total counter\nx_total 1\n";
const PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The status line's code of a raw `GET path` sent with `host` (fetch will not let us set Host). */
async function statusWithHost(port: number, path: string, host: string): Promise<number> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
    await connection.write(new TextEncoder().encode(request));
    let text = "";
    const buffer = new Uint8Array(4096);
    for (;;) {
      const read = await connection.read(buffer);
      if (read === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, read));
      if (text.includes("\r\n")) break;
    }
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  } finally {
    connection.close();
  }
}

async function status(url: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(url, init);
  await response.body?.cancel();
  return response.status;
}

Deno.test("startMetricsListener() serves the rendered text at GET /metrics, read at each request", async () => {
  let scrapes = 0;
  const listener = await startMetricsListener("127.0.0.1", 0, () => `${TEXT}# ${++scrapes}\n`);
  try {
    ok(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/.test(listener.url), listener.url);
    const response = await fetch(listener.url);
    equal(response.status, 200);
    equal(response.headers.get("content-type"), PROMETHEUS_TYPE);
    equal(await response.text(), `${TEXT}# 1\n`);
    equal(await (await fetch(listener.url)).text(), `${TEXT}# 2\n`);
    const head = await fetch(listener.url, { method: "HEAD" });
    equal(head.status, 200);
    equal(await head.text(), "");
  } finally {
    await listener.close();
  }
});

Deno.test("startMetricsListener() refuses other paths, other methods, browsers and foreign Hosts", async () => {
  const listener = await startMetricsListener("127.0.0.1", 0, () => TEXT);
  const port = Number(new URL(listener.url).port);
  try {
    equal(await status(listener.url.replace("/metrics", "/mcp")), 404);
    equal(await status(listener.url, { method: "POST", body: "x" }), 405);
    equal(await status(listener.url, { headers: { origin: "https://evil.example" } }), 403);
    equal(await statusWithHost(port, "/metrics", "evil.example"), 403, "DNS rebinding");
    equal(await statusWithHost(port, "/metrics", `evil.example:${port}`), 403);
    equal(await statusWithHost(port, "/metrics", `localhost:${port + 1}`), 403);
    equal(await statusWithHost(port, "/metrics", `localhost:${port}`), 200);
    equal(await statusWithHost(port, "/metrics", `127.0.0.1:${port}`), 200);
  } finally {
    await listener.close();
  }
});

Deno.test("startMetricsListener() rejects with the reason when the port is taken", async () => {
  const first = await startMetricsListener("127.0.0.1", 0, () => TEXT);
  try {
    const port = Number(new URL(first.url).port);
    let failure: Error | null = null;
    await startMetricsListener("127.0.0.1", port, () => TEXT).then(
      (second) => second.close(),
      (error) => failure = error,
    );
    ok(failure !== null && /in use/i.test((failure as Error).message), String(failure));
  } finally {
    await first.close();
  }
});

function listen(tokens: Map<string, string> | null): Promise<HttpListener> {
  return startHttpListener({
    hostname: "127.0.0.1",
    port: 0,
    tokens,
    allowedOrigins: [],
    maxBodyBytes: 1024,
    endpoint: {
      handle: () => Promise.resolve(new Response("mcp")),
      drain: () => Promise.resolve(),
    },
    ready: () => null,
    metrics: () => TEXT,
    log: createLogger("error", () => {}),
  });
}

Deno.test("startHttpListener() asks /metrics for the same bearer token as /mcp", async () => {
  const listener = await listen(new Map([[await tokenDigest("scraper-token"), "scraper"]]));
  const url = `http://127.0.0.1:${listener.port}/metrics`;
  try {
    equal(await status(url), 401);
    equal(await status(url, { headers: { authorization: "Bearer wrong" } }), 401);
    equal(await status(url, { headers: { authorization: "Basic c2NyYXBlcg==" } }), 401);
    const response = await fetch(url, { headers: { authorization: "Bearer scraper-token" } });
    equal(response.status, 200);
    equal(response.headers.get("content-type"), PROMETHEUS_TYPE);
    equal(await response.text(), TEXT);
    const post = { method: "POST", headers: { authorization: "Bearer scraper-token" } };
    equal(await status(url, post), 405);
    equal(await status(`http://127.0.0.1:${listener.port}/healthz`), 200, "probes stay open");
  } finally {
    await listener.close(0);
  }
});

Deno.test("startHttpListener() serves /metrics without a token when auth is off, Host checked", async () => {
  const listener = await listen(null);
  const url = `http://127.0.0.1:${listener.port}/metrics`;
  try {
    equal(await status(url), 200);
    equal(await status(url, { headers: { origin: "https://evil.example" } }), 403);
    equal(await statusWithHost(listener.port, "/metrics", "evil.example"), 403);
  } finally {
    await listener.close(0);
  }
});
