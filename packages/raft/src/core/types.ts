/**
 * The data types shared by the Raft core, its storage and its driver.
 * These shapes are a contract between `src/core` and `src/storage`: change them in both.
 */
import type { NodeId } from '@synod/transport'

/**
 * What an entry carries: a user command, a membership change, or the no-op a new leader appends.
 * @example
 * ```ts
 * if (entry.kind === 'normal') stateMachine.apply(entry.data)
 * ```
 */
export type EntryKind = 'normal' | 'config' | 'noop'

/**
 * One log entry. `index` starts at 1; `term` is the leader's term when it was created.
 * @example
 * ```ts
 * const entry: LogEntry = { index: 1, term: 1, kind: 'noop', data: new Uint8Array() }
 * ```
 */
export interface LogEntry {
  index: number
  term: number
  kind: EntryKind
  /** The command (kind `normal`), the encoded configuration change (kind `config`), empty for `noop`. */
  data: Uint8Array
}

/**
 * What must be on disk before any message that depends on it is sent.
 * @example
 * ```ts
 * if (ready.hardState) await storage.save({ hardState: ready.hardState })
 * ```
 */
export interface HardState {
  term: number
  /** The candidate this node voted for in `term`, or null. */
  votedFor: NodeId | null
  /** The highest index known committed (persisted so a restart can apply up to it without a new leader). */
  commit: number
}

/**
 * A cluster configuration. In joint consensus both `voters` and `votersOutgoing`
 * must agree; outside it `votersOutgoing` is empty.
 * @example
 * ```ts
 * const m: Membership = { voters: ['a', 'b', 'c'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }
 * ```
 */
export interface Membership {
  voters: NodeId[]
  learners: NodeId[]
  /** The old voter set while in a joint configuration, else empty. */
  votersOutgoing: NodeId[]
  /** Voters of the old configuration that become learners when the joint configuration is left. */
  learnersNext: NodeId[]
  /** Whether the leader leaves the joint configuration by itself once it commits. */
  autoLeave: boolean
}

/**
 * Describes a snapshot: the state machine after applying every entry up to `index`.
 * @example
 * ```ts
 * const meta: SnapshotMeta = core.snapshotMeta(applied, data.length)
 * ```
 */
export interface SnapshotMeta {
  index: number
  term: number
  membership: Membership
  /** Size of the snapshot data in bytes. */
  sizeBytes: number
}
