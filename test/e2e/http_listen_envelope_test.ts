/**
 * `intercept --listen` refusing a request that cannot be served, as a 2026-07-28 server refuses
 * it (found by the MCP conformance suite, where the modern test server answers so direct): an
 * `MCP-Protocol-Version` header that disagrees with the body is a header mismatch (-32020) before
 * the body's version is judged; a request with neither a session nor a protocol version in its
 * `_meta` gets -32602 under its own id; an `initialize` in the 2026-07-28 envelope is answered by
 * the proxy and never reaches the pool's shared servers.
 */
import { deepEqual, equal, match } from "node:assert/strict";
import { modernServer } from "./clients.ts";
import { type JsonObject, policyPath } from "./helpers.ts";
import { type HttpProxy, modernHeaders, startHttpProxy } from "./http_proxy.ts";
import { envelope } from "./modern_envelope.ts";

const POLICY = policyPath("allow_all.yaml");

async function post(proxy: HttpProxy, message: JsonObject, headers: Record<string, string>) {
  const response = await fetch(proxy.url, {
    method: "POST",
    headers,
    body: JSON.stringify(message),
  });
  return { status: response.status, body: await response.json() };
}

Deno.test("intercept --listen answers a protocol version header that disagrees with the body with -32020", async () => {
  const proxy = await startHttpProxy(POLICY, modernServer());
  try {
    const discover = {
      jsonrpc: "2.0",
      id: 302,
      method: "server/discover",
      params: { _meta: envelope({ version: "v999.0.0" }) },
    };
    const answer = await post(proxy, discover, {
      ...modernHeaders(discover),
      "mcp-protocol-version": "2026-07-28",
    });
    equal(answer.status, 400);
    deepEqual([answer.body.id, answer.body.error.code], [302, -32020]);
    // The same unknown version in both places is an unsupported version.
    const agreeing = await post(proxy, discover, {
      ...modernHeaders(discover),
      "mcp-protocol-version": "v999.0.0",
    });
    equal(agreeing.status, 400);
    deepEqual([agreeing.body.id, agreeing.body.error.code], [302, -32022]);
  } finally {
    equal((await proxy.stop()).code, 0, proxy.stderr());
  }
});

Deno.test("intercept --listen answers a request without a session or a protocol version with -32602 under its id", async () => {
  const proxy = await startHttpProxy(POLICY, modernServer());
  try {
    const { "io.modelcontextprotocol/protocolVersion": _, ...noVersion } = envelope();
    for (
      const [id, params] of [
        [101, {}],
        [102, { _meta: noVersion }],
      ] as const
    ) {
      const list = { jsonrpc: "2.0", id, method: "tools/list", params };
      const answer = await post(proxy, list, modernHeaders(list));
      equal(answer.status, 400);
      deepEqual([answer.body.id, answer.body.error.code], [id, -32602]);
    }
  } finally {
    equal((await proxy.stop()).code, 0, proxy.stderr());
  }
});

Deno.test("intercept --listen answers an initialize in the 2026-07-28 envelope itself, and the pool stays modern", async () => {
  const proxy = await startHttpProxy(POLICY, modernServer());
  try {
    const initialize = {
      jsonrpc: "2.0",
      id: 7,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "switcher", version: "1" },
        _meta: envelope(),
      },
    };
    const answer = await post(proxy, initialize, modernHeaders(initialize));
    equal(answer.status, 404);
    deepEqual([answer.body.id, answer.body.error.code], [7, -32601]);
    match(answer.body.error.message, /initialize is not part of MCP 2026-07-28/);
    const list = { jsonrpc: "2.0", id: 8, method: "tools/list", params: { _meta: envelope() } };
    const listed = await post(proxy, list, modernHeaders(list));
    equal(listed.status, 200, JSON.stringify(listed.body));
    equal(listed.body.result.resultType, "complete");
  } finally {
    equal((await proxy.stop()).code, 0, proxy.stderr());
  }
});
