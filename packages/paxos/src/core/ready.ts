/**
 * The batch of work the core hands to its driver, and the I/O contract the
 * driver must keep.
 */
import type { NodeId } from '@synod/transport'
import type { DropReason } from '../errors.js'
import type { Ballot, PaxosMessage, PaxosRecord, PaxosValue } from './types.js'

/**
 * The role a replica plays as a proposer. Every replica is always an acceptor and a learner.
 *
 * @example
 * ```ts
 * if (core.status().role === 'leader') core.propose(command)
 * ```
 */
export type PaxosRole = 'follower' | 'candidate' | 'leader'

/**
 * Something that happened inside the core, reported in order.
 *
 * @example
 * ```ts
 * for (const event of ready.events) if (event.type === 'leader-changed') console.log(event.leaderId)
 * ```
 */
export type PaxosEvent =
  | { readonly type: 'role-changed'; readonly role: PaxosRole; readonly ballot: Ballot }
  | { readonly type: 'leader-changed'; readonly leaderId: NodeId | null }

/**
 * A message to send.
 *
 * @example
 * ```ts
 * for (const { to, message } of ready.messages) transport.send(to, message)
 * ```
 */
export interface Outgoing {
  readonly to: NodeId
  readonly message: PaxosMessage
}

/**
 * A chosen value to apply, in slot order with no gaps. `proposalId` is the id
 * `propose` returned when this replica proposed this very value in this slot.
 *
 * @example
 * ```ts
 * for (const entry of ready.chosen) if (entry.value.kind === 'command') stateMachine.apply(entry.value.data, entry.slot)
 * ```
 */
export interface ChosenEntry {
  readonly slot: number
  readonly value: PaxosValue
  readonly proposalId: number | null
}

/**
 * A proposal that definitely did not and will not take effect.
 *
 * @example
 * ```ts
 * for (const { proposalId, reason } of ready.dropped) waiters.get(proposalId)?.reject(new ProposalDroppedError(reason))
 * ```
 */
export interface DroppedProposal {
  readonly proposalId: number
  readonly reason: DropReason
}

/**
 * One batch of work from `PaxosCore.ready()`. The driver carries it out in this order:
 *
 * 1. If `snapshot` is set, make it durable (it replaces the stored one and
 *    compacts the stored accepted values up to its slot). Then persist `records`, in order, and wait until they are on stable storage
 *    (written and fsynced). An acceptor's promise and the values it accepted
 *    must be durable before any message that reports them leaves: a replica
 *    that forgets a promise or an accepted value after a crash can let two
 *    different values be chosen for one slot.
 * 2. Only then send `messages` (in any order; they may be lost: the core
 *    retries), and the stored snapshot to each of `snapshotsToSend`.
 * 3. If `snapshot` is set, restore the state machine from it. Apply `chosen`
 *    in order (slot by slot, no gaps), then settle `dropped`
 *    proposals and handle `events`.
 *
 * `ready()` hands each output out once: there is no `advance()`. A crash at any
 * point loses what the core held in memory; restart with `restoreState(records)`
 * of everything persisted. Chosen values are not persisted: a restarted replica
 * restores its latest snapshot and learns the later values again from its peers.
 *
 * @example
 * ```ts
 * while (core.hasReady()) {
 *   const ready = core.ready()
 *   storage.append(ready.records) // durable before the messages leave
 *   for (const { to, message } of ready.messages) transport.send(to, message)
 *   for (const entry of ready.chosen) apply(entry)
 * }
 * ```
 */
export interface PaxosReady {
  /** Records to persist first. */
  readonly records: PaxosRecord[]
  /** Messages to send once the records are durable. */
  readonly messages: Outgoing[]
  /** Newly chosen values to apply, in slot order. */
  readonly chosen: ChosenEntry[]
  /** Proposals that will never be chosen. */
  readonly dropped: DroppedProposal[]
  /** Role and leader changes. */
  readonly events: PaxosEvent[]
  /**
   * A peer's snapshot this replica now stands on: every slot up to `slot` is
   * chosen. Make it durable (`PaxosStorage.saveSnapshot`) before the records,
   * and restore the state machine from it before applying `chosen`.
   */
  readonly snapshot: { readonly slot: number; readonly data: Uint8Array } | null
  /**
   * Peers that lag behind this replica's compaction: send each a `snapshot`
   * message with this replica's latest durable snapshot (`ballot`: its
   * `status().promised`), after the records are durable.
   */
  readonly snapshotsToSend: NodeId[]
}
