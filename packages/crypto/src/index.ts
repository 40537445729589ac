/**
 * `@synod/crypto`: Ed25519 signatures and SHA-256 behind one small interface.
 *
 * - `defaultCrypto()` — node:crypto where the `node` export condition applies, noble elsewhere.
 * - `@synod/crypto/node` — the node:crypto suite and the worker-thread batch verifier.
 * - `@synod/crypto/portable` — the noble suite, no `node:` imports.
 *
 * The choice is made by the package's `imports` map (`#default-suite`), resolved
 * with export conditions: runtimes that set `node` get the node suite, everything
 * else (browser bundlers) gets the portable one, and the node code is never in a
 * browser bundle. No dynamic import, no `process` sniffing, and it stays synchronous.
 *
 * @packageDocumentation
 */

import { defaultSuite } from '#default-suite'
import type { CryptoSuite } from './types.js'

export { BatchVerifierClosedError, CryptoError, type CryptoErrorCode, WorkerCrashedError } from './errors.js'
export { bytesToHex, hexToBytes, publicKeyFromHex, publicKeyToHex } from './hex.js'
export { peerIdToPublicKey, publicKeyToPeerId } from './peer-id.js'
export { isStrictPublicKey } from './strict-encoding.js'
export {
  type CryptoSuite,
  type CryptoSuiteName,
  type KeyPair,
  lengths,
  type Signer,
  type VerifyItem,
} from './types.js'

/**
 * The best suite for this runtime: `node` (node:crypto, ~10× faster to verify)
 * where the `node` export condition applies, else `portable` (noble). Both give
 * byte-identical signatures and the same verification answers.
 *
 * @returns the shared default suite (the same object on every call)
 * @example
 * ```ts
 * import { defaultCrypto } from '@synod/crypto'
 * const crypto = defaultCrypto()
 * const { publicKey, secretKey } = crypto.generateKeyPair()
 * const message = new TextEncoder().encode('prepare 7')
 * const signature = crypto.sign(message, secretKey)
 * crypto.verify(signature, message, publicKey) // true
 * crypto.name // 'node' on Node.js
 * ```
 */
export function defaultCrypto(): CryptoSuite {
  return defaultSuite
}
