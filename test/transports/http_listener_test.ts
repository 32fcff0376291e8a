/**
 * The HTTP listener's bounds against one hostile caller: a response stream holds its place
 * until it ends, and with tokens one principal cannot take every place.
 */
import { equal } from "node:assert/strict";
import { tokenDigest } from "../../src/transports/auth_tokens.ts";
import {
  type HttpLimits,
  type HttpListener,
  type McpEndpoint,
  startHttpListener,
} from "../../src/transports/http_listener.ts";

const LOG = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  flush: () => Promise.resolve(true),
};

/** An endpoint whose every answer is a stream that stays open until the client leaves. */
class StreamingEndpoint implements McpEndpoint {
  readonly cancelled: Promise<void>[] = [];

  handle(): Promise<Response> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.cancelled.push(promise);
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode(": open\n\n")),
      cancel: () => resolve(),
    });
    return Promise.resolve(
      new Response(body, { headers: { "content-type": "text/event-stream" } }),
    );
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }
}

async function listen(
  endpoint: McpEndpoint,
  limits: Partial<HttpLimits>,
  tokens: Record<string, string> | null = null,
): Promise<HttpListener> {
  let table: Map<string, string> | null = null;
  if (tokens) {
    table = new Map();
    for (const [principal, token] of Object.entries(tokens)) {
      table.set(await tokenDigest(token), principal);
    }
  }
  return await startHttpListener({
    hostname: "127.0.0.1",
    port: 0,
    tokens: table,
    allowedOrigins: [],
    maxBodyBytes: 1024,
    endpoint,
    ready: () => null,
    metrics: () => "",
    log: LOG,
    limits,
  });
}

/** Opens a GET stream; returns its status and a way to leave it. */
async function open(
  listener: HttpListener,
  token?: string,
): Promise<{ status: number; leave: () => Promise<void> }> {
  const headers: Record<string, string> = { "mcp-session-id": "s" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`http://127.0.0.1:${listener.port}/mcp`, { headers });
  if (response.status !== 200) {
    await response.body?.cancel();
    return { status: response.status, leave: () => Promise.resolve() };
  }
  const reader = response.body!.getReader();
  await reader.read(); // the stream is open
  return { status: 200, leave: () => reader.cancel() };
}

Deno.test("startHttpListener() counts an open response stream against maxConcurrent until it ends", async () => {
  const endpoint = new StreamingEndpoint();
  const listener = await listen(endpoint, { maxConcurrent: 2 });
  try {
    const first = await open(listener);
    const second = await open(listener);
    equal(first.status, 200);
    equal(second.status, 200);
    const third = await open(listener);
    equal(third.status, 503, "two streams are open");
    await first.leave();
    await endpoint.cancelled[0];
    // The server learns the client left as its connection closes: give that a moment.
    let fourth = await open(listener);
    for (let tries = 0; fourth.status === 503 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      fourth = await open(listener);
    }
    equal(fourth.status, 200, "a place is free once a stream ends");
    await second.leave();
    await fourth.leave();
  } finally {
    await listener.close(0);
  }
});

Deno.test("startHttpListener() gives one principal at most maxPerPrincipal places; others keep theirs", async () => {
  const endpoint = new StreamingEndpoint();
  const listener = await listen(endpoint, { maxConcurrent: 10, maxPerPrincipal: 2 }, {
    mallory: "m-token",
    alice: "a-token",
  });
  try {
    const streams = [await open(listener, "m-token"), await open(listener, "m-token")];
    const over = await open(listener, "m-token");
    equal(over.status, 429, "mallory has two open");
    const alice = await open(listener, "a-token");
    equal(alice.status, 200, "alice is served");
    for (const stream of [...streams, alice]) await stream.leave();
  } finally {
    await listener.close(0);
  }
});

Deno.test("startHttpListener() without tokens shares maxConcurrent among every caller", async () => {
  const endpoint = new StreamingEndpoint();
  const listener = await listen(endpoint, { maxConcurrent: 4, maxPerPrincipal: 2 });
  try {
    const streams = [];
    for (let i = 0; i < 4; i++) streams.push(await open(listener));
    equal(streams.filter((stream) => stream.status === 200).length, 4);
    for (const stream of streams) await stream.leave();
  } finally {
    await listener.close(0);
  }
});

Deno.test("startHttpListener() with one principal lets it use every place", async () => {
  const endpoint = new StreamingEndpoint();
  const listener = await listen(endpoint, { maxConcurrent: 4, maxPerPrincipal: 2 }, {
    ci: "c-token",
  });
  try {
    const streams = [];
    for (let i = 0; i < 4; i++) streams.push(await open(listener, "c-token"));
    equal(streams.filter((stream) => stream.status === 200).length, 4);
    for (const stream of streams) await stream.leave();
  } finally {
    await listener.close(0);
  }
});
