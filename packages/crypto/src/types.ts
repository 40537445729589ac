/**
 * The one small interface both implementations satisfy. Everything is synchronous
 * because both underlying libraries are; the worker-thread batch verifier of
 * `@synod/crypto/node` is the only asynchronous part.
 */

/**
 * Byte lengths of Ed25519 keys and signatures and of SHA-256 digests.
 *
 * @example
 * ```ts
 * new Uint8Array(lengths.signature) // 64 bytes
 * ```
 */
export const lengths = {
  /** An Ed25519 secret key is its 32-byte seed (RFC 8032 §5.1.5). */
  secretKey: 32,
  /** A raw Ed25519 public key: the 32-byte encoding of the point A. */
  publicKey: 32,
  /** R ‖ S, 64 bytes. */
  signature: 64,
  /** A SHA-256 digest. */
  sha256: 32,
} as const

/**
 * An Ed25519 key pair: the 32-byte seed and the 32-byte public key derived from it.
 *
 * @example
 * ```ts
 * const { publicKey, secretKey } = defaultCrypto().keyPairFromSeed(seed)
 * ```
 */
export interface KeyPair {
  /** The 32-byte raw public key. */
  readonly publicKey: Uint8Array
  /** The 32-byte seed (RFC 8032's "private key"); keep it secret. */
  readonly secretKey: Uint8Array
}

/**
 * One signature to check, as given to `verifyBatch`.
 *
 * @example
 * ```ts
 * const item: VerifyItem = { signature, message, publicKey }
 * crypto.verifyBatch([item]) // [true]
 * ```
 */
export interface VerifyItem {
  /** 64 bytes, R ‖ S. */
  readonly signature: Uint8Array
  /** The signed bytes, any length. */
  readonly message: Uint8Array
  /** 32 bytes, raw. */
  readonly publicKey: Uint8Array
}

/**
 * A secret key prepared once for repeated signing (2–3× faster on the node path).
 *
 * @example
 * ```ts
 * const signer = crypto.createSigner(secretKey)
 * const signature = signer.sign(message)
 * crypto.verify(signature, message, signer.publicKey) // true
 * ```
 */
export interface Signer {
  /** The public key of the prepared secret key. */
  readonly publicKey: Uint8Array
  /**
   * Signs `message`; Ed25519 is deterministic, so the same message always gives the same 64 bytes.
   *
   * @throws TypeError `message: expected Uint8Array, got type=string`
   */
  sign(message: Uint8Array): Uint8Array
}

/**
 * Which implementation a suite is.
 *
 * @example
 * ```ts
 * const name: CryptoSuiteName = defaultCrypto().name // 'node' on Node.js
 * ```
 */
export type CryptoSuiteName = 'node' | 'portable'

/**
 * Ed25519 signatures and SHA-256 behind one interface, implemented twice:
 * `node` (node:crypto, OpenSSL) and `portable` (@noble/curves, any runtime).
 * Both produce byte-identical signatures and accept exactly the same set of
 * signatures (see "Verification rules" in the README): a message signed on one
 * path verifies on the other, and no input verifies on one and not the other.
 *
 * Arguments of the wrong type throw `TypeError`, of the wrong length `RangeError`,
 * with exact messages. A signature that does not verify, for any reason, is
 * `false`, never an exception.
 *
 * @example
 * ```ts
 * import { nodeCrypto } from '@synod/crypto/node'
 * import { portableCrypto } from '@synod/crypto/portable'
 * const { publicKey, secretKey } = nodeCrypto.generateKeyPair()
 * const message = new TextEncoder().encode('commit view=1 seq=7')
 * const signature = nodeCrypto.sign(message, secretKey)
 * portableCrypto.verify(signature, message, publicKey) // true: same bytes, same answer
 * ```
 */
export interface CryptoSuite {
  /** `'node'` or `'portable'`. */
  readonly name: CryptoSuiteName
  /**
   * Derives the key pair of a 32-byte seed (RFC 8032 §5.1.5).
   *
   * @throws TypeError `seed: expected Uint8Array, got type=string`
   * @throws RangeError `seed: expected Uint8Array of length 32, got length=31`
   */
  keyPairFromSeed(seed: Uint8Array): KeyPair
  /** A key pair from a fresh random seed drawn from the platform's CSPRNG. */
  generateKeyPair(): KeyPair
  /**
   * Signs `message` with the 32-byte `secretKey` (the seed).
   *
   * @throws TypeError `message: expected Uint8Array, got type=string`
   * @throws RangeError `secretKey: expected Uint8Array of length 32, got length=64`
   */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array
  /**
   * Prepares `secretKey` once for many signatures.
   *
   * @throws RangeError `secretKey: expected Uint8Array of length 32, got length=31`
   */
  createSigner(secretKey: Uint8Array): Signer
  /**
   * True when `signature` is a valid Ed25519 signature of `message` by `publicKey`
   * under the strict rules; `false` for any invalid signature or unusable key.
   *
   * @throws TypeError `signature: expected Uint8Array, got type=string`
   * @throws RangeError `signature: expected Uint8Array of length 64, got length=63`
   * @throws RangeError `publicKey: expected Uint8Array of length 32, got length=31`
   */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
  /**
   * Verifies many signatures; the result at index i is for `items[i]`.
   * All items are checked for shape before any is verified.
   *
   * @throws TypeError `items[3].signature: expected Uint8Array, got type=undefined`
   * @throws RangeError `items[0].publicKey: expected Uint8Array of length 32, got length=33`
   */
  verifyBatch(items: readonly VerifyItem[]): boolean[]
  /**
   * The SHA-256 digest of `data`.
   *
   * @throws TypeError `data: expected Uint8Array, got type=string`
   */
  sha256(data: Uint8Array): Uint8Array
}
