/** OutboundQueue: order kept, answers never dropped, notices bounded with a dropped count. */
import { deepEqual, equal, throws } from "node:assert/strict";
import { OutboundQueue } from "../../src/control/outbound_queue.ts";

const parse = (lines: string[]) => lines.map((line) => JSON.parse(line));

Deno.test("OutboundQueue.take() keeps the order of answers and notices", () => {
  const queue = new OutboundQueue(10);
  queue.pushResponse('{"id":1}');
  queue.pushNotice("decision", '{"n":1}');
  queue.pushResponse('{"id":2}');
  equal(queue.size, 3);
  deepEqual(parse(queue.take(2)), [
    { id: 1 },
    { jsonrpc: "2.0", method: "decision", params: { n: 1 } },
  ]);
  deepEqual(parse(queue.take(10)), [{ id: 2 }]);
  equal(queue.size, 0);
});

Deno.test("OutboundQueue.pushNotice() drops the oldest notices past the bound, never answers", () => {
  const queue = new OutboundQueue(2);
  queue.pushResponse('{"id":1}');
  equal(queue.pushNotice("decision", '{"n":1}'), 0);
  equal(queue.pushNotice("decision", '{"n":2}'), 0);
  queue.pushResponse('{"id":2}');
  equal(queue.pushNotice("decision", '{"n":3}'), 1);
  equal(queue.pushNotice("policy", "{}"), 1);
  equal(queue.size, 4);
  equal(queue.droppedTotal, 2);
  deepEqual(parse(queue.take(100)), [
    { id: 1 },
    { id: 2 },
    { jsonrpc: "2.0", method: "decision", params: { dropped: 2, n: 3 } },
    { jsonrpc: "2.0", method: "policy", params: {} },
  ]);
});

Deno.test("OutboundQueue reports drops in the first notice after them, even when it is empty", () => {
  const queue = new OutboundQueue(1);
  queue.pushNotice("a", '{"n":1}');
  queue.pushNotice("b", "{}");
  deepEqual(parse(queue.take(10)), [{ jsonrpc: "2.0", method: "b", params: { dropped: 1 } }]);
  queue.pushNotice("c", '{"n":3}');
  deepEqual(parse(queue.take(10)), [{ jsonrpc: "2.0", method: "c", params: { n: 3 } }]);
});

Deno.test("OutboundQueue stays bounded over many notices taken in small batches", () => {
  const queue = new OutboundQueue(100);
  let taken = 0;
  let dropped = 0;
  for (let i = 0; i < 50_000; i++) {
    queue.pushNotice("decision", `{"n":${i}}`);
    if (i % 7 === 0) {
      for (const message of parse(queue.take(3))) {
        taken++;
        dropped += message.params.dropped ?? 0;
      }
    }
    equal(queue.size <= 100, true);
  }
  for (const message of parse(queue.take(1000))) {
    taken++;
    dropped += message.params.dropped ?? 0;
  }
  equal(taken + dropped, 50_000);
  equal(queue.droppedTotal, dropped);
});

Deno.test("OutboundQueue refuses a bound below 1", () => {
  throws(() => new OutboundQueue(0), /at least 1/);
});
