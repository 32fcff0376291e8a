/** JSON-RPC helpers: id checks and keys, the proxy's own answers, numbers out of range. */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  ErrorCode,
  errorResponse,
  hasNonFinite,
  isObject,
  isValidId,
  mayOverflow,
  resultResponse,
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

Deno.test("hasNonFinite() finds a number that parsed as ±Infinity, at any depth", () => {
  equal(hasNonFinite(JSON.parse('{"a":[1,{"b":-1e400}]}')), true);
  equal(hasNonFinite(JSON.parse('{"a":1e308,"b":[0,-0,1e-400],"c":"1e400"}')), false);
  equal(hasNonFinite(null), false);
});

Deno.test("mayOverflow() flags 3-digit exponents and 309-digit runs, in linear time", () => {
  equal(mayOverflow('{"n":1e400}'), true);
  equal(mayOverflow('{"n":1E+999}'), true);
  equal(mayOverflow(`{"n":${"9".repeat(309)}}`), true);
  equal(mayOverflow('{"n":1e99,"m":123456}'), false);
  // Runs of 308 digits, each behind a letter: a backtracking scan would restart in every run.
  const crafted = ("a" + "1".repeat(308)).repeat(20_000);
  const started = performance.now();
  equal(mayOverflow(crafted), false);
  ok(performance.now() - started < 5_000, "a linear scan of 6 MB");
});
