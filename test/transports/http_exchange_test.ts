import { deepEqual, equal, ok } from "node:assert/strict";
import {
  ERROR_BODY_BYTES,
  isModernError,
  jsonRpcError,
  readBody,
  readErrorBody,
} from "../../src/transports/http_exchange.ts";

function body(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

Deno.test("readBody() reads a body within the limit whole, counting each chunk", async () => {
  let chunks = 0;
  deepEqual(await readBody(body('{"a":', "1}"), 100, () => chunks++), { text: '{"a":1}' });
  equal(chunks, 2);
  deepEqual(await readBody(null, 100), { text: "" });
});

Deno.test("readBody() keeps only the size and ends of a body over the limit", async () => {
  const text = `{"id":7,"result":"${"x".repeat(3_000)}"}`;
  const read = await readBody(body(text.slice(0, 1_000), text.slice(1_000)), 1_500);
  ok("oversize" in read);
  equal(read.oversize.size, text.length);
  ok(read.oversize.head.startsWith('{"id":7'));
  ok(read.oversize.tail.endsWith('x"}'));
  equal(read.oversize.head.length, 512);
});

Deno.test("readErrorBody() reads no more than its limit", async () => {
  const big = "e".repeat(ERROR_BODY_BYTES * 3);
  equal((await readErrorBody(body(big))).length, ERROR_BODY_BYTES);
  equal(await readErrorBody(body("short")), "short");
});

Deno.test("jsonRpcError() and isModernError() read a refused POST's body", () => {
  deepEqual(
    jsonRpcError('{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"v","data":1}}'),
    {
      code: -32022,
      message: "v",
      data: 1,
    },
  );
  equal(jsonRpcError("Cannot POST /mcp"), null);
  equal(jsonRpcError('{"error":{"code":"x"}}'), null);
  ok(isModernError('{"error":{"code":-32020,"message":"mismatch"}}'));
  ok(isModernError('{"error":{"code":-32601,"message":"Method not found"}}'));
  ok(!isModernError('{"error":{"code":-32000,"message":"Bad Request: Server not initialized"}}'));
  ok(!isModernError(""));
});
