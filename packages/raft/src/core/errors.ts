/**
 * Typed errors of the Raft core. Operating errors (a proposal on a follower, a
 * refused configuration change) are expected and carry a stable `code`; a broken
 * invariant (`RaftInvariantError`) is a bug and must crash the node.
 */
import { SynodError } from '@synod/transport'

/**
 * Stable error codes raised by the Raft core.
 * @example
 * ```ts
 * if (SynodError.isInstance(error) && error.code === 'ERR_RAFT_PROPOSAL_DROPPED') retryLater()
 * ```
 */
export type RaftErrorCode =
  | 'ERR_RAFT_PROPOSAL_DROPPED'
  | 'ERR_RAFT_CONFIG_CHANGE_REFUSED'
  | 'ERR_RAFT_INVARIANT'
  | 'ERR_RAFT_READY_PENDING'
  | 'ERR_RAFT_TRANSFER_REFUSED'
  | 'ERR_RAFT_COMPACT_REFUSED'

function hasCode(error: unknown, code: RaftErrorCode): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * Why a proposal was refused.
 * @example
 * ```ts
 * if (ProposalDroppedError.isInstance(error) && error.reason === 'not-leader') forward(error.leaderId)
 * ```
 */
export type ProposalDropReason = 'not-leader' | 'leadership-transfer' | 'uncommitted-limit'

/**
 * A proposal the core refused: this node is not the leader, a leadership transfer
 * is under way, or the leader's uncommitted log exceeds `maxUncommittedBytes`.
 * Nothing was appended; the caller may retry (elsewhere, or later).
 *
 * @example
 * ```ts
 * try { core.propose(data) } catch (error) {
 *   if (ProposalDroppedError.isInstance(error)) redirect(error.leaderId)
 * }
 * ```
 */
export class ProposalDroppedError extends SynodError {
  /** Why the proposal was refused. */
  readonly reason: ProposalDropReason
  /** The leader this node knows of, or null. */
  readonly leaderId: string | null
  constructor(reason: ProposalDropReason, leaderId: string | null, detail?: string) {
    super('ERR_RAFT_PROPOSAL_DROPPED', `proposal dropped: ${detail ?? reason}`)
    this.reason = reason
    this.leaderId = leaderId
  }
  static override isInstance(error: unknown): error is ProposalDroppedError {
    return hasCode(error, 'ERR_RAFT_PROPOSAL_DROPPED')
  }
}

/**
 * A membership change the leader refused because it would break a safety rule
 * (another change in flight, more than one voter changed without joint consensus,
 * a change while in a joint configuration, an empty voter set, ...).
 *
 * @example
 * ```ts
 * core.proposeConfigChange({ changes: [{ type: 'add-voter', nodeId: 'd' }] })
 * core.proposeConfigChange({ changes: [{ type: 'add-voter', nodeId: 'e' }] })
 * // throws ConfigChangeRefusedError: config change refused: a configuration change is already in flight (index 5)
 * ```
 */
export class ConfigChangeRefusedError extends SynodError {
  /**
   * `term-not-committed`: a new leader has not yet committed an entry of its term (it
   * passes within a round trip); `in-flight`: another change is not yet committed;
   * `invalid`: the change itself breaks a rule.
   */
  readonly kind: 'term-not-committed' | 'in-flight' | 'invalid'
  constructor(reason: string, kind: 'term-not-committed' | 'in-flight' | 'invalid' = 'invalid') {
    super('ERR_RAFT_CONFIG_CHANGE_REFUSED', `config change refused: ${reason}`)
    this.kind = kind
  }
  static override isInstance(error: unknown): error is ConfigChangeRefusedError {
    return hasCode(error, 'ERR_RAFT_CONFIG_CHANGE_REFUSED')
  }
}

/**
 * A leadership transfer the leader refused (not the leader, unknown or non-voter
 * target, ...).
 *
 * @example
 * ```ts
 * core.transferLeadership('z') // throws TransferRefusedError: leadership transfer refused: "z" is not a voter
 * ```
 */
export class TransferRefusedError extends SynodError {
  constructor(reason: string) {
    super('ERR_RAFT_TRANSFER_REFUSED', `leadership transfer refused: ${reason}`)
  }
  static override isInstance(error: unknown): error is TransferRefusedError {
    return hasCode(error, 'ERR_RAFT_TRANSFER_REFUSED')
  }
}

/**
 * A compaction the core refused (an index not yet applied, or below the current snapshot).
 *
 * @example
 * ```ts
 * core.compact(core.status().applied + 1, 0) // throws CompactRefusedError
 * ```
 */
export class CompactRefusedError extends SynodError {
  constructor(reason: string) {
    super('ERR_RAFT_COMPACT_REFUSED', `compaction refused: ${reason}`)
  }
  static override isInstance(error: unknown): error is CompactRefusedError {
    return hasCode(error, 'ERR_RAFT_COMPACT_REFUSED')
  }
}

/**
 * `ready()` was called while the previous Ready has not been passed to `advance()`.
 *
 * @example
 * ```ts
 * const first = core.ready()
 * core.ready() // throws ReadyPendingError
 * core.advance(first)
 * ```
 */
export class ReadyPendingError extends SynodError {
  constructor() {
    super('ERR_RAFT_READY_PENDING', 'ready() called before the previous Ready was advanced')
  }
  static override isInstance(error: unknown): error is ReadyPendingError {
    return hasCode(error, 'ERR_RAFT_READY_PENDING')
  }
}

/**
 * A broken Raft invariant: a bug or corrupted state (for example a leader asking a
 * follower to overwrite committed entries). The node must stop; never catch and continue.
 *
 * @example
 * ```ts
 * throw new RaftInvariantError('entry 5 is committed and cannot be truncated')
 * ```
 */
export class RaftInvariantError extends SynodError {
  constructor(reason: string) {
    super('ERR_RAFT_INVARIANT', `raft invariant violated: ${reason}`)
  }
  static override isInstance(error: unknown): error is RaftInvariantError {
    return hasCode(error, 'ERR_RAFT_INVARIANT')
  }
}
