import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import {
  bytesToHex,
  hexToBytes,
  peerIdToPublicKey,
  publicKeyFromHex,
  publicKeyToHex,
  publicKeyToPeerId,
} from '../src/index.js'
import { portableCrypto } from '../src/portable.js'
import { hex, utf8 } from './suites.js'

const expectError = (call: () => unknown, error: typeof TypeError, message: string) => {
  let thrown: unknown
  try {
    call()
  } catch (caught) {
    thrown = caught
  }
  expect(thrown).toBeInstanceOf(error)
  expect(thrown).toHaveProperty('message', message)
}

describe('hex', () => {
  it('round-trips every byte value, lowercase out, either case in', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    const text = bytesToHex(all)
    expect(text).toBe(Buffer.from(all).toString('hex'))
    expect(hexToBytes(text)).toEqual(all)
    expect(hexToBytes(text.toUpperCase())).toEqual(all)
    expect(hexToBytes('')).toEqual(new Uint8Array(0))
  })

  it.each([
    [() => hexToBytes(12 as never), TypeError, 'hex: expected string, got type=number'],
    [() => hexToBytes('abc'), RangeError, 'hex: expected even length, got length=3'],
    [() => hexToBytes('0g'), RangeError, 'hex: expected only hex characters, got "g" at index 1'],
    [() => hexToBytes('zz00'), RangeError, 'hex: expected only hex characters, got "z" at index 0'],
    [() => hexToBytes('0x00'), RangeError, 'hex: expected only hex characters, got "x" at index 1'],
    [() => hexToBytes('00 1'), RangeError, 'hex: expected only hex characters, got " " at index 2'],
    [() => hexToBytes('éé'), RangeError, 'hex: expected only hex characters, got "é" at index 0'],
    [() => bytesToHex('00' as never), TypeError, 'bytes: expected Uint8Array, got type=string'],
    [
      () => publicKeyToHex(new Uint8Array(31)),
      RangeError,
      'publicKey: expected Uint8Array of length 32, got length=31',
    ],
    [
      () => publicKeyFromHex('00'.repeat(31)),
      RangeError,
      'publicKey: expected hex string of length 64, got length=62',
    ],
    [
      () => publicKeyFromHex(`${'00'.repeat(31)}0q`),
      RangeError,
      'publicKey: expected only hex characters, got "q" at index 63',
    ],
    [() => publicKeyFromHex(undefined as never), TypeError, 'publicKey: expected string, got type=undefined'],
  ] as const)('%#: exact error', (call, error, message) => expectError(call, error, message))

  it('publicKeyToHex / publicKeyFromHex round-trip', () => {
    const { publicKey } = portableCrypto.generateKeyPair()
    expect(publicKeyFromHex(publicKeyToHex(publicKey))).toEqual(publicKey)
  })
})

describe('libp2p peer id', () => {
  it('matches @libp2p/peer-id for the RFC 8032 TEST 1 key and for random keys, both ways', async () => {
    const seeds = [
      hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
      ...Array.from({ length: 20 }, (_, i) => portableCrypto.sha256(utf8(`peer ${i}`))),
    ]
    for (const seed of seeds) {
      const { publicKey } = portableCrypto.keyPairFromSeed(seed)
      const theirs = peerIdFromPublicKey(publicKeyFromRaw(publicKey) as never).toString()
      const ours = publicKeyToPeerId(publicKey)
      expect(ours).toBe(theirs)
      expect(ours).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/)
      expect(peerIdToPublicKey(theirs)).toEqual(publicKey)
      const parsed = peerIdFromString(ours)
      expect(parsed.type).toBe('Ed25519')
      expect(parsed.publicKey?.raw).toEqual(publicKey)
    }
    // and libp2p derives the same public key from the same seed
    const libp2pKey = await generateKeyPairFromSeed('Ed25519', seeds[1]!)
    expect(libp2pKey.publicKey.raw).toEqual(portableCrypto.keyPairFromSeed(seeds[1]!).publicKey)
  })

  it.each([
    [() => peerIdToPublicKey(7 as never), TypeError, 'peerId: expected string, got type=number'],
    [() => peerIdToPublicKey(''), RangeError, 'peerId: expected 1 to 128 characters, got length=0'],
    [
      () => peerIdToPublicKey('1'.repeat(129)),
      RangeError,
      'peerId: expected 1 to 128 characters, got length=129',
    ],
    [
      () => peerIdToPublicKey('12D3KooW0'),
      RangeError,
      'peerId: expected only base58btc characters, got "0" at index 8',
    ],
    [
      () => peerIdToPublicKey('12D3KooWl'),
      RangeError,
      'peerId: expected only base58btc characters, got "l" at index 8',
    ],
    [
      // an RSA peer id: a SHA-256 multihash that does not contain the key
      () => peerIdToPublicKey('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'),
      RangeError,
      'peerId: expected an identity multihash (code 0x00), got code 0x12',
    ],
    [
      // a secp256k1 peer id
      () => peerIdToPublicKey('16Uiu2HAkwUF9u8V4LV4QBLYHPD5TEqhvEqVXB1ssRQDbq2Tv7Da2'),
      RangeError,
      'peerId: expected an Ed25519 key (type 1), got type 2 (secp256k1)',
    ],
  ] as const)('%#: exact error', (call, error, message) => expectError(call, error, message))

  it('rejects truncated, extended and wrongly framed ids', () => {
    const { publicKey } = portableCrypto.generateKeyPair()
    const id = publicKeyToPeerId(publicKey)
    expect(() => peerIdToPublicKey(id.slice(0, -1))).toThrow(RangeError)
    expect(() => peerIdToPublicKey(`${id}1`)).toThrow(RangeError)
    expect(() => peerIdToPublicKey(`1${id}`)).toThrow(RangeError)
    expect(() => publicKeyToPeerId(new Uint8Array(33))).toThrow(
      'publicKey: expected Uint8Array of length 32, got length=33',
    )
  })

  it('a secp256k1 id from libp2p itself is recognised and refused', async () => {
    const { generateKeyPair } = await import('@libp2p/crypto/keys')
    const key = await generateKeyPair('secp256k1')
    const id = peerIdFromPublicKey(key.publicKey).toString()
    expect(() => peerIdToPublicKey(id)).toThrow(
      'peerId: expected an Ed25519 key (type 1), got type 2 (secp256k1)',
    )
  })
})
