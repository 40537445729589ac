/**
 * MD5 (RFC 1321), written for the ketama modes: libketama and libmemcached place
 * points and hash keys with MD5, so exact compatibility needs MD5 itself. Strings
 * are hashed as UTF-8 (a lone surrogate becomes U+FFFD, as `TextEncoder` does).
 * Not for security: MD5 is broken as a cryptographic hash.
 */

/** The four state words after the last call; word i holds digest bytes 4i..4i+3, little-endian. */
const state = new Int32Array(4)
/** Scratch for the UTF-8 bytes and the padding; grows when a longer string comes. */
let bytes = new Uint8Array(256)

/** Encodes `text` as UTF-8 into `bytes`; returns the byte length. */
function encodeUtf8(text: string): number {
  const capacity = text.length * 3 + 72
  if (bytes.length < capacity) bytes = new Uint8Array(Math.max(capacity, bytes.length * 2))
  const out = bytes
  let length = 0
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i)
    if (code < 0x80) {
      out[length++] = code
    } else if (code < 0x800) {
      out[length++] = 0xc0 | (code >>> 6)
      out[length++] = 0x80 | (code & 0x3f)
    } else {
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00)
          i++
          out[length++] = 0xf0 | (code >>> 18)
          out[length++] = 0x80 | ((code >>> 12) & 0x3f)
          out[length++] = 0x80 | ((code >>> 6) & 0x3f)
          out[length++] = 0x80 | (code & 0x3f)
          continue
        }
        code = 0xfffd
      }
      out[length++] = 0xe0 | (code >>> 12)
      out[length++] = 0x80 | ((code >>> 6) & 0x3f)
      out[length++] = 0x80 | (code & 0x3f)
    }
  }
  return length
}

/** One 64-byte block at `bytes[o..o+64)` folded into `state`. */
function compress(o: number): void {
  const m0 = bytes[o + 0]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)
  const m1 = bytes[o + 4]! | (bytes[o + 5]! << 8) | (bytes[o + 6]! << 16) | (bytes[o + 7]! << 24)
  const m2 = bytes[o + 8]! | (bytes[o + 9]! << 8) | (bytes[o + 10]! << 16) | (bytes[o + 11]! << 24)
  const m3 = bytes[o + 12]! | (bytes[o + 13]! << 8) | (bytes[o + 14]! << 16) | (bytes[o + 15]! << 24)
  const m4 = bytes[o + 16]! | (bytes[o + 17]! << 8) | (bytes[o + 18]! << 16) | (bytes[o + 19]! << 24)
  const m5 = bytes[o + 20]! | (bytes[o + 21]! << 8) | (bytes[o + 22]! << 16) | (bytes[o + 23]! << 24)
  const m6 = bytes[o + 24]! | (bytes[o + 25]! << 8) | (bytes[o + 26]! << 16) | (bytes[o + 27]! << 24)
  const m7 = bytes[o + 28]! | (bytes[o + 29]! << 8) | (bytes[o + 30]! << 16) | (bytes[o + 31]! << 24)
  const m8 = bytes[o + 32]! | (bytes[o + 33]! << 8) | (bytes[o + 34]! << 16) | (bytes[o + 35]! << 24)
  const m9 = bytes[o + 36]! | (bytes[o + 37]! << 8) | (bytes[o + 38]! << 16) | (bytes[o + 39]! << 24)
  const m10 = bytes[o + 40]! | (bytes[o + 41]! << 8) | (bytes[o + 42]! << 16) | (bytes[o + 43]! << 24)
  const m11 = bytes[o + 44]! | (bytes[o + 45]! << 8) | (bytes[o + 46]! << 16) | (bytes[o + 47]! << 24)
  const m12 = bytes[o + 48]! | (bytes[o + 49]! << 8) | (bytes[o + 50]! << 16) | (bytes[o + 51]! << 24)
  const m13 = bytes[o + 52]! | (bytes[o + 53]! << 8) | (bytes[o + 54]! << 16) | (bytes[o + 55]! << 24)
  const m14 = bytes[o + 56]! | (bytes[o + 57]! << 8) | (bytes[o + 58]! << 16) | (bytes[o + 59]! << 24)
  const m15 = bytes[o + 60]! | (bytes[o + 61]! << 8) | (bytes[o + 62]! << 16) | (bytes[o + 63]! << 24)
  let a = state[0]!
  let b = state[1]!
  let c = state[2]!
  let d = state[3]!
  let t: number
  t = (a + ((b & c) | (~b & d)) + 0xd76aa478 + m0) | 0
  a = (b + ((t << 7) | (t >>> 25))) | 0
  t = (d + ((a & b) | (~a & c)) + 0xe8c7b756 + m1) | 0
  d = (a + ((t << 12) | (t >>> 20))) | 0
  t = (c + ((d & a) | (~d & b)) + 0x242070db + m2) | 0
  c = (d + ((t << 17) | (t >>> 15))) | 0
  t = (b + ((c & d) | (~c & a)) + 0xc1bdceee + m3) | 0
  b = (c + ((t << 22) | (t >>> 10))) | 0
  t = (a + ((b & c) | (~b & d)) + 0xf57c0faf + m4) | 0
  a = (b + ((t << 7) | (t >>> 25))) | 0
  t = (d + ((a & b) | (~a & c)) + 0x4787c62a + m5) | 0
  d = (a + ((t << 12) | (t >>> 20))) | 0
  t = (c + ((d & a) | (~d & b)) + 0xa8304613 + m6) | 0
  c = (d + ((t << 17) | (t >>> 15))) | 0
  t = (b + ((c & d) | (~c & a)) + 0xfd469501 + m7) | 0
  b = (c + ((t << 22) | (t >>> 10))) | 0
  t = (a + ((b & c) | (~b & d)) + 0x698098d8 + m8) | 0
  a = (b + ((t << 7) | (t >>> 25))) | 0
  t = (d + ((a & b) | (~a & c)) + 0x8b44f7af + m9) | 0
  d = (a + ((t << 12) | (t >>> 20))) | 0
  t = (c + ((d & a) | (~d & b)) + 0xffff5bb1 + m10) | 0
  c = (d + ((t << 17) | (t >>> 15))) | 0
  t = (b + ((c & d) | (~c & a)) + 0x895cd7be + m11) | 0
  b = (c + ((t << 22) | (t >>> 10))) | 0
  t = (a + ((b & c) | (~b & d)) + 0x6b901122 + m12) | 0
  a = (b + ((t << 7) | (t >>> 25))) | 0
  t = (d + ((a & b) | (~a & c)) + 0xfd987193 + m13) | 0
  d = (a + ((t << 12) | (t >>> 20))) | 0
  t = (c + ((d & a) | (~d & b)) + 0xa679438e + m14) | 0
  c = (d + ((t << 17) | (t >>> 15))) | 0
  t = (b + ((c & d) | (~c & a)) + 0x49b40821 + m15) | 0
  b = (c + ((t << 22) | (t >>> 10))) | 0
  t = (a + ((b & d) | (c & ~d)) + 0xf61e2562 + m1) | 0
  a = (b + ((t << 5) | (t >>> 27))) | 0
  t = (d + ((a & c) | (b & ~c)) + 0xc040b340 + m6) | 0
  d = (a + ((t << 9) | (t >>> 23))) | 0
  t = (c + ((d & b) | (a & ~b)) + 0x265e5a51 + m11) | 0
  c = (d + ((t << 14) | (t >>> 18))) | 0
  t = (b + ((c & a) | (d & ~a)) + 0xe9b6c7aa + m0) | 0
  b = (c + ((t << 20) | (t >>> 12))) | 0
  t = (a + ((b & d) | (c & ~d)) + 0xd62f105d + m5) | 0
  a = (b + ((t << 5) | (t >>> 27))) | 0
  t = (d + ((a & c) | (b & ~c)) + 0x02441453 + m10) | 0
  d = (a + ((t << 9) | (t >>> 23))) | 0
  t = (c + ((d & b) | (a & ~b)) + 0xd8a1e681 + m15) | 0
  c = (d + ((t << 14) | (t >>> 18))) | 0
  t = (b + ((c & a) | (d & ~a)) + 0xe7d3fbc8 + m4) | 0
  b = (c + ((t << 20) | (t >>> 12))) | 0
  t = (a + ((b & d) | (c & ~d)) + 0x21e1cde6 + m9) | 0
  a = (b + ((t << 5) | (t >>> 27))) | 0
  t = (d + ((a & c) | (b & ~c)) + 0xc33707d6 + m14) | 0
  d = (a + ((t << 9) | (t >>> 23))) | 0
  t = (c + ((d & b) | (a & ~b)) + 0xf4d50d87 + m3) | 0
  c = (d + ((t << 14) | (t >>> 18))) | 0
  t = (b + ((c & a) | (d & ~a)) + 0x455a14ed + m8) | 0
  b = (c + ((t << 20) | (t >>> 12))) | 0
  t = (a + ((b & d) | (c & ~d)) + 0xa9e3e905 + m13) | 0
  a = (b + ((t << 5) | (t >>> 27))) | 0
  t = (d + ((a & c) | (b & ~c)) + 0xfcefa3f8 + m2) | 0
  d = (a + ((t << 9) | (t >>> 23))) | 0
  t = (c + ((d & b) | (a & ~b)) + 0x676f02d9 + m7) | 0
  c = (d + ((t << 14) | (t >>> 18))) | 0
  t = (b + ((c & a) | (d & ~a)) + 0x8d2a4c8a + m12) | 0
  b = (c + ((t << 20) | (t >>> 12))) | 0
  t = (a + (b ^ c ^ d) + 0xfffa3942 + m5) | 0
  a = (b + ((t << 4) | (t >>> 28))) | 0
  t = (d + (a ^ b ^ c) + 0x8771f681 + m8) | 0
  d = (a + ((t << 11) | (t >>> 21))) | 0
  t = (c + (d ^ a ^ b) + 0x6d9d6122 + m11) | 0
  c = (d + ((t << 16) | (t >>> 16))) | 0
  t = (b + (c ^ d ^ a) + 0xfde5380c + m14) | 0
  b = (c + ((t << 23) | (t >>> 9))) | 0
  t = (a + (b ^ c ^ d) + 0xa4beea44 + m1) | 0
  a = (b + ((t << 4) | (t >>> 28))) | 0
  t = (d + (a ^ b ^ c) + 0x4bdecfa9 + m4) | 0
  d = (a + ((t << 11) | (t >>> 21))) | 0
  t = (c + (d ^ a ^ b) + 0xf6bb4b60 + m7) | 0
  c = (d + ((t << 16) | (t >>> 16))) | 0
  t = (b + (c ^ d ^ a) + 0xbebfbc70 + m10) | 0
  b = (c + ((t << 23) | (t >>> 9))) | 0
  t = (a + (b ^ c ^ d) + 0x289b7ec6 + m13) | 0
  a = (b + ((t << 4) | (t >>> 28))) | 0
  t = (d + (a ^ b ^ c) + 0xeaa127fa + m0) | 0
  d = (a + ((t << 11) | (t >>> 21))) | 0
  t = (c + (d ^ a ^ b) + 0xd4ef3085 + m3) | 0
  c = (d + ((t << 16) | (t >>> 16))) | 0
  t = (b + (c ^ d ^ a) + 0x04881d05 + m6) | 0
  b = (c + ((t << 23) | (t >>> 9))) | 0
  t = (a + (b ^ c ^ d) + 0xd9d4d039 + m9) | 0
  a = (b + ((t << 4) | (t >>> 28))) | 0
  t = (d + (a ^ b ^ c) + 0xe6db99e5 + m12) | 0
  d = (a + ((t << 11) | (t >>> 21))) | 0
  t = (c + (d ^ a ^ b) + 0x1fa27cf8 + m15) | 0
  c = (d + ((t << 16) | (t >>> 16))) | 0
  t = (b + (c ^ d ^ a) + 0xc4ac5665 + m2) | 0
  b = (c + ((t << 23) | (t >>> 9))) | 0
  t = (a + (c ^ (b | ~d)) + 0xf4292244 + m0) | 0
  a = (b + ((t << 6) | (t >>> 26))) | 0
  t = (d + (b ^ (a | ~c)) + 0x432aff97 + m7) | 0
  d = (a + ((t << 10) | (t >>> 22))) | 0
  t = (c + (a ^ (d | ~b)) + 0xab9423a7 + m14) | 0
  c = (d + ((t << 15) | (t >>> 17))) | 0
  t = (b + (d ^ (c | ~a)) + 0xfc93a039 + m5) | 0
  b = (c + ((t << 21) | (t >>> 11))) | 0
  t = (a + (c ^ (b | ~d)) + 0x655b59c3 + m12) | 0
  a = (b + ((t << 6) | (t >>> 26))) | 0
  t = (d + (b ^ (a | ~c)) + 0x8f0ccc92 + m3) | 0
  d = (a + ((t << 10) | (t >>> 22))) | 0
  t = (c + (a ^ (d | ~b)) + 0xffeff47d + m10) | 0
  c = (d + ((t << 15) | (t >>> 17))) | 0
  t = (b + (d ^ (c | ~a)) + 0x85845dd1 + m1) | 0
  b = (c + ((t << 21) | (t >>> 11))) | 0
  t = (a + (c ^ (b | ~d)) + 0x6fa87e4f + m8) | 0
  a = (b + ((t << 6) | (t >>> 26))) | 0
  t = (d + (b ^ (a | ~c)) + 0xfe2ce6e0 + m15) | 0
  d = (a + ((t << 10) | (t >>> 22))) | 0
  t = (c + (a ^ (d | ~b)) + 0xa3014314 + m6) | 0
  c = (d + ((t << 15) | (t >>> 17))) | 0
  t = (b + (d ^ (c | ~a)) + 0x4e0811a1 + m13) | 0
  b = (c + ((t << 21) | (t >>> 11))) | 0
  t = (a + (c ^ (b | ~d)) + 0xf7537e82 + m4) | 0
  a = (b + ((t << 6) | (t >>> 26))) | 0
  t = (d + (b ^ (a | ~c)) + 0xbd3af235 + m11) | 0
  d = (a + ((t << 10) | (t >>> 22))) | 0
  t = (c + (a ^ (d | ~b)) + 0x2ad7d2bb + m2) | 0
  c = (d + ((t << 15) | (t >>> 17))) | 0
  t = (b + (d ^ (c | ~a)) + 0xeb86d391 + m9) | 0
  b = (c + ((t << 21) | (t >>> 11))) | 0

  state[0] = (state[0]! + a) | 0
  state[1] = (state[1]! + b) | 0
  state[2] = (state[2]! + c) | 0
  state[3] = (state[3]! + d) | 0
}

/** Runs MD5 over the UTF-8 bytes of `text`, leaving the digest in `state`. */
function run(text: string): void {
  const length = encodeUtf8(text)
  const padded = (((length + 8) >>> 6) + 1) << 6
  bytes[length] = 0x80
  bytes.fill(0, length + 1, padded - 8)
  const bitsLow = (length << 3) >>> 0
  const bitsHigh = Math.floor(length / 0x20000000)
  for (let i = 0; i < 4; i++) {
    bytes[padded - 8 + i] = (bitsLow >>> (8 * i)) & 0xff
    bytes[padded - 4 + i] = (bitsHigh >>> (8 * i)) & 0xff
  }
  state[0] = 0x67452301
  state[1] = 0xefcdab89 | 0
  state[2] = 0x98badcfe | 0
  state[3] = 0x10325476
  for (let o = 0; o < padded; o += 64) compress(o)
}

/**
 * The 16-byte MD5 digest of the UTF-8 bytes of `text`.
 *
 * @param text - any string (hashed as UTF-8)
 * @returns the digest, a new 16-byte array
 * @throws {TypeError} when `text` is not a string
 * @example
 * ```ts
 * const hex = [...md5('abc')].map((b) => b.toString(16).padStart(2, '0')).join('')
 * // '900150983cd24fb0d6963f7d28e17f72' (RFC 1321, appendix A.5)
 * ```
 */
export function md5(text: string): Uint8Array {
  if (typeof text !== 'string')
    throw new TypeError(`text: expected a string, got ${text === null ? 'null' : typeof text}`)
  run(text)
  const digest = new Uint8Array(16)
  for (let i = 0; i < 16; i++) digest[i] = (state[i >>> 2]! >>> (8 * (i & 3))) & 0xff
  return digest
}

/**
 * Writes the four little-endian 32-bit words of MD5(UTF-8 of `text`) into `out`:
 * exactly the four ketama points a libketama/libmemcached server string yields.
 * Inputs are not checked (internal hot path).
 */
export function md5Words(text: string, out: Uint32Array, offset: number): void {
  run(text)
  out[offset] = state[0]!
  out[offset + 1] = state[1]!
  out[offset + 2] = state[2]!
  out[offset + 3] = state[3]!
}

/**
 * The ketama hash of a key: the first four bytes of MD5(UTF-8 of `key`) read
 * little-endian, as libketama's `ketama_hashi` and libhashkit's MD5 hash compute it.
 * Inputs are not checked (internal hot path).
 */
export function ketamaHash(key: string): number {
  run(key)
  return state[0]! >>> 0
}
