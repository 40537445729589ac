/**
 * The participant driver: a {@link ParticipantCore} bound to a transport, a
 * storage and a ticker, voting through the application's `prepare` callback and
 * applying decisions through its `finish` callback.
 */
import type { NodeId, Transport } from '@synod/transport'
import { ParticipantCore, type ParticipantCoreOptions, type ParticipantReady } from '../core/participant.js'
import type { Decision, ParticipantRecord, TransactionId, TwoPhaseMessage, Vote } from '../core/types.js'
import { assertIs } from '../validate.js'
import type { Ticker } from './clock.js'
import { Loop, loopParts } from './loop.js'
import type { TwoPhaseStorage } from './storage.js'

/**
 * The application's side of a participant: its local resource.
 *
 * @example
 * ```ts
 * const resource: ParticipantResource = {
 *   prepare: (txId, payload) => (locks.tryLock(txId, payload) ? 'yes' : 'no'),
 *   finish: (txId, decision) => (decision === 'commit' ? store.apply(txId) : locks.release(txId)),
 * }
 * ```
 */
export interface ParticipantResource {
  /**
   * Votes on a transaction. Return (or resolve) `yes` only once the work is
   * durable enough to be committed later whatever happens; a throw or a
   * rejection counts as `no`.
   */
  prepare(txId: TransactionId, payload: Uint8Array, coordinator: NodeId): Vote | Promise<Vote>
  /**
   * Applies the decision, after it is durable; called for each decided
   * transaction this resource was asked to prepare (never for `read-only`
   * votes). After a restart it is called again for every transaction the
   * resource had voted `yes` on and that was decided (it may have died before
   * applying it): it must be idempotent. It must not throw; if it does, the
   * error goes to `onError` and the decision stands.
   */
  finish(txId: TransactionId, decision: Decision): void
}

/**
 * Options of a {@link TwoPhaseParticipant}.
 *
 * @example
 * ```ts
 * const options: TwoPhaseParticipantOptions = { transport, resource, decisionRequestTicks: 30 }
 * ```
 */
export interface TwoPhaseParticipantOptions extends Omit<ParticipantCoreOptions, 'id' | 'recovered'> {
  /** The transport; its `localId` is the participant's id. */
  transport: Transport<TwoPhaseMessage>
  /** The local resource. */
  resource: ParticipantResource
  /** Where prepared and decided records go (default: a new {@link MemoryStorage}). Records found there are recovered. */
  storage?: TwoPhaseStorage
  /** Ticks the core (default: real timers). */
  ticker?: Ticker
  /** Milliseconds per tick (default 10). */
  tickMs?: number
  /** Told of a `finish` that threw and of a storage failure (which stops the participant). Default: ignore. */
  onError?: (error: unknown) => void
}

/**
 * A two-phase-commit participant over any `Transport`. On start it recovers
 * from its storage and asks for the decision of every transaction it was
 * prepared for.
 *
 * @example
 * ```ts
 * const participant = new TwoPhaseParticipant({
 *   transport: network.join('p1'),
 *   resource: { prepare: () => 'yes', finish: (txId, decision) => console.log(txId, decision) },
 * })
 * ```
 */
export class TwoPhaseParticipant {
  /** The core, for inspection (`inDoubt`, `stateOf`). */
  readonly core: ParticipantCore
  private readonly loop: Loop<ParticipantReady>

  constructor(options: TwoPhaseParticipantOptions) {
    const parts = loopParts(options)
    const { transport, storage, ticker, tickMs, resource, onError, ...coreOptions } = options
    if (typeof resource !== 'object' || resource === null)
      throw new TypeError(`resource: expected an object, got ${resource === null ? 'null' : typeof resource}`)
    assertIs('resource.prepare', resource.prepare, 'function')
    assertIs('resource.finish', resource.finish, 'function')
    if (onError !== undefined) assertIs('onError', onError, 'function')
    const report = onError ?? (() => {})
    this.core = new ParticipantCore({
      ...coreOptions,
      id: parts.transport.localId,
      recovered: parts.storage.load() as readonly ParticipantRecord[],
    })
    const vote = (txId: TransactionId, value: Vote) => {
      if (this.loop.closed) return
      this.core.vote(txId, value)
      this.loop.flush()
    }
    this.loop = new Loop(
      this.core,
      parts,
      (ready) => {
        for (const { txId, decision } of ready.decisions) {
          try {
            resource.finish(txId, decision)
          } catch (error) {
            report(error)
          }
        }
        for (const { txId, payload, coordinator } of ready.prepares) {
          let answer: Vote | Promise<Vote>
          try {
            answer = resource.prepare(txId, payload, coordinator)
          } catch {
            answer = 'no'
          }
          if (typeof answer === 'string') vote(txId, isVote(answer) ? answer : 'no')
          else
            Promise.resolve(answer).then(
              (value) => vote(txId, isVote(value) ? value : 'no'),
              () => vote(txId, 'no'),
            )
        }
      },
      (error) => report(error),
    )
  }

  /**
   * The transactions this participant is uncertain about: prepared, decision not yet known.
   *
   * @example
   * ```ts
   * participant.inDoubt() // [] when nothing is blocked
   * ```
   */
  inDoubt(): TransactionId[] {
    return this.core.inDoubt()
  }

  /**
   * Stops the driver (the transport is left open). Idempotent.
   *
   * @example
   * ```ts
   * await participant.close()
   * ```
   */
  async close(): Promise<void> {
    this.loop.close()
  }
}

function isVote(value: unknown): value is Vote {
  return value === 'yes' || value === 'no' || value === 'read-only'
}
