/** canonicalJson and argsSha256: key order never changes the text or the hash. */
import { equal, throws } from "node:assert/strict";
import { canonicalJson } from "../../src/audit/canonical_json.ts";
import { argsSha256 } from "../../src/audit/audit_record.ts";

Deno.test("canonicalJson() sorts object keys recursively and keeps array order", () => {
  equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }),
    '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
  );
});

Deno.test("canonicalJson() writes strings and numbers as JSON.stringify does", () => {
  const value = { n: [0, -0, 1.5, 1e21, 1e-7, -3], s: 'quote " \\ line\n é 😀 \u0001 \ud800' };
  equal(canonicalJson(value), JSON.stringify(value));
  equal(canonicalJson({ 0: value }), `{"0":${JSON.stringify(value)}}`, "the index-key path too");
});

Deno.test("canonicalJson() sorts keys by UTF-16 code unit", () => {
  equal(
    canonicalJson({ "é": 1, "Z": 2, "a": 3, "😀": 4, "\uffff": 5 }),
    JSON.stringify({
      "Z": 2,
      "a": 3,
      "é": 1,
      "😀": 4,
      "\uffff": 5,
    }),
  );
});

Deno.test("canonicalJson() sorts index-like keys as text too", () => {
  equal(canonicalJson({ a: 1, 10: 2, 9: 3, "1x": 4 }), '{"10":2,"1x":4,"9":3,"a":1}');
  equal(
    canonicalJson({ outer: [{ b: { 2: "two", 1: "one" }, a: 0 }] }),
    '{"outer":[{"a":0,"b":{"1":"one","2":"two"}}]}',
  );
  equal(
    canonicalJson({ x: { 2: undefined, 1: [undefined, NaN, new Date(0)] } }),
    '{"x":{"1":[null,null,"1970-01-01T00:00:00.000Z"]}}',
  );
});

Deno.test("canonicalJson() leaves out what JSON.stringify leaves out", () => {
  const value = { a: undefined, b: () => 1, c: [undefined, NaN, Infinity], d: new Date(0) };
  equal(canonicalJson(value), '{"c":[null,null,null],"d":"1970-01-01T00:00:00.000Z"}');
  equal(canonicalJson(undefined), "null");
});

Deno.test("canonicalJson() refuses a BigInt", () => {
  throws(() => canonicalJson({ n: 1n }), /BigInt/);
});

Deno.test("argsSha256() is the SHA-256 of the canonical JSON", async () => {
  equal(argsSha256({}), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  const args = { topicName: "orders-eu", value: { message: "é", list: [1, 2] } };
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(canonicalJson(args)),
  );
  equal(argsSha256(args), Array.from(new Uint8Array(digest), hex).join(""));
});

Deno.test("argsSha256() does not depend on key order", () => {
  equal(
    argsSha256({ a: 1, b: { c: [1, { d: 2, e: 3 }], f: "x" } }),
    argsSha256({ b: { f: "x", c: [1, { e: 3, d: 2 }] }, a: 1 }),
  );
  const reordered = JSON.parse('{"y":{"q":1,"p":2},"x":true}');
  equal(argsSha256(reordered), argsSha256({ x: true, y: { p: 2, q: 1 } }));
});

Deno.test("argsSha256() tells different arguments apart", () => {
  const digests = new Set([
    argsSha256({ a: 1 }),
    argsSha256({ a: "1" }),
    argsSha256({ a: [1] }),
    argsSha256({ a: 1, b: null }),
    argsSha256({}),
  ]);
  equal(digests.size, 5);
});

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

Deno.test("canonicalJson() writes values already in key order as they are, and sorts the rest", () => {
  const sorted = JSON.parse('{"a":[{"b":1,"c":{"d":null,"e":"x"}}],"f":true,"g":{}}');
  equal(canonicalJson(sorted), JSON.stringify(sorted));
  // Out of order deep inside: the whole value is still sorted.
  const deep = JSON.parse('{"a":[{"b":1,"c":{"e":"x","d":null}}],"f":true}');
  equal(canonicalJson(deep), '{"a":[{"b":1,"c":{"d":null,"e":"x"}}],"f":true}');
  // Index keys in numeric order that is also text order; then one that is not.
  equal(canonicalJson({ 1: "a", 2: "b", x: 0 }), '{"1":"a","2":"b","x":0}');
  equal(canonicalJson({ 9: "a", 10: "b" }), '{"10":"b","9":"a"}');
  // A toJSON in a value whose keys are in order is still called.
  equal(canonicalJson({ a: { toJSON: () => ({ z: 1, y: 2 }) } }), '{"a":{"y":2,"z":1}}');
});

Deno.test("argsSha256() of {} is the SHA-256 of the text {}", async () => {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("{}"));
  equal(argsSha256({}), Array.from(new Uint8Array(digest), hex).join(""));
  equal(argsSha256(JSON.parse("{}")), argsSha256({}));
  // Not {}: hashed, not the known digest.
  equal(argsSha256({ a: undefined }), argsSha256({}));
  equal(argsSha256([]) === argsSha256({}), false);
});
