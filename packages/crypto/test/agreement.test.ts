/**
 * The two suites must give the same answer on every input, valid or crafted: a
 * grid of special keys × special R × special S, and random bit flips of valid
 * signatures. For every input that passes the byte-level rules the answer must
 * also equal raw OpenSSL's, since the portable suite implements OpenSSL's equation.
 */
import { createPublicKey, verify as opensslVerify } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nodeCrypto } from '../src/node.js'
import { portableCrypto } from '../src/portable.js'
import { passesStrictChecks } from '../src/strict-encoding.js'
import { hex, utf8 } from './suites.js'

const Point = ed25519.Point
const L = Point.Fn.ORDER
const p = Point.Fp.ORDER
const T8 = Point.fromBytes(hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'))
const torsion = Array.from({ length: 8 }, (_, j) => T8.multiplyUnsafe(BigInt(j)))

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]))
const rawOpenssl = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) =>
  opensslVerify(
    null,
    message,
    createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    }),
    signature,
  )

const seed = hex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb')
const { scalar: a, pointBytes: A } = ed25519.utils.getExtendedPublicKey(seed)
const message = utf8('pre-prepare view=3 seq=41')

describe('node and portable agree on crafted inputs', () => {
  it('over a grid of special keys × R × S, and match raw OpenSSL wherever the byte rules pass', () => {
    let offCurveY = 2n
    while (ed25519.utils.isValidPublicKey(numberToBytesLE(offCurveY, 32))) offCurveY++
    const keys: Uint8Array[] = [
      A,
      Point.fromBytes(A).add(T8).toBytes(), // mixed order
      Point.fromBytes(A).negate().toBytes(),
      ...torsion.map((t) => t.toBytes()),
      numberToBytesLE(p + 1n, 32), // identity, non-canonical
      numberToBytesLE(offCurveY, 32),
    ]
    const r = 0x1234567890abcdefn
    const rPoints = [Point.BASE.multiply(r), Point.BASE.multiply(r).add(T8), Point.ZERO, ...torsion.slice(1)]
    let compared = 0
    let strictCompared = 0
    let accepted = 0
    for (const publicKey of keys) {
      for (const R of rPoints) {
        for (const encodedR of [
          R.toBytes(),
          ...(R.equals(Point.ZERO) ? [numberToBytesLE(p + 1n, 32)] : []),
        ]) {
          const k = bytesToNumberLE(sha512(concat(encodedR, publicKey, message))) % L
          const honestS = (r + k * a) % L
          for (const S of [honestS, (k * a) % L, 0n, L - 1n, honestS + L, L]) {
            const signature = concat(encodedR, numberToBytesLE(S, 32))
            const fromNode = nodeCrypto.verify(signature, message, publicKey)
            expect(portableCrypto.verify(signature, message, publicKey)).toBe(fromNode)
            compared++
            if (fromNode) accepted++
            if (passesStrictChecks(signature, publicKey)) {
              expect(rawOpenssl(signature, message, publicKey)).toBe(fromNode)
              strictCompared++
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(500)
    expect(strictCompared).toBeGreaterThan(100)
    expect(accepted).toBeGreaterThanOrEqual(2) // the honest one and R = identity with S = k·a
  })

  it('on random bit flips and byte substitutions of a valid signature, key and message', () => {
    const signature = nodeCrypto.sign(message, seed)
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (part, position, value) => {
          const inputs = [Uint8Array.from(signature), Uint8Array.from(message), Uint8Array.from(A)]
          const target = inputs[part]!
          target[position % target.length] = value
          const [s, m, k] = inputs as [Uint8Array, Uint8Array, Uint8Array]
          const fromNode = nodeCrypto.verify(s, m, k)
          expect(portableCrypto.verify(s, m, k)).toBe(fromNode)
          if (passesStrictChecks(s, k)) expect(rawOpenssl(s, m, k)).toBe(fromNode)
        },
      ),
      { numRuns: 300, seed: 42 },
    )
  })
})
