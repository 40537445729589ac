/** A table of bad inputs thrown at every public function of both suites: exact class, exact message. */
import { describe, expect, it } from 'vitest'
import { isStrictPublicKey } from '../src/index.js'
import { createNodeCrypto } from '../src/node.js'
import { createPortableCrypto } from '../src/portable.js'
import type { CryptoSuite } from '../src/types.js'
import { suites } from './suites.js'

const bytes = (length: number) => new Uint8Array(length)
type Case = [label: string, call: (suite: CryptoSuite) => unknown, error: typeof TypeError, message: string]

const cases: Case[] = [
  [
    'verify: signature string',
    (s) => s.verify('ab' as never, bytes(1), bytes(32)),
    TypeError,
    'signature: expected Uint8Array, got type=string',
  ],
  [
    'verify: signature null',
    (s) => s.verify(null as never, bytes(1), bytes(32)),
    TypeError,
    'signature: expected Uint8Array, got type=null',
  ],
  [
    'verify: signature Uint16Array',
    (s) => s.verify(new Uint16Array(64) as never, bytes(1), bytes(32)),
    TypeError,
    'signature: expected Uint8Array, got type=Uint16Array',
  ],
  [
    'verify: signature plain array',
    (s) => s.verify(Array(64).fill(0) as never, bytes(1), bytes(32)),
    TypeError,
    'signature: expected Uint8Array, got type=Array',
  ],
  [
    'verify: signature 63 bytes',
    (s) => s.verify(bytes(63), bytes(1), bytes(32)),
    RangeError,
    'signature: expected Uint8Array of length 64, got length=63',
  ],
  [
    'verify: signature 65 bytes',
    (s) => s.verify(bytes(65), bytes(1), bytes(32)),
    RangeError,
    'signature: expected Uint8Array of length 64, got length=65',
  ],
  [
    'verify: message string',
    (s) => s.verify(bytes(64), 'hello' as never, bytes(32)),
    TypeError,
    'message: expected Uint8Array, got type=string',
  ],
  [
    'verify: message undefined',
    (s) => s.verify(bytes(64), undefined as never, bytes(32)),
    TypeError,
    'message: expected Uint8Array, got type=undefined',
  ],
  [
    'verify: publicKey 31 bytes',
    (s) => s.verify(bytes(64), bytes(1), bytes(31)),
    RangeError,
    'publicKey: expected Uint8Array of length 32, got length=31',
  ],
  [
    'verify: publicKey 0 bytes',
    (s) => s.verify(bytes(64), bytes(1), bytes(0)),
    RangeError,
    'publicKey: expected Uint8Array of length 32, got length=0',
  ],
  [
    'verify: publicKey hex string',
    (s) => s.verify(bytes(64), bytes(1), '00'.repeat(32) as never),
    TypeError,
    'publicKey: expected Uint8Array, got type=string',
  ],
  [
    'sign: message number',
    (s) => s.sign(5 as never, bytes(32)),
    TypeError,
    'message: expected Uint8Array, got type=number',
  ],
  [
    'sign: secretKey 64 bytes (seed ‖ public key)',
    (s) => s.sign(bytes(1), bytes(64)),
    RangeError,
    'secretKey: expected Uint8Array of length 32, got length=64',
  ],
  [
    'sign: secretKey object',
    (s) => s.sign(bytes(1), {} as never),
    TypeError,
    'secretKey: expected Uint8Array, got type=Object',
  ],
  [
    'keyPairFromSeed: 31 bytes',
    (s) => s.keyPairFromSeed(bytes(31)),
    RangeError,
    'seed: expected Uint8Array of length 32, got length=31',
  ],
  [
    'keyPairFromSeed: ArrayBuffer',
    (s) => s.keyPairFromSeed(new ArrayBuffer(32) as never),
    TypeError,
    'seed: expected Uint8Array, got type=ArrayBuffer',
  ],
  [
    'createSigner: 33 bytes',
    (s) => s.createSigner(bytes(33)),
    RangeError,
    'secretKey: expected Uint8Array of length 32, got length=33',
  ],
  [
    'signer.sign: string',
    (s) => s.createSigner(bytes(32)).sign('x' as never),
    TypeError,
    'message: expected Uint8Array, got type=string',
  ],
  [
    'sha256: string',
    (s) => s.sha256('abc' as never),
    TypeError,
    'data: expected Uint8Array, got type=string',
  ],
  [
    'sha256: DataView',
    (s) => s.sha256(new DataView(new ArrayBuffer(1)) as never),
    TypeError,
    'data: expected Uint8Array, got type=DataView',
  ],
  [
    'verifyBatch: not an array',
    (s) => s.verifyBatch('items' as never),
    TypeError,
    'items: expected Array, got type=string',
  ],
  [
    'verifyBatch: null item',
    (s) => s.verifyBatch([null] as never),
    TypeError,
    'items[0]: expected object, got type=null',
  ],
  [
    'verifyBatch: missing signature',
    (s) => s.verifyBatch([{ message: bytes(1), publicKey: bytes(32) }] as never),
    TypeError,
    'items[0].signature: expected Uint8Array, got type=undefined',
  ],
  [
    'verifyBatch: bad key in item 2',
    (s) =>
      s.verifyBatch([
        { signature: bytes(64), message: bytes(0), publicKey: bytes(32) },
        { signature: bytes(64), message: bytes(0), publicKey: bytes(32) },
        { signature: bytes(64), message: bytes(0), publicKey: bytes(33) },
      ]),
    RangeError,
    'items[2].publicKey: expected Uint8Array of length 32, got length=33',
  ],
]

describe.each(suites)('$name suite: bad input', (suite) => {
  it.each(cases)('%s', (_label, call, error, message) => {
    let thrown: unknown
    try {
      call(suite)
    } catch (caught) {
      thrown = caught
    }
    expect(thrown).toBeInstanceOf(error)
    expect(thrown).toHaveProperty('message', message)
  })
})

describe('suite options', () => {
  it.each([
    [
      () => createNodeCrypto({ publicKeyCacheSize: -1 }),
      RangeError,
      'publicKeyCacheSize: expected integer in [0, 1048576], got -1',
    ],
    [
      () => createNodeCrypto({ publicKeyCacheSize: 1.5 }),
      RangeError,
      'publicKeyCacheSize: expected integer in [0, 1048576], got 1.5',
    ],
    [
      () => createPortableCrypto({ publicKeyCacheSize: '8' as never }),
      TypeError,
      'publicKeyCacheSize: expected integer, got type=string',
    ],
  ] as const)('%#: rejects a bad cache size', (create, error, message) => {
    expect(create).toThrow(error)
    expect(create).toThrow(message)
  })

  it('a suite with caching off still verifies (no KeyObject or point reuse)', () => {
    for (const suite of [
      createNodeCrypto({ publicKeyCacheSize: 0 }),
      createPortableCrypto({ publicKeyCacheSize: 0 }),
    ]) {
      const { secretKey, publicKey } = suite.generateKeyPair()
      const message = bytes(10)
      expect(suite.verify(suite.sign(message, secretKey), message, publicKey)).toBe(true)
      expect(suite.verify(suite.sign(message, secretKey), bytes(11), publicKey)).toBe(false)
    }
  })

  it('a cache smaller than the key set still gives right answers as keys are evicted', () => {
    for (const suite of [
      createNodeCrypto({ publicKeyCacheSize: 2 }),
      createPortableCrypto({ publicKeyCacheSize: 2 }),
    ]) {
      const pairs = Array.from({ length: 5 }, () => suite.generateKeyPair())
      const message = bytes(3)
      for (let round = 0; round < 2; round++) {
        for (const [i, pair] of pairs.entries()) {
          const other = pairs[(i + 1) % pairs.length]!
          expect(suite.verify(suite.sign(message, pair.secretKey), message, pair.publicKey)).toBe(true)
          expect(suite.verify(suite.sign(message, pair.secretKey), message, other.publicKey)).toBe(false)
        }
      }
    }
  })
})

describe('portable hot keys', () => {
  it('answers the same before and after a key gets its precomputed table, and past the hot-key limit', () => {
    const suite = createPortableCrypto({ publicKeyCacheSize: 4, hotKeysMax: 1 })
    const reference = createPortableCrypto({ publicKeyCacheSize: 0 })
    const pairs = Array.from({ length: 6 }, () => suite.generateKeyPair())
    const message = bytes(20)
    for (let round = 0; round < 12; round++) {
      for (const pair of pairs.slice(0, round < 6 ? 2 : 6)) {
        const signature = suite.sign(message, pair.secretKey)
        const tampered = Uint8Array.from(signature)
        tampered[round]! ^= 4
        expect(suite.verify(signature, message, pair.publicKey)).toBe(true)
        expect(suite.verify(tampered, message, pair.publicKey)).toBe(false)
        expect(reference.verify(tampered, message, pair.publicKey)).toBe(false)
      }
    }
  })

  it('rejects a bad hotKeysMax', () => {
    expect(() => createPortableCrypto({ hotKeysMax: -2 })).toThrow(RangeError)
    expect(() => createPortableCrypto({ hotKeysMax: -2 })).toThrow(
      'hotKeysMax: expected integer in [0, 65536], got -2',
    )
  })
})

describe('limits and key checks', () => {
  it('verifyBatch refuses more than 2^20 items before looking at any', () => {
    const items = new Array((1 << 20) + 1)
    for (const suite of suites) {
      expect(() => suite.verifyBatch(items)).toThrow(RangeError)
      expect(() => suite.verifyBatch(items)).toThrow(
        'items: expected at most 1048576 items, got length=1048577',
      )
    }
  })

  it('isStrictPublicKey checks its argument', () => {
    expect(() => isStrictPublicKey('00' as never)).toThrow(TypeError)
    expect(() => isStrictPublicKey('00' as never)).toThrow('publicKey: expected Uint8Array, got type=string')
    expect(() => isStrictPublicKey(bytes(33))).toThrow(RangeError)
    expect(() => isStrictPublicKey(bytes(33))).toThrow(
      'publicKey: expected Uint8Array of length 32, got length=33',
    )
  })
})
