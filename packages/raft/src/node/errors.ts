/**
 * Typed errors of the Raft driver (`RaftNode`). Each says whether the outcome of
 * the request is known: definite errors mean the command was not (and will never
 * be) committed by this request; indefinite ones mean it may or may not be.
 */
import { type NodeId, SynodError } from '@synod/transport'

/**
 * Stable error codes raised by `RaftNode`.
 * @example
 * ```ts
 * if (SynodError.isInstance(error) && error.code === 'ERR_RAFT_TIMEOUT') retryWithSameSession()
 * ```
 */
export type RaftNodeErrorCode =
  | 'ERR_RAFT_NOT_LEADER'
  | 'ERR_RAFT_TIMEOUT'
  | 'ERR_RAFT_STOPPED'
  | 'ERR_RAFT_PROPOSAL_OVERWRITTEN'
  | 'ERR_RAFT_TRANSFER_ABORTED'

function hasCode(error: unknown, code: RaftNodeErrorCode): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * This node is not the leader: the request was definitely NOT appended here.
 * Retry on `leaderHint` (the leader this node knows of, or null).
 *
 * @example
 * ```ts
 * try { await follower.propose(command) } catch (error) {
 *   if (NotLeaderError.isInstance(error) && error.leaderHint !== null) await nodes.get(error.leaderHint)?.propose(command)
 * }
 * ```
 */
export class NotLeaderError extends SynodError {
  /** The leader this node knows of, or null. */
  readonly leaderHint: NodeId | null
  constructor(leaderHint: NodeId | null) {
    super(
      'ERR_RAFT_NOT_LEADER',
      leaderHint === null
        ? 'not the leader: no leader is known'
        : `not the leader: the leader is "${leaderHint}"`,
    )
    this.leaderHint = leaderHint
  }
  static override isInstance(error: unknown): error is NotLeaderError {
    return hasCode(error, 'ERR_RAFT_NOT_LEADER')
  }
}

/**
 * The request did not complete within its timeout. The outcome is UNKNOWN: a
 * proposal may still commit later. Retry with the same client session to stay exactly-once.
 *
 * @example
 * ```ts
 * await node.propose(command, { timeoutMs: 1 }) // rejects with RaftTimeoutError: propose timed out after 1 ms
 * ```
 */
export class RaftTimeoutError extends SynodError {
  /** The request that timed out. */
  readonly operation: string
  /** The timeout, in milliseconds. */
  readonly timeoutMs: number
  constructor(operation: string, timeoutMs: number) {
    super('ERR_RAFT_TIMEOUT', `${operation} timed out after ${timeoutMs} ms`)
    this.operation = operation
    this.timeoutMs = timeoutMs
  }
  static override isInstance(error: unknown): error is RaftTimeoutError {
    return hasCode(error, 'ERR_RAFT_TIMEOUT')
  }
}

/**
 * The node stopped (by `stop()`, or fail-stop after a storage failure or a
 * broken invariant, then `cause` is set). For a proposal already handed to the
 * core the outcome is UNKNOWN.
 *
 * @example
 * ```ts
 * await node.stop()
 * await node.propose(command) // rejects with StoppedError: raft node stopped
 * ```
 */
export class StoppedError extends SynodError {
  constructor(cause?: unknown) {
    super(
      'ERR_RAFT_STOPPED',
      cause === undefined
        ? 'raft node stopped'
        : `raft node stopped after a failure: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause === undefined ? undefined : { cause },
    )
  }
  static override isInstance(error: unknown): error is StoppedError {
    return hasCode(error, 'ERR_RAFT_STOPPED')
  }
}

/**
 * The proposal's entry was replaced by a different entry at the same index (a
 * new leader overwrote it, or committed another entry there). DEFINITE: the
 * proposal was not committed and never will be; it is safe to propose it again.
 *
 * @example
 * ```ts
 * if (ProposalOverwrittenError.isInstance(error)) await node.propose(command) // nothing was applied
 * ```
 */
export class ProposalOverwrittenError extends SynodError {
  /** The index the proposal had. */
  readonly index: number
  /** The term the proposal had. */
  readonly term: number
  constructor(index: number, term: number, replacedByTerm: number) {
    super(
      'ERR_RAFT_PROPOSAL_OVERWRITTEN',
      `proposal overwritten: entry ${index} of term ${term} was replaced by an entry of term ${replacedByTerm}`,
    )
    this.index = index
    this.term = term
  }
  static override isInstance(error: unknown): error is ProposalOverwrittenError {
    return hasCode(error, 'ERR_RAFT_PROPOSAL_OVERWRITTEN')
  }
}

/**
 * A leadership transfer the leader gave up on (the target did not take over
 * within an election timeout). This node may still be the leader.
 *
 * @example
 * ```ts
 * if (TransferAbortedError.isInstance(error)) console.log(`transfer to ${error.to} aborted`)
 * ```
 */
export class TransferAbortedError extends SynodError {
  /** The intended new leader. */
  readonly to: NodeId
  constructor(to: NodeId) {
    super('ERR_RAFT_TRANSFER_ABORTED', `leadership transfer to "${to}" aborted`)
    this.to = to
  }
  static override isInstance(error: unknown): error is TransferAbortedError {
    return hasCode(error, 'ERR_RAFT_TRANSFER_ABORTED')
  }
}
