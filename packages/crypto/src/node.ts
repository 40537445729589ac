/**
 * The node implementation: Ed25519 and SHA-256 from `node:crypto` (OpenSSL),
 * with parsed public keys cached as `KeyObject`s, and a batch verifier that
 * spreads large batches over worker threads.
 *
 * @packageDocumentation
 */

export {
  type BatchVerifier,
  type BatchVerifierOptions,
  createBatchVerifier,
} from './batch-verifier.js'
export { BatchVerifierClosedError, CryptoError, WorkerCrashedError } from './errors.js'
export { createNodeCrypto, type NodeCryptoOptions, nodeCrypto } from './node-suite.js'
export type { CryptoSuite, KeyPair, Signer, VerifyItem } from './types.js'
