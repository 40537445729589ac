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
