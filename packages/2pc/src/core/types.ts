/**
 * The vocabulary shared by the coordinator and participant cores: votes,
 * decisions, the messages they exchange and the records they persist.
 */
import type { NodeId } from '@synod/transport'

/**
 * A participant's answer to `prepare`: `yes` (prepared, bound to obey the
 * decision), `no` (aborts at once) or `read-only` (nothing to commit: it leaves
 * the transaction and gets no decision).
 *
 * @example
 * ```ts
 * const vote: Vote = 'read-only'
 * ```
 */
export type Vote = 'yes' | 'no' | 'read-only'

/**
 * The outcome of a transaction.
 *
 * @example
 * ```ts
 * const decision: Decision = 'commit'
 * ```
 */
export type Decision = 'commit' | 'abort'

/**
 * A transaction id: a non-empty string, unique for ever (a reused id may meet
 * a participant's memory of the old outcome).
 *
 * @example
 * ```ts
 * const txId: TransactionId = 'order-2024-000017'
 * ```
 */
export type TransactionId = string

/**
 * Every message of the protocol.
 *
 * - `prepare` (coordinator → participant): phase 1, with the participant's
 *   payload and the full participant list (for cooperative termination).
 * - `vote` (participant → coordinator).
 * - `decision` (coordinator → participant, or participant → participant as an
 *   answer to `decision-request`).
 * - `ack` (participant → coordinator): a commit decision is durable here.
 * - `decision-request` (an uncertain participant → coordinator and peers).
 *
 * @example
 * ```ts
 * const message: TwoPhaseMessage = { kind: 'vote', txId: 't1', vote: 'yes' }
 * ```
 */
export type TwoPhaseMessage =
  | {
      readonly kind: 'prepare'
      readonly txId: TransactionId
      readonly participants: readonly NodeId[]
      readonly payload: Uint8Array
    }
  | { readonly kind: 'vote'; readonly txId: TransactionId; readonly vote: Vote }
  | { readonly kind: 'decision'; readonly txId: TransactionId; readonly decision: Decision }
  | { readonly kind: 'ack'; readonly txId: TransactionId }
  | { readonly kind: 'decision-request'; readonly txId: TransactionId }

/**
 * What the cores ask to persist. The coordinator writes `committing` (forced:
 * the commit decision and who must acknowledge it) and `ended` (all acks in);
 * presumed abort means it never writes an abort. The participant writes
 * `started` (once, on its first start), `prepared` (forced before its yes
 * vote) and `decided`.
 *
 * @example
 * ```ts
 * const record: TwoPhaseRecord = { kind: 'decided', txId: 't1', decision: 'commit' }
 * ```
 */
export type TwoPhaseRecord = CoordinatorRecord | ParticipantRecord

/**
 * A coordinator's persisted record.
 *
 * @example
 * ```ts
 * const record: CoordinatorRecord = { kind: 'committing', txId: 't1', participants: ['p1', 'p2'] }
 * ```
 */
export type CoordinatorRecord =
  | { readonly kind: 'committing'; readonly txId: TransactionId; readonly participants: readonly NodeId[] }
  | { readonly kind: 'ended'; readonly txId: TransactionId }

/**
 * A participant's persisted record.
 *
 * @example
 * ```ts
 * const record: ParticipantRecord = { kind: 'prepared', txId: 't1', coordinator: 'c', participants: ['p1', 'p2'] }
 * ```
 */
export type ParticipantRecord =
  | { readonly kind: 'started' }
  | {
      readonly kind: 'prepared'
      readonly txId: TransactionId
      readonly coordinator: NodeId
      readonly participants: readonly NodeId[]
    }
  | { readonly kind: 'decided'; readonly txId: TransactionId; readonly decision: Decision }

/**
 * A message to send.
 *
 * @example
 * ```ts
 * const out: Outgoing = { to: 'p1', message: { kind: 'ack', txId: 't1' } }
 * ```
 */
export interface Outgoing {
  readonly to: NodeId
  readonly message: TwoPhaseMessage
}

/**
 * A transaction's outcome, reported once.
 *
 * @example
 * ```ts
 * const outcome: Outcome = { txId: 't1', decision: 'abort' }
 * ```
 */
export interface Outcome {
  readonly txId: TransactionId
  readonly decision: Decision
}

/**
 * The limits both cores and the codec enforce, with their defaults.
 *
 * @example
 * ```ts
 * const limits: Limits = { ...DEFAULT_LIMITS, maxParticipants: 8 }
 * ```
 */
export interface Limits {
  /** The most participants in one transaction (default 64). */
  readonly maxParticipants: number
  /** The longest transaction id, in UTF-8 bytes (default 128). */
  readonly maxTransactionIdBytes: number
  /** The largest payload one participant gets with `prepare` (default 1 MiB). */
  readonly maxPayloadBytes: number
}

/**
 * The default {@link Limits}.
 *
 * @example
 * ```ts
 * DEFAULT_LIMITS.maxParticipants // 64
 * ```
 */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxParticipants: 64,
  maxTransactionIdBytes: 128,
  maxPayloadBytes: 1024 * 1024,
})
