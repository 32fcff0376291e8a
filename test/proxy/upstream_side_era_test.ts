import { deepEqual, equal } from "node:assert/strict";
import { eraVerdict, UpstreamSide } from "../../src/proxy/upstream_side.ts";
import { type Message, RecordingChannel } from "./support.ts";

const SELF = { name: "intercept", version: "9.9.9" };

function side(upstreamTimeoutMs = 10_000) {
  const channel = new RecordingChannel();
  const warnings: string[] = [];
  const upstream = new UpstreamSide({
    channel,
    log: { warn: (text) => warnings.push(text), error: (text) => warnings.push(text) },
    upstreamTimeoutMs,
    shared: true,
  });
  const answer = (id: number, body: Record<string, unknown>) =>
    upstream.link.fromUpstream(JSON.stringify({ jsonrpc: "2.0", id, ...body }));
  return { upstream, channel, answer };
}

const DISCOVERED = {
  result: {
    supportedVersions: ["2026-07-28"],
    capabilities: { tools: {} },
    _meta: { "io.modelcontextprotocol/serverInfo": { name: "modern", version: "2.0.0" } },
  },
};

Deno.test("eraVerdict() reads a DiscoverResult, a refusal and an internal error", () => {
  equal(eraVerdict(DISCOVERED), true);
  equal(eraVerdict({ result: { supportedVersions: ["2027-01-01"] } }), false);
  equal(eraVerdict({ result: {} }), false);
  equal(eraVerdict({ error: { code: -32601, message: "Method not found" } }), false);
  equal(
    eraVerdict({ error: { code: -32000, message: "Bad Request: Server not initialized" } }),
    false,
  );
  equal(eraVerdict({ error: { code: -32603, message: "The MCP server exited" } }), null);
});

Deno.test("UpstreamSide.servesModern() asks once with a server/discover of its own", async () => {
  const { upstream, channel, answer } = side();
  const first = upstream.servesModern(SELF);
  const second = upstream.servesModern(SELF);
  equal(channel.messages.length, 1, "callers at once share one question");
  const asked: Message = channel.messages[0];
  equal(asked.method, "server/discover");
  deepEqual(asked.params._meta, {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": SELF,
  });
  answer(asked.id, DISCOVERED);
  equal(await first, true);
  equal(await second, true);
  deepEqual(upstream.supportedVersions(), ["2026-07-28"]);
  deepEqual(upstream.serverInfo, { name: "modern", version: "2.0.0" });
  equal(await upstream.servesModern(SELF), true);
  equal(channel.messages.length, 1, "the verdict is kept");
});

Deno.test("UpstreamSide.servesModern() is false for a server that predates 2026-07-28", async () => {
  const { upstream, channel, answer } = side();
  const verdict = upstream.servesModern(SELF);
  answer(channel.messages[0].id, { error: { code: -32601, message: "Method not found" } });
  equal(await verdict, false);
  deepEqual(upstream.supportedVersions(), ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]);
  equal(await upstream.servesModern(SELF), false);
  equal(channel.messages.length, 1);
});

Deno.test("UpstreamSide.servesModern() has no verdict on an internal error, and asks again", async () => {
  const { upstream, channel, answer } = side();
  const verdict = upstream.servesModern(SELF);
  answer(channel.messages[0].id, { error: { code: -32603, message: "upstream unreachable" } });
  equal(await verdict, null);
  const again = upstream.servesModern(SELF);
  equal(channel.messages.length, 2, "asked again");
  answer(channel.messages[1].id, DISCOVERED);
  equal(await again, true);
});

Deno.test("UpstreamSide.servesModern() has no verdict when the server does not answer in time", async () => {
  const { upstream, channel } = side(5);
  equal(await upstream.servesModern(SELF), null);
  const [asked, cancelled]: Message[] = channel.messages;
  equal(cancelled.method, "notifications/cancelled");
  equal(cancelled.params.requestId, asked.id);
});

Deno.test("UpstreamSide.servesModern() has no verdict once the server exited", async () => {
  const { upstream, channel } = side();
  const pending = upstream.servesModern(SELF);
  upstream.link.end(1);
  equal(await pending, null);
  equal(await upstream.servesModern(SELF), null);
  equal(channel.messages.length, 1, "nothing is sent to a server that is gone");
});
