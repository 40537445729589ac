/**
 * Where a replica keeps what its acceptor promised and accepted, and its latest snapshot.
 */
import type { PaxosRecord, PersistedState } from '../core/types.js'

/**
 * A state-machine snapshot: the state after applying every slot up to `slot`.
 *
 * @example
 * ```ts
 * const snapshot: StoredSnapshot = { slot: 120, data: stateMachine.snapshot() }
 * ```
 */
export interface StoredSnapshot {
  readonly slot: number
  readonly data: Uint8Array
}

/**
 * A synchronous store for one replica. `append` and `saveSnapshot` must return
 * only once what they were given is durable (written and fsynced): the driver
 * sends the messages of a batch right after, and Paxos's safety rests on that
 * order. `load` returns the acceptor state the appended records fold into (see
 * `restoreState`), without the slots the latest snapshot covers.
 *
 * @example
 * ```ts
 * const storage: PaxosStorage = new MemoryStorage()
 * storage.append([{ type: 'promise', ballot: { round: 1, nodeId: 'a' } }])
 * storage.load().promised // { round: 1, nodeId: 'a' }
 * ```
 */
export interface PaxosStorage {
  /** The acceptor state as of the last `append` or `saveSnapshot` that returned. */
  load(): PersistedState
  /** Appends records durably, in order. */
  append(records: readonly PaxosRecord[]): void
  /** Makes a snapshot durable, replacing the stored one, and drops the accepted values up to its slot. */
  saveSnapshot(slot: number, data: Uint8Array): void
  /** The latest durable snapshot, or null. */
  loadSnapshot(): StoredSnapshot | null
}
