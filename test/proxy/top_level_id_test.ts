/** sniffTopLevelId(): the id of a message too large to parse, from its edges, top level only. */
import { equal } from "node:assert/strict";
import { sniffTopLevelId } from "../../src/proxy/top_level_id.ts";

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
