import { assertNodeId, type Codec, type NodeId, type Transport } from '@synod/transport'
import { SimDisk, type SimDiskOptions } from './disk.js'
import { NodeStateError } from './errors.js'
import { type LinkOptions, SimNetwork } from './network.js'
import { Random, type Seed } from './random.js'
import { Scheduler, type TimerHandle } from './scheduler.js'
import { Trace, type TraceOptions } from './trace.js'
import { assertFunction, assertNumberInRange, assertOptions, MAX_DELAY_MS, show } from './validate.js'

/**
 * What a simulated node's code receives: everything it may touch, all on virtual time.
 * @example
 * ```ts
 * function node(ctx: NodeContext<Msg>) {
 *   ctx.transport.onMessage((from, message) => ctx.log(`${from} sent ${message.kind}`))
 *   ctx.every(100, () => ctx.transport.send(ctx.random.pick(peers), { kind: 'ping', at: ctx.now() }))
 *   return {}
 * }
 * ```
 */
export interface NodeContext<M> {
  /** This node's id. */
  readonly id: NodeId
  /** 0 on the first start, then 1, 2, … after each restart. */
  readonly incarnation: number
  /** This incarnation's transport (closed when the node crashes). */
  readonly transport: Transport<M>
  /** This incarnation's own random stream (`node:<id>:<incarnation>`). */
  readonly random: Random
  /** The node's disk: it survives crashes, keeping what was synced. */
  readonly disk: SimDisk
  /** The node's local clock in milliseconds: virtual time with this node's skew and drift. */
  now(): number
  /**
   * Runs `callback` after `ms` of this node's local time. Cancelled by a crash;
   * deferred while the node is paused.
   */
  after(ms: number, callback: () => void): TimerHandle
  /** Runs `callback` every `ms` of local time until cancelled or the node crashes. */
  every(ms: number, callback: () => void): TimerHandle
  /** Adds a line to the simulation trace (hashed, and kept when text tracing is on). */
  log(text: string): void
}

/**
 * A node's state in the simulation.
 * @example
 * ```ts
 * if (sim.status('n1') === 'crashed') sim.restart('n1')
 * ```
 */
export type NodeStatus = 'running' | 'paused' | 'crashed'

/**
 * Per-node clock imperfection, drawn once per node from the seed.
 * @example
 * ```ts
 * new Simulation({ seed: 1, nodeIds, node, clock: { maxSkewMs: 500, maxDriftPpm: 200 } })
 * ```
 */
export interface ClockOptions {
  /** Each node's clock offset is uniform in [-maxSkewMs, maxSkewMs] (default 0). */
  maxSkewMs?: number
  /** Each node's clock rate is off by up to this many parts per million (default 0, at most 100,000). */
  maxDriftPpm?: number
}

/**
 * Options of a {@link Simulation}.
 * @example
 * ```ts
 * new Simulation<Msg, Node>({ seed: 1, nodeIds: ['n1', 'n2', 'n3'], node: (ctx) => new Node(ctx), disk: { tornWrites: true } })
 * ```
 */
export interface SimulationOptions<M, N> {
  /** One seed replays the whole run. */
  seed: Seed
  /** The ids of the simulated nodes (servers), in a stable order. */
  nodeIds: readonly NodeId[]
  /** Builds a node from its context; called at start and again on every restart. */
  node: (context: NodeContext<M>) => N
  /** Defaults for every network link. */
  network?: LinkOptions
  /** When given, messages are encoded and decoded on every send (catches aliasing). */
  codec?: Codec<M>
  /** Options of every node's disk. */
  disk?: SimDiskOptions
  /** Clock skew and drift. */
  clock?: ClockOptions
  /** Text tracing. */
  trace?: TraceOptions
  /** The most events pending at once (default 10,000,000). */
  maxPendingEvents?: number
}

interface SimNode<M, N> {
  id: NodeId
  index: number
  status: NodeStatus
  incarnation: number
  instance: N | undefined
  transport: Transport<M> | undefined
  disk: SimDisk
  timers: Set<NodeTimer>
  deferred: NodeTimer[]
  baseOffsetMs: number
  offsetMs: number
  rate: number
  crashes: number
}

/** A node timer: cancelled by its handle or by a crash, deferred while the node is paused. */
interface NodeTimer {
  handle: TimerHandle | undefined
  done: boolean
  fire: () => void
}

const MAX_NODES = 1024
const MAX_DEFERRED = 1_000_000

/**
 * A simulated cluster: one scheduler, one faulty network, one disk per node,
 * and per-node contexts, all driven by one seed. Nodes can be crashed (timers
 * cancelled, transport closed, unsynced disk data lost), restarted (the factory
 * is called again with the surviving disk), paused and resumed.
 *
 * Use {@link runSimulation} for the usual fault-phase / heal-phase run with
 * invariants and liveness; use `Simulation` directly for scripted scenarios.
 *
 * @example
 * ```ts
 * const sim = new Simulation<string, { pings: number }>({
 *   seed: 1,
 *   nodeIds: ['a', 'b'],
 *   node(ctx) {
 *     const state = { pings: 0 }
 *     ctx.transport.onMessage(() => state.pings++)
 *     ctx.every(100, () => ctx.transport.send(ctx.id === 'a' ? 'b' : 'a', 'ping'))
 *     return state
 *   },
 * })
 * sim.runUntil(1_000)
 * sim.crash('a')
 * sim.runUntil(2_000)
 * sim.restart('a')
 * ```
 */
export class Simulation<M, N> {
  /** The seed of the run. */
  readonly seed: Seed
  /** The virtual clock. */
  readonly scheduler: Scheduler
  /** The faulty network the nodes talk through. */
  readonly network: SimNetwork<M>
  /** The run's trace: its hash identifies the run. */
  readonly trace: Trace
  /** The root random stream; split it for your own drivers (`sim.random.split('clients')`). */
  readonly random: Random
  /** The node ids, as given. */
  readonly nodeIds: readonly NodeId[]
  private readonly factory: (context: NodeContext<M>) => N
  private readonly nodes = new Map<NodeId, SimNode<M, N>>()
  private readonly diskRandom: Random

  constructor(options: SimulationOptions<M, N>) {
    assertOptions('options', options)
    if (options === undefined) throw new TypeError('options: expected an options object, got undefined')
    this.random = new Random(options.seed)
    this.seed = options.seed
    if (!Array.isArray(options.nodeIds))
      throw new TypeError(`nodeIds: expected an array of node ids, got ${show(options.nodeIds)}`)
    if (options.nodeIds.length === 0 || options.nodeIds.length > MAX_NODES)
      throw new RangeError(
        `nodeIds: expected 1 to ${MAX_NODES} node ids, got length=${options.nodeIds.length}`,
      )
    options.nodeIds.forEach((id, i) => assertNodeId(`nodeIds[${i}]`, id))
    if (new Set(options.nodeIds).size !== options.nodeIds.length)
      throw new RangeError('nodeIds: expected distinct node ids')
    assertFunction('node', options.node)
    assertOptions('clock', options.clock)
    const maxSkewMs = assertNumberInRange('clock.maxSkewMs', options.clock?.maxSkewMs ?? 0, 0, MAX_DELAY_MS)
    const maxDriftPpm = assertNumberInRange('clock.maxDriftPpm', options.clock?.maxDriftPpm ?? 0, 0, 100_000)
    this.nodeIds = [...options.nodeIds]
    this.factory = options.node
    this.trace = new Trace(options.trace)
    this.scheduler = new Scheduler(
      options.maxPendingEvents === undefined ? {} : { maxPendingEvents: options.maxPendingEvents },
    )
    this.network = new SimNetwork<M>({
      scheduler: this.scheduler,
      random: this.random.split('network'),
      trace: this.trace,
      ...(options.network === undefined ? {} : { link: options.network }),
      ...(options.codec === undefined ? {} : { codec: options.codec }),
    })
    this.diskRandom = this.random.split('disk')
    const clockRandom = this.random.split('clock')
    this.nodeIds.forEach((id, index) => {
      const skew = maxSkewMs === 0 ? 0 : (clockRandom.float() * 2 - 1) * maxSkewMs
      const drift = maxDriftPpm === 0 ? 0 : (clockRandom.float() * 2 - 1) * maxDriftPpm
      this.nodes.set(id, {
        id,
        index,
        status: 'crashed',
        incarnation: -1,
        instance: undefined,
        transport: undefined,
        disk: new SimDisk(options.disk),
        timers: new Set(),
        deferred: [],
        baseOffsetMs: skew,
        offsetMs: skew,
        rate: 1 + drift / 1e6,
        crashes: 0,
      })
    })
    for (const id of this.nodeIds) this.start(this.get(id))
  }

  /** The current virtual time in milliseconds. */
  get now(): number {
    return this.scheduler.now
  }

  private get(id: NodeId): SimNode<M, N> {
    assertNodeId('id', id)
    const node = this.nodes.get(id)
    if (node === undefined) throw new NodeStateError(id, 'is not a node of this simulation')
    return node
  }

  /**
   * The latest instance the factory built for `id` (still returned after a crash, for inspection).
   * @example
   * ```ts
   * const leader = sim.nodeIds.map((id) => sim.node(id)).find((n) => n.role === 'leader')
   * ```
   */
  node(id: NodeId): N {
    return this.get(id).instance as N
  }

  /**
   * Whether `id` is running, paused or crashed.
   * @example
   * ```ts
   * sim.status('n1') // 'running'
   * ```
   */
  status(id: NodeId): NodeStatus {
    return this.get(id).status
  }

  /**
   * Ids of the nodes that are not crashed (running or paused).
   * @example
   * ```ts
   * for (const id of sim.upIds()) check(sim.node(id))
   * ```
   */
  upIds(): NodeId[] {
    return this.nodeIds.filter((id) => this.get(id).status !== 'crashed')
  }

  /**
   * The disk of `id` (it outlives crashes).
   * @example
   * ```ts
   * sim.disk('n1').list()
   * ```
   */
  disk(id: NodeId): SimDisk {
    return this.get(id).disk
  }

  /**
   * How many times `id` has been (re)started, minus one.
   * @example
   * ```ts
   * sim.incarnation('n1') // 0 until its first restart
   * ```
   */
  incarnation(id: NodeId): number {
    return this.get(id).incarnation
  }

  /**
   * The local clock of `id` (virtual time with its skew and drift).
   * @example
   * ```ts
   * sim.clock('n1')
   * ```
   */
  clock(id: NodeId): number {
    const node = this.get(id)
    return node.offsetMs + this.scheduler.now * node.rate
  }

  /**
   * The current clock offset of `id`, in milliseconds.
   * @example
   * ```ts
   * sim.clockOffset('n1') // 0 without skew
   * ```
   */
  clockOffset(id: NodeId): number {
    return this.get(id).offsetMs
  }

  /**
   * Sets the clock offset of `id` (a clock jump, possibly backwards). `heal()` restores the initial offset.
   * @example
   * ```ts
   * sim.setClockOffset('n1', 5_000) // n1's clock jumps 5 s ahead
   * ```
   */
  setClockOffset(id: NodeId, offsetMs: number): void {
    const node = this.get(id)
    node.offsetMs = assertNumberInRange('offsetMs', offsetMs, -MAX_DELAY_MS, MAX_DELAY_MS)
    this.trace.note(this.now, `clock ${id} offset ${offsetMs}`)
  }

  /**
   * Runs `callback` after `delayMs` of virtual time, outside any node (for
   * clients, drivers and scripted faults). Not affected by crashes or pauses.
   * @example
   * ```ts
   * sim.schedule(500, () => client.write('x', 1))
   * ```
   */
  schedule(delayMs: number, callback: () => void): TimerHandle {
    assertFunction('callback', callback)
    return this.scheduler.schedule(delayMs, () => {
      this.trace.event(this.scheduler.now, 'driver', undefined)
      callback()
    })
  }

  /**
   * Runs one event. Returns false when nothing is pending.
   * @example
   * ```ts
   * while (sim.now < 1_000 && sim.step()) assertSafety(sim)
   * ```
   */
  step(): boolean {
    return this.scheduler.step()
  }

  /**
   * Runs every event due up to `timeMs`, then sets the clock to `timeMs`.
   * @example
   * ```ts
   * sim.runUntil(10_000)
   * ```
   */
  runUntil(timeMs: number, options: { maxEvents?: number } = {}): number {
    return this.scheduler.runUntil(timeMs, options)
  }

  // ---------------------------------------------------------------- lifecycle

  private start(node: SimNode<M, N>): void {
    node.incarnation++
    node.status = 'running'
    const transport = this.network.join(node.id)
    node.transport = transport
    const incarnation = node.incarnation
    const random = this.random.split(`node:${node.id}:${incarnation}`)
    const context: NodeContext<M> = {
      id: node.id,
      incarnation,
      transport,
      random,
      disk: node.disk,
      now: () => node.offsetMs + this.scheduler.now * node.rate,
      after: (ms, callback) => this.nodeTimer(node, incarnation, ms, callback, false),
      every: (ms, callback) => this.nodeTimer(node, incarnation, ms, callback, true),
      log: (text) => this.trace.note(this.scheduler.now, `${node.id}: ${text}`),
    }
    this.trace.note(this.now, `start ${node.id} incarnation ${incarnation}`)
    node.instance = this.factory(context)
  }

  private nodeTimer(
    node: SimNode<M, N>,
    incarnation: number,
    ms: number,
    callback: () => void,
    periodic: boolean,
  ): TimerHandle {
    assertNumberInRange('ms', ms, 0, MAX_DELAY_MS)
    if (periodic && ms === 0) throw new RangeError('ms: expected a period > 0 for every(), got 0')
    assertFunction('callback', callback)
    const timer: NodeTimer = { handle: undefined, done: false, fire: () => {} }
    if (node.incarnation !== incarnation || node.status === 'crashed') {
      // a stale context (a previous incarnation): the timer never fires
      return { atMs: Number.POSITIVE_INFINITY, cancel: () => false }
    }
    const arm = () => {
      timer.handle = this.scheduler.schedule(ms / node.rate, timer.fire)
      node.timers.add(timer)
    }
    timer.fire = () => {
      node.timers.delete(timer)
      if (timer.done) return
      if (node.status === 'paused') {
        if (node.deferred.length < MAX_DEFERRED) node.deferred.push(timer)
        return
      }
      this.trace.event(this.scheduler.now, 'timer', () => node.id, node.index)
      if (periodic) arm()
      else timer.done = true
      callback()
    }
    arm()
    return {
      get atMs() {
        return timer.handle?.atMs ?? Number.POSITIVE_INFINITY
      },
      cancel: () => {
        if (timer.done) return false
        timer.done = true
        node.timers.delete(timer)
        timer.handle?.cancel()
        const index = node.deferred.indexOf(timer)
        if (index >= 0) node.deferred.splice(index, 1)
        return true
      },
    }
  }

  /**
   * Crashes `id`: its timers are cancelled, its transport closed (messages to it
   * are dropped), and its disk loses what was not synced. It runs no code until `restart`.
   * @throws {NodeStateError} when it is already crashed
   * @example
   * ```ts
   * sim.crash('n1')
   * ```
   */
  crash(id: NodeId): void {
    const node = this.get(id)
    if (node.status === 'crashed') throw new NodeStateError(id, 'is already crashed')
    this.trace.note(this.now, `crash ${id}`)
    for (const timer of node.timers) {
      timer.done = true
      timer.handle?.cancel()
    }
    node.timers.clear()
    node.deferred = []
    node.status = 'crashed'
    void node.transport?.close() // synchronous inside: drops what a pause held
    node.transport = undefined
    this.network.resume(id)
    node.crashes++
    node.disk.crash(this.diskRandom.split(`${id}:${node.crashes}`))
  }

  /**
   * Restarts a crashed node: the factory is called again with a new transport,
   * a new random stream and the surviving disk.
   * @throws {NodeStateError} when it is not crashed
   * @example
   * ```ts
   * sim.restart('n1')
   * ```
   */
  restart(id: NodeId): void {
    const node = this.get(id)
    if (node.status !== 'crashed') throw new NodeStateError(id, `is ${node.status}, not crashed`)
    this.start(node)
  }

  /**
   * Pauses `id` (a long GC pause, a stopped VM): no timer fires and nothing is
   * delivered to it until `resume`; then they all happen, in order.
   * @throws {NodeStateError} when it is not running
   * @example
   * ```ts
   * sim.pause('n1')
   * ```
   */
  pause(id: NodeId): void {
    const node = this.get(id)
    if (node.status !== 'running') throw new NodeStateError(id, `is ${node.status}, not running`)
    this.trace.note(this.now, `pause ${id}`)
    node.status = 'paused'
    this.network.pause(id)
  }

  /**
   * Resumes a paused node: deferred timers and deliveries run now, in order.
   * @throws {NodeStateError} when it is not paused
   * @example
   * ```ts
   * sim.resume('n1')
   * ```
   */
  resume(id: NodeId): void {
    const node = this.get(id)
    if (node.status !== 'paused') throw new NodeStateError(id, `is ${node.status}, not paused`)
    this.trace.note(this.now, `resume ${id}`)
    node.status = 'running'
    const deferred = node.deferred
    node.deferred = []
    for (const timer of deferred) {
      timer.handle = this.scheduler.schedule(0, timer.fire)
      node.timers.add(timer)
    }
    this.network.resume(id)
  }

  /**
   * Ends every fault: heals the network, resumes paused nodes, restarts crashed
   * ones (in `nodeIds` order) and restores every clock's initial offset.
   * @example
   * ```ts
   * sim.heal()
   * ```
   */
  heal(): void {
    this.network.heal()
    for (const id of this.nodeIds) {
      const node = this.get(id)
      if (node.status === 'paused') this.resume(id)
      if (node.status === 'crashed') this.restart(id)
      node.offsetMs = node.baseOffsetMs
    }
  }
}
