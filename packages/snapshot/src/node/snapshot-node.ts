/** The driver: binds a {@link SnapshotCore} to a `Transport` and a clock, with a Promise API. */
import { bytesCodec, type Codec, type NodeId, type Transport } from '@synod/transport'
import { SnapshotCore, type SnapshotCoreOptions } from '../core/snapshot-core.js'
import type { GlobalSnapshot, SnapshotMessage } from '../core/types.js'
import { SnapshotClosedError, SnapshotLimitError, SnapshotTimeoutError } from '../errors.js'
import { describe, functionOption, integerOption, optionsObject } from '../validate.js'
import { type Clock, intervalClock } from './clock.js'

/** The core's limits, passed through unchanged. */
type CoreLimits = Pick<
  SnapshotCoreOptions,
  | 'maxInFlightFrames'
  | 'maxQueuedFrames'
  | 'maxReorderFrames'
  | 'maxFramesPerMessage'
  | 'maxPayloadBytes'
  | 'maxStateBytes'
  | 'maxActiveSnapshots'
  | 'maxRecordedBytes'
  | 'unsafeLateRecording'
>

/**
 * Options of {@link SnapshotNode}. `S` is the application state, `A` an application message.
 *
 * @example
 * ```ts
 * const options: SnapshotNodeOptions<Uint8Array, Uint8Array> = {
 *   transport: network.join('a'),
 *   members: ['a', 'b', 'c'],
 *   captureState: () => Uint8Array.of(balance),
 * }
 * ```
 */
export interface SnapshotNodeOptions<S = Uint8Array, A = Uint8Array> extends CoreLimits {
  /** This process's transport; the node listens and sends on it (it does not close it). */
  transport: Transport<SnapshotMessage>
  /** Every process, this one included (the transport's `localId`). */
  members: readonly NodeId[]
  /** Returns the application's state, synchronously; it must reflect every message delivered so far. */
  captureState: () => S
  /** Encodes states to bytes (default: states are `Uint8Array`s, kept as they are). */
  stateCodec?: Codec<S>
  /** Encodes application messages to bytes (default: messages are `Uint8Array`s). */
  payloadCodec?: Codec<A>
  /** The delivery handler, set before any message can arrive (same as calling `onDeliver`). */
  onDeliver?: (from: NodeId, payload: A) => void
  /** Ticks the core (default: real timers). */
  clock?: Clock
  /** Milliseconds per tick (default 10). */
  tickMs?: number
  /** Resend unacknowledged frames after this long, doubling while the peer is silent (default 20 ms; rounded up to ticks). */
  retransmitMs?: number
  /** The retransmission timeout stops doubling here (default 500 ms). */
  maxRetransmitMs?: number
}

/**
 * Options of one {@link SnapshotNode.snapshot} call.
 *
 * @example
 * ```ts
 * await node.snapshot({ id: 'nightly', timeoutMs: 5_000 })
 * ```
 */
export interface SnapshotRequest {
  /** The snapshot's id, unique on this node (default `s1`, `s2`, …: pick ids of another form). */
  id?: string
  /** Reject with `SnapshotTimeoutError` and abandon the snapshot after this long (default: wait forever). */
  timeoutMs?: number
}

interface Waiter<S, A> {
  resolve: (snapshot: GlobalSnapshot<S, A>) => void
  reject: (error: unknown) => void
  deadlineTick: number
  timeoutMs: number
}

/**
 * A process of a distributed application with consistent global snapshots
 * (Chandy–Lamport) over any `Transport`: application messages travel on
 * reliable FIFO channels the node builds over the lossy transport, and any
 * node can take a snapshot of the whole application at any time, without
 * stopping it.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from '@synod/transport'
 * import { SnapshotNode, type SnapshotMessage } from '@synod/snapshot'
 *
 * const network = new MemoryNetwork<SnapshotMessage>()
 * const members = ['a', 'b']
 * let balance = 10
 * const a = new SnapshotNode({ transport: network.join('a'), members, captureState: () => Uint8Array.of(balance) })
 * const b = new SnapshotNode({ transport: network.join('b'), members, captureState: () => Uint8Array.of(0) })
 * const snapshot = await a.snapshot()
 * snapshot.states.get('a') // Uint8Array [10]
 * ```
 */
export class SnapshotNode<S = Uint8Array, A = Uint8Array> {
  /** This process's id. */
  readonly id: NodeId
  private readonly core: SnapshotCore
  private readonly transport: Transport<SnapshotMessage>
  private readonly stateCodec: Codec<S>
  private readonly payloadCodec: Codec<A>
  private readonly tickMs: number
  private readonly deliverHandlers = new Set<(from: NodeId, payload: A) => void>()
  private readonly snapshotHandlers = new Set<(snapshot: GlobalSnapshot<S, A>) => void>()
  private readonly waiters = new Map<string, Waiter<S, A>>()
  private readonly unsubscribe: () => void
  private readonly stopTicking: () => void
  private nextId = 0
  private closed = false
  private busy = false
  /** Sends the transport refused (closed, unknown peer): counted, never thrown. */
  failedSends = 0
  /** Delivery handlers or payload decodes that threw: counted, the message stays delivered. */
  failedDeliveries = 0

  /**
   * @throws {TypeError} / {RangeError} for bad options, with the option named
   */
  constructor(options: SnapshotNodeOptions<S, A>) {
    optionsObject('options', options)
    const transport = options.transport as Partial<Transport<SnapshotMessage>> | undefined
    if (
      typeof transport !== 'object' ||
      transport === null ||
      typeof transport.localId !== 'string' ||
      typeof transport.send !== 'function' ||
      typeof transport.onMessage !== 'function'
    )
      throw new TypeError(`transport: expected a Transport, got ${describe(transport)}`)
    this.transport = options.transport
    this.id = options.transport.localId
    this.tickMs = integerOption('tickMs', options.tickMs, 10, [1, 3_600_000])
    const retransmitMs = integerOption('retransmitMs', options.retransmitMs, 20, [1, 3_600_000])
    const maxRetransmitMs = integerOption(
      'maxRetransmitMs',
      options.maxRetransmitMs,
      Math.max(500, retransmitMs),
      [retransmitMs, 3_600_000],
    )
    this.stateCodec = options.stateCodec ?? (bytesCodec({ maxBytes: 2 ** 31 - 1 }) as unknown as Codec<S>)
    this.payloadCodec = options.payloadCodec ?? (bytesCodec({ maxBytes: 2 ** 31 - 1 }) as unknown as Codec<A>)
    const captureState = functionOption<() => S>('captureState', options.captureState)
    if (options.onDeliver !== undefined) this.onDeliver(options.onDeliver)
    const clock = options.clock ?? intervalClock
    if (typeof clock?.every !== 'function')
      throw new TypeError(
        `clock: expected an object with every(intervalMs, callback), got ${describe(clock)}`,
      )
    const {
      transport: _t,
      members,
      stateCodec: _s,
      payloadCodec: _p,
      onDeliver: _d,
      clock: _c,
      ...limits
    } = options
    this.core = new SnapshotCore({
      ...limits,
      id: this.id,
      members,
      retransmitTicks: Math.ceil(retransmitMs / this.tickMs),
      maxRetransmitTicks: Math.ceil(maxRetransmitMs / this.tickMs),
      captureState: () => this.stateCodec.encode(captureState()),
      deliver: (from, payload) => this.deliver(from, payload),
    })
    this.unsubscribe = options.transport.onMessage((from, message) => {
      if (this.closed) return
      this.run(() => this.core.step(from, message))
    })
    this.stopTicking = clock.every(this.tickMs, () => {
      if (this.closed) return
      this.run(() => {
        this.core.tick()
        this.expire()
      })
    })
  }

  /** The members, this node included. */
  get members(): readonly NodeId[] {
    return this.core.members
  }

  /** Snapshots this node records or collects right now. */
  get activeSnapshots(): number {
    return this.core.activeSnapshots
  }

  /**
   * Application messages to `to` not yet acknowledged: `send` throws
   * `ChannelFullError` when this reaches `maxQueuedFrames` (default 1,024).
   * @example
   * ```ts
   * if (node.queuedMessages('b') < 512) node.send('b', payload)
   * ```
   */
  queuedMessages(to: NodeId): number {
    return this.core.queuedFrames(to)
  }

  /**
   * Sends an application message to `to`: delivered once, in order, despite
   * losses, duplicates and reordering, as long as `to` is reachable eventually.
   * @throws {TypeError} / {RangeError} for a bad peer or payload
   * @throws {ChannelFullError} when too many messages to `to` await acknowledgement
   * @throws {SnapshotClosedError} after `close()`
   * @example
   * ```ts
   * node.send('b', new TextEncoder().encode('hello'))
   * ```
   */
  send(to: NodeId, payload: A): void {
    if (this.closed) throw new SnapshotClosedError()
    const bytes = this.payloadCodec.encode(payload)
    this.run(() => this.core.send(to, bytes))
  }

  /**
   * Adds a handler for application messages; returns a function that removes it.
   * Handlers run synchronously, in FIFO order per sender, and the application
   * must have applied a message when its handler returns. Messages that arrive
   * while no handler is set are lost to the application: set it first.
   * @example
   * ```ts
   * const off = node.onDeliver((from, payload) => { balance += payload[0] ?? 0 })
   * ```
   */
  onDeliver(handler: (from: NodeId, payload: A) => void): () => void {
    functionOption('handler', handler)
    this.deliverHandlers.add(handler)
    return () => void this.deliverHandlers.delete(handler)
  }

  /**
   * Adds a handler for every snapshot this node initiated that completes
   * (whether started by `snapshot()` or `startSnapshot()`); returns a function that removes it.
   * @example
   * ```ts
   * node.onSnapshot((snapshot) => archive(snapshot))
   * ```
   */
  onSnapshot(handler: (snapshot: GlobalSnapshot<S, A>) => void): () => void {
    functionOption('handler', handler)
    this.snapshotHandlers.add(handler)
    return () => void this.snapshotHandlers.delete(handler)
  }

  /**
   * Starts a snapshot and returns its id at once; the result comes to the
   * `onSnapshot` handlers. Use `snapshot()` for a Promise.
   * @throws {DuplicateSnapshotError} for an id this node already used
   * @throws {TooManySnapshotsError} when `maxActiveSnapshots` are in progress here
   * @throws {SnapshotClosedError} after `close()`
   * @example
   * ```ts
   * const id = node.startSnapshot()
   * ```
   */
  startSnapshot(id?: string): string {
    if (this.closed) throw new SnapshotClosedError()
    const snapshotId = id ?? `s${++this.nextId}`
    this.run(() => this.core.startSnapshot(snapshotId))
    return snapshotId
  }

  /**
   * Takes a consistent global snapshot of the application: every member's
   * state and every channel's in-flight messages, as of one consistent cut.
   * Completes once every member has recorded its part and sent it here.
   * @throws (as a rejection) the errors of `startSnapshot`, `SnapshotTimeoutError`,
   * `SnapshotLimitError` (a member recorded over `maxRecordedBytes`), `SnapshotClosedError`
   * @example
   * ```ts
   * const snapshot = await node.snapshot({ timeoutMs: 5_000 })
   * for (const [process, state] of snapshot.states) console.log(process, state)
   * ```
   */
  snapshot(request: SnapshotRequest = {}): Promise<GlobalSnapshot<S, A>> {
    try {
      optionsObject('request', request)
      const timeoutMs =
        request.timeoutMs === undefined
          ? 0
          : integerOption('timeoutMs', request.timeoutMs, 0, [1, 86_400_000])
      const id = request.id ?? `s${this.nextId + 1}`
      return new Promise((resolve, reject) => {
        const deadlineTick =
          timeoutMs === 0 ? Number.POSITIVE_INFINITY : this.core.ticks + Math.ceil(timeoutMs / this.tickMs)
        this.waiters.set(id, { resolve, reject, deadlineTick, timeoutMs })
        try {
          this.startSnapshot(request.id)
        } catch (error) {
          this.waiters.delete(id)
          reject(error)
        }
      })
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Stops ticking and listening; pending snapshots reject with `SnapshotClosedError`. Idempotent.
   * @example
   * ```ts
   * await node.close()
   * ```
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.stopTicking()
    this.unsubscribe()
    const error = new SnapshotClosedError()
    for (const waiter of this.waiters.values()) waiter.reject(error)
    this.waiters.clear()
  }

  private deliver(from: NodeId, bytes: Uint8Array): void {
    try {
      const payload = this.payloadCodec.decode(bytes)
      for (const handler of this.deliverHandlers) handler(from, payload)
    } catch {
      this.failedDeliveries++
    }
  }

  /** Runs an input of the core, then carries out its output (once, when inputs nest). */
  private run(input: () => void): void {
    if (this.busy) {
      input()
      return
    }
    this.busy = true
    try {
      input()
    } finally {
      this.busy = false
    }
    this.flush()
  }

  private expire(): void {
    for (const [id, waiter] of this.waiters) {
      if (this.core.ticks < waiter.deadlineTick) continue
      this.waiters.delete(id)
      const missing = this.core.abandonSnapshot(id) ?? []
      waiter.reject(new SnapshotTimeoutError(id, waiter.timeoutMs, missing))
    }
  }

  private flush(): void {
    while (this.core.hasReady()) {
      const ready = this.core.ready()
      for (const { to, message } of ready.messages) {
        try {
          this.transport.send(to, message)
        } catch {
          this.failedSends++
        }
      }
      for (const failure of ready.failed) {
        const waiter = this.waiters.get(failure.snapshotId)
        this.waiters.delete(failure.snapshotId)
        waiter?.reject(new SnapshotLimitError(failure.snapshotId, failure.overflowed))
      }
      for (const raw of ready.completed) {
        const waiter = this.waiters.get(raw.id)
        this.waiters.delete(raw.id)
        let snapshot: GlobalSnapshot<S, A>
        try {
          snapshot = this.decodeSnapshot(raw)
        } catch (error) {
          waiter?.reject(error)
          continue
        }
        waiter?.resolve(snapshot)
        for (const handler of this.snapshotHandlers) handler(snapshot)
      }
    }
  }

  private decodeSnapshot(raw: GlobalSnapshot): GlobalSnapshot<S, A> {
    const states = new Map<NodeId, S>()
    for (const [process, state] of raw.states) states.set(process, this.stateCodec.decode(state))
    return {
      initiator: raw.initiator,
      id: raw.id,
      states,
      channels: raw.channels.map(({ from, to, messages }) => ({
        from,
        to,
        messages: messages.map((message) => this.payloadCodec.decode(message)),
      })),
    }
  }
}
