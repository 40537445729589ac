/** Adapts a `@synod/crypto` suite (or anything shaped like one) to the core's `PbftCrypto`. */
import type { PbftCrypto } from './core/types.js'

/**
 * The part of `@synod/crypto`'s `CryptoSuite` this adapter uses.
 *
 * @example
 * ```ts
 * import { nodeCrypto } from '@synod/crypto/node'
 * const suite: CryptoSuiteLike = nodeCrypto
 * ```
 */
export interface CryptoSuiteLike {
  createSigner(secretKey: Uint8Array): { sign(message: Uint8Array): Uint8Array }
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
  sha256(data: Uint8Array): Uint8Array
}

/**
 * Binds a crypto suite and a secret key into the `PbftCrypto` a replica or
 * client is given. Verification never throws: a malformed signature or key is
 * simply invalid.
 *
 * @example
 * ```ts
 * import { nodeCrypto } from '@synod/crypto/node'
 * const keys = nodeCrypto.generateKeyPair()
 * const crypto = cryptoSuiteAdapter(nodeCrypto, keys.secretKey)
 * ```
 */
export function cryptoSuiteAdapter(suite: CryptoSuiteLike, secretKey: Uint8Array): PbftCrypto {
  const signer = suite.createSigner(secretKey)
  return {
    sign: (bytes) => signer.sign(bytes),
    verify: (signature, bytes, publicKey) => {
      try {
        return suite.verify(signature, bytes, publicKey)
      } catch {
        return false
      }
    },
    digest: (bytes) => suite.sha256(bytes),
  }
}
