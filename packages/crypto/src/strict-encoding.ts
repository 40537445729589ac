/**
 * The strict verification rules both implementations apply, as plain byte checks
 * run before any curve arithmetic. OpenSSL (node:crypto) and noble disagree on
 * some edge cases when left alone: OpenSSL accepts a small-order or
 * non-canonically encoded public key (the identity key even verifies the same
 * forged signature for every message), noble's default is ZIP-215 with a
 * cofactored equation. Rejecting these encodings up front, and checking the
 * cofactorless equation `[S]B - [k]A == R` byte for byte on both paths, makes the
 * two accept exactly the same signatures.
 */

import { assertBytes } from './guards.js'

const fieldPrimeMinusOne = [0xec, ...new Array<number>(30).fill(0xff), 0x7f]

/**
 * The y-coordinates (little-endian, sign bit clear) of the 8 points of small order:
 * 0 (order 4, two points), 1 (identity), p−1 (order 2) and two y values of order 8
 * (two points each). Listed in libsodium's `has_small_order` as well; the tests
 * recompute them from the curve.
 */
const smallOrderY: readonly Uint8Array[] = [
  new Uint8Array(32),
  Uint8Array.from([1, ...new Array<number>(31).fill(0)]),
  Uint8Array.from(fieldPrimeMinusOne),
  hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
  hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
]

/** The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const groupOrder = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010')

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g)!, (pair) => Number.parseInt(pair, 16))
}

/**
 * True when the 32 bytes at `offset` encode y < p (the field prime 2^255 − 19),
 * and do not set the sign bit of x when x = 0 (y = ±1): RFC 8032 §5.1.3's
 * canonical encoding. Does not check that the point is on the curve.
 */
export function isCanonicalPointEncoding(bytes: Uint8Array, offset = 0): boolean {
  const last = bytes[offset + 31]! & 0x7f
  const sign = bytes[offset + 31]! & 0x80
  // y >= p only when y is in [2^255 − 19, 2^255 − 1]: 0x7f, 30 × 0xff, then a low byte >= 0xed
  if (last === 0x7f) {
    let allOnes = true
    for (let i = 1; i < 31; i++) {
      if (bytes[offset + i] !== 0xff) {
        allOnes = false
        break
      }
    }
    if (allOnes && bytes[offset]! >= 0xed) return false
  }
  if (sign !== 0 && (sameY(bytes, offset, smallOrderY[1]!) || sameY(bytes, offset, smallOrderY[2]!))) {
    return false // x = 0 has no negative
  }
  return true
}

function sameY(bytes: Uint8Array, offset: number, y: Uint8Array): boolean {
  for (let i = 0; i < 31; i++) if (bytes[offset + i] !== y[i]) return false
  return (bytes[offset + 31]! & 0x7f) === y[31]
}

/** True when the 32 bytes at `offset` encode one of the 8 points of small order (either sign). */
export function isSmallOrderEncoding(bytes: Uint8Array, offset = 0): boolean {
  for (const y of smallOrderY) if (sameY(bytes, offset, y)) return true
  return false
}

/** True when the 32 little-endian bytes at `offset` hold a scalar below the group order L. */
export function isCanonicalScalar(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 31; i >= 0; i--) {
    const byte = bytes[offset + i]!
    const order = groupOrder[i]!
    if (byte !== order) return byte < order
  }
  return false // equal to L
}

/**
 * True when 32 bytes pass the strict rules for a public key: a canonical encoding
 * (y < p, no negative zero) of a point that is not of small order. It is a cheap
 * byte check: whether the point is on the curve at all is left to `verify`, which
 * returns false for such a key. Use it to refuse unusable keys at registration
 * time (a genesis file, a peer id), since `verify` would reject all their signatures.
 *
 * @param publicKey - 32 raw bytes
 * @returns whether `verify` can ever return true for this key
 * @throws TypeError `publicKey: expected Uint8Array, got type=string`
 * @throws RangeError `publicKey: expected Uint8Array of length 32, got length=31`
 * @example
 * ```ts
 * isStrictPublicKey(keyPair.publicKey) // true
 * isStrictPublicKey(Uint8Array.of(1, ...new Array(31).fill(0))) // false: the identity point
 * ```
 */
export function isStrictPublicKey(publicKey: Uint8Array): boolean {
  assertBytes(publicKey, 'publicKey', 32)
  return isCanonicalPointEncoding(publicKey) && !isSmallOrderEncoding(publicKey)
}

/**
 * The checks both paths run before the curve arithmetic: a strict public key,
 * a canonically encoded R and S < L. When this is false the signature is invalid.
 */
export function passesStrictChecks(signature: Uint8Array, publicKey: Uint8Array): boolean {
  return (
    isStrictPublicKey(publicKey) && isCanonicalPointEncoding(signature, 0) && isCanonicalScalar(signature, 32)
  )
}
