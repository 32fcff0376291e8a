/**
 * SHA-256 (FIPS 180-4) of a string's UTF-8 bytes, as lowercase hex: what every audited call
 * pays for its `argsSha256`. The text is encoded into one 64-byte block at a time and each block
 * is compressed as it fills, so no buffer grows with the input and nothing but the hex result is
 * allocated. node:crypto's `createHash` makes an object (a Node-compatible stream) and three calls
 * into the runtime per digest: about the same CPU alone, but its garbage made an audited proxy
 * 4-5 µs a call dearer in paired runs (README, Performance).
 */

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

/** The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const INITIAL = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);

// Working state, reused: a digest runs to its end without yielding, so calls never overlap.
const state = new Int32Array(8);
const words = new Int32Array(64);
const block = new Uint8Array(64);
/** A multi-byte character's UTF-8 bytes, before they go into the block. */
const wide = new Uint8Array(4);
const hexCodes = new Uint16Array(64);
const HEX_DIGITS = [..."0123456789abcdef"].map((digit) => digit.charCodeAt(0));

export function sha256Hex(text: string): string {
  state.set(INITIAL);
  let filled = 0;
  let bytes = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      block[filled++] = code;
      if (filled === 64) {
        compress();
        filled = 0;
      }
      bytes++;
      continue;
    }
    const count = wideBytes(code, i + 1 < length ? text.charCodeAt(i + 1) : 0);
    if (count === 4) i++; // a surrogate pair: two UTF-16 units, one code point
    for (let k = 0; k < count; k++) {
      block[filled++] = wide[k];
      if (filled === 64) {
        compress();
        filled = 0;
      }
    }
    bytes += count;
  }
  // Padding: a one bit, zeros, then the length in bits as a 64-bit big-endian number.
  block[filled++] = 0x80;
  if (filled > 56) {
    block.fill(0, filled);
    compress();
    filled = 0;
  }
  block.fill(0, filled, 56);
  const high = Math.floor(bytes / 0x20000000);
  const low = (bytes % 0x20000000) * 8;
  block[56] = high >>> 24;
  block[57] = high >>> 16;
  block[58] = high >>> 8;
  block[59] = high;
  block[60] = low >>> 24;
  block[61] = low >>> 16;
  block[62] = low >>> 8;
  block[63] = low;
  compress();
  for (let i = 0; i < 8; i++) {
    const word = state[i];
    for (let nibble = 0; nibble < 8; nibble++) {
      hexCodes[i * 8 + nibble] = HEX_DIGITS[(word >>> (28 - nibble * 4)) & 0xf];
    }
  }
  return String.fromCharCode.apply(null, hexCodes as unknown as number[]);
}

/** Writes the UTF-8 bytes of a non-ASCII `code` (with `next`, its pair) into `wide`: how many. */
function wideBytes(code: number, next: number): number {
  if (code < 0x800) {
    wide[0] = 0xc0 | (code >> 6);
    wide[1] = 0x80 | (code & 0x3f);
    return 2;
  }
  if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
    const point = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
    wide[0] = 0xf0 | (point >> 18);
    wide[1] = 0x80 | ((point >> 12) & 0x3f);
    wide[2] = 0x80 | ((point >> 6) & 0x3f);
    wide[3] = 0x80 | (point & 0x3f);
    return 4;
  }
  // A lone surrogate is written as U+FFFD, as TextEncoder writes it.
  const unit = code >= 0xd800 && code <= 0xdfff ? 0xfffd : code;
  wide[0] = 0xe0 | (unit >> 12);
  wide[1] = 0x80 | ((unit >> 6) & 0x3f);
  wide[2] = 0x80 | (unit & 0x3f);
  return 3;
}

function compress(): void {
  for (let t = 0; t < 16; t++) {
    const at = t * 4;
    words[t] = (block[at] << 24) | (block[at + 1] << 16) | (block[at + 2] << 8) | block[at + 3];
  }
  for (let t = 16; t < 64; t++) {
    const w15 = words[t - 15];
    const w2 = words[t - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    words[t] = (words[t - 16] + s0 + words[t - 7] + s1) | 0;
  }
  let a = state[0], b = state[1], c = state[2], d = state[3];
  let e = state[4], f = state[5], g = state[6], h = state[7];
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const choice = (e & f) ^ (~e & g);
    const t1 = (h + s1 + choice + K[t] + words[t]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const majority = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (s0 + majority) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}
