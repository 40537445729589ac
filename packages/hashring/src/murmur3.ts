/**
 * MurmurHash3 x86_32 (Austin Appleby's public-domain design), over the UTF-8 bytes
 * of a string, computed on the fly without allocating. It is the hash of the fast
 * modes: the same string gives the same 32-bit value in every process, browser and
 * language that implements `murmur3_32(utf8(key), seed)`.
 */

import { assertString } from './validate.js'

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

/** One 4-byte block mixed into the running hash. */
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, C2)
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/** The murmur3 finalizer: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Hot-path murmur3 without input checks; returns an unsigned 32-bit integer. */
export function murmur3Unchecked(key: string, seed: number): number {
  const count = key.length
  const whole = count & ~3
  let h = seed | 0
  let i = 0
  // ASCII fast path: four characters make one block.
  for (; i < whole; i += 4) {
    const c0 = key.charCodeAt(i)
    const c1 = key.charCodeAt(i + 1)
    const c2 = key.charCodeAt(i + 2)
    const c3 = key.charCodeAt(i + 3)
    if ((c0 | c1 | c2 | c3) >= 0x80) return murmur3Utf8(key, i, h)
    h = mixBlock(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24))
  }
  let k = 0
  switch (count - whole) {
    case 3: {
      const c0 = key.charCodeAt(i)
      const c1 = key.charCodeAt(i + 1)
      const c2 = key.charCodeAt(i + 2)
      if ((c0 | c1 | c2) >= 0x80) return murmur3Utf8(key, i, h)
      k = c0 | (c1 << 8) | (c2 << 16)
      break
    }
    case 2: {
      const c0 = key.charCodeAt(i)
      const c1 = key.charCodeAt(i + 1)
      if ((c0 | c1) >= 0x80) return murmur3Utf8(key, i, h)
      k = c0 | (c1 << 8)
      break
    }
    case 1: {
      const c0 = key.charCodeAt(i)
      if (c0 >= 0x80) return murmur3Utf8(key, i, h)
      k = c0
      break
    }
  }
  if (count !== whole) {
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, C2)
    h ^= k
  }
  return fmix32(h ^ count)
}

/**
 * The general path: continues a hash whose first `start` characters were ASCII
 * (`start` a multiple of 4, already mixed into `h`), encoding the rest as UTF-8.
 */
function murmur3Utf8(key: string, start: number, h: number): number {
  let k = 0
  let shift = 0
  let length = start
  const count = key.length
  for (let i = start; i < count; i++) {
    let code = key.charCodeAt(i)
    let encoded: number
    let size: number
    if (code < 0x80) {
      encoded = code
      size = 1
    } else if (code < 0x800) {
      encoded = 0xc0 | (code >>> 6) | ((0x80 | (code & 0x3f)) << 8)
      size = 2
    } else {
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = i + 1 < count ? key.charCodeAt(i + 1) : 0
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00)
          i++
        } else {
          code = 0xfffd
        }
      }
      if (code >= 0x10000) {
        encoded =
          0xf0 |
          (code >>> 18) |
          ((0x80 | ((code >>> 12) & 0x3f)) << 8) |
          ((0x80 | ((code >>> 6) & 0x3f)) << 16) |
          ((0x80 | (code & 0x3f)) << 24)
        size = 4
      } else {
        encoded =
          0xe0 | (code >>> 12) | ((0x80 | ((code >>> 6) & 0x3f)) << 8) | ((0x80 | (code & 0x3f)) << 16)
        size = 3
      }
    }
    for (let b = 0; b < size; b++) {
      k |= ((encoded >>> (8 * b)) & 0xff) << shift
      length++
      if (shift === 24) {
        h = mixBlock(h, k)
        k = 0
        shift = 0
      } else {
        shift += 8
      }
    }
  }
  if (shift !== 0) {
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, C2)
    h ^= k
  }
  return fmix32(h ^ length)
}

/**
 * MurmurHash3 x86_32 of the UTF-8 bytes of `key`.
 *
 * @param key - the string to hash (hashed as UTF-8; a lone surrogate counts as U+FFFD)
 * @param seed - an unsigned 32-bit seed, 0 by default
 * @returns an unsigned 32-bit integer
 * @throws {TypeError} when `key` is not a string or `seed` is not a number
 * @throws {RangeError} when `seed` is not an integer in [0, 4294967295]
 * @example
 * ```ts
 * murmur3('hello') // 0x248bfa47
 * murmur3('The quick brown fox jumps over the lazy dog') // 0x2e4ff723
 * ```
 */
export function murmur3(key: string, seed = 0): number {
  assertString('key', key)
  if (typeof seed !== 'number') throw new TypeError(`seed: expected a number, got ${typeof seed}`)
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed: expected an integer in [0, 4294967295], got ${seed}`)
  }
  return murmur3Unchecked(key, seed)
}

/**
 * MurmurHash3 x86_32 of three 32-bit words (12 bytes, little-endian), seed 0: the
 * score of a (key, node) pair in rendezvous hashing, the node named by two words so
 * two node ids colliding on 32 bits still score differently.
 */
export function murmur3Triple(a: number, b: number, c: number): number {
  let h = mixBlock(0, a)
  h = mixBlock(h, b)
  h = mixBlock(h, c)
  return fmix32(h ^ 12)
}
