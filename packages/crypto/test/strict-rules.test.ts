/**
 * Where OpenSSL (node:crypto) and noble disagree when left alone, and how the
 * suite makes both paths give the same answer. Every special signature here is
 * built from curve arithmetic in the test, not copied.
 */
import { createPublicKey, verify as opensslVerify } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { isStrictPublicKey } from '../src/index.js'
import { hex, suites, utf8 } from './suites.js'

const Point = ed25519.Point
const L = Point.Fn.ORDER
const p = Point.Fp.ORDER

/** A point of order 8, recomputed rather than trusted: 8T = 0, 4T ≠ 0. */
const T8 = Point.fromBytes(hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'))
const torsion = Array.from({ length: 8 }, (_, j) => T8.multiplyUnsafe(BigInt(j)))

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
const challenge = (R: Uint8Array, A: Uint8Array, message: Uint8Array) =>
  bytesToNumberLE(sha512(concat(R, A, message))) % L

/** OpenSSL's own answer, without the suite's up-front rules. */
function rawOpenssl(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  })
  return opensslVerify(null, message, key, signature)
}

const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
const { scalar: a, pointBytes: A } = ed25519.utils.getExtendedPublicKey(seed)

describe('the torsion points used below', () => {
  it('T8 has order 8 and the 8 multiples are the 8 small-order points', () => {
    expect(T8.multiplyUnsafe(8n).is0()).toBe(true)
    expect(T8.multiplyUnsafe(4n).is0()).toBe(false)
    const encodings = new Set(torsion.map((t) => Buffer.from(t.toBytes()).toString('hex')))
    expect(encodings.size).toBe(8)
    for (const t of torsion) {
      expect(t.isSmallOrder()).toBe(true)
      expect(isStrictPublicKey(t.toBytes())).toBe(false)
    }
  })
})

describe.each(suites)('$name suite: strict rules', (suite) => {
  it('rejects every small-order public key, even with a "valid" signature for it', () => {
    // With A = identity, R = identity and S = 0 satisfy [S]B = R + [k]A for every message.
    const identity = Point.ZERO.toBytes()
    const forged = concat(identity, new Uint8Array(32))
    expect(rawOpenssl(forged, utf8('anything'), identity)).toBe(true) // OpenSSL alone accepts it
    expect(ed25519.verify(forged, utf8('anything'), identity)).toBe(true) // noble's default (ZIP-215) too
    expect(suite.verify(forged, utf8('anything'), identity)).toBe(false)
    for (const t of torsion) {
      const key = t.toBytes()
      expect(suite.verify(forged, utf8('anything'), key)).toBe(false)
      key[31]! ^= 0x80 // the other sign (for x = 0 a non-canonical encoding)
      expect(suite.verify(forged, utf8('anything'), key)).toBe(false)
    }
  })

  it('rejects a non-canonical public key encoding (y >= p), which OpenSSL alone accepts', () => {
    // p + 1 encodes y = 1, the identity, non-canonically
    const nonCanonicalIdentity = numberToBytesLE(p + 1n, 32)
    expect(Buffer.from(nonCanonicalIdentity).toString('hex')).toBe(
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    )
    const forged = concat(Point.ZERO.toBytes(), new Uint8Array(32))
    expect(rawOpenssl(forged, utf8('any message'), nonCanonicalIdentity)).toBe(true)
    expect(suite.verify(forged, utf8('any message'), nonCanonicalIdentity)).toBe(false)
    // every y in [p, 2^255) is non-canonical, on the curve or not
    for (let y = p; y < 2n ** 255n; y++) {
      const key = numberToBytesLE(y, 32)
      expect(isStrictPublicKey(key)).toBe(false)
      expect(suite.verify(forged, utf8('m'), key)).toBe(false)
    }
  })

  it('rejects R with a torsion component, which noble’s cofactored check accepts', () => {
    const message = utf8('pre-prepare 1')
    const r = challenge(new Uint8Array(32), A, message) || 1n // any nonce
    const R = Point.BASE.multiply(r).add(T8).toBytes()
    const S = (r + challenge(R, A, message) * a) % L
    const signature = concat(R, numberToBytesLE(S, 32))
    expect(ed25519.verify(signature, message, A)).toBe(true) // ZIP-215
    expect(ed25519.verify(signature, message, A, { zip215: false })).toBe(true) // noble strict: still cofactored
    expect(rawOpenssl(signature, message, A)).toBe(false) // cofactorless
    expect(suite.verify(signature, message, A)).toBe(false)
  })

  it('accepts a mixed-order key (A + T8) with a signature valid under the cofactorless equation, like OpenSSL', () => {
    const message = utf8('commit 9')
    const mixed = Point.fromBytes(A).add(T8).toBytes()
    // find R = rB + jT8 with j + k ≡ 0 (mod 8), so that [S]B − [k](A + T8) = R for S = r + k·a
    let signature: Uint8Array | undefined
    for (let r = 1n; signature === undefined; r++) {
      for (let j = 0; j < 8 && signature === undefined; j++) {
        const R = Point.BASE.multiply(r).add(torsion[j]!).toBytes()
        const k = challenge(R, mixed, message)
        if ((BigInt(j) + k) % 8n === 0n) signature = concat(R, numberToBytesLE((r + k * a) % L, 32))
      }
    }
    expect(isStrictPublicKey(mixed)).toBe(true)
    expect(rawOpenssl(signature, message, mixed)).toBe(true)
    expect(suite.verify(signature, message, mixed)).toBe(true)
  })

  it('rejects S >= L (the malleable S + L), like both libraries', () => {
    const message = utf8('m')
    const signature = suite.sign(message, seed)
    const S = bytesToNumberLE(signature.subarray(32))
    const malleable = concat(signature.subarray(0, 32), numberToBytesLE(S + L, 32))
    expect(rawOpenssl(malleable, message, A)).toBe(false)
    expect(suite.verify(malleable, message, A)).toBe(false)
    const sIsL = concat(signature.subarray(0, 32), numberToBytesLE(L, 32))
    expect(suite.verify(sIsL, message, A)).toBe(false)
  })

  it('rejects R written non-canonically (y >= p), which noble’s ZIP-215 default accepts', () => {
    // R = identity: [S]B − [k]A = identity holds for S = k·a, whatever R's bytes hash to
    const message = utf8('prepare 4')
    const withR = (R: Uint8Array) => concat(R, numberToBytesLE((challenge(R, A, message) * a) % L, 32))
    const canonical = withR(Point.ZERO.toBytes())
    const nonCanonical = withR(numberToBytesLE(p + 1n, 32))
    expect(rawOpenssl(canonical, message, A)).toBe(true)
    expect(suite.verify(canonical, message, A)).toBe(true)
    expect(ed25519.verify(nonCanonical, message, A)).toBe(true) // ZIP-215
    expect(rawOpenssl(nonCanonical, message, A)).toBe(false)
    expect(suite.verify(nonCanonical, message, A)).toBe(false)
  })

  it('returns false for a public key that is not on the curve', () => {
    let y = 2n
    while (ed25519.utils.isValidPublicKey(numberToBytesLE(y, 32))) y++
    const offCurve = numberToBytesLE(y, 32)
    expect(isStrictPublicKey(offCurve)).toBe(true) // the byte rules alone cannot tell
    expect(suite.verify(suite.sign(utf8('m'), seed), utf8('m'), offCurve)).toBe(false)
  })

  it('a flipped bit anywhere in the signature, message or public key gives false', () => {
    const message = utf8('checkpoint 100, state digest 0xabcdef')
    const signature = suite.sign(message, seed)
    expect(suite.verify(signature, message, A)).toBe(true)
    for (let bit = 0; bit < 512; bit++) {
      const bad = Uint8Array.from(signature)
      bad[bit >> 3]! ^= 1 << (bit & 7)
      expect(suite.verify(bad, message, A)).toBe(false)
    }
    for (let bit = 0; bit < message.length * 8; bit++) {
      const bad = Uint8Array.from(message)
      bad[bit >> 3]! ^= 1 << (bit & 7)
      expect(suite.verify(signature, bad, A)).toBe(false)
    }
    for (let bit = 0; bit < 256; bit++) {
      const bad = Uint8Array.from(A)
      bad[bit >> 3]! ^= 1 << (bit & 7)
      expect(suite.verify(signature, message, bad)).toBe(false)
    }
    expect(suite.verify(signature, concat(message, Uint8Array.of(0)), A)).toBe(false)
    expect(suite.verify(signature, message.subarray(1), A)).toBe(false)
  })
})
