/** sha256Hex: SHA-256 of a string's UTF-8 bytes, the same digest as node:crypto's. */
import { equal } from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256Hex } from "../../src/audit/sha256_hex.ts";

function reference(text: string): string {
  return createHash("sha256").update(new TextEncoder().encode(text)).digest("hex");
}

Deno.test("sha256Hex() gives the FIPS 180-4 test vectors", () => {
  equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  equal(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  equal(
    sha256Hex("a".repeat(1_000_000)),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
});

Deno.test("sha256Hex() agrees with node:crypto at every length around the block edges", () => {
  // 55, 56 and 64 bytes are where the padding needs a second block or not.
  for (let length = 0; length <= 200; length++) {
    const text = "x".repeat(length);
    equal(sha256Hex(text), createHash("sha256").update(text, "utf8").digest("hex"), `${length}`);
  }
});

Deno.test("sha256Hex() hashes UTF-8: two-, three- and four-byte characters, across blocks", () => {
  const parts = ["a", "é", "€", "😀", '"', "\\", "\u0000", "\u07ff", "\u0800", "\uffff"];
  for (let seed = 0; seed < 300; seed++) {
    let text = "";
    for (let i = 0; i < seed % 90; i++) text += parts[(seed * 7 + i * 13) % parts.length];
    equal(sha256Hex(text), createHash("sha256").update(text, "utf8").digest("hex"), text);
  }
});

Deno.test("sha256Hex() writes a lone surrogate as U+FFFD, as TextEncoder does", () => {
  for (const text of ["\ud800", "a\udc00b", "\ud83d", "x\ud83dy😀", "\udfff\ud800"]) {
    equal(sha256Hex(text), reference(text), JSON.stringify(text));
  }
  equal(sha256Hex("\ud800"), sha256Hex("\ufffd"));
});
