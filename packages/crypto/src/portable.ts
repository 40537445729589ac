/**
 * The portable implementation: `@noble/curves` and `@noble/hashes`, pure
 * JavaScript, for browsers and any runtime. No `node:` imports.
 *
 * @packageDocumentation
 */

import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, equalBytes } from '@noble/curves/utils.js'
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { BoundedCache } from './bounded-cache.js'
import { assertInteger } from './guards.js'
import { createSuite } from './suite.js'
import type { CryptoSuite } from './types.js'

export type { CryptoSuite, KeyPair, Signer, VerifyItem } from './types.js'

type EdwardsPoint = ReturnType<typeof ed25519.Point.fromBytes>

const Point = ed25519.Point
const groupOrder = Point.Fn.ORDER

/**
 * Options of {@link createPortableCrypto}.
 *
 * @example
 * ```ts
 * const crypto = createPortableCrypto({ publicKeyCacheSize: 256, hotKeysMax: 16 } satisfies PortableCryptoOptions)
 * ```
 */
export interface PortableCryptoOptions {
  /** Decoded public keys kept (one curve point decode saved per hit); default 1024, 0 disables. */
  publicKeyCacheSize?: number
  /**
   * Cached keys that, once seen {@link hotKeyUses} times, get a precomputed
   * window-4 table (~130 KB each, built in ~15 ms) that makes their verifications
   * about 2× faster: a validator set's keys, typically. Default 32, 0 disables.
   */
  hotKeysMax?: number
}

/**
 * Uses of a cached key after which the portable suite counts it as hot and builds
 * its precomputed table.
 *
 * @example
 * ```ts
 * hotKeyUses // 8
 * ```
 */
export const hotKeyUses = 8
const hotKeyWindowBits = 4

interface CachedKey {
  /** null when the bytes are not a point on the curve */
  readonly point: EdwardsPoint | null
  uses: number
  hot: boolean
}

/**
 * Creates a portable suite (noble). Use {@link portableCrypto} unless you need
 * your own cache size.
 *
 * @param options - cache sizes
 * @returns a `CryptoSuite` named `'portable'`
 * @throws RangeError `publicKeyCacheSize: expected integer in [0, 1048576], got -1`
 * @example
 * ```ts
 * const crypto = createPortableCrypto({ publicKeyCacheSize: 64 })
 * ```
 */
export function createPortableCrypto(options: PortableCryptoOptions = {}): CryptoSuite {
  const publicKeyCacheSize = options.publicKeyCacheSize ?? 1024
  const hotKeysMax = options.hotKeysMax ?? 32
  assertInteger(publicKeyCacheSize, 'publicKeyCacheSize', 0, 1 << 20)
  assertInteger(hotKeysMax, 'hotKeysMax', 0, 1 << 16)
  let hotKeys = 0
  const keys = new BoundedCache<string, CachedKey>(publicKeyCacheSize, (evicted) => {
    if (evicted.hot) hotKeys--
  })

  function decodePublicKey(publicKey: Uint8Array): EdwardsPoint | null {
    const id = String.fromCharCode(...publicKey)
    let key = keys.get(id)
    if (key === undefined) {
      let point: EdwardsPoint | null
      try {
        point = Point.fromBytes(publicKey, false)
      } catch {
        point = null
      }
      key = { point, uses: 0, hot: false }
      keys.set(id, key)
    }
    if (++key.uses === hotKeyUses && key.point !== null && hotKeys < hotKeysMax && publicKeyCacheSize > 0) {
      key.point.precompute(hotKeyWindowBits, false)
      key.hot = true
      hotKeys++
    }
    return key.point
  }

  return createSuite('portable', {
    publicKeyFromSeed: (seed) => ed25519.getPublicKey(seed),
    randomSeed: () => randomBytes(32),
    signerFromSeed: (seed) => (message) => ed25519.sign(message, seed),
    sign: (message, seed) => ed25519.sign(message, seed),
    verifyChecked(signature, message, publicKey) {
      const A = decodePublicKey(publicKey)
      if (A === null) return false
      const r = signature.subarray(0, 32)
      const s = bytesToNumberLE(signature.subarray(32, 64))
      const k =
        bytesToNumberLE(sha512.create().update(r).update(publicKey).update(message).digest()) % groupOrder
      // cofactorless, like OpenSSL: [S]B − [k]A must encode to exactly the bytes of R
      const R = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k))
      return equalBytes(R.toBytes(), r)
    },
    sha256: (data) => nobleSha256(data),
  })
}

/**
 * The portable suite with default options.
 *
 * @example
 * ```ts
 * import { portableCrypto } from '@synod/crypto/portable'
 * const { publicKey, secretKey } = portableCrypto.generateKeyPair()
 * const message = new TextEncoder().encode('pre-prepare 7')
 * portableCrypto.verify(portableCrypto.sign(message, secretKey), message, publicKey) // true
 * ```
 */
export const portableCrypto: CryptoSuite = /* @__PURE__ */ createPortableCrypto()
