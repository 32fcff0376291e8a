/** JSON-RPC helpers: id checks and keys, the proxy's own answers, ids sniffed from huge messages. */
import { deepEqual, equal } from "node:assert/strict";
import {
  ErrorCode,
  errorResponse,
  isObject,
  isValidId,
  resultResponse,
  sniffId,
  sniffIds,
} from "../../src/proxy/jsonrpc.ts";

Deno.test("isValidId() accepts strings and finite numbers only", () => {
  for (const id of ["", "a", 0, -1, 1.5, 2 ** 60]) equal(isValidId(id), true, String(id));
  for (const id of [null, undefined, true, {}, [], NaN, Infinity, -Infinity, 1n]) {
    equal(isValidId(id), false, String(id));
  }
});

Deno.test("isObject() is true for plain objects, not arrays or null", () => {
  equal(isObject({}), true);
  equal(isObject([]), false);
  equal(isObject(null), false);
  equal(isObject("{}"), false);
});

Deno.test("errorResponse() and resultResponse() build JSON-RPC 2.0 answers", () => {
  deepEqual(errorResponse(null, ErrorCode.parseError, "Parse error"), {
    jsonrpc: "2.0",
    id: null,
    error: { code: -32700, message: "Parse error" },
  });
  deepEqual(resultResponse("a", { ok: true }), { jsonrpc: "2.0", id: "a", result: { ok: true } });
  deepEqual(
    [
      ErrorCode.invalidRequest,
      ErrorCode.methodNotFound,
      ErrorCode.invalidParams,
      ErrorCode.internalError,
    ],
    [-32600, -32601, -32602, -32603],
  );
});

Deno.test("sniffId() finds a number or string id in the head or the tail", () => {
  equal(sniffId('{"jsonrpc":"2.0","id":12,"method":"tools/call"', ""), 12);
  equal(sniffId('{"id" : -3 }', ""), -3);
  equal(sniffId("", '"result":{}, "id":"abc"}'), "abc");
  equal(sniffId('{"id":"a\\"b\\\\","x":1', ""), 'a"b\\');
  equal(sniffId('{"id":5,', '"id":5}'), 5, "the same id at both ends");
});

Deno.test("sniffId() returns null when there is no id, or more than one candidate", () => {
  equal(sniffId('{"jsonrpc":"2.0","method":"x"', "}"), null);
  equal(sniffId('{"id":1,"params":{"id":2,', ""), null);
  equal(sniffId('{"id":1,', '"id":"1"}'), null, '1 and "1" are different ids');
  equal(sniffId('{"id":null,', ""), null);
  equal(sniffId('{"id":1.5,', ""), null);
  equal(sniffId('{"grid":1,"valid":2', ""), null);
  equal(sniffId('{"text":"\\"id\\":3","a":1', ""), null, "an escaped key inside a string");
});

Deno.test("sniffIds() lists the tail's ids from its end, then the head's, skipping broken ones", () => {
  deepEqual(sniffIds('{"id":1,', '{"id":2},{"id":"x"}],"jsonrpc":"2.0","id":9}'), [9, "x", 2, 1]);
  deepEqual(sniffIds('{"id":"\\u12",', ""), []);
  equal(sniffId('{"id":1,', '"id":2}'), null);
});
