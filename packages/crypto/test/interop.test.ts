import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { defaultCrypto } from '../src/index.js'
import { nodeCrypto } from '../src/node.js'
import { portableCrypto } from '../src/portable.js'
import { suites, utf8 } from './suites.js'

/** Deterministic seeds and messages of varied lengths (seed i = SHA-256("seed" i)). */
function cases(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    seed: portableCrypto.sha256(utf8(`seed ${i}`)),
    message: new Uint8Array((i * 37) % 700).map((_, j) => (i * 31 + j * 7) & 0xff),
  }))
}

describe('node and portable interoperate', () => {
  it('derive the same public key and byte-identical signatures for the same seed and message', () => {
    for (const { seed, message } of cases(40)) {
      const fromNode = nodeCrypto.keyPairFromSeed(seed)
      const fromPortable = portableCrypto.keyPairFromSeed(seed)
      expect(fromNode.publicKey).toEqual(fromPortable.publicKey)
      expect(nodeCrypto.sign(message, seed)).toEqual(portableCrypto.sign(message, seed))
    }
  })

  it('each verifies the other’s signatures', () => {
    for (const { seed, message } of cases(40)) {
      const { publicKey } = nodeCrypto.keyPairFromSeed(seed)
      expect(portableCrypto.verify(nodeCrypto.sign(message, seed), message, publicKey)).toBe(true)
      expect(nodeCrypto.verify(portableCrypto.sign(message, seed), message, publicKey)).toBe(true)
    }
  })

  it('agree with noble’s own ed25519.verify on honest signatures', () => {
    for (const { seed, message } of cases(10)) {
      const { publicKey } = nodeCrypto.keyPairFromSeed(seed)
      expect(ed25519.verify(nodeCrypto.sign(message, seed), message, publicKey)).toBe(true)
    }
  })

  it('give the same SHA-256 for inputs of every length up to 300 bytes', () => {
    for (let length = 0; length <= 300; length++) {
      const data = new Uint8Array(length).map((_, j) => (j * 13 + length) & 0xff)
      expect(nodeCrypto.sha256(data)).toEqual(portableCrypto.sha256(data))
    }
  })
})

describe.each(suites)('$name suite: keys and signers', (suite) => {
  it('generateKeyPair gives a fresh usable pair each time', () => {
    const a = suite.generateKeyPair()
    const b = suite.generateKeyPair()
    expect(a.secretKey.length).toBe(32)
    expect(a.publicKey.length).toBe(32)
    expect(a.secretKey).not.toEqual(b.secretKey)
    expect(suite.keyPairFromSeed(a.secretKey).publicKey).toEqual(a.publicKey)
    const message = utf8('view-change 3')
    expect(suite.verify(suite.sign(message, a.secretKey), message, a.publicKey)).toBe(true)
  })

  it('a signer copies its key: mutating the caller’s array later changes nothing', () => {
    const seed = suite.generateKeyPair().secretKey
    const copy = Uint8Array.from(seed)
    const signer = suite.createSigner(seed)
    const keyPair = suite.keyPairFromSeed(seed)
    seed.fill(0)
    const message = utf8('prepare')
    expect(signer.sign(message)).toEqual(suite.sign(message, copy))
    expect(signer.publicKey).toEqual(suite.keyPairFromSeed(copy).publicKey)
    expect(keyPair.secretKey).toEqual(copy)
  })

  it('returns plain Uint8Arrays, not Buffers', () => {
    const { secretKey, publicKey } = suite.generateKeyPair()
    const signature = suite.sign(utf8('x'), secretKey)
    for (const bytes of [signature, publicKey, secretKey, suite.sha256(utf8('x'))]) {
      expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype)
    }
  })

  it('accepts Buffers and subarrays as input', () => {
    const { secretKey, publicKey } = suite.generateKeyPair()
    const backing = new Uint8Array(100)
    backing.set(utf8('offset message'), 10)
    const message = backing.subarray(10, 24)
    const signature = suite.sign(Buffer.from(message), secretKey)
    expect(suite.verify(signature, message, Buffer.from(publicKey))).toBe(true)
  })

  it('verifyBatch answers in input order and matches verify one by one', () => {
    const pairs = cases(12).map(({ seed, message }) => ({ keyPair: suite.keyPairFromSeed(seed), message }))
    const items = pairs.map(({ keyPair, message }, i) => {
      const signature = suite.sign(message, keyPair.secretKey)
      if (i % 3 === 1) signature[5]! ^= 1
      return { signature, message, publicKey: keyPair.publicKey }
    })
    const expected = items.map((_, i) => i % 3 !== 1)
    expect(suite.verifyBatch(items)).toEqual(expected)
    expect(items.map((item) => suite.verify(item.signature, item.message, item.publicKey))).toEqual(expected)
    expect(suite.verifyBatch([])).toEqual([])
  })
})

describe('defaultCrypto', () => {
  it('is the node suite on Node (the `node` condition of #default-suite)', () => {
    expect(defaultCrypto()).toBe(nodeCrypto)
    expect(defaultCrypto().name).toBe('node')
  })
})
