/**
 * The messages Raft nodes exchange. Every message carries `from`, `to` and the
 * sender's `term`; `type` is a kebab-case literal.
 */
import type { NodeId } from '@synod/transport'
import type { LogEntry, SnapshotMeta } from './types.js'

interface Envelope {
  from: NodeId
  to: NodeId
  term: number
}

/**
 * A candidate asks for a vote (RequestVote RPC). `transfer` is set when the
 * election follows a leadership transfer, so voters ignore their leader lease.
 * @example
 * ```ts
 * const m: RequestVoteMessage = { type: 'request-vote', from: 'a', to: 'b', term: 2, lastLogIndex: 9, lastLogTerm: 1, transfer: false }
 * ```
 */
export interface RequestVoteMessage extends Envelope {
  type: 'request-vote'
  lastLogIndex: number
  lastLogTerm: number
  transfer: boolean
}

/**
 * Whether the vote was granted.
 * @example
 * ```ts
 * const m: RequestVoteResponseMessage = { type: 'request-vote-response', from: 'b', to: 'a', term: 2, granted: true }
 * ```
 */
export interface RequestVoteResponseMessage extends Envelope {
  type: 'request-vote-response'
  granted: boolean
}

/**
 * Pre-vote (thesis §9.6): "would you vote for me in term `term`?" The sender does
 * not increment its own term; `term` is the term it would campaign in.
 * @example
 * ```ts
 * const m: PreVoteMessage = { type: 'pre-vote', from: 'a', to: 'b', term: 3, lastLogIndex: 9, lastLogTerm: 2, transfer: false }
 * ```
 */
export interface PreVoteMessage extends Envelope {
  type: 'pre-vote'
  lastLogIndex: number
  lastLogTerm: number
  transfer: boolean
}

/**
 * Answer to a pre-vote; `term` is the term asked about when granted, else the voter's term.
 * @example
 * ```ts
 * const m: PreVoteResponseMessage = { type: 'pre-vote-response', from: 'b', to: 'a', term: 3, granted: true }
 * ```
 */
export interface PreVoteResponseMessage extends Envelope {
  type: 'pre-vote-response'
  granted: boolean
}

/**
 * AppendEntries RPC: `entries` follow the entry at `prevLogIndex` whose term is `prevLogTerm`.
 * @example
 * ```ts
 * const m: AppendEntriesMessage = { type: 'append-entries', from: 'a', to: 'b', term: 2, prevLogIndex: 4, prevLogTerm: 1, entries: [], commit: 4 }
 * ```
 */
export interface AppendEntriesMessage extends Envelope {
  type: 'append-entries'
  prevLogIndex: number
  prevLogTerm: number
  entries: LogEntry[]
  /** The leader's commit index. */
  commit: number
}

/**
 * Answer to append-entries. On success `matchIndex` is the last index known to
 * match the leader. On rejection `rejectIndex` is the `prevLogIndex` rejected and
 * (`conflictTerm`, `conflictIndex`) the hint for fast backtracking: the follower's
 * term at `prevLogIndex` (0 when its log is shorter) and the first index it holds
 * for that term (or its last index + 1).
 * @example
 * ```ts
 * if (m.type === 'append-entries-response' && !m.success) console.log(m.conflictTerm, m.conflictIndex)
 * ```
 */
export interface AppendEntriesResponseMessage extends Envelope {
  type: 'append-entries-response'
  success: boolean
  matchIndex: number
  rejectIndex: number
  conflictTerm: number
  conflictIndex: number
}

/**
 * Leader heartbeat. `commit` is capped at what the follower is known to hold;
 * `round` numbers the heartbeat broadcast (echoed back, it confirms leadership
 * for ReadIndex and lease reads).
 * @example
 * ```ts
 * const m: HeartbeatMessage = { type: 'heartbeat', from: 'a', to: 'b', term: 2, commit: 4, round: 17 }
 * ```
 */
export interface HeartbeatMessage extends Envelope {
  type: 'heartbeat'
  commit: number
  round: number
}

/**
 * Acknowledges a heartbeat, echoing its `round`.
 * @example
 * ```ts
 * const m: HeartbeatResponseMessage = { type: 'heartbeat-response', from: 'b', to: 'a', term: 2, round: 17 }
 * ```
 */
export interface HeartbeatResponseMessage extends Envelope {
  type: 'heartbeat-response'
  round: number
}

/**
 * One chunk of a snapshot: `data` is the bytes at `offset` of the snapshot
 * described by `meta` (`meta.sizeBytes` in all). The core emits it with empty data
 * and the driver fills `data` from `RaftStorage.readSnapshot` (see `Ready.snapshotChunksToSend`).
 * @example
 * ```ts
 * transport.send(chunk.message.to, { ...chunk.message, data: await storage.readSnapshot(chunk.message.offset, chunk.length) })
 * ```
 */
export interface InstallSnapshotMessage extends Envelope {
  type: 'install-snapshot'
  meta: SnapshotMeta
  offset: number
  data: Uint8Array
}

/**
 * Acknowledges snapshot chunks: `nextOffset` is the next byte the follower
 * expects for the snapshot at `snapshotIndex` (resume point after a loss).
 * `done` once the snapshot is installed (or was not needed); then `matchIndex`
 * is the follower's match index.
 * @example
 * ```ts
 * if (m.type === 'install-snapshot-response' && !m.done) console.log('resume at', m.nextOffset)
 * ```
 */
export interface InstallSnapshotResponseMessage extends Envelope {
  type: 'install-snapshot-response'
  snapshotIndex: number
  nextOffset: number
  done: boolean
  matchIndex: number
}

/**
 * Leadership transfer: the receiver starts an election at once.
 * @example
 * ```ts
 * const m: TimeoutNowMessage = { type: 'timeout-now', from: 'a', to: 'b', term: 2 }
 * ```
 */
export interface TimeoutNowMessage extends Envelope {
  type: 'timeout-now'
}

/**
 * A follower forwards a ReadIndex request to its leader.
 * @example
 * ```ts
 * const m: ReadIndexMessage = { type: 'read-index', from: 'b', to: 'a', term: 2, requestId: 'r-1' }
 * ```
 */
export interface ReadIndexMessage extends Envelope {
  type: 'read-index'
  requestId: string
}

/**
 * The leader's answer to a forwarded ReadIndex request; `index` is 0 if the read failed.
 * @example
 * ```ts
 * const m: ReadIndexResponseMessage = { type: 'read-index-response', from: 'a', to: 'b', term: 2, requestId: 'r-1', index: 9, success: true }
 * ```
 */
export interface ReadIndexResponseMessage extends Envelope {
  type: 'read-index-response'
  requestId: string
  index: number
  success: boolean
}

/**
 * Every Raft message.
 * @example
 * ```ts
 * transport.onMessage((from, message: RaftMessage) => core.step(message))
 * ```
 */
export type RaftMessage =
  | RequestVoteMessage
  | RequestVoteResponseMessage
  | PreVoteMessage
  | PreVoteResponseMessage
  | AppendEntriesMessage
  | AppendEntriesResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | InstallSnapshotMessage
  | InstallSnapshotResponseMessage
  | TimeoutNowMessage
  | ReadIndexMessage
  | ReadIndexResponseMessage

/**
 * The `type` literal of every message.
 * @example
 * ```ts
 * const type: RaftMessageType = 'append-entries'
 * ```
 */
export type RaftMessageType = RaftMessage['type']

/**
 * Every message type, in codec order (the index is the wire tag).
 * @example
 * ```ts
 * RAFT_MESSAGE_TYPES.includes('heartbeat') // true
 * ```
 */
export const RAFT_MESSAGE_TYPES: readonly RaftMessageType[] = [
  'request-vote',
  'request-vote-response',
  'pre-vote',
  'pre-vote-response',
  'append-entries',
  'append-entries-response',
  'heartbeat',
  'heartbeat-response',
  'install-snapshot',
  'install-snapshot-response',
  'timeout-now',
  'read-index',
  'read-index-response',
]
