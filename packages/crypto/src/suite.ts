/**
 * The one place both implementations get their argument checks and strict rules
 * from, so that the two paths cannot drift apart: an implementation only supplies
 * the raw primitives, and `createSuite` wraps them.
 */

import { assertArray, assertBytes } from './guards.js'
import { passesStrictChecks } from './strict-encoding.js'
import type { CryptoSuite, CryptoSuiteName, KeyPair, Signer, VerifyItem } from './types.js'

/** Longest batch `verifyBatch` takes in one call. */
export const batchItemsMax = 1 << 20

/** What an implementation provides; arguments are already checked when these run. */
export interface SuitePrimitives {
  /** 32-byte seed → 32-byte public key. */
  publicKeyFromSeed(seed: Uint8Array): Uint8Array
  /** 32 fresh random bytes. */
  randomSeed(): Uint8Array
  /** Prepares a seed for signing. */
  signerFromSeed(seed: Uint8Array): (message: Uint8Array) => Uint8Array
  /** Signs once with a seed. */
  sign(message: Uint8Array, seed: Uint8Array): Uint8Array
  /**
   * The cofactorless equation `[S]B − [k]A == R`, compared as encodings; called only
   * after `passesStrictChecks`. False when A is not on the curve.
   */
  verifyChecked(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
  /** SHA-256. */
  sha256(data: Uint8Array): Uint8Array
}

/** Checks the shape of one verification item; `where` names it in messages (`items[3]`). */
export function assertVerifyItem(item: unknown, where: string): asserts item is VerifyItem {
  if (typeof item !== 'object' || item === null) {
    throw new TypeError(`${where}: expected object, got type=${item === null ? 'null' : typeof item}`)
  }
  const { signature, message, publicKey } = item as Record<string, unknown>
  assertBytes(signature, `${where}.signature`, 64)
  assertBytes(message, `${where}.message`)
  assertBytes(publicKey, `${where}.publicKey`, 32)
}

/** Checks a whole batch before any of it is verified. */
export function assertVerifyItems(items: unknown): asserts items is readonly VerifyItem[] {
  assertArray(items, 'items', batchItemsMax)
  for (let i = 0; i < items.length; i++) assertVerifyItem(items[i], `items[${i}]`)
}

/** Builds a `CryptoSuite` from an implementation's primitives. */
export function createSuite(name: CryptoSuiteName, primitives: SuitePrimitives): CryptoSuite {
  const keyPairFromSeed = (seed: Uint8Array): KeyPair => {
    assertBytes(seed, 'seed', 32)
    const secretKey = Uint8Array.from(seed)
    return Object.freeze({ publicKey: primitives.publicKeyFromSeed(secretKey), secretKey })
  }
  const verifyShaped = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean =>
    passesStrictChecks(signature, publicKey) && primitives.verifyChecked(signature, message, publicKey)

  return Object.freeze({
    name,
    keyPairFromSeed,
    generateKeyPair: () => keyPairFromSeed(primitives.randomSeed()),
    sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
      assertBytes(message, 'message')
      assertBytes(secretKey, 'secretKey', 32)
      return primitives.sign(message, secretKey)
    },
    createSigner(secretKey: Uint8Array): Signer {
      assertBytes(secretKey, 'secretKey', 32)
      const seed = Uint8Array.from(secretKey)
      const signPrepared = primitives.signerFromSeed(seed)
      return Object.freeze({
        publicKey: primitives.publicKeyFromSeed(seed),
        sign(message: Uint8Array): Uint8Array {
          assertBytes(message, 'message')
          return signPrepared(message)
        },
      })
    },
    verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
      assertBytes(signature, 'signature', 64)
      assertBytes(message, 'message')
      assertBytes(publicKey, 'publicKey', 32)
      return verifyShaped(signature, message, publicKey)
    },
    verifyBatch(items: readonly VerifyItem[]): boolean[] {
      assertVerifyItems(items)
      return items.map((item) => verifyShaped(item.signature, item.message, item.publicKey))
    },
    sha256(data: Uint8Array): Uint8Array {
      assertBytes(data, 'data')
      return primitives.sha256(data)
    },
  })
}
