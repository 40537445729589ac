import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'

/**
 * The length of an Ed25519 seed, in bytes.
 *
 * @example
 * ```ts
 * const seed = crypto.getRandomValues(new Uint8Array(ED25519_SEED_BYTES))
 * ```
 */
export const ED25519_SEED_BYTES = 32

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

function isPrivateKey(value: unknown): value is PrivateKey {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    (value as { raw?: unknown }).raw instanceof Uint8Array &&
    typeof (value as { sign?: unknown }).sign === 'function'
  )
}

/**
 * Turns what a user passes as a node key into a libp2p Ed25519 `PrivateKey`.
 *
 * @param name - how the caller names the value, used in error messages
 * @param key - a 32-byte Ed25519 seed, or a libp2p `PrivateKey` of type Ed25519
 * @returns the libp2p private key
 * @throws {TypeError} when `key` is neither a Uint8Array nor a libp2p private key
 * @throws {RangeError} when the seed is not 32 bytes long, or the key is not Ed25519
 * @example
 * ```ts
 * const privateKey = await toEd25519PrivateKey('privateKey', new Uint8Array(32).fill(1))
 * privateKey.type // 'Ed25519'
 * ```
 */
export async function toEd25519PrivateKey(name: string, key: unknown): Promise<PrivateKey> {
  if (key instanceof Uint8Array) {
    if (key.length !== ED25519_SEED_BYTES) {
      throw new RangeError(
        `${name}: expected Uint8Array of length ${ED25519_SEED_BYTES}, got length=${key.length}`,
      )
    }
    return generateKeyPairFromSeed('Ed25519', key)
  }
  if (isPrivateKey(key)) {
    if (key.type !== 'Ed25519') throw new RangeError(`${name}: expected an Ed25519 key, got ${key.type}`)
    return key
  }
  throw new TypeError(
    `${name}: expected a 32-byte Ed25519 seed (Uint8Array) or a libp2p PrivateKey, got ${describe(key)}`,
  )
}

/**
 * Derives the libp2p peer id (the `12D3KooW…` string) of the Ed25519 key made from `seed`,
 * so a membership list can be written before any node starts.
 *
 * @param seed - a 32-byte Ed25519 seed, or a libp2p Ed25519 `PrivateKey`
 * @returns the peer id as a string
 * @throws {TypeError} when `seed` is neither a Uint8Array nor a libp2p private key
 * @throws {RangeError} when the seed is not 32 bytes long, or the key is not Ed25519
 * @example
 * ```ts
 * const seed = new Uint8Array(32).fill(7)
 * const peerId = await peerIdFromSeed(seed) // '12D3KooW…'
 * ```
 */
export async function peerIdFromSeed(seed: Uint8Array | PrivateKey): Promise<string> {
  const privateKey = await toEd25519PrivateKey('seed', seed)
  return peerIdFromPrivateKey(privateKey).toString()
}

/**
 * Checks that `value` is the string form of an Ed25519 libp2p peer id.
 *
 * @param name - how the caller names the value, used in error messages
 * @throws {TypeError} when `value` is not a string
 * @throws {RangeError} when it is not a peer id, or not an Ed25519 one
 * @example
 * ```ts
 * assertEd25519PeerId('peerId', await peerIdFromSeed(new Uint8Array(32))) // ok
 * assertEd25519PeerId('peerId', 'hello') // RangeError: peerId: not a valid peer id: "hello"
 * ```
 */
export function assertEd25519PeerId(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string')
    throw new TypeError(`${name}: expected a peer id string, got ${describe(value)}`)
  let type: string
  try {
    type = peerIdFromString(value).type
  } catch {
    throw new RangeError(`${name}: not a valid peer id: ${JSON.stringify(value)}`)
  }
  if (type !== 'Ed25519') throw new RangeError(`${name}: expected an Ed25519 peer id, got ${type}`)
}
