/**
 * A participant of presumed-abort two-phase commit, as a pure state machine.
 *
 * A `prepare` is handed to the application (`ready().prepares`); its vote comes
 * back through {@link ParticipantCore.vote}. A `yes` vote asks for a `prepared`
 * record first (the caller makes it durable before the vote leaves); the
 * participant is then uncertain until it learns the decision. A `no` vote aborts
 * at once; a `read-only` vote leaves the transaction. An uncertain participant
 * asks the coordinator for the decision every `decisionRequestTicks` and, with
 * `cooperativeTermination` (the default), asks the other participants too: one
 * that has decided answers with the decision, and one that has not voted yet
 * aborts unilaterally and answers `abort`. If every participant is prepared and
 * the coordinator is down, nobody can answer: the transaction stays blocked
 * until the coordinator returns, and the core never guesses.
 */
import type { NodeId } from '@synod/transport'
import { assertTransactionId, assertVote, booleanOption, coreBasics, integerOption } from '../validate.js'
import { Outbox } from './outbox.js'
import type {
  Decision,
  Limits,
  Outcome,
  Outgoing,
  ParticipantRecord,
  TransactionId,
  TwoPhaseMessage,
  Vote,
} from './types.js'

/**
 * Options of a {@link ParticipantCore}. Times are in ticks.
 *
 * @example
 * ```ts
 * const options: ParticipantCoreOptions = { id: 'p1', decisionRequestTicks: 20, cooperativeTermination: true }
 * ```
 */
export interface ParticipantCoreOptions {
  /** This participant's node id. */
  id: NodeId
  /** Ticks an uncertain participant waits before (re-)asking for the decision (default 20). */
  decisionRequestTicks?: number
  /** Whether an uncertain participant also asks the other participants (default true). */
  cooperativeTermination?: boolean
  /** The most transactions being voted on or uncertain at once; more prepares are voted `no` (default 10,000). */
  maxTransactions?: number
  /** How many decided outcomes are kept in memory to answer duplicates and peers (default 100,000). */
  maxRememberedOutcomes?: number
  /** The most participants in one transaction (default 64). */
  maxParticipants?: number
  /** The longest transaction id in UTF-8 bytes (default 128). */
  maxTransactionIdBytes?: number
  /** The records a previous incarnation persisted, in order. Absent or empty on a first start. */
  recovered?: readonly ParticipantRecord[]
  /** @internal a deliberately broken variant for the simulation's negative control: votes yes without a `prepared` record. */
  unsafeSkipPreparedRecord?: boolean
}

/**
 * A prepare for the application to vote on.
 *
 * @example
 * ```ts
 * for (const { txId, payload } of ready.prepares) core.vote(txId, payload.length > 0 ? 'yes' : 'read-only')
 * ```
 */
export interface PrepareRequest {
  readonly txId: TransactionId
  /** Who coordinates the transaction. */
  readonly coordinator: NodeId
  /** This participant's part of the transaction. */
  readonly payload: Uint8Array
}

/**
 * What a {@link ParticipantCore} asks of its caller, in this order: persist
 * `records` durably, then send `messages`, then apply `decisions` to the local
 * resource and hand `prepares` to the application (whose votes come back
 * through `vote`).
 *
 * @example
 * ```ts
 * const ready = core.ready()
 * storage.append(ready.records)
 * for (const { to, message } of ready.messages) transport.send(to, message)
 * for (const { txId, decision } of ready.decisions) resource.finish(txId, decision)
 * ```
 */
export interface ParticipantReady {
  readonly records: ParticipantRecord[]
  readonly messages: Outgoing[]
  /**
   * Decisions to apply, for transactions the application was asked to prepare.
   * Each is reported once per incarnation; a core recovered from records reports
   * again every decision of a transaction it had prepared (the application may
   * not have applied it before the crash), so applying must be idempotent.
   */
  readonly decisions: Outcome[]
  readonly prepares: PrepareRequest[]
}

interface Voting {
  phase: 'voting'
  coordinator: NodeId
  participants: readonly NodeId[]
}

interface Prepared {
  phase: 'prepared'
  coordinator: NodeId
  participants: readonly NodeId[]
  askIn: number
}

/**
 * A two-phase-commit participant with no I/O.
 *
 * @example
 * ```ts
 * const core = new ParticipantCore({ id: 'p1' })
 * core.step('c', { kind: 'prepare', txId: 't1', participants: ['p1', 'p2'], payload: new Uint8Array() })
 * core.ready().prepares // [{ txId: 't1', coordinator: 'c', payload }]
 * core.vote('t1', 'yes')
 * core.ready() // records: [started, prepared t1], messages: [vote yes to c]
 * core.step('c', { kind: 'decision', txId: 't1', decision: 'commit' })
 * core.ready() // records: [decided t1 commit], messages: [ack to c], decisions: [t1 commit]
 * ```
 */
export class ParticipantCore extends Outbox<ParticipantReady> {
  /** This participant's id. */
  readonly id: NodeId
  /** The limits in force. */
  readonly limits: Limits
  private readonly decisionRequestTicks: number
  private readonly cooperativeTermination: boolean
  private readonly maxTransactions: number
  private readonly maxRememberedOutcomes: number
  private readonly skipPreparedRecord: boolean
  private readonly active = new Map<TransactionId, Voting | Prepared>()
  private readonly outcomes = new Map<TransactionId, Decision | 'read-only'>()
  /**
   * True while this participant is sure it never voted on a transaction it does
   * not know: a first incarnation that has forgotten nothing. Only then may it
   * abort an unknown transaction for a peer (a restart loses read-only votes).
   */
  private knowsAllItSaw: boolean

  constructor(options: ParticipantCoreOptions) {
    super(() => ({ records: [], messages: [], decisions: [], prepares: [] }))
    const { id, limits } = coreBasics(options)
    this.id = id
    this.limits = limits
    this.decisionRequestTicks = integerOption(
      'decisionRequestTicks',
      options.decisionRequestTicks,
      20,
      1,
      1_000_000_000,
    )
    this.cooperativeTermination = booleanOption(
      'cooperativeTermination',
      options.cooperativeTermination,
      true,
    )
    this.maxTransactions = integerOption('maxTransactions', options.maxTransactions, 10_000, 1, 10_000_000)
    this.maxRememberedOutcomes = integerOption(
      'maxRememberedOutcomes',
      options.maxRememberedOutcomes,
      100_000,
      1,
      100_000_000,
    )
    this.skipPreparedRecord = booleanOption(
      'unsafeSkipPreparedRecord',
      options.unsafeSkipPreparedRecord,
      false,
    )
    const recovered = options.recovered ?? []
    if (!Array.isArray(recovered))
      throw new TypeError(`recovered: expected an array, got ${typeof recovered}`)
    this.knowsAllItSaw = recovered.length === 0
    if (this.knowsAllItSaw) this.out.records.push({ kind: 'started' })
    else this.recover(recovered)
  }

  /**
   * Feeds one received message. Duplicates and stale messages are ignored or
   * answered from what the participant remembers.
   *
   * @example
   * ```ts
   * core.step('p2', { kind: 'decision-request', txId: 't1' })
   * ```
   */
  step(from: NodeId, message: TwoPhaseMessage): void {
    switch (message.kind) {
      case 'prepare':
        this.onPrepare(from, message.txId, message.participants, message.payload)
        return
      case 'decision':
        this.onDecision(from, message.txId, message.decision)
        return
      case 'decision-request':
        this.onDecisionRequest(from, message.txId)
        return
      default:
        return // 'vote' and 'ack' are for a coordinator
    }
  }

  /**
   * The application's vote on a prepare it was handed. Ignored (returns false)
   * when the transaction is no longer waiting for it (it was aborted meanwhile:
   * the coordinator timed out, or a peer's request made this participant abort).
   *
   * @throws {TypeError} / {RangeError} for a bad id or vote
   * @example
   * ```ts
   * core.vote('t1', 'yes') // true
   * ```
   */
  vote(txId: TransactionId, vote: Vote): boolean {
    assertTransactionId(txId, this.limits.maxTransactionIdBytes)
    assertVote(vote)
    const tx = this.active.get(txId)
    if (tx?.phase !== 'voting') return false
    if (vote === 'yes') {
      if (!this.skipPreparedRecord)
        this.out.records.push({
          kind: 'prepared',
          txId,
          coordinator: tx.coordinator,
          participants: tx.participants,
        })
      this.active.set(txId, { ...tx, phase: 'prepared', askIn: this.decisionRequestTicks })
    } else if (vote === 'no') this.decide(txId, 'abort', true)
    else {
      this.active.delete(txId)
      this.remember(txId, 'read-only')
    }
    this.send(tx.coordinator, { kind: 'vote', txId, vote })
    return true
  }

  /**
   * Advances time by one tick: uncertain transactions ask for their decision
   * every `decisionRequestTicks`.
   *
   * @example
   * ```ts
   * for (let i = 0; i < 20; i++) core.tick() // then a decision-request goes out
   * ```
   */
  tick(): void {
    for (const [txId, tx] of this.active) {
      if (tx.phase !== 'prepared' || --tx.askIn > 0) continue
      tx.askIn = this.decisionRequestTicks
      this.askForDecision(txId, tx)
    }
  }

  /**
   * The transactions this participant is uncertain about (prepared, decision unknown).
   *
   * @example
   * ```ts
   * core.inDoubt() // ['t7']
   * ```
   */
  inDoubt(): TransactionId[] {
    const ids: TransactionId[] = []
    for (const [txId, tx] of this.active) if (tx.phase === 'prepared') ids.push(txId)
    return ids
  }

  /**
   * What this participant knows of a transaction: `voting` (the application has
   * it), `prepared` (uncertain), `commit`, `abort`, `read-only`, or `undefined`.
   *
   * @example
   * ```ts
   * core.stateOf('t1') // 'prepared'
   * ```
   */
  stateOf(txId: TransactionId): 'voting' | 'prepared' | Decision | 'read-only' | undefined {
    return this.active.get(txId)?.phase ?? this.outcomes.get(txId)
  }

  private recover(records: readonly ParticipantRecord[]): void {
    for (const record of records) {
      if (record.kind === 'prepared')
        this.active.set(record.txId, {
          phase: 'prepared',
          coordinator: record.coordinator,
          participants: record.participants,
          askIn: this.decisionRequestTicks,
        })
      else if (record.kind === 'decided') {
        // a prepared resource did durable work: hand it the decision again, in case it
        // was not applied before the crash (at least once; `decisions` says so)
        if (this.active.delete(record.txId))
          this.out.decisions.push({ txId: record.txId, decision: record.decision })
        this.remember(record.txId, record.decision)
      }
    }
    // uncertain after a restart: ask at once
    for (const [txId, tx] of this.active) if (tx.phase === 'prepared') this.askForDecision(txId, tx)
  }

  private onPrepare(
    from: NodeId,
    txId: TransactionId,
    participants: readonly NodeId[],
    payload: Uint8Array,
  ): void {
    if (!participants.includes(this.id)) return
    const known = this.outcomes.get(txId)
    if (known !== undefined) {
      // a re-sent prepare: repeat what was said (an abort answers 'no')
      if (known !== 'commit')
        this.send(from, { kind: 'vote', txId, vote: known === 'abort' ? 'no' : 'read-only' })
      return
    }
    const tx = this.active.get(txId)
    if (tx !== undefined) {
      if (tx.phase === 'prepared' && tx.coordinator === from)
        this.send(from, { kind: 'vote', txId, vote: 'yes' })
      return
    }
    if (this.active.size >= this.maxTransactions) {
      // over the limit: refuse, and remember the refusal so a re-sent prepare gets the same answer
      this.decide(txId, 'abort', false)
      this.send(from, { kind: 'vote', txId, vote: 'no' })
      return
    }
    this.active.set(txId, { phase: 'voting', coordinator: from, participants })
    this.out.prepares.push({ txId, coordinator: from, payload })
  }

  private onDecision(from: NodeId, txId: TransactionId, decision: Decision): void {
    const tx = this.active.get(txId)
    if (tx === undefined) {
      // decided before (and maybe forgotten): a re-sent commit still wants its ack
      if (decision === 'commit' && this.outcomes.get(txId) !== 'abort') this.send(from, { kind: 'ack', txId })
      return
    }
    if (from !== tx.coordinator && !tx.participants.includes(from)) return
    // a commit needs this participant's yes vote: one that has not voted cannot be told to commit
    if (tx.phase === 'voting' && decision === 'commit') return
    this.decide(txId, decision, true)
    if (decision === 'commit') this.send(tx.coordinator, { kind: 'ack', txId })
  }

  private onDecisionRequest(from: NodeId, txId: TransactionId): void {
    const known = this.outcomes.get(txId)
    if (known === 'commit' || known === 'abort') {
      this.send(from, { kind: 'decision', txId, decision: known })
      return
    }
    if (known === 'read-only') return
    const tx = this.active.get(txId)
    if (tx?.phase === 'prepared') return // uncertain too: cannot help
    if (tx === undefined && !this.knowsAllItSaw) return // might have voted before a restart: stay silent
    // not voted yet: abort unilaterally (durably, so a later prepare gets 'no'), then answer
    this.decide(txId, 'abort', tx !== undefined)
    if (tx !== undefined) this.send(tx.coordinator, { kind: 'vote', txId, vote: 'no' })
    this.send(from, { kind: 'decision', txId, decision: 'abort' })
  }

  private askForDecision(txId: TransactionId, tx: Prepared): void {
    this.send(tx.coordinator, { kind: 'decision-request', txId })
    if (!this.cooperativeTermination) return
    for (const peer of tx.participants)
      if (peer !== this.id) this.send(peer, { kind: 'decision-request', txId })
  }

  private decide(txId: TransactionId, decision: Decision, report: boolean): void {
    this.active.delete(txId)
    this.remember(txId, decision)
    this.out.records.push({ kind: 'decided', txId, decision })
    if (report) this.out.decisions.push({ txId, decision })
  }

  private remember(txId: TransactionId, outcome: Decision | 'read-only'): void {
    this.outcomes.delete(txId)
    this.outcomes.set(txId, outcome)
    if (this.outcomes.size <= this.maxRememberedOutcomes) return
    const oldest = this.outcomes.keys().next().value as TransactionId
    this.outcomes.delete(oldest)
    this.knowsAllItSaw = false
  }

  private send(to: NodeId, message: TwoPhaseMessage): void {
    this.out.messages.push({ to, message })
  }
}
