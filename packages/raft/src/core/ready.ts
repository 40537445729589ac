/**
 * The batch of work the core hands to its driver: `Ready`, and the I/O contract
 * the driver must keep.
 */
import type { NodeId } from '@synod/transport'
import type { InstallSnapshotMessage, RaftMessage } from './messages.js'
import type { HardState, LogEntry, Membership, SnapshotMeta } from './types.js'

/**
 * The role of a node. `pre-candidate` is a follower running a pre-vote.
 * @example
 * ```ts
 * if (core.status().role === 'leader') core.propose(data)
 * ```
 */
export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader'

/**
 * Something that happened inside the core, reported in order.
 * @example
 * ```ts
 * for (const event of ready.events) if (event.type === 'leader-changed') console.log(event.leaderId)
 * ```
 */
export type RaftEvent =
  | { type: 'role-changed'; role: RaftRole; term: number }
  | { type: 'leader-changed'; leaderId: NodeId | null; term: number }
  | { type: 'membership-changed'; membership: Membership; index: number }
  | { type: 'read-index-dropped'; requestId: string; reason: 'no-leader' | 'not-leader' | 'leadership-lost' }
  | { type: 'leadership-transfer-aborted'; to: NodeId }

/**
 * A confirmed read: once the applied index reaches `index`, the read `requestId` may be served.
 * @example
 * ```ts
 * for (const read of ready.readStates) pendingReads.get(read.requestId)?.serveAfter(read.index)
 * ```
 */
export interface ReadState {
  requestId: string
  index: number
}

/**
 * A snapshot chunk to send: read `length` bytes at `message.offset`, put them in `data`, send.
 * @example
 * ```ts
 * for (const chunk of ready.snapshotChunksToSend)
 *   transport.send(chunk.message.to, { ...chunk.message, data: await storage.readSnapshot(chunk.message.offset, chunk.length) })
 * ```
 */
export interface SnapshotChunkToSend {
  /** The message to send, with empty `data`. */
  message: InstallSnapshotMessage
  /** How many bytes to read from `RaftStorage.readSnapshot(message.offset, length)`. */
  length: number
}

/**
 * A chunk of an incoming snapshot, to be written with a `SnapshotWriter`.
 * @example
 * ```ts
 * for (const chunk of ready.snapshotChunksReceived) {
 *   if (chunk.first) writer = await storage.beginSnapshot(chunk.meta)
 *   await writer.write(chunk.offset, chunk.data)
 * }
 * ```
 */
export interface ReceivedSnapshotChunk {
  meta: SnapshotMeta
  offset: number
  data: Uint8Array
  /** The first chunk of a new transfer: abort any writer in progress and call `beginSnapshot(meta)`. */
  first: boolean
}

/**
 * One batch of work from the core. The driver handles it in this order:
 *
 * 1. If `snapshotAborted`, abort the `SnapshotWriter` in progress (if any). Then
 *    write `snapshotChunksReceived` in order: on a chunk with `first`, abort any
 *    writer in progress and `beginSnapshot(meta)`; then `write(offset, data)`.
 * 2. If `snapshot` is set, `finish()` the writer: the snapshot becomes durable and
 *    current, and the stored log keeps only the entries after `snapshot.index`
 *    when it held a matching entry there (else none), as the core's log does.
 * 3. Persist `hardState` (when not null) and `entries` in one `RaftStorage.save`
 *    (entries may start at or below the last stored index: the stored suffix is
 *    replaced) and wait until they are on stable storage. A `hardState` that
 *    differs from the saved one only in `commit` needs no save of its own (Raft
 *    does not need the commit index durable): it may ride with the next save.
 * 4. Only then send `messages`, and the `snapshotChunksToSend` (read each chunk
 *    with `readSnapshot`, fill `data`, send; skip it when the current snapshot's
 *    index is no longer `message.meta.index`).
 *    Exception (thesis §10.2.1): when `hardState` is null or changes only
 *    `commit`, messages of type `append-entries` and `heartbeat` (a leader's) may
 *    be sent before step 3 completes. The leader counts its own entries toward
 *    commit only once the Ready that carried them is advanced, and followers
 *    still persist before they acknowledge.
 * 5. If `snapshot` is set, restore the state machine from it; then apply
 *    `committedEntries` in order; serve `readStates` once applied up to their index;
 *    handle `events`. Committed entries already on stable storage before this
 *    Ready (below `entries[0].index`, and saved by an earlier Ready) may be
 *    applied before step 3 completes.
 * 6. Call `advance(ready)`: the Ready's entries now count as durable.
 *
 * Messages may be sent in any order and may be lost: the core retries.
 * `tick()` and `step()` may be called while a Ready is being handled; `ready()`
 * may not (one Ready at a time). A crash before step 3 completes loses the Ready:
 * restart from storage, as the core never assumes unpersisted state survived.
 *
 * Local snapshots: once the state machine has applied index `i`, take
 * `meta = core.snapshotMeta(i, sizeBytes)`, write the data with
 * `storage.beginSnapshot(meta)`, `finish()`, then `core.compact(meta)` and
 * `storage.compact(i)`.
 *
 * @example
 * ```ts
 * while (core.hasReady()) {
 *   const ready = core.ready()
 *   // 1-2: snapshot chunks and install (see above)
 *   await storage.save({ hardState: ready.hardState ?? undefined, entries: ready.entries })
 *   for (const message of ready.messages) transport.send(message.to, message)
 *   for (const entry of ready.committedEntries) stateMachine.apply(entry)
 *   core.advance(ready)
 * }
 * ```
 */
export interface Ready {
  /** Messages to send, after steps 1 to 3 are durable. */
  messages: RaftMessage[]
  /** The hard state to persist, or null when unchanged. */
  hardState: HardState | null
  /** Entries to persist, before sending; `entries[0]` may replace a stored suffix. */
  entries: LogEntry[]
  /** A snapshot received from the leader and now complete: make it durable and restore from it. */
  snapshot: SnapshotMeta | null
  /** Incoming snapshot data to write, in order. */
  snapshotChunksReceived: ReceivedSnapshotChunk[]
  /** A partial incoming snapshot was abandoned: abort its writer. */
  snapshotAborted: boolean
  /** Outgoing snapshot chunks for the driver to read from storage and send. */
  snapshotChunksToSend: SnapshotChunkToSend[]
  /** Committed entries to apply, in order, after persisting. */
  committedEntries: LogEntry[]
  /** Confirmed ReadIndex requests. */
  readStates: ReadState[]
  /** Role, leader and membership changes, dropped reads. */
  events: RaftEvent[]
}
