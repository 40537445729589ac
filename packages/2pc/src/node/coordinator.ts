/**
 * The coordinator driver: a {@link CoordinatorCore} bound to a transport, a
 * storage and a ticker, with a Promise per transaction.
 */
import type { NodeId, Transport } from '@synod/transport'
import { CoordinatorCore, type CoordinatorCoreOptions, type CoordinatorReady } from '../core/coordinator.js'
import type { CoordinatorRecord, Decision, Outcome, TransactionId, TwoPhaseMessage } from '../core/types.js'
import { TwoPhaseClosedError } from '../errors.js'
import { assertIs } from '../validate.js'
import type { Ticker } from './clock.js'
import { Loop, loopParts } from './loop.js'
import type { TwoPhaseStorage } from './storage.js'

/**
 * Options of a {@link TwoPhaseCoordinator}: the core's options (its id is the
 * transport's) and the parts it runs on.
 *
 * @example
 * ```ts
 * const options: TwoPhaseCoordinatorOptions = { transport, tickMs: 10, voteTimeoutTicks: 100 }
 * ```
 */
export interface TwoPhaseCoordinatorOptions extends Omit<CoordinatorCoreOptions, 'id' | 'recovered'> {
  /** The transport; its `localId` is the coordinator's id. */
  transport: Transport<TwoPhaseMessage>
  /** Where commit and end records go (default: a new {@link MemoryStorage}). Records found there are recovered. */
  storage?: TwoPhaseStorage
  /** Ticks the core (default: real timers). */
  ticker?: Ticker
  /** Milliseconds per tick (default 10). */
  tickMs?: number
  /** Told of every decision, before the `run` it settles resolves (for logs and metrics). Must not throw. */
  onDecision?: (outcome: Outcome) => void
}

/**
 * The result of {@link TwoPhaseCoordinator.run}.
 *
 * @example
 * ```ts
 * const { decision } = await coordinator.run('t1', ['p1', 'p2'])
 * ```
 */
export interface TransactionResult {
  readonly txId: TransactionId
  readonly decision: Decision
}

interface Waiter {
  resolve: (result: TransactionResult) => void
  reject: (error: unknown) => void
}

/**
 * A two-phase-commit coordinator over any `Transport`. On start it recovers
 * from its storage and re-sends every commit decision that was not yet
 * acknowledged by all.
 *
 * @example
 * ```ts
 * const network = new MemoryNetwork<TwoPhaseMessage>()
 * const coordinator = new TwoPhaseCoordinator({ transport: network.join('c') })
 * const { decision } = await coordinator.run('t1', ['p1', 'p2'], { p1: bytes, p2: bytes })
 * ```
 */
export class TwoPhaseCoordinator {
  /** The core, for inspection (`phaseOf`, `size`). */
  readonly core: CoordinatorCore
  private readonly loop: Loop<CoordinatorReady>
  private readonly waiters = new Map<TransactionId, Waiter>()

  constructor(options: TwoPhaseCoordinatorOptions) {
    const parts = loopParts(options)
    const { transport, storage, ticker, tickMs, onDecision, ...coreOptions } = options
    if (onDecision !== undefined) assertIs('onDecision', onDecision, 'function')
    this.core = new CoordinatorCore({
      ...coreOptions,
      id: parts.transport.localId,
      recovered: parts.storage.load() as readonly CoordinatorRecord[],
    })
    this.loop = new Loop(
      this.core,
      parts,
      (ready) => {
        for (const outcome of ready.decisions) {
          onDecision?.(outcome)
          const waiter = this.waiters.get(outcome.txId)
          if (waiter === undefined) continue
          this.waiters.delete(outcome.txId)
          waiter.resolve(outcome)
        }
      },
      () => this.close(),
    )
  }

  /**
   * Runs one transaction and resolves with its decision: `commit` once the
   * commit record is durable (participants learn it afterwards, with re-sends
   * until each acknowledges), `abort` on any `no` vote or a vote timeout.
   *
   * @param txId - a new, unique transaction id
   * @param participants - the participants' node ids
   * @param payloads - what each participant is asked to prepare
   * @returns the decision
   * @throws {TypeError} / {RangeError} (as a rejection) for bad arguments
   * @throws {DuplicateTransactionError} / {TooManyTransactionsError} / {TwoPhaseClosedError} (as rejections)
   * @example
   * ```ts
   * const { decision } = await coordinator.run('order-17', ['stock', 'payments'], {
   *   stock: encode({ sku: 'A1', take: 2 }),
   *   payments: encode({ account: 'x', charge: 30 }),
   * })
   * ```
   */
  run(
    txId: TransactionId,
    participants: readonly NodeId[],
    payloads?: Readonly<Record<NodeId, Uint8Array>>,
  ): Promise<TransactionResult> {
    if (this.loop.closed) return Promise.reject(new TwoPhaseClosedError('coordinator'))
    try {
      this.core.begin(txId, participants, payloads)
    } catch (error) {
      return Promise.reject(error)
    }
    const promise = new Promise<TransactionResult>((resolve, reject) => {
      this.waiters.set(txId, { resolve, reject })
    })
    this.loop.flush()
    return promise
  }

  /**
   * Transactions in flight (collecting votes, or committed and waiting for acks).
   *
   * @example
   * ```ts
   * coordinator.inFlight // 0 when idle
   * ```
   */
  get inFlight(): number {
    return this.core.size
  }

  /**
   * Stops the driver; pending `run`s reject with {@link TwoPhaseClosedError}.
   * The transport is left open (its owner closes it). Idempotent.
   *
   * @example
   * ```ts
   * await coordinator.close()
   * ```
   */
  async close(): Promise<void> {
    this.loop.close()
    const error = new TwoPhaseClosedError('coordinator')
    for (const waiter of this.waiters.values()) waiter.reject(error)
    this.waiters.clear()
  }
}
