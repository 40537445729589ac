import { describe, expect, it } from 'vitest'
import { hex, suites, toHex, utf8 } from './suites.js'
import { rfc8032, sha256Vectors } from './vectors.js'

describe.each(suites)('$name suite: RFC 8032 §7.1 Ed25519 vectors', (suite) => {
  it.each(rfc8032)('$name: derives the public key, reproduces and verifies the signature', (vector) => {
    const message = hex(vector.message)
    const keyPair = suite.keyPairFromSeed(hex(vector.secretKey))
    expect(toHex(keyPair.publicKey)).toBe(vector.publicKey)
    expect(toHex(keyPair.secretKey)).toBe(vector.secretKey)
    expect(toHex(suite.sign(message, hex(vector.secretKey)))).toBe(vector.signature)
    expect(toHex(suite.createSigner(hex(vector.secretKey)).sign(message))).toBe(vector.signature)
    expect(suite.verify(hex(vector.signature), message, hex(vector.publicKey))).toBe(true)
  })

  it('TEST 1024 has a 1023-byte message, TEST SHA(abc) signs SHA-512("abc")', () => {
    expect(hex(rfc8032[3]!.message).length).toBe(1023)
    expect(hex(rfc8032[4]!.message).length).toBe(64)
  })
})

describe.each(suites)('$name suite: SHA-256 NIST vectors', (suite) => {
  it.each(sha256Vectors)('$name', ({ input, digest }) => {
    const out = suite.sha256(utf8(input))
    expect(out).toBeInstanceOf(Uint8Array)
    expect(out.length).toBe(32)
    expect(toHex(out)).toBe(digest)
  })

  it('one million "a" (FIPS 180-2 long message)', () => {
    expect(toHex(suite.sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    )
  })
})
