/** sniffTopLevelId(): the id of a message too large to parse, from its edges, top level only. */
import { equal } from "node:assert/strict";
import { replaceTopLevelId, sniffTopLevelId } from "../../src/proxy/top_level_id.ts";

Deno.test("sniffTopLevelId() finds a number or string id in the head or the tail", () => {
  equal(sniffTopLevelId('{"jsonrpc":"2.0","id":12,"method":"tools/call"', ""), 12);
  equal(sniffTopLevelId('{ "id" : -3 , "x": 1', ""), -3);
  equal(sniffTopLevelId("", '"result":{}, "id":"abc"}'), "abc");
  equal(sniffTopLevelId("", '"result":{}, "id":"abc"}\r\n'), "abc");
  equal(sniffTopLevelId('{"id":"a\\"b\\\\","x":1', ""), 'a"b\\');
  equal(sniffTopLevelId('{"id":5,', ',"id":5}'), 5, "the same id at both ends");
  equal(sniffTopLevelId('{"\\u0069d":7,"x":', ""), 7, "an escaped key is still the key");
});

Deno.test("sniffTopLevelId() skips an id nested in the result or params", () => {
  // The answer's own id comes last; the result it carries names other ids first.
  const head = '{"jsonrpc":"2.0","result":{"content":[{"id":3,"type":"text","text":"';
  const tail = 'xyz"}],"meta":{"id":4}},"id":9}';
  equal(sniffTopLevelId(head, tail), 9);
  equal(sniffTopLevelId('{"result":{"id":3,"items":[1,2', ""), null);
  equal(sniffTopLevelId("", '"items":[{"id":1}]},"next":{"id":2}}'), null);
  equal(sniffTopLevelId("", 'ab", "x": {"id": 2}, "y": "}, \\"id\\": 3"}'), null);
});

Deno.test("sniffTopLevelId() reads no id across a cut, and none of two that disagree", () => {
  equal(sniffTopLevelId('{"jsonrpc":"2.0","method":"x"', "}"), null);
  equal(sniffTopLevelId('{"id":1,', ',"id":"1"}'), null, '1 and "1" are different ids');
  equal(sniffTopLevelId('{"id":1,', ',"id":2}'), null);
  equal(sniffTopLevelId('{"id":null,', ""), null);
  equal(sniffTopLevelId('{"id":1234', ""), null, "the number may go on past the head");
  equal(sniffTopLevelId('{"grid":1,"valid":2', ""), null);
  equal(sniffTopLevelId('{"text":"\\"id\\":3","a":1', ""), null, "a key inside a string");
  equal(sniffTopLevelId('[{"id":1}', ""), null, "a batch has no one id");
  equal(sniffTopLevelId("", 'ext":"partial id\\":5}'), null, "a member cut by the tail's start");
});

Deno.test("replaceTopLevelId() puts the client's id in place of the proxy's, byte for byte", () => {
  const line = '{"jsonrpc":"2.0","id":42,"result":{"id":42,"text":"é"}}';
  equal(
    replaceTopLevelId(line, 42, "c-1"),
    '{"jsonrpc":"2.0","id":"c-1","result":{"id":42,"text":"é"}}',
  );
  equal(replaceTopLevelId('{"result":{},"id":7}', 7, 1), '{"result":{},"id":1}');
  equal(replaceTopLevelId('{ "id" : 0 , "result": 1}', 0, 5), '{ "id" : 5 , "result": 1}');
  equal(replaceTopLevelId('{"\\u0069d":9,"result":{}}', 9, 2), '{"\\u0069d":2,"result":{}}');
});

Deno.test("replaceTopLevelId() reads every spelling of a number id as JSON does", () => {
  equal(replaceTopLevelId('{"id":1e1,"result":{}}', 10, 3), '{"id":3,"result":{}}');
  equal(replaceTopLevelId('{"id":-2,"result":{}}', -2, 3), '{"id":3,"result":{}}');
  equal(replaceTopLevelId('{"id":2.5,"result":{}}', 2.5, 3), '{"id":3,"result":{}}');
  const big = "12345678901234567"; // past 2^53: JSON.parse rounds it
  equal(replaceTopLevelId(`{"id":${big},"result":{}}`, Number(big), 3), '{"id":3,"result":{}}');
  equal(replaceTopLevelId('{"id":01,"result":{}}', 1, 3), null, "not JSON: left to the parser");
  equal(replaceTopLevelId('{"id":5,"result":{}}', 6, 3), null, "not the id expected");
  equal(replaceTopLevelId('{"idx":5,"result":{},"id":6}', 6, 3), '{"idx":5,"result":{},"id":3}');
});
