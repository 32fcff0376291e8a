/**
 * `intercept --listen` in front of a server that speaks only the initialize-based versions
 * (server-everything): a 2026-07-28 request is answered as such a server answers it, with
 * -32022 naming the versions it does serve, never with a legacy result the modern client
 * cannot read; clients that fall back to `initialize` are served.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { connectAs } from "./clients.ts";
import { EVERYTHING, type JsonObject, policyPath, textOf } from "./helpers.ts";
import { modernHeaders, startHttpProxy } from "./http_proxy.ts";
import { envelope } from "./modern_envelope.ts";

const POLICY = policyPath("allow_all.yaml");

Deno.test("intercept --listen answers a 2026-07-28 request in front of a legacy-only server with -32022", async () => {
  const proxy = await startHttpProxy(POLICY, EVERYTHING);
  try {
    for (
      const message of [
        { method: "tools/call", params: { name: "echo", arguments: { message: "hi" } } },
        { method: "server/discover", params: {} },
      ]
    ) {
      const request: JsonObject = {
        jsonrpc: "2.0",
        id: 7,
        ...message,
        params: { ...message.params, _meta: envelope() },
      };
      const response = await fetch(proxy.url, {
        method: "POST",
        headers: modernHeaders(request),
        body: JSON.stringify(request),
      });
      const body = await response.json();
      equal(response.status, 400, JSON.stringify(body));
      equal(body.id, 7);
      equal(body.error.code, -32022, JSON.stringify(body));
      equal(body.error.data.requested, "2026-07-28");
      ok(body.error.data.supported.includes("2025-11-25"), JSON.stringify(body));
      ok(!body.error.data.supported.includes("2026-07-28"), JSON.stringify(body));
    }
  } finally {
    equal((await proxy.stop()).code, 0, proxy.stderr());
  }
});

Deno.test("intercept --listen serves an auto-mode client in front of a legacy-only server on initialize", async () => {
  const proxy = await startHttpProxy(POLICY, EVERYTHING);
  try {
    const client = await connectAs("v2-auto", { url: proxy.url });
    try {
      const result = await client.callTool("echo", { message: "fell back" });
      deepEqual(textOf(result), "Echo: fell back");
    } finally {
      await client.close();
    }
  } finally {
    equal((await proxy.stop()).code, 0, proxy.stderr());
  }
});
