/**
 * The libp2p peer id of an Ed25519 key, without libp2p: the public key wrapped in
 * libp2p's `PublicKey` protobuf (`Type = 1` for Ed25519, `Data` = the 32 raw
 * bytes), put whole in an identity multihash (code 0x00, length 36), written in
 * base58btc. Every such id starts with `12D3KooW`.
 */

import { base58btcDecode, base58btcEncode } from './base58.js'
import { assertBytes, assertString } from './guards.js'

/** Identity multihash (0x00, 36 bytes) of the protobuf `{ 1: varint 1, 2: bytes[32] }`. */
const ed25519PeerIdPrefix = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20)
const ed25519PeerIdBytes = 38
/** Longest text we decode: an Ed25519 peer id is 52 characters; this bounds the quadratic decoder. */
const peerIdTextLengthMax = 128

const keyTypeNames: Record<number, string> = { 0: 'RSA', 1: 'Ed25519', 2: 'secp256k1', 3: 'ECDSA' }

/**
 * The libp2p peer id (`12D3KooW…`) of a 32-byte Ed25519 public key.
 *
 * @param publicKey - 32 raw bytes
 * @returns the base58btc peer id, 52 characters
 * @throws TypeError `publicKey: expected Uint8Array, got type=string`
 * @throws RangeError `publicKey: expected Uint8Array of length 32, got length=31`
 * @example
 * ```ts
 * publicKeyToPeerId(keyPair.publicKey) // '12D3KooW…'
 * ```
 */
export function publicKeyToPeerId(publicKey: Uint8Array): string {
  assertBytes(publicKey, 'publicKey', 32)
  const bytes = new Uint8Array(ed25519PeerIdBytes)
  bytes.set(ed25519PeerIdPrefix, 0)
  bytes.set(publicKey, ed25519PeerIdPrefix.length)
  return base58btcEncode(bytes)
}

/**
 * The 32-byte Ed25519 public key inside a libp2p peer id. Only Ed25519 ids in
 * their usual form (a base58btc identity multihash, `12D3KooW…`) are accepted:
 * RSA ids (`Qm…`, a SHA-256 multihash that does not contain the key) and
 * secp256k1 ids (`16Uiu2…`) are rejected with a message that says so.
 *
 * @param peerId - the peer id text
 * @returns the 32 raw public-key bytes
 * @throws TypeError `peerId: expected string, got type=number`
 * @throws RangeError `peerId: expected only base58btc characters, got "0" at index 9`
 * @throws RangeError `peerId: expected an identity multihash (code 0x00), got code 0x12`
 * @throws RangeError `peerId: expected an Ed25519 key (type 1), got type 2 (secp256k1)`
 * @example
 * ```ts
 * const publicKey = peerIdToPublicKey('12D3KooW…')
 * ```
 */
export function peerIdToPublicKey(peerId: string): Uint8Array {
  assertString(peerId, 'peerId')
  if (peerId.length === 0 || peerId.length > peerIdTextLengthMax) {
    throw new RangeError(
      `peerId: expected 1 to ${peerIdTextLengthMax} characters, got length=${peerId.length}`,
    )
  }
  const bytes = base58btcDecode(peerId, 'peerId')
  if (bytes[0] !== 0x00) {
    throw new RangeError(
      `peerId: expected an identity multihash (code 0x00), got code 0x${hexByte(bytes[0]!)}`,
    )
  }
  if (bytes.length < 4 || bytes[1] !== bytes.length - 2) {
    throw new RangeError(
      `peerId: malformed identity multihash: declared length ${bytes[1] ?? 'missing'}, got ${Math.max(0, bytes.length - 2)} bytes`,
    )
  }
  if (bytes[2] !== 0x08 || bytes[3]! > 0x7f) {
    throw new RangeError('peerId: malformed public key protobuf: expected field 1 (key type) first')
  }
  if (bytes[3] !== 0x01) {
    const type = bytes[3]!
    throw new RangeError(
      `peerId: expected an Ed25519 key (type 1), got type ${type} (${keyTypeNames[type] ?? 'unknown'})`,
    )
  }
  if (bytes.length !== ed25519PeerIdBytes || bytes[4] !== 0x12 || bytes[5] !== 0x20) {
    throw new RangeError(
      'peerId: malformed Ed25519 public key protobuf: expected field 2 with 32 bytes of key data',
    )
  }
  return bytes.slice(ed25519PeerIdPrefix.length)
}

function hexByte(byte: number): string {
  return byte.toString(16).padStart(2, '0')
}
