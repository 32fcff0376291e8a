/** HttpExchange: one POST's answers as JSON, an SSE stream, or 202; a departed client cancels. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { HttpExchange } from "../../src/proxy/http_exchange.ts";

function exchange(options: { statusOf?: (code: number) => number; maxQueued?: number } = {}) {
  let abandoned = 0;
  let finished = 0;
  const x = new HttpExchange({
    maxQueued: options.maxQueued ?? 1_000_000,
    keepAliveMs: 0,
    headers: { "mcp-session-id": "s-1" },
    statusOf: options.statusOf,
    onAbandoned: () => abandoned++,
    onFinished: () => finished++,
  });
  return { x, abandoned: () => abandoned, finished: () => finished };
}

async function events(response: Response): Promise<string[]> {
  const text = await response.text();
  return text.split("\n\n").filter((block) => block.startsWith("event: message"))
    .map((block) => block.slice(block.indexOf("data: ") + 6));
}

Deno.test("HttpExchange answers as one JSON body when the answer comes first", async () => {
  const { x, finished } = exchange();
  x.deliver('{"jsonrpc":"2.0","id":1,"result":{}}', true); // before expect(): held
  x.expect(1);
  const response = await x.response;
  equal(response.status, 200);
  equal(response.headers.get("content-type"), "application/json");
  equal(response.headers.get("mcp-session-id"), "s-1");
  equal(await response.text(), '{"jsonrpc":"2.0","id":1,"result":{}}');
  equal(finished(), 1);
});

Deno.test("HttpExchange streams when a notification comes before the answer", async () => {
  const { x } = exchange();
  x.expect(1);
  x.deliver('{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}');
  x.deliver('{"jsonrpc":"2.0","id":1,"result":{}}', true);
  x.deliver('{"late":true}'); // after the answer: nothing more goes out
  const response = await x.response;
  equal(response.headers.get("content-type"), "text/event-stream");
  deepEqual(await events(response), [
    '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}',
    '{"jsonrpc":"2.0","id":1,"result":{}}',
  ]);
});

Deno.test("HttpExchange says 202 Accepted for a body with nothing to answer", async () => {
  const { x } = exchange();
  x.expect(0);
  equal((await x.response).status, 202);
});

Deno.test("HttpExchange gives an error answer the status the era asks for", async () => {
  const { x } = exchange({ statusOf: (code) => code === -32601 ? 404 : 200 });
  x.expect(1);
  x.deliver('{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no such method"}}', true);
  equal((await x.response).status, 404);
});

Deno.test("HttpExchange reports a client that left before its answer", () => {
  const { x, abandoned, finished } = exchange();
  x.expect(1);
  x.abort();
  equal(abandoned(), 1);
  equal(finished(), 1);
  x.deliver('{"jsonrpc":"2.0","id":1,"result":{}}', true);
  x.abort();
  equal(abandoned(), 1, "once");
  ok(x.finished);
});

Deno.test("HttpExchange gives a stream up when its reader stops reading", async () => {
  const { x, abandoned } = exchange({ maxQueued: 200 });
  x.stream();
  x.expect(1);
  const response = await x.response;
  for (let i = 0; i < 20; i++) x.deliver(`{"n":${i},"pad":"${"x".repeat(50)}"}`);
  equal(abandoned(), 1, "past the bound, the request counts as cancelled");
  await response.body?.cancel().catch(() => {});
});
