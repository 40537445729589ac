import type { HardState, LogEntry, SnapshotMeta } from '../core/types.js'

/** What a storage holds when a node starts. */
export interface PersistedState {
  hardState: HardState
  /** The newest complete snapshot, or null. */
  snapshot: SnapshotMeta | null
  /** Every entry after the snapshot (index snapshot.index + 1 onwards), contiguous, in order. */
  entries: LogEntry[]
}

/** Writes one incoming snapshot in chunks, so a snapshot is never held whole in memory. */
export interface SnapshotWriter {
  /** Writes `bytes` at `offset`. Chunks arrive in order; a repeated chunk (same offset) is ignored. */
  write(offset: number, bytes: Uint8Array): Promise<void>
  /**
   * Makes the snapshot durable and current (atomically: a crash leaves either the
   * old snapshot or the new one), then discards log entries up to `meta.index`
   * unless the log holds a matching entry there (then only those up to it).
   */
  finish(): Promise<void>
  /** Discards a partial snapshot. */
  abort(): Promise<void>
}

/**
 * Durable state of one Raft node. The driver calls `save` with each Ready batch
 * and waits for it before sending the messages of that batch.
 *
 * Every method may be called only after `load`. Calls are not concurrent: the
 * driver awaits each before the next.
 */
export interface RaftStorage {
  /** Reads the state left by the last run (empty state on first start). */
  load(): Promise<PersistedState>
  /**
   * Durably records a batch (one fsync group): the hard state if given, then
   * `entries`. If `entries[0].index` is at or below the last stored index, every
   * stored entry from that index on is replaced first (a follower's conflict).
   * Resolves only when the batch is on stable storage.
   */
  save(batch: { hardState?: HardState; entries?: LogEntry[] }): Promise<void>
  /** Drops entries up to and including `index` (they are covered by the current snapshot). */
  compact(index: number): Promise<void>
  /** Starts writing a snapshot received from a leader or produced locally. */
  beginSnapshot(meta: SnapshotMeta): Promise<SnapshotWriter>
  /** Reads `length` bytes of the current snapshot's data from `offset` (fewer at the end). */
  readSnapshot(offset: number, length: number): Promise<Uint8Array>
  /** Releases files and handles. */
  close(): Promise<void>
}
