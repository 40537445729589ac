/**
 * `@synod/pbft`: Castro–Liskov PBFT as a pure state machine with signed
 * messages, batching, checkpoints, view changes, state transfer and a client.
 *
 * @example
 * ```ts
 * import { PbftReplica, applyPersist, cryptoSuiteAdapter } from '@synod/pbft'
 * import { nodeCrypto } from '@synod/crypto/node'
 *
 * const replica = new PbftReplica({
 *   id: 'r0',
 *   replicas, // [{ id: 'r0', publicKey }, ... at least 4]
 *   crypto: cryptoSuiteAdapter(nodeCrypto, secretKey),
 *   clients: { kind: 'any-key' },
 * })
 * ```
 * @packageDocumentation
 */
export { applyCommands, type PbftApplication } from './application.js'
export * from './core/index.js'
export { type CryptoSuiteLike, cryptoSuiteAdapter } from './crypto-adapter.js'
export {
  type GroupCommitStore,
  type HardStateStore,
  PbftNode,
  type PbftNodeOptions,
} from './node/pbft-node.js'
export {
  FileHardStateStore,
  type FileHardStateStoreOptions,
  type HardStateRecovery,
} from './storage/file-hard-state-store.js'
