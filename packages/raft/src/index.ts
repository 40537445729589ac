/**
 * `@synod/raft`: Raft consensus as a pure state machine (the etcd-raft design).
 * The core (`RaftCore`) has no I/O: feed it `tick()`, `step(message)` and
 * proposals; take a `Ready`, persist, send, apply, then `advance(ready)`.
 *
 * @example
 * ```ts
 * import { RaftCore, membership } from '@synod/raft'
 * let seed = 42
 * const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
 * const core = new RaftCore({ id: 'a', random, initialMembership: membership(['a']) })
 * core.campaign() // a single voter elects itself
 * core.propose(new TextEncoder().encode('hello'))
 * const ready = core.ready()
 * // persist ready.hardState and ready.entries, send ready.messages, apply ready.committedEntries
 * core.advance(ready)
 * ```
 * @packageDocumentation
 */

export { ClientSessions, type SessionCheck } from './core/client-sessions.js'
export { RAFT_CODEC_VERSION, type RaftCodecOptions, raftMessageCodec } from './core/codec.js'
export {
  CompactRefusedError,
  ConfigChangeRefusedError,
  ProposalDroppedError,
  type ProposalDropReason,
  type RaftErrorCode,
  RaftInvariantError,
  ReadyPendingError,
  TransferRefusedError,
} from './core/errors.js'
export {
  allMembers,
  applyConfigChange,
  type ConfigChange,
  type ConfigChangeRequest,
  type ConfigTransition,
  decodeMembership,
  encodeMembership,
  isJoint,
  isVoter,
  membership,
  quorumValue,
  type VoteResult,
  validateMembership,
  voteResult,
} from './core/membership.js'
export type {
  AppendEntriesMessage,
  AppendEntriesResponseMessage,
  HeartbeatMessage,
  HeartbeatResponseMessage,
  InstallSnapshotMessage,
  InstallSnapshotResponseMessage,
  PreVoteMessage,
  PreVoteResponseMessage,
  RaftMessage,
  RaftMessageType,
  ReadIndexMessage,
  ReadIndexResponseMessage,
  RequestVoteMessage,
  RequestVoteResponseMessage,
  TimeoutNowMessage,
} from './core/messages.js'
export { RAFT_MESSAGE_TYPES } from './core/messages.js'
export type { ProgressState } from './core/progress.js'
export {
  type CommitPropagation,
  type RaftConfig,
  RaftCore,
  type RaftStartState,
  type RaftStatus,
  type ReadOnlyMode,
} from './core/raft.js'
export type {
  RaftEvent,
  RaftRole,
  ReadState,
  Ready,
  ReceivedSnapshotChunk,
  SnapshotChunkToSend,
} from './core/ready.js'
export type { EntryKind, HardState, LogEntry, Membership, SnapshotMeta } from './core/types.js'
export * from './kv/index.js'
export * from './node/index.js'
export { type DiskLike, SimDiskStorage } from './sim/sim-disk-storage.js'
export * from './storage/index.js'
