/**
 * The coordinator of presumed-abort two-phase commit, as a pure state machine.
 *
 * Phase 1 sends `prepare` to every participant and collects votes; the first
 * `no`, or a vote timeout, aborts. When every vote is in and none is `no`, the
 * coordinator commits: it asks for a `committing` record (which the caller must
 * make durable before sending anything of the same batch), sends the decision to
 * the `yes` voters and re-sends it until each acknowledges; then it asks for an
 * `ended` record and forgets the transaction. An abort is never written: a
 * coordinator that knows nothing of a transaction answers `abort` (presumed
 * abort, Mohan, Lindsay & Obermarck 1986). `read-only` voters leave after phase
 * 1; a transaction whose voters are all read-only commits with no write at all.
 */
import type { NodeId } from '@synod/transport'
import { DuplicateTransactionError, TooManyTransactionsError } from '../errors.js'
import {
  assertParticipants,
  assertPayloads,
  assertTransactionId,
  booleanOption,
  coreBasics,
  integerOption,
} from '../validate.js'
import { Outbox } from './outbox.js'
import type {
  CoordinatorRecord,
  Decision,
  Limits,
  Outcome,
  Outgoing,
  TransactionId,
  TwoPhaseMessage,
  Vote,
} from './types.js'

/**
 * Options of a {@link CoordinatorCore}. Times are in ticks.
 *
 * @example
 * ```ts
 * const options: CoordinatorCoreOptions = { id: 'c', voteTimeoutTicks: 30, retryTicks: 5 }
 * ```
 */
export interface CoordinatorCoreOptions {
  /** This coordinator's node id. */
  id: NodeId
  /** Ticks to wait for every vote before aborting (default 50). */
  voteTimeoutTicks?: number
  /** Ticks between re-sends of `prepare` to silent participants and of `commit` to unacknowledged ones (default 10). */
  retryTicks?: number
  /** The most transactions in flight, counting commits waiting for acks (default 10,000). */
  maxTransactions?: number
  /** The most participants in one transaction (default 64). */
  maxParticipants?: number
  /** The longest transaction id in UTF-8 bytes (default 128). */
  maxTransactionIdBytes?: number
  /** The largest payload per participant in bytes (default 1 MiB). */
  maxPayloadBytes?: number
  /** The records a previous incarnation persisted, in order: the core resumes from them. */
  recovered?: readonly CoordinatorRecord[]
  /** @internal a deliberately broken variant for the simulation's negative control: never writes `committing`. */
  unsafeSkipCommitRecord?: boolean
}

/**
 * What a {@link CoordinatorCore} asks of its caller, in this order: persist
 * `records` durably, then send `messages`, then report `decisions` (a commit is
 * only decided once its record is durable) and `ended`.
 *
 * @example
 * ```ts
 * const { records, messages, decisions } = core.ready()
 * storage.append(records) // durable before anything is sent
 * for (const { to, message } of messages) transport.send(to, message)
 * for (const { txId, decision } of decisions) console.log(txId, decision)
 * ```
 */
export interface CoordinatorReady {
  /** Records to make durable before sending. */
  readonly records: CoordinatorRecord[]
  /** Messages to send once the records are durable. */
  readonly messages: Outgoing[]
  /** Transactions decided (each reported once, for the transactions begun by this incarnation). */
  readonly decisions: Outcome[]
  /** Transactions finished and forgotten: aborts at once, commits when every `yes` voter has acknowledged. */
  readonly ended: TransactionId[]
}

interface Collecting {
  phase: 'collecting'
  participants: readonly NodeId[]
  payloads: ReadonlyMap<NodeId, Uint8Array>
  votes: Map<NodeId, Vote>
  ticksLeft: number
  retryIn: number
}

interface Committing {
  phase: 'committing'
  waiting: Set<NodeId>
  retryIn: number
}

const EMPTY = new Uint8Array(0)

/**
 * A two-phase-commit coordinator with no I/O: feed it `begin`, `step` and
 * `tick`, and carry out what `ready()` returns.
 *
 * @example
 * ```ts
 * const core = new CoordinatorCore({ id: 'c' })
 * core.begin('t1', ['p1', 'p2'])
 * core.ready().messages // two 'prepare' messages
 * core.step('p1', { kind: 'vote', txId: 't1', vote: 'yes' })
 * core.step('p2', { kind: 'vote', txId: 't1', vote: 'read-only' })
 * core.ready() // records: [committing t1 for p1], messages: [decision commit to p1], decisions: [t1 commit]
 * ```
 */
export class CoordinatorCore extends Outbox<CoordinatorReady> {
  /** This coordinator's id. */
  readonly id: NodeId
  /** The limits in force. */
  readonly limits: Limits
  private readonly voteTimeoutTicks: number
  private readonly retryTicks: number
  private readonly maxTransactions: number
  private readonly skipCommitRecord: boolean
  private readonly transactions = new Map<TransactionId, Collecting | Committing>()

  constructor(options: CoordinatorCoreOptions) {
    super(() => ({ records: [], messages: [], decisions: [], ended: [] }))
    const { id, limits } = coreBasics(options)
    this.id = id
    this.limits = limits
    this.voteTimeoutTicks = integerOption('voteTimeoutTicks', options.voteTimeoutTicks, 50, 1, 1_000_000_000)
    this.retryTicks = integerOption('retryTicks', options.retryTicks, 10, 1, 1_000_000_000)
    this.maxTransactions = integerOption('maxTransactions', options.maxTransactions, 10_000, 1, 10_000_000)
    this.skipCommitRecord = booleanOption('unsafeSkipCommitRecord', options.unsafeSkipCommitRecord, false)
    if (options.recovered !== undefined) this.recover(options.recovered)
  }

  /**
   * Starts a transaction: sends `prepare` (with each participant's payload) to every participant.
   *
   * @param txId - a new, unique transaction id
   * @param participants - 1 to `maxParticipants` distinct node ids, not this coordinator
   * @param payloads - per-participant payloads (absent ones are empty)
   * @throws {TypeError} / {RangeError} for a bad id, participant list or payload
   * @throws {DuplicateTransactionError} when `txId` is in flight
   * @throws {TooManyTransactionsError} when `maxTransactions` are in flight
   * @example
   * ```ts
   * core.begin('t1', ['p1', 'p2'], { p1: new TextEncoder().encode('debit 10') })
   * ```
   */
  begin(
    txId: TransactionId,
    participants: readonly NodeId[],
    payloads?: Readonly<Record<NodeId, Uint8Array>>,
  ): void {
    assertTransactionId(txId, this.limits.maxTransactionIdBytes)
    const list = assertParticipants(participants, this.id, this.limits)
    const payloadOf = assertPayloads(payloads, list, this.limits)
    if (this.transactions.has(txId)) throw new DuplicateTransactionError(txId)
    if (this.transactions.size >= this.maxTransactions)
      throw new TooManyTransactionsError(this.maxTransactions)
    const tx: Collecting = {
      phase: 'collecting',
      participants: list,
      payloads: payloadOf,
      votes: new Map(),
      ticksLeft: this.voteTimeoutTicks,
      retryIn: this.retryTicks,
    }
    this.transactions.set(txId, tx)
    for (const to of list) this.sendPrepare(txId, tx, to)
  }

  /**
   * Feeds one received message. Duplicates, stale messages and messages from
   * nodes outside a transaction are ignored; `vote: 'yes'` and
   * `decision-request` for an unknown transaction are answered `abort`.
   *
   * @example
   * ```ts
   * core.step('p1', { kind: 'vote', txId: 't1', vote: 'no' })
   * ```
   */
  step(from: NodeId, message: TwoPhaseMessage): void {
    const tx = this.transactions.get(message.txId)
    switch (message.kind) {
      case 'vote':
        if (tx === undefined) {
          if (message.vote === 'yes') this.sendDecision(from, message.txId, 'abort')
        } else if (tx.phase === 'collecting') this.onVote(message.txId, tx, from, message.vote)
        else if (message.vote === 'yes' && tx.waiting.has(from))
          this.sendDecision(from, message.txId, 'commit')
        return
      case 'ack':
        if (tx?.phase === 'committing' && tx.waiting.delete(from) && tx.waiting.size === 0) {
          this.transactions.delete(message.txId)
          this.out.records.push({ kind: 'ended', txId: message.txId })
          this.out.ended.push(message.txId)
        }
        return
      case 'decision-request':
        if (tx === undefined) this.sendDecision(from, message.txId, 'abort')
        else if (tx.phase === 'committing') this.sendDecision(from, message.txId, 'commit')
        return
      default:
        return // 'prepare' and 'decision' are not for a coordinator
    }
  }

  /**
   * Advances time by one tick: aborts transactions whose votes are late, and
   * re-sends `prepare` to silent participants and `commit` to unacknowledged ones.
   *
   * @example
   * ```ts
   * for (let i = 0; i < 50; i++) core.tick() // with the default voteTimeoutTicks, an unanswered prepare aborts
   * ```
   */
  tick(): void {
    for (const [txId, tx] of this.transactions) {
      if (tx.phase === 'collecting' && --tx.ticksLeft <= 0) {
        this.abort(txId, tx)
        continue
      }
      if (--tx.retryIn > 0) continue
      tx.retryIn = this.retryTicks
      if (tx.phase === 'committing') for (const to of tx.waiting) this.sendDecision(to, txId, 'commit')
      else for (const to of tx.participants) if (!tx.votes.has(to)) this.sendPrepare(txId, tx, to)
    }
  }

  /**
   * The phase of a transaction: `collecting` votes, `committing` (waiting for
   * acks), or `undefined` when unknown (never begun, aborted, or ended).
   *
   * @example
   * ```ts
   * core.phaseOf('t1') // 'collecting'
   * ```
   */
  phaseOf(txId: TransactionId): 'collecting' | 'committing' | undefined {
    return this.transactions.get(txId)?.phase
  }

  /**
   * How many transactions are in flight.
   *
   * @example
   * ```ts
   * core.size // 0 once every transaction has ended
   * ```
   */
  get size(): number {
    return this.transactions.size
  }

  private recover(records: readonly CoordinatorRecord[]): void {
    if (!Array.isArray(records)) throw new TypeError(`recovered: expected an array, got ${typeof records}`)
    for (const record of records) {
      if (record.kind === 'committing')
        this.transactions.set(record.txId, {
          phase: 'committing',
          waiting: new Set(record.participants),
          retryIn: this.retryTicks,
        })
      else if (record.kind === 'ended') this.transactions.delete(record.txId)
    }
    // tell every yes voter the commit again: some may never have heard it
    for (const [txId, tx] of this.transactions)
      if (tx.phase === 'committing') for (const to of tx.waiting) this.sendDecision(to, txId, 'commit')
  }

  private onVote(txId: TransactionId, tx: Collecting, from: NodeId, vote: Vote): void {
    if (!tx.participants.includes(from) || tx.votes.has(from)) return
    tx.votes.set(from, vote)
    if (vote === 'no') this.abort(txId, tx)
    else if (tx.votes.size === tx.participants.length) this.commit(txId, tx)
  }

  private commit(txId: TransactionId, tx: Collecting): void {
    const yes = tx.participants.filter((id) => tx.votes.get(id) === 'yes')
    this.out.decisions.push({ txId, decision: 'commit' })
    if (yes.length === 0) {
      // every participant was read-only: nothing to write, nobody to tell
      this.transactions.delete(txId)
      this.out.ended.push(txId)
      return
    }
    if (!this.skipCommitRecord) this.out.records.push({ kind: 'committing', txId, participants: yes })
    this.transactions.set(txId, { phase: 'committing', waiting: new Set(yes), retryIn: this.retryTicks })
    for (const to of yes) this.sendDecision(to, txId, 'commit')
  }

  private abort(txId: TransactionId, tx: Collecting): void {
    // presumed abort: nothing is written, and the transaction is forgotten at once
    this.transactions.delete(txId)
    for (const to of tx.participants) {
      const vote = tx.votes.get(to)
      if (vote !== 'no' && vote !== 'read-only') this.sendDecision(to, txId, 'abort')
    }
    this.out.decisions.push({ txId, decision: 'abort' })
    this.out.ended.push(txId)
  }

  private sendPrepare(txId: TransactionId, tx: Collecting, to: NodeId): void {
    this.out.messages.push({
      to,
      message: {
        kind: 'prepare',
        txId,
        participants: tx.participants,
        payload: tx.payloads.get(to) ?? EMPTY,
      },
    })
  }

  private sendDecision(to: NodeId, txId: TransactionId, decision: Decision): void {
    this.out.messages.push({ to, message: { kind: 'decision', txId, decision } })
  }
}
