/**
 * The vocabulary of the Multi-Paxos core: ballots, slot values, the messages
 * replicas exchange and the records an acceptor persists.
 */
import type { NodeId } from '@synod/transport'

/**
 * A ballot (Lamport's "proposal number"): a round, then the proposer's id to
 * break ties, so that two proposers never share one. Ordered by `round`, then
 * by `nodeId` (string order). `{ round: 0, nodeId: '' }` is below every real ballot.
 *
 * @example
 * ```ts
 * const ballot: Ballot = { round: 3, nodeId: 'b' }
 * compareBallots(ballot, { round: 3, nodeId: 'a' }) // 1
 * ```
 */
export interface Ballot {
  readonly round: number
  readonly nodeId: NodeId
}

/**
 * The ballot below every real ballot: an acceptor's promise before it promised anything.
 *
 * @example
 * ```ts
 * compareBallots(ZERO_BALLOT, { round: 1, nodeId: 'a' }) // -1
 * ```
 */
export const ZERO_BALLOT: Ballot = Object.freeze({ round: 0, nodeId: '' })

/**
 * Orders two ballots: negative when `a < b`, 0 when equal, positive when `a > b`.
 *
 * @example
 * ```ts
 * compareBallots({ round: 1, nodeId: 'z' }, { round: 2, nodeId: 'a' }) // -1
 * ```
 */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round < b.round ? -1 : 1
  if (a.nodeId === b.nodeId) return 0
  return a.nodeId < b.nodeId ? -1 : 1
}

/**
 * What a slot of the replicated log holds: a client command, or a no-op that a
 * new leader writes into a slot nobody had accepted anything for.
 *
 * @example
 * ```ts
 * const value: PaxosValue = { kind: 'command', data: new TextEncoder().encode('set x 1') }
 * const filler: PaxosValue = { kind: 'noop' }
 * ```
 */
export type PaxosValue = { readonly kind: 'command'; readonly data: Uint8Array } | { readonly kind: 'noop' }

/**
 * A value an acceptor accepted in a slot, with the ballot it accepted it at.
 *
 * @example
 * ```ts
 * const entry: AcceptedEntry = { slot: 4, ballot: { round: 2, nodeId: 'a' }, value: { kind: 'noop' } }
 * ```
 */
export interface AcceptedEntry {
  readonly slot: number
  readonly ballot: Ballot
  readonly value: PaxosValue
}

/**
 * A slot and its value, as a leader proposes it (`accept`) or as a chosen value
 * is taught to a lagging replica (`learn`).
 *
 * @example
 * ```ts
 * const entry: SlotValue = { slot: 7, value: { kind: 'noop' } }
 * ```
 */
export interface SlotValue {
  readonly slot: number
  readonly value: PaxosValue
}

/**
 * The messages replicas exchange. Phase 1: `prepare` / `promise`; phase 2:
 * `accept` / `accepted` (an `accept` with no entries is the leader's heartbeat
 * and carries its commit index); `reject` answers a `prepare` or `accept` at a
 * ballot below the acceptor's promise; `learn` carries chosen values to a
 * replica that lags, and `snapshot` a state-machine snapshot to one that lags
 * behind a compaction.
 *
 * @example
 * ```ts
 * const heartbeat: PaxosMessage = { type: 'accept', ballot: { round: 1, nodeId: 'a' }, entries: [], commitIndex: 12 }
 * ```
 */
export type PaxosMessage =
  | {
      readonly type: 'prepare'
      readonly ballot: Ballot
      /** Phase 1 covers every slot from this one up (a page of the acceptor's answer starts here). */
      readonly fromSlot: number
    }
  | {
      readonly type: 'promise'
      readonly ballot: Ballot
      readonly fromSlot: number
      /** Accepted values at slots `>= fromSlot`, in slot order (one page). */
      readonly entries: readonly AcceptedEntry[]
      /** Where the next page starts, or null when this page is the last. */
      readonly nextSlot: number | null
      /** The acceptor's chosen prefix. */
      readonly chosenIndex: number
      /** The acceptor dropped its values up to this slot (a snapshot covers them); 0 when none. */
      readonly compactedSlot: number
    }
  | {
      readonly type: 'accept'
      readonly ballot: Ballot
      readonly entries: readonly SlotValue[]
      /** Every slot up to this one is chosen. */
      readonly commitIndex: number
    }
  | {
      readonly type: 'accepted'
      readonly ballot: Ballot
      /** The slots now accepted at `ballot` (empty for a heartbeat reply). */
      readonly slots: readonly number[]
      /** The replica's chosen prefix: the leader sends `learn` when it lags. */
      readonly chosenIndex: number
    }
  | {
      readonly type: 'reject'
      /** The ballot that was refused. */
      readonly ballot: Ballot
      /** The higher ballot the acceptor promised. */
      readonly promised: Ballot
    }
  | {
      readonly type: 'learn'
      readonly ballot: Ballot
      /** Chosen values, in slot order. */
      readonly entries: readonly SlotValue[]
      readonly commitIndex: number
    }
  | {
      readonly type: 'snapshot'
      /** The sender's promise. */
      readonly ballot: Ballot
      /** The state machine's state after applying every slot up to this one. */
      readonly slot: number
      readonly data: Uint8Array
    }

/**
 * The message kinds, in codec tag order.
 *
 * @example
 * ```ts
 * PAXOS_MESSAGE_TYPES.includes('prepare') // true
 * ```
 */
export const PAXOS_MESSAGE_TYPES = [
  'prepare',
  'promise',
  'accept',
  'accepted',
  'reject',
  'learn',
  'snapshot',
] as const

/**
 * What an acceptor persists before it answers: a promise not to accept below
 * `ballot`, or values it accepted. Replaying them in order (`restoreState`)
 * gives back the acceptor's state.
 *
 * @example
 * ```ts
 * const records: PaxosRecord[] = [
 *   { type: 'promise', ballot: { round: 1, nodeId: 'a' } },
 *   { type: 'accept', entries: [{ slot: 1, ballot: { round: 1, nodeId: 'a' }, value: { kind: 'noop' } }] },
 * ]
 * ```
 */
export type PaxosRecord =
  | { readonly type: 'promise'; readonly ballot: Ballot }
  | { readonly type: 'accept'; readonly entries: readonly AcceptedEntry[] }

/**
 * An acceptor's durable state: its promise and its accepted values.
 *
 * @example
 * ```ts
 * const state: PersistedState = { promised: ZERO_BALLOT, accepted: [], compactedSlot: 0 }
 * ```
 */
export interface PersistedState {
  readonly promised: Ballot
  /** The latest accepted value of each slot above `compactedSlot`, in slot order. */
  readonly accepted: readonly AcceptedEntry[]
  /** The slot of the durable state-machine snapshot: every slot up to it is chosen and dropped (0 when none). */
  readonly compactedSlot: number
}

const EMPTY_BYTES = new Uint8Array(0)

/**
 * Folds persisted records, one at a time, into an acceptor's state: the highest
 * promise, and the latest accepted value of each slot (its own copy of the
 * command bytes: no buffer is shared with the records).
 *
 * @example
 * ```ts
 * const fold = new StateFold()
 * fold.add({ type: 'promise', ballot: { round: 2, nodeId: 'b' } })
 * fold.state().promised // { round: 2, nodeId: 'b' }
 * ```
 */
export class StateFold {
  private promised: Ballot = ZERO_BALLOT
  /**
   * Per slot above `compactedSlot`, in chunks of `FOLD_CHUNK` slots (chunk `k`
   * holds slots from `k * FOLD_CHUNK`): the ballot of the latest
   * accepted value and, for a command, its bytes in an arena (a slab shared
   * by small commands, or a copy of its own) at an offset, for a length (-1 for
   * a no-op). No reference to the records is kept.
   */
  private readonly chunks = new Map<number, FoldChunk>()
  private cachedKey = Number.NaN
  private cached: FoldChunk | undefined = undefined
  private compactedSlot = 0
  /** Where small commands' bytes are copied to, from `slabUsed` on. */
  private slab: Uint8Array = EMPTY_BYTES
  private slabUsed = 0

  /** Drops the accepted values up to `slot`, which a durable snapshot now covers. */
  compact(slot: number): void {
    if (slot <= this.compactedSlot) return
    this.compactedSlot = slot
    const firstKept = Math.floor(slot / FOLD_CHUNK) // the chunk holding `slot` keeps the slots above it
    for (const key of [...this.chunks.keys()]) if (key < firstKept) this.chunks.delete(key)
    this.cachedKey = Number.NaN
    this.cached = undefined
    const chunk = this.chunks.get(firstKept)
    if (chunk !== undefined)
      for (let i = 0, stop = slot - firstKept * FOLD_CHUNK; i <= stop; i++) {
        chunk.ballots[i] = undefined
        chunk.arenas[i] = undefined
      }
  }

  /** Applies one record. */
  add(record: PaxosRecord): void {
    if (record.type === 'promise') {
      if (compareBallots(record.ballot, this.promised) > 0) this.promised = record.ballot
      return
    }
    const list = record.entries
    for (let i = 0; i < list.length; i++) {
      const entry = list[i] as AcceptedEntry
      const value = entry.value
      let arena: Uint8Array | undefined
      let at = 0
      let length = -1
      if (value.kind === 'command') {
        // the fold's own copy of the bytes, in a shared slab (small commands) or alone
        const data = value.data
        length = data.length
        if (length > SLAB_BYTES / 8) arena = data.slice()
        else {
          if (this.slabUsed + length > this.slab.length) {
            this.slab = new Uint8Array(SLAB_BYTES)
            this.slabUsed = 0
          }
          arena = this.slab
          at = this.slabUsed
          if (length <= 64) for (let j = 0; j < length; j++) arena[at + j] = data[j] as number
          else arena.set(data, at)
          this.slabUsed = at + length
        }
      }
      const slot = entry.slot
      if (slot > this.compactedSlot) {
        const absolute = Math.floor(slot / FOLD_CHUNK)
        let chunk = absolute === this.cachedKey ? this.cached : this.chunks.get(absolute)
        if (chunk === undefined) {
          chunk = newFoldChunk()
          this.chunks.set(absolute, chunk)
        }
        this.cachedKey = absolute
        this.cached = chunk
        const index = slot - absolute * FOLD_CHUNK
        const before = chunk.ballots[index]
        if (before === undefined || compareBallots(entry.ballot, before) >= 0) {
          chunk.ballots[index] = entry.ballot
          chunk.arenas[index] = arena
          chunk.places[2 * index] = at
          chunk.places[2 * index + 1] = length
        }
      }
      if (compareBallots(entry.ballot, this.promised) > 0) this.promised = entry.ballot
    }
  }

  /** The state so far, accepted values in slot order. */
  state(): PersistedState {
    const accepted: AcceptedEntry[] = []
    for (const key of [...this.chunks.keys()].sort((a, b) => a - b)) {
      const chunk = this.chunks.get(key) as FoldChunk
      const first = key * FOLD_CHUNK
      for (let index = 0; index < FOLD_CHUNK; index++) {
        const ballot = chunk.ballots[index]
        if (ballot === undefined) continue
        const slot = first + index
        if (slot <= this.compactedSlot) continue
        const from = chunk.places[2 * index] as number
        const length = chunk.places[2 * index + 1] as number
        const arena = chunk.arenas[index]
        if (length < 0 || arena === undefined) accepted.push({ slot, ballot, value: NOOP_VALUE })
        else
          accepted.push({
            slot,
            ballot,
            value: { kind: 'command', data: arena.subarray(from, from + length) },
          })
      }
    }
    return { promised: this.promised, accepted, compactedSlot: this.compactedSlot }
  }
}

const FOLD_CHUNK = 1024
const SLAB_BYTES = 64 * 1024

interface FoldChunk {
  readonly ballots: (Ballot | undefined)[]
  readonly arenas: (Uint8Array | undefined)[]
  /** Per slot: the offset in its arena, then the length (-1 for a no-op). */
  readonly places: Float64Array
}

function newFoldChunk(): FoldChunk {
  return {
    ballots: new Array<Ballot | undefined>(FOLD_CHUNK).fill(undefined),
    arenas: new Array<Uint8Array | undefined>(FOLD_CHUNK).fill(undefined),
    places: new Float64Array(2 * FOLD_CHUNK),
  }
}

const NOOP_VALUE: PaxosValue = Object.freeze({ kind: 'noop' })

/**
 * Folds records, in the order they were persisted, into the acceptor's state.
 *
 * @example
 * ```ts
 * restoreState([{ type: 'promise', ballot: { round: 2, nodeId: 'b' } }]).promised // { round: 2, nodeId: 'b' }
 * ```
 */
export function restoreState(records: Iterable<PaxosRecord>): PersistedState {
  const fold = new StateFold()
  for (const record of records) fold.add(record)
  return fold.state()
}

/**
 * The size of a value in bytes, as the in-flight and batch limits count it.
 *
 * @example
 * ```ts
 * valueBytes({ kind: 'noop' }) // 0
 * ```
 */
export function valueBytes(value: PaxosValue): number {
  return value.kind === 'command' ? value.data.length : 0
}
