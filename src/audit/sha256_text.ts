/**
 * SHA-256 (FIPS 180-4) of a string's UTF-8 bytes as lowercase hex, synchronous and allocation
 * free but for the result: the text is encoded into one reused buffer and hashed there. For
 * the short texts an audit line hashes (arguments of a call, mostly under a few hundred bytes)
 * this is several times cheaper than a `node:crypto` hash object per line; longer texts go to
 * `node:crypto`, whose native code is faster per byte. Both give the same digest.
 */
import { createHash } from "node:crypto";

/** Texts longer than this (UTF-16 units) are hashed by `node:crypto`. */
export const NATIVE_FROM_CHARS = 55;

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INITIAL = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** UTF-8 takes at most 3 bytes per UTF-16 unit; then the padding (at most 72 bytes). */
const BUFFER_BYTES = NATIVE_FROM_CHARS * 3 + 72;

const bytes = new Uint8Array(BUFFER_BYTES);
const view = new DataView(bytes.buffer);
const w = new Int32Array(64);
const h = new Int32Array(8);
const hexCodes = new Array<number>(64);
const HEX = "0123456789abcdef";
const encoder = new TextEncoder();

/** Hex SHA-256 of the UTF-8 encoding of `text`. */
export function sha256Hex(text: string): string {
  if (text.length > NATIVE_FROM_CHARS) {
    return createHash("sha256").update(text, "utf8").digest("hex");
  }
  const length = encoder.encodeInto(text, bytes).written;
  // Padding: 0x80, zeros, then the length in bits as a 64-bit big-endian number.
  const padded = ((length + 8) >> 6) * 64 + 64;
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, padded - 8);
  view.setUint32(padded - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded - 4, (length * 8) >>> 0);
  h.set(INITIAL);
  for (let offset = 0; offset < padded; offset += 64) block(offset);
  for (let i = 0; i < 8; i++) {
    const word = h[i];
    for (let j = 0; j < 8; j++) hexCodes[i * 8 + j] = HEX.charCodeAt((word >>> (28 - j * 4)) & 15);
  }
  return String.fromCharCode.apply(null, hexCodes);
}

function block(offset: number): void {
  for (let i = 0; i < 16; i++) w[i] = view.getInt32(offset + i * 4);
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (k + S1 + ch + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0;
  h[5] = (h[5] + f) | 0;
  h[6] = (h[6] + g) | 0;
  h[7] = (h[7] + k) | 0;
}
