/**
 * `@synod/quorum`: quorum systems as values, and (built on them) replicated
 * registers and stores.
 *
 * @example
 * ```ts
 * import { majority, weighted } from '@synod/quorum'
 * majority(['a', 'b', 'c']).isQuorum(['a', 'b']) // true
 * weighted({ votes: { p: 2, s1: 1, s2: 1 }, readVotes: 2, writeVotes: 3 }).availability(0.01)
 * ```
 * @packageDocumentation
 */

export {
  type DynamoCompletion,
  DynamoCore,
  type DynamoCoreOptions,
  type DynamoMessage,
  type DynamoReady,
  type DynamoValue,
  type GetOptions,
  type PutOptions,
  type ReplicationOptions,
} from './core/dynamo.js'
export { preferenceList } from './core/preference.js'
export {
  type RegisterCompletion,
  RegisterCore,
  type RegisterCoreOptions,
  type RegisterMessage,
  type RegisterOperationKind,
  type RegisterReady,
  type RegisterValue,
  type StoredRecord,
  type UpdateDecision,
} from './core/register.js'
export {
  type ClockOrder,
  compareClocks,
  descends,
  mergeClocks,
  reconcile,
  type Sibling,
  type VectorClock,
} from './core/vector-clock.js'
export { compareVersions, INITIAL_VERSION, type Version } from './core/version.js'
export {
  LeaseHeldError,
  QuorumClosedError,
  type QuorumErrorCode,
  QuorumTimeoutError,
  StaleTokenError,
  TooManyPendingError,
} from './errors.js'
export {
  compareTokens,
  FencedStore,
  type FencingToken,
  type Lease,
  LeaseService,
  type LeaseServiceOptions,
} from './fencing.js'
export { type Clock, systemClock } from './node/clock.js'
export { DynamoNode, type DynamoNodeOptions, type GetResult, type PutResult } from './node/dynamo.js'
export {
  QuorumRegister,
  type QuorumRegisterOptions,
  type RegisterStorage,
  type UpdateOutcome,
} from './node/register.js'
export {
  type FailureProbability,
  flexible,
  grid,
  MAX_ENUMERATED_REPLICAS,
  majority,
  type QuorumKind,
  type QuorumSystem,
  type ReplicaId,
  verifyIntersection,
  weighted,
} from './systems.js'
