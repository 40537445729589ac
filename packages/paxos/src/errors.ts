/**
 * Typed errors of `@synod/paxos`. Each extends `SynodError` from
 * `@synod/transport`, carries a stable `code`, and is recognised across two
 * copies of the package by its static `isInstance`. Operating errors (a
 * proposal on a follower, a full queue) are expected; `PaxosInvariantError`
 * is a bug and must stop the replica.
 */
import { type NodeId, SynodError } from '@synod/transport'

/**
 * Stable error codes raised by `@synod/paxos`.
 *
 * @example
 * ```ts
 * const code: PaxosErrorCode = 'ERR_PAXOS_NOT_LEADER'
 * ```
 */
export type PaxosErrorCode =
  | 'ERR_PAXOS_NOT_LEADER'
  | 'ERR_PAXOS_QUEUE_FULL'
  | 'ERR_PAXOS_PROPOSAL_DROPPED'
  | 'ERR_PAXOS_PROPOSAL_TIMEOUT'
  | 'ERR_PAXOS_CLOSED'
  | 'ERR_PAXOS_INVARIANT'
  | 'ERR_PAXOS_STORAGE_CORRUPTION'

function hasCode(error: unknown, code: PaxosErrorCode): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * A proposal reached a replica that is not the leader. Nothing was proposed;
 * retry at `leaderId` (the leader this replica last heard from, or null).
 *
 * @example
 * ```ts
 * try { await node.propose(command) } catch (error) {
 *   if (NotLeaderError.isInstance(error) && error.leaderId !== null) retryAt(error.leaderId)
 * }
 * ```
 */
export class NotLeaderError extends SynodError {
  /** The leader this replica knows of, or null. */
  readonly leaderId: NodeId | null
  constructor(leaderId: NodeId | null) {
    super(
      'ERR_PAXOS_NOT_LEADER',
      leaderId === null ? 'not the leader: no leader known' : `not the leader: try "${leaderId}"`,
    )
    this.leaderId = leaderId
  }
  static override isInstance(error: unknown): error is NotLeaderError {
    return hasCode(error, 'ERR_PAXOS_NOT_LEADER')
  }
}

/**
 * The leader's queue of proposals waiting for a slot is full (`maxPendingProposals`
 * or `maxPendingBytes`). Nothing was proposed; retry later.
 *
 * @example
 * ```ts
 * core.propose(bytes) // throws ProposalQueueFullError: proposal queue full: 1024 proposals pending (limit 1024)
 * ```
 */
export class ProposalQueueFullError extends SynodError {
  constructor(detail: string) {
    super('ERR_PAXOS_QUEUE_FULL', `proposal queue full: ${detail}`)
  }
  static override isInstance(error: unknown): error is ProposalQueueFullError {
    return hasCode(error, 'ERR_PAXOS_QUEUE_FULL')
  }
}

/**
 * Why a proposal definitely did not, and never will, take effect:
 * `leadership-lost` (the leader stepped down before giving it a slot) or
 * `overwritten` (its slot was chosen with another value).
 *
 * @example
 * ```ts
 * const reason: DropReason = 'overwritten'
 * ```
 */
export type DropReason = 'leadership-lost' | 'overwritten'

/**
 * A proposal that definitely was not chosen (see {@link DropReason}): safe to retry.
 *
 * @example
 * ```ts
 * try { await node.propose(command) } catch (error) {
 *   if (ProposalDroppedError.isInstance(error)) await node.propose(command) // it did not happen
 * }
 * ```
 */
export class ProposalDroppedError extends SynodError {
  readonly reason: DropReason
  constructor(reason: DropReason) {
    super(
      'ERR_PAXOS_PROPOSAL_DROPPED',
      reason === 'overwritten'
        ? 'proposal dropped: its slot was chosen with another value'
        : 'proposal dropped: leadership was lost before it got a slot',
    )
    this.reason = reason
  }
  static override isInstance(error: unknown): error is ProposalDroppedError {
    return hasCode(error, 'ERR_PAXOS_PROPOSAL_DROPPED')
  }
}

/**
 * A proposal's outcome is unknown after `timeoutMs`: it may still be chosen.
 *
 * @example
 * ```ts
 * await node.propose(command, { timeoutMs: 100 }) // may reject with ProposalTimeoutError: proposal timed out after 100 ms
 * ```
 */
export class ProposalTimeoutError extends SynodError {
  constructor(timeoutMs: number) {
    super('ERR_PAXOS_PROPOSAL_TIMEOUT', `proposal timed out after ${timeoutMs} ms`)
  }
  static override isInstance(error: unknown): error is ProposalTimeoutError {
    return hasCode(error, 'ERR_PAXOS_PROPOSAL_TIMEOUT')
  }
}

/**
 * The node was closed; pending proposals reject with it (their outcome is unknown).
 *
 * @example
 * ```ts
 * await node.close()
 * await node.propose(command) // rejects with PaxosClosedError: paxos node is closed
 * ```
 */
export class PaxosClosedError extends SynodError {
  constructor() {
    super('ERR_PAXOS_CLOSED', 'paxos node is closed')
  }
  static override isInstance(error: unknown): error is PaxosClosedError {
    return hasCode(error, 'ERR_PAXOS_CLOSED')
  }
}

/**
 * A broken invariant: a bug or corrupted state (for example two different
 * values chosen for one slot). Stop the replica; never catch and continue.
 *
 * @example
 * ```ts
 * throw new PaxosInvariantError('slot 4 chosen twice with different values')
 * ```
 */
export class PaxosInvariantError extends SynodError {
  constructor(reason: string) {
    super('ERR_PAXOS_INVARIANT', `paxos invariant violated: ${reason}`)
  }
  static override isInstance(error: unknown): error is PaxosInvariantError {
    return hasCode(error, 'ERR_PAXOS_INVARIANT')
  }
}

/**
 * A storage file that cannot be read back: a damaged record before the last one
 * (a damaged last record is a torn write, and is cut).
 *
 * @example
 * ```ts
 * storage.load() // throws StorageCorruptionError: paxos-log: record at byte 120: cannot decode message: ...
 * ```
 */
export class StorageCorruptionError extends SynodError {
  constructor(path: string, offset: number, reason: string) {
    super('ERR_PAXOS_STORAGE_CORRUPTION', `${path}: record at byte ${offset}: ${reason}`)
  }
  static override isInstance(error: unknown): error is StorageCorruptionError {
    return hasCode(error, 'ERR_PAXOS_STORAGE_CORRUPTION')
  }
}
