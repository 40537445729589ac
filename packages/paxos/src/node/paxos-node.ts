/**
 * `PaxosNode`: the driver that binds a `PaxosCore` to a `Transport`, a
 * `PaxosStorage` and a clock, and offers a Promise API. Each batch of the core
 * is carried out in the protocol's order: persist, then send, then apply.
 */
import type { NodeId, Transport } from '@synod/transport'
import type { PaxosCoreOptions } from '../core/options.js'
import { PaxosCore, type PaxosStatus } from '../core/paxos.js'
import type { PaxosReady } from '../core/ready.js'
import type { PaxosMessage } from '../core/types.js'
import { PaxosClosedError, ProposalDroppedError, ProposalTimeoutError } from '../errors.js'
import { MemoryStorage } from '../storage/memory-storage.js'
import type { PaxosStorage } from '../storage/types.js'
import { assertIs, integerOption, show } from '../validate.js'

/**
 * A timer's cancel: a function, or an object with `cancel()` (the simulator's handles).
 *
 * @example
 * ```ts
 * const cancel: TimerCancel = () => clearInterval(handle)
 * ```
 */
export type TimerCancel = (() => void) | { cancel(): unknown }

/**
 * The clock the driver runs on. Real timers by default; in the simulator pass
 * the node context (`timers: ctx`), whose `every`/`after` run on virtual time.
 *
 * @example
 * ```ts
 * const timers: Timers = {
 *   every: (ms, fn) => { const h = setInterval(fn, ms); return () => clearInterval(h) },
 *   after: (ms, fn) => { const h = setTimeout(fn, ms); return () => clearTimeout(h) },
 * }
 * ```
 */
export interface Timers {
  every(ms: number, fn: () => void): TimerCancel
  after(ms: number, fn: () => void): TimerCancel
}

/**
 * The replicated state machine: `apply` runs once per chosen command, in slot
 * order, on every replica; it must be deterministic. Its return value is the
 * result the proposer's `propose` resolves with.
 *
 * @example
 * ```ts
 * const counter: StateMachine<number> = { apply: (command) => (total += command[0] ?? 0) }
 * ```
 */
export interface StateMachine<R> {
  apply(command: Uint8Array, slot: number): R
  /** The state after every slot applied so far (for compaction: see `snapshotEverySlots`). */
  snapshot?(): Uint8Array
  /** Replaces the state with a snapshot's, taken after applying every slot up to `slot`. */
  restore?(data: Uint8Array, slot: number): void
}

/**
 * Options of {@link PaxosNode}: the core's options (see `PaxosCoreOptions`) and the parts to run on.
 *
 * @example
 * ```ts
 * const options: PaxosNodeOptions<string> = {
 *   id: 'a', members: ['a', 'b', 'c'], transport: network.join('a'), stateMachine: { apply: () => 'ok' },
 * }
 * ```
 */
export interface PaxosNodeOptions<R> extends Omit<PaxosCoreOptions, 'random' | 'state'> {
  transport: Transport<PaxosMessage>
  /** Where promises and accepted values are kept (default: a new `MemoryStorage`). */
  storage?: PaxosStorage
  stateMachine: StateMachine<R>
  /** Real timers by default. */
  timers?: Timers
  /** Milliseconds per core tick (default 10). */
  tickMs?: number
  /** The election jitter's randomness (default `Math.random`; inject a seeded one to replay). */
  random?: () => number
  /** How long `propose` waits by default before `ProposalTimeoutError` (default 5,000 ms). */
  requestTimeoutMs?: number
  /**
   * Take a state-machine snapshot and compact the log every this many applied
   * slots (default 10,000 when the state machine has `snapshot` and `restore`,
   * else 0: never). Every replica's state machine must have `restore` once any
   * replica compacts: a lagging replica is sent a snapshot.
   */
  snapshotEverySlots?: number
}

const realTimers: Timers = {
  every(ms, fn) {
    const handle = setInterval(fn, ms)
    handle.unref?.()
    return () => clearInterval(handle)
  },
  after(ms, fn) {
    const handle = setTimeout(fn, ms)
    handle.unref?.()
    return () => clearTimeout(handle)
  },
}

function cancelOf(handle: TimerCancel): () => void {
  return typeof handle === 'function' ? handle : () => void handle.cancel()
}

interface Waiter<R> {
  resolve(value: { index: number; result: R }): void
  reject(error: unknown): void
  cancelTimer: () => void
}

/**
 * A Multi-Paxos replica on a transport: propose commands through the leader,
 * and every replica applies the chosen ones to its state machine in slot order.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from '@synod/transport'
 * import { PaxosNode, type PaxosMessage } from '@synod/paxos'
 *
 * const network = new MemoryNetwork<PaxosMessage>()
 * const members = ['a', 'b', 'c']
 * const nodes = members.map((id) => new PaxosNode({ id, members, transport: network.join(id), stateMachine: { apply: (c) => c.length } }))
 * // once one of them leads:
 * const { index, result } = await leader.propose(new TextEncoder().encode('hello')) // result 5
 * ```
 */
export class PaxosNode<R = unknown> {
  private readonly core: PaxosCore
  private readonly transport: Transport<PaxosMessage>
  private readonly storage: PaxosStorage
  private readonly stateMachine: StateMachine<R>
  private readonly timers: Timers
  private readonly requestTimeoutMs: number
  private readonly waiters = new Map<number, Waiter<R>>()
  private readonly stopTicking: () => void
  private readonly unsubscribe: () => void
  private appliedIndex = 0
  private snapshotSlot = 0
  private readonly snapshotEverySlots: number
  private flushing = false
  private closed = false
  /** Sends the transport refused (a closed transport, an unknown peer): never thrown at callers. */
  sendFailures = 0
  /** Set when the node stopped on an error it cannot continue after (storage failure, broken invariant, apply threw). */
  failure: unknown = undefined

  /**
   * Loads the storage, starts the core as a follower and starts ticking.
   * @throws {TypeError | RangeError} for a bad option
   */
  constructor(options: PaxosNodeOptions<R>) {
    assertIs('options', options, 'object')
    const transport = options.transport as Partial<Transport<PaxosMessage>> | null
    if (typeof transport !== 'object' || transport === null || typeof transport.send !== 'function')
      throw new TypeError(`transport: expected a Transport, got ${show(transport)}`)
    assertIs('stateMachine', options.stateMachine, 'object')
    assertIs('stateMachine.apply', options.stateMachine.apply, 'function')
    const storage = options.storage ?? new MemoryStorage()
    if (
      typeof storage?.load !== 'function' ||
      typeof storage.append !== 'function' ||
      typeof storage.saveSnapshot !== 'function' ||
      typeof storage.loadSnapshot !== 'function'
    )
      throw new TypeError('storage: expected a PaxosStorage (load, append, saveSnapshot, loadSnapshot)')
    const timers = options.timers ?? realTimers
    if (typeof timers?.every !== 'function' || typeof timers.after !== 'function')
      throw new TypeError('timers: expected an object with every(ms, fn) and after(ms, fn)')
    const tickMs = integerOption('tickMs', options.tickMs, 10, 1, 3_600_000)
    this.requestTimeoutMs = integerOption('requestTimeoutMs', options.requestTimeoutMs, 5_000, 1, 2 ** 31 - 1)
    const {
      transport: _t,
      storage: _s,
      stateMachine: _m,
      timers: _c,
      tickMs: _k,
      requestTimeoutMs: _r,
      snapshotEverySlots: _e,
      ...core
    } = options
    const machine = options.stateMachine
    const snapshots = typeof machine.snapshot === 'function' && typeof machine.restore === 'function'
    this.snapshotEverySlots = integerOption(
      'snapshotEverySlots',
      options.snapshotEverySlots,
      snapshots ? 10_000 : 0,
      0,
      Number.MAX_SAFE_INTEGER,
    )
    if (this.snapshotEverySlots > 0 && !snapshots)
      throw new TypeError(
        'stateMachine: expected snapshot() and restore(data, slot) methods when snapshotEverySlots > 0',
      )
    const stored = storage.loadSnapshot()
    if (stored !== null) {
      if (typeof machine.restore !== 'function')
        throw new TypeError('stateMachine.restore: expected a function, to restore the stored snapshot')
      machine.restore(stored.data, stored.slot)
      this.appliedIndex = stored.slot
      this.snapshotSlot = stored.slot
    }
    if (options.random !== undefined) assertIs('random', options.random, 'function')
    this.core = new PaxosCore({ ...core, random: options.random ?? Math.random, state: storage.load() })
    this.transport = transport as Transport<PaxosMessage>
    this.storage = storage
    this.stateMachine = options.stateMachine
    this.timers = timers
    this.unsubscribe = this.transport.onMessage((from, message) =>
      this.input(() => this.core.step(from, message)),
    )
    this.stopTicking = cancelOf(timers.every(tickMs, () => this.input(() => this.core.tick())))
  }

  /** This replica's id. */
  get id(): NodeId {
    return this.core.status().id
  }

  /** True once `close()` was called or the node stopped on a failure. */
  get isClosed(): boolean {
    return this.closed
  }

  /**
   * Proposes a command and resolves once it is chosen and applied here, with
   * its slot and the state machine's result.
   *
   * @param options.timeoutMs how long to wait (default `requestTimeoutMs`)
   * @throws {TypeError | RangeError} (as a rejection) for a bad command or timeout
   * @throws {NotLeaderError} (rejection) when this replica is not the leader: retry at `error.leaderId`
   * @throws {ProposalQueueFullError} (rejection) when the leader's queue is full
   * @throws {ProposalDroppedError} (rejection) when it definitely was not chosen: safe to retry
   * @throws {ProposalTimeoutError} (rejection) when its outcome is unknown after the timeout
   * @throws {PaxosClosedError} (rejection) when the node is closed
   * @example
   * ```ts
   * const { index, result } = await node.propose(new TextEncoder().encode('set x 1'))
   * ```
   */
  propose(command: Uint8Array, options: { timeoutMs?: number } = {}): Promise<{ index: number; result: R }> {
    try {
      if (this.closed) throw this.failure ?? new PaxosClosedError()
      const timeoutMs = integerOption('timeoutMs', options?.timeoutMs, this.requestTimeoutMs, 1, 2 ** 31 - 1)
      const id = this.core.propose(command)
      const promise = new Promise<{ index: number; result: R }>((resolve, reject) => {
        const cancelTimer = cancelOf(
          this.timers.after(timeoutMs, () => {
            if (this.waiters.delete(id)) reject(new ProposalTimeoutError(timeoutMs))
          }),
        )
        this.waiters.set(id, { resolve, reject, cancelTimer })
      })
      this.flush()
      return promise
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Starts phase 1 now instead of waiting for the election timeout (a no-op on a
   * leader or a closed node). Leadership follows once a majority promised.
   *
   * @example
   * ```ts
   * node.campaign()
   * ```
   */
  campaign(): void {
    this.input(() => this.core.campaign())
  }

  /**
   * The core's status plus the slot applied last.
   *
   * @example
   * ```ts
   * if (node.status().role === 'leader') await node.propose(command)
   * ```
   */
  status(): PaxosStatus & { appliedIndex: number; snapshotSlot: number } {
    return { ...this.core.status(), appliedIndex: this.appliedIndex, snapshotSlot: this.snapshotSlot }
  }

  /**
   * Stops ticking and listening and rejects pending proposals with
   * `PaxosClosedError` (their outcome is unknown). Closes neither the transport
   * nor the storage: their owner does. Idempotent.
   *
   * @example
   * ```ts
   * await node.close()
   * ```
   */
  async close(): Promise<void> {
    this.stop(new PaxosClosedError())
  }

  private stop(error: unknown): void {
    if (this.closed) return
    this.closed = true
    this.stopTicking()
    this.unsubscribe()
    for (const waiter of this.waiters.values()) {
      waiter.cancelTimer()
      waiter.reject(error)
    }
    this.waiters.clear()
  }

  private fail(error: unknown): void {
    this.failure ??= error
    this.stop(error)
  }

  private input(feed: () => void): void {
    if (this.closed) return
    try {
      feed()
    } catch (error) {
      this.fail(error)
      return
    }
    this.flush()
  }

  /** Carries out every pending batch: persist, send, apply. Re-entrant calls fold into the running one. */
  private flush(): void {
    if (this.flushing || this.closed) return
    this.flushing = true
    try {
      while (!this.closed && this.core.hasReady()) this.handle(this.core.ready())
    } catch (error) {
      // the core moved on but its records are not durable (or the state machine threw): fail-stop
      this.fail(error)
    } finally {
      this.flushing = false
    }
  }

  private handle(ready: PaxosReady): void {
    if (ready.snapshot !== null) this.storage.saveSnapshot(ready.snapshot.slot, ready.snapshot.data)
    if (ready.records.length > 0) this.storage.append(ready.records)
    for (const { to, message } of ready.messages) {
      try {
        this.transport.send(to, message)
      } catch {
        this.sendFailures++
      }
    }
    const stored = ready.snapshotsToSend.length > 0 ? this.storage.loadSnapshot() : null
    if (stored !== null) {
      const message: PaxosMessage = {
        type: 'snapshot',
        ballot: this.core.status().promised,
        slot: stored.slot,
        data: stored.data,
      }
      for (const to of ready.snapshotsToSend) {
        try {
          this.transport.send(to, message)
        } catch {
          this.sendFailures++
        }
      }
    }
    if (ready.snapshot !== null) {
      const restore = this.stateMachine.restore
      if (typeof restore !== 'function')
        throw new TypeError('stateMachine.restore: expected a function, to restore a snapshot from a peer')
      restore.call(this.stateMachine, ready.snapshot.data, ready.snapshot.slot)
      this.appliedIndex = ready.snapshot.slot
      this.snapshotSlot = ready.snapshot.slot
    }
    for (const entry of ready.chosen) {
      this.appliedIndex = entry.slot
      if (entry.value.kind !== 'command') continue
      const result = this.stateMachine.apply(entry.value.data, entry.slot)
      if (entry.proposalId === null) continue
      const waiter = this.waiters.get(entry.proposalId)
      if (waiter === undefined) continue
      this.waiters.delete(entry.proposalId)
      waiter.cancelTimer()
      waiter.resolve({ index: entry.slot, result })
    }
    for (const { proposalId, reason } of ready.dropped) {
      const waiter = this.waiters.get(proposalId)
      if (waiter === undefined) continue
      this.waiters.delete(proposalId)
      waiter.cancelTimer()
      waiter.reject(new ProposalDroppedError(reason))
    }
    this.maybeCompact()
  }

  /** Every `snapshotEverySlots` applied slots: snapshot the state machine, make it durable, compact the core. */
  private maybeCompact(): void {
    if (this.snapshotEverySlots === 0 || this.appliedIndex - this.snapshotSlot < this.snapshotEverySlots)
      return
    const snapshot = this.stateMachine.snapshot?.()
    if (!(snapshot instanceof Uint8Array))
      throw new TypeError(`stateMachine.snapshot: expected a Uint8Array, got ${show(snapshot)}`)
    this.storage.saveSnapshot(this.appliedIndex, snapshot)
    this.core.compact(this.appliedIndex)
    this.snapshotSlot = this.appliedIndex
  }
}
