/** McpProxy tells the client when the tools it may see change, and says it will. */
import { deepEqual, equal } from "node:assert/strict";
import { answers, harness, line, request } from "./support.ts";

const CHANGED = { jsonrpc: "2.0", method: "notifications/tools/list_changed" };

function initialize(h: ReturnType<typeof harness>, capabilities: Record<string, unknown>) {
  h.proxy.fromClient(line(request(1, "initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "agent-x", version: "2.1" },
  })));
  h.proxy.fromUpstream(line({ jsonrpc: "2.0", id: 1, result: { capabilities } }));
  return answers(h)[0];
}

Deno.test("McpProxy adds tools.listChanged to the initialize result it relays", () => {
  const h = harness();
  const result = initialize(h, { tools: {}, prompts: { listChanged: false } });
  deepEqual(result.result.capabilities, {
    tools: { listChanged: true },
    prompts: { listChanged: false },
  });
  deepEqual(h.proxy.clientInfo, { name: "agent-x", version: "2.1" });
});

Deno.test("McpProxy leaves an initialize result without tools capability alone", () => {
  const h = harness();
  const result = initialize(h, { prompts: {} });
  deepEqual(result.result.capabilities, { prompts: {} });
});

Deno.test("McpProxy notifyToolsChanged() sends tools/list_changed only after initialize", () => {
  const h = harness();
  h.proxy.notifyToolsChanged();
  equal(h.client.lines.length, 0);
  initialize(h, { tools: {} });
  h.proxy.notifyToolsChanged();
  deepEqual(answers(h).at(-1), CHANGED);
  h.proxy.upstreamEnded(0);
  const count = h.client.lines.length;
  h.proxy.notifyToolsChanged();
  equal(h.client.lines.length, count);
});
