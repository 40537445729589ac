/**
 * `@synod/paxos`: Multi-Paxos as a pure state machine. `PaxosCore` plays
 * proposer, acceptor and learner for a replicated log: feed it `tick()`,
 * `step(from, message)` and proposals; take a `PaxosReady`, persist its
 * records, send its messages, apply its chosen values. `PaxosNode` does that
 * over any `Transport` with a Promise API.
 *
 * @example
 * ```ts
 * import { PaxosCore } from '@synod/paxos'
 * const core = new PaxosCore({ id: 'a', members: ['a'], random: () => 0.5 })
 * core.campaign()
 * core.propose(new TextEncoder().encode('hello'))
 * const { records, messages, chosen } = core.ready()
 * // persist records, then send messages, then apply chosen
 * ```
 * @packageDocumentation
 */

export { type PaxosCodecOptions, paxosMessageCodec, paxosRecordCodec } from './codec.js'
export { DEFAULT_LIMITS, MAX_MEMBERS, type PaxosCoreOptions, type PaxosLimits } from './core/options.js'
export { PaxosCore, type PaxosStatus } from './core/paxos.js'
export type {
  ChosenEntry,
  DroppedProposal,
  Outgoing,
  PaxosEvent,
  PaxosReady,
  PaxosRole,
} from './core/ready.js'
export {
  type AcceptedEntry,
  type Ballot,
  compareBallots,
  PAXOS_MESSAGE_TYPES,
  type PaxosMessage,
  type PaxosRecord,
  type PaxosValue,
  type PersistedState,
  restoreState,
  type SlotValue,
  StateFold,
  valueBytes,
  ZERO_BALLOT,
} from './core/types.js'
export {
  type DropReason,
  NotLeaderError,
  PaxosClosedError,
  type PaxosErrorCode,
  PaxosInvariantError,
  ProposalDroppedError,
  ProposalQueueFullError,
  ProposalTimeoutError,
  StorageCorruptionError,
} from './errors.js'
export {
  PaxosNode,
  type PaxosNodeOptions,
  type StateMachine,
  type TimerCancel,
  type Timers,
} from './node/paxos-node.js'
export { type DiskLike, DiskStorage } from './storage/disk-storage.js'
export { FileStorage } from './storage/file-storage.js'
export { MemoryStorage } from './storage/memory-storage.js'
export type { PaxosStorage, StoredSnapshot } from './storage/types.js'
