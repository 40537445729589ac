/**
 * What every driver does with its core: tick it on a clock, feed it the
 * transport's messages, carry out what `ready()` returns, and settle the
 * callers' promises with the completions.
 */
import type { NodeId, Transport } from '@synod/transport'
import type { Outbox } from '../core/operations.js'
import { QuorumClosedError } from '../errors.js'
import { assertIntegerInRange, assertObject } from '../validate.js'
import { assertClock, assertTransport, type Clock, systemClock } from './clock.js'

/**
 * Checks the options every driver takes and returns its clock (default: real
 * timers) and milliseconds per tick (default 10).
 * @throws {TypeError} / {RangeError} for bad options, transport, clock or `tickMs`
 */
export function assertDriverOptions(options: { transport: unknown; clock?: Clock; tickMs?: number }): {
  clock: Clock
  tickMs: number
} {
  assertObject('options', options)
  assertTransport(options.transport)
  const clock = assertClock(options.clock ?? systemClock)
  return { clock, tickMs: assertIntegerInRange('tickMs', options.tickMs ?? 10, 1, 3_600_000) }
}

/** A random incarnation nonce, for a driver not given one. */
export function randomNonce(): number {
  return Math.floor(Math.random() * 2 ** 48)
}

/** The inputs and outputs of a core, as a driver sees them. */
export interface DrivenCore<M, R> {
  step(from: NodeId, message: M): void
  tick(): void
  abandonAll(): void
  hasReady(): boolean
  ready(): R
}

export interface DriverOptions<M, C, R extends Outbox<M, C>> {
  core: DrivenCore<M, R>
  transport: Transport<M>
  clock: Clock
  tickMs: number
  /** What `QuorumClosedError` names: `register` or `store`. */
  what: string
  /** The id of the operation a completion ends. */
  idOf: (completion: C) => number
  /** Runs on each `ready()` before its messages are sent (to persist what it asks). */
  beforeSend?: (ready: R) => void
  /** Counts a send the transport refused (it is never thrown at callers). */
  onSendFailed: () => void
}

interface Waiter<C> {
  resolve: (completion: C) => void
  reject: (error: unknown) => void
}

/** Binds a core to a transport and a clock; operations are promises of their completions. */
export class Driver<M, C, R extends Outbox<M, C>> {
  private readonly waiters = new Map<number, Waiter<C>>()
  private readonly unsubscribe: () => void
  private readonly stopTicking: () => void
  private closed = false

  constructor(private readonly options: DriverOptions<M, C, R>) {
    const { core, transport, clock, tickMs } = options
    this.unsubscribe = transport.onMessage((from, message) => {
      if (this.closed) return
      core.step(from, message)
      this.flush()
    })
    this.stopTicking = clock.every(tickMs, () => {
      if (this.closed) return
      core.tick()
      this.flush()
    })
  }

  /** Starts an operation (`start` returns its id) and resolves with its completion. */
  run(start: () => number): Promise<C> {
    if (this.closed) return Promise.reject(new QuorumClosedError(this.options.what))
    let id: number
    try {
      id = start()
    } catch (error) {
      return Promise.reject(error)
    }
    const promise = new Promise<C>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject })
    })
    this.flush()
    return promise
  }

  /** Stops ticking and listening; pending operations reject with `QuorumClosedError`. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.stopTicking()
    this.unsubscribe()
    this.options.core.abandonAll()
    this.options.core.ready()
    const error = new QuorumClosedError(this.options.what)
    for (const waiter of this.waiters.values()) waiter.reject(error)
    this.waiters.clear()
  }

  private flush(): void {
    const { core, transport, idOf, beforeSend, onSendFailed } = this.options
    while (core.hasReady()) {
      const ready = core.ready()
      beforeSend?.(ready)
      for (const { to, message } of ready.messages) {
        try {
          transport.send(to, message)
        } catch {
          onSendFailed()
        }
      }
      for (const completion of ready.completions) {
        const id = idOf(completion)
        const waiter = this.waiters.get(id)
        if (waiter === undefined) continue
        this.waiters.delete(id)
        waiter.resolve(completion)
      }
    }
  }
}
