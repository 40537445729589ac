/**
 * The plumbing every coordinator core shares: the table of pending operations
 * (ids, the limit, timeouts after so many ticks), the tick counter, the loopback
 * of messages a node sends itself, and the outbox that `ready()` hands over.
 * Pure, like the cores: time is counted in ticks.
 */
import type { NodeId } from '@synod/transport'
import { TooManyPendingError } from '../errors.js'
import { assertIntegerInRange } from '../validate.js'

/** The outbox of a core: messages to send, completions to report (and any other lists). */
export interface Outbox<M, C> {
  messages: { to: NodeId; message: M }[]
  completions: C[]
}

export interface OperationTableOptions<Op, M, C, R extends Outbox<M, C>> {
  /** This node's id: messages to it go through the loopback. */
  id: NodeId
  /** Names the core in the error thrown when the loopback does not settle. */
  name: string
  maxPendingOperations: number
  /** Ticks after its start at which an operation times out. */
  timeoutTicks: number
  /** Handles one message (from the network or the loopback). */
  handle: (from: NodeId, message: M) => void
  /** The completion of an operation that timed out or was abandoned. */
  timedOut: (op: Op) => C
  /** A new, empty outbox. */
  emptyOutbox: () => R
}

const MAX_LOOPBACK_STEPS = 1_000_000

/** The limits every core takes. */
export interface OperationLimits {
  maxPendingOperations: number
  maxKeyBytes: number
  maxValueBytes: number
}

/**
 * Checks a core's limits and fills in their defaults: 10,000 pending operations,
 * keys of 1,024 bytes, values of 1 MiB.
 * @throws {TypeError} / {RangeError} for a limit that is not an integer in range
 */
export function assertLimits(options: Partial<OperationLimits>): OperationLimits {
  return {
    maxPendingOperations: assertIntegerInRange(
      'maxPendingOperations',
      options.maxPendingOperations ?? 10_000,
      1,
      10_000_000,
    ),
    maxKeyBytes: assertIntegerInRange('maxKeyBytes', options.maxKeyBytes ?? 1024, 1, 1 << 20),
    maxValueBytes: assertIntegerInRange('maxValueBytes', options.maxValueBytes ?? 1 << 20, 0, 1 << 30),
  }
}

/** Pending operations keyed by id, with the tick counter, loopback and outbox of one core. */
export class OperationTable<Op extends { readonly startTick: number }, M, C, R extends Outbox<M, C>> {
  private readonly pending = new Map<number, Op>()
  private readonly loopback: M[] = []
  private ticks = 0
  private nextId = 1
  /** What the core produced since the last `ready()`. */
  out: R

  constructor(private readonly options: OperationTableOptions<Op, M, C, R>) {
    this.out = options.emptyOutbox()
  }

  /** Ticks since the core was made. */
  get now(): number {
    return this.ticks
  }

  /** Operations in flight. */
  get size(): number {
    return this.pending.size
  }

  get(id: number): Op | undefined {
    return this.pending.get(id)
  }

  /** True when one more operation may start without exceeding `maxPendingOperations`. */
  canStart(): boolean {
    return this.pending.size < this.options.maxPendingOperations
  }

  /**
   * Registers the operation `create` makes for a fresh id and returns it.
   * @throws {TooManyPendingError} when `maxPendingOperations` are pending
   */
  start(create: (id: number) => Op): Op {
    if (!this.canStart()) throw new TooManyPendingError(this.options.maxPendingOperations)
    const id = this.nextId++
    const op = create(id)
    this.pending.set(id, op)
    return op
  }

  /** Ends operation `id` with `completion`. */
  complete(id: number, completion: C): void {
    this.pending.delete(id)
    this.out.completions.push(completion)
  }

  /** Sends `message` to `to`: to the outbox, or to the loopback when `to` is this node. */
  send(to: NodeId, message: M): void {
    if (to === this.options.id) this.loopback.push(message)
    else this.out.messages.push({ to, message })
  }

  /** Handles `message` from `from`, then whatever this node sent itself meanwhile. */
  step(from: NodeId, message: M): void {
    this.options.handle(from, message)
    this.drain()
  }

  /** Handles the messages this node sent itself, until none are left. */
  drain(): void {
    let steps = 0
    while (this.loopback.length > 0) {
      if (++steps > MAX_LOOPBACK_STEPS) throw new Error(`${this.options.name}: loopback did not settle`)
      this.options.handle(this.options.id, this.loopback.shift() as M)
    }
  }

  /**
   * Advances time by one tick: times out the operations that are due and
   * passes every other one to `advance`. Does not drain the loopback.
   */
  tick(advance: (op: Op) => void): void {
    this.ticks++
    for (const id of [...this.pending.keys()]) {
      const op = this.pending.get(id) as Op
      if (this.ticks - op.startTick >= this.options.timeoutTicks) this.complete(id, this.options.timedOut(op))
      else advance(op)
    }
  }

  /** Abandons every pending operation (reported as timeouts). */
  abandonAll(): void {
    for (const op of this.pending.values()) this.out.completions.push(this.options.timedOut(op))
    this.pending.clear()
  }

  /** True when the outbox holds messages or completions (a core checks any other lists it adds). */
  hasReady(): boolean {
    return this.out.messages.length + this.out.completions.length > 0
  }

  /** Returns and clears what the core produced. */
  ready(): R {
    const out = this.out
    this.out = this.options.emptyOutbox()
    return out
  }
}
