import {
  assertNodeId,
  type Codec,
  type MessageHandler,
  type NodeId,
  type Transport,
  TransportClosedError,
  UnknownPeerError,
} from '@synod/transport'
import type { Random } from './random.js'
import type { Scheduler } from './scheduler.js'
import type { Trace } from './trace.js'
import { assertIntegerInRange, assertNumberInRange, assertOptions, MAX_DELAY_MS, show } from './validate.js'

/**
 * How long a message spends on a link, in virtual milliseconds.
 *
 * - `constant`: always `ms`.
 * - `uniform`: uniform in [`minMs`, `maxMs`].
 * - `long-tail`: `minMs` plus a Lomax (shifted Pareto) variable with shape
 *   `alpha` (default 1.5; smaller is heavier), scaled so that the median delay
 *   is `medianMs`, capped at `maxMs`. Most messages are fast, a few are very slow.
 * @example
 * ```ts
 * const wan: DelayDistribution = { kind: 'long-tail', minMs: 20, medianMs: 40, maxMs: 2_000, alpha: 1.2 }
 * ```
 */
export type DelayDistribution =
  | { kind: 'constant'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'long-tail'; minMs: number; medianMs: number; maxMs: number; alpha?: number }

/**
 * The behaviour of one directed link (or of every link, as a default).
 * @example
 * ```ts
 * const flaky: LinkOptions = { delay: { kind: 'uniform', minMs: 1, maxMs: 50 }, lossRate: 0.1, duplicateRate: 0.01, reorderRate: 0.2 }
 * ```
 */
export interface LinkOptions {
  /** Delay of each message (default uniform 1–10 ms). */
  delay?: DelayDistribution
  /** Probability that a message is lost (default 0). */
  lossRate?: number
  /** Probability that a message is delivered twice (default 0). The copy gets its own delay. */
  duplicateRate?: number
  /**
   * Probability that a message ignores the link's FIFO order (default 0). With
   * 0, a link is FIFO: a message is never delivered before one sent earlier on
   * the same link (its delivery time is clamped to the previous one's). A
   * message picked for reordering keeps its own sampled delay and may overtake.
   * On a FIFO link a slow message holds back the ones behind it, as on a TCP connection.
   */
  reorderRate?: number
}

/**
 * Temporary extra loss, duplication or reordering on every link, until `heal()`.
 * @example
 * ```ts
 * network.degrade({ lossRate: 0.5 } satisfies Degradation)
 * ```
 */
export interface Degradation {
  lossRate?: number
  duplicateRate?: number
  reorderRate?: number
}

/**
 * Why a message was dropped.
 * @example
 * ```ts
 * const lost = network.stats.droppedByReason['loss' satisfies DropReason]
 * ```
 */
export type DropReason = 'loss' | 'partition' | 'closed' | 'unknown-peer' | 'overflow'

/**
 * Message counters of a {@link SimNetwork}.
 * @example
 * ```ts
 * const { sent, delivered, dropped, held } = network.stats
 * ```
 */
export interface NetworkStats {
  /** `send` calls accepted. */
  sent: number
  /** Messages handed to an open transport (duplicates count twice). */
  delivered: number
  /** Extra copies made by duplication. */
  duplicated: number
  /** Messages dropped, for any reason. */
  dropped: number
  droppedByReason: Record<DropReason, number>
  /** Messages currently held by clogged links or paused nodes. */
  held: number
}

/**
 * Options of a {@link SimNetwork}.
 * @example
 * ```ts
 * new SimNetwork<Msg>({ scheduler, random: new Random(1).split('network'), codec: jsonCodec<Msg>(), link: { lossRate: 0.01 } })
 * ```
 */
export interface SimNetworkOptions<M> {
  /** The virtual clock deliveries are scheduled on. */
  scheduler: Scheduler
  /** The network's random stream; each link splits its own from it. */
  random: Random
  /** Defaults for every link. */
  link?: LinkOptions
  /**
   * When given, only these ids may join, and sending to another id throws
   * `UnknownPeerError`. Without it, messages to ids that never joined are dropped.
   */
  members?: readonly NodeId[]
  /** When given, every message is encoded on send and decoded on each delivery (catches aliasing). */
  codec?: Codec<M>
  /** Where events are recorded. */
  trace?: Trace
  /** The most messages one clogged link or one paused node may hold (default 100,000); more are dropped. */
  maxHeldMessages?: number
  /** The most distinct node ids the network tracks (default 4096). */
  maxNodes?: number
}

const KIND_CONSTANT = 0
const KIND_UNIFORM = 1
const KIND_LONG_TAIL = 2

interface ResolvedLink {
  kind: number
  a: number
  b: number
  maxMs: number
  inverseAlpha: number
  lossRate: number
  duplicateRate: number
  reorderRate: number
}

interface NodeRecord<M> {
  id: NodeId
  index: number
  transport: SimTransport<M> | undefined
  paused: boolean
  /** Deliveries held while paused; after `resume`, until the drain event, new arrivals queue behind them. */
  pausedQueue: Envelope<M>[]
  draining: boolean
}

interface Link<M> {
  from: NodeRecord<M>
  to: NodeRecord<M>
  options: ResolvedLink | undefined
  random: Random | undefined
  blocked: boolean
  clogged: boolean
  /** Messages held by a clog; after `unclog`, until the drain event, new arrivals queue behind them. */
  held: Envelope<M>[]
  draining: boolean
  lastAtMs: number
}

interface Envelope<M> {
  link: Link<M>
  payload: M | Uint8Array
  id: number
}

const DEFAULT_LINK: LinkOptions = { delay: { kind: 'uniform', minMs: 1, maxMs: 10 } }

function resolveDelay(
  name: string,
  delay: unknown,
): Pick<ResolvedLink, 'kind' | 'a' | 'b' | 'maxMs' | 'inverseAlpha'> {
  if (typeof delay !== 'object' || delay === null)
    throw new TypeError(`${name}: expected a delay distribution object, got ${show(delay)}`)
  const d = delay as Record<string, unknown>
  switch (d.kind) {
    case 'constant': {
      const ms = assertNumberInRange(`${name}.ms`, d.ms, 0, MAX_DELAY_MS)
      return { kind: KIND_CONSTANT, a: ms, b: 0, maxMs: ms, inverseAlpha: 0 }
    }
    case 'uniform': {
      const minMs = assertNumberInRange(`${name}.minMs`, d.minMs, 0, MAX_DELAY_MS)
      const maxMs = assertNumberInRange(`${name}.maxMs`, d.maxMs, minMs, MAX_DELAY_MS)
      return { kind: KIND_UNIFORM, a: minMs, b: maxMs - minMs, maxMs, inverseAlpha: 0 }
    }
    case 'long-tail': {
      const minMs = assertNumberInRange(`${name}.minMs`, d.minMs, 0, MAX_DELAY_MS)
      const medianMs = assertNumberInRange(`${name}.medianMs`, d.medianMs, minMs, MAX_DELAY_MS)
      const maxMs = assertNumberInRange(`${name}.maxMs`, d.maxMs, medianMs, MAX_DELAY_MS)
      const alpha = assertNumberInRange(`${name}.alpha`, d.alpha ?? 1.5, 0.1, 100)
      const inverseAlpha = 1 / alpha
      // Lomax median: scale * (2^(1/alpha) - 1)
      const scale = (medianMs - minMs) / (2 ** inverseAlpha - 1)
      return { kind: KIND_LONG_TAIL, a: minMs, b: scale, maxMs, inverseAlpha }
    }
    default:
      throw new RangeError(`${name}.kind: expected 'constant', 'uniform' or 'long-tail', got ${show(d.kind)}`)
  }
}

function resolveLink(name: string, options: LinkOptions, base: ResolvedLink | undefined): ResolvedLink {
  assertOptions(name, options)
  const delay =
    options.delay !== undefined ? resolveDelay(`${name}.delay`, options.delay) : (base as ResolvedLink)
  return {
    kind: delay.kind,
    a: delay.a,
    b: delay.b,
    maxMs: delay.maxMs,
    inverseAlpha: delay.inverseAlpha,
    lossRate: assertNumberInRange(`${name}.lossRate`, options.lossRate ?? base?.lossRate ?? 0, 0, 1),
    duplicateRate: assertNumberInRange(
      `${name}.duplicateRate`,
      options.duplicateRate ?? base?.duplicateRate ?? 0,
      0,
      1,
    ),
    reorderRate: assertNumberInRange(
      `${name}.reorderRate`,
      options.reorderRate ?? base?.reorderRate ?? 0,
      0,
      1,
    ),
  }
}

function assertIdList(name: string, value: unknown): asserts value is readonly NodeId[] {
  if (!Array.isArray(value)) throw new TypeError(`${name}: expected an array of node ids, got ${show(value)}`)
  value.forEach((id, i) => assertNodeId(`${name}[${i}]`, id))
}

/**
 * A faulty network on virtual time, for the simulator. Every `join` returns a
 * {@link Transport}; deliveries are events on the shared {@link Scheduler}, so
 * one seed replays the same deliveries, losses and duplicates in the same order.
 *
 * Faults: per-link delay distributions, loss, duplication and reordering;
 * symmetric partitions, one-way blocks, bridges, clogged links (messages held,
 * then released by `unclog`/`heal`), paused receivers, and `degrade` bursts.
 * A partition also drops the messages already in flight across it. Messages to
 * a node whose transport is closed (a crashed node) are dropped; messages in
 * flight when a node restarts reach the new incarnation, as datagrams would.
 *
 * Links are FIFO unless `reorderRate > 0`. Each directed link draws from its
 * own split random stream (`link:<from>-><to>`), so traffic on one link never
 * changes the fate of messages on another.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler()
 * const network = new SimNetwork<string>({ scheduler, random: new Random(1), link: { lossRate: 0.1 } })
 * const a = network.join('a')
 * const b = network.join('b')
 * b.onMessage((from, text) => console.log(scheduler.now, from, text))
 * a.send('b', 'hello')
 * network.partition([['a'], ['b']]) // the message in flight is now lost
 * scheduler.runUntilIdle()
 * ```
 */
export class SimNetwork<M> {
  /** The scheduler deliveries run on. */
  readonly scheduler: Scheduler
  private readonly random: Random
  private readonly codec: Codec<M> | undefined
  private readonly trace: Trace | undefined
  private readonly members: ReadonlySet<NodeId> | undefined
  private readonly maxHeld: number
  private readonly maxNodes: number
  private defaults: ResolvedLink
  private degradation: Degradation = {}
  private readonly nodes = new Map<NodeId, NodeRecord<M>>()
  private readonly records: NodeRecord<M>[] = []
  private readonly links: (Link<M> | undefined)[][] = []
  private messageSeq = 0
  private heldCount = 0
  private readonly counters = {
    sent: 0,
    delivered: 0,
    duplicated: 0,
    dropped: 0,
    droppedByReason: { loss: 0, partition: 0, closed: 0, 'unknown-peer': 0, overflow: 0 },
  }

  /**
   * @throws {TypeError} / {RangeError} for any invalid option, naming it
   */
  constructor(options: SimNetworkOptions<M>) {
    assertOptions('options', options)
    if (typeof options?.scheduler?.schedule !== 'function')
      throw new TypeError(`scheduler: expected a Scheduler, got ${show(options?.scheduler)}`)
    if (typeof options.random?.split !== 'function')
      throw new TypeError(`random: expected a Random, got ${show(options.random)}`)
    this.scheduler = options.scheduler
    this.random = options.random
    this.codec = options.codec
    this.trace = options.trace
    this.maxHeld = assertIntegerInRange('maxHeldMessages', options.maxHeldMessages ?? 100_000, 0, 1e9)
    this.maxNodes = assertIntegerInRange('maxNodes', options.maxNodes ?? 4096, 1, 65_536)
    this.defaults = resolveLink('link', { ...DEFAULT_LINK, ...options.link }, undefined)
    if (options.members !== undefined) {
      assertIdList('members', options.members)
      this.members = new Set(options.members)
      for (const id of options.members) this.record(id)
    }
  }

  // ---------------------------------------------------------------- membership

  private record(id: NodeId): NodeRecord<M> {
    let node = this.nodes.get(id)
    if (node === undefined) {
      if (this.records.length >= this.maxNodes)
        throw new RangeError(`id: the network already tracks maxNodes=${this.maxNodes} node ids`)
      node = {
        id,
        index: this.records.length,
        transport: undefined,
        paused: false,
        pausedQueue: [],
        draining: false,
      }
      this.nodes.set(id, node)
      this.records.push(node)
    }
    return node
  }

  private link(from: NodeRecord<M>, to: NodeRecord<M>): Link<M> {
    let row = this.links[from.index]
    if (row === undefined) {
      row = []
      this.links[from.index] = row
    }
    let link = row[to.index]
    if (link === undefined) {
      link = {
        from,
        to,
        options: undefined,
        random: undefined,
        blocked: false,
        clogged: false,
        held: [],
        draining: false,
        lastAtMs: 0,
      }
      row[to.index] = link
    }
    return link
  }

  private named(name: string, id: unknown): NodeRecord<M> {
    assertNodeId(name, id)
    if (this.members && !this.members.has(id)) throw new UnknownPeerError(id)
    return this.record(id)
  }

  /**
   * Adds a node (or brings a closed one back, as after a restart) and returns its transport.
   * @throws {UnknownPeerError} when `members` was given and `id` is not in it
   * @throws {RangeError} when a transport for `id` is open
   * @example
   * ```ts
   * const n1 = network.join('n1')
   * ```
   */
  join(id: NodeId): Transport<M> {
    const node = this.named('id', id)
    if (node.transport !== undefined) throw new RangeError(`id: node "${id}" already joined this network`)
    const transport = new SimTransport<M>(id, this)
    node.transport = transport
    return transport
  }

  /** Ids of the nodes with an open transport, in the order they were first seen. */
  get joinedIds(): NodeId[] {
    return this.records.filter((n) => n.transport !== undefined).map((n) => n.id)
  }

  /**
   * Closes every transport and drops whatever is held.
   * @example
   * ```ts
   * await network.close()
   * ```
   */
  async close(): Promise<void> {
    for (const node of this.records) node.transport?.closeNow()
  }

  // ---------------------------------------------------------------- link options

  /**
   * Sets the options of the directed link `from -> to` (unset fields fall back
   * to the network defaults). Not undone by `heal()`.
   * @example
   * ```ts
   * network.setLink('n1', 'n2', { delay: { kind: 'constant', ms: 200 }, lossRate: 0.5 })
   * ```
   */
  setLink(from: NodeId, to: NodeId, options: LinkOptions): void {
    const link = this.link(this.named('from', from), this.named('to', to))
    link.options = resolveLink('options', options, this.defaults)
  }

  /**
   * Replaces the defaults of every link that has no options of its own.
   * @example
   * ```ts
   * network.setDefaultLink({ delay: { kind: 'long-tail', minMs: 1, medianMs: 5, maxMs: 500 } })
   * ```
   */
  setDefaultLink(options: LinkOptions): void {
    this.defaults = resolveLink('options', { ...DEFAULT_LINK, ...options }, undefined)
  }

  /**
   * Adds loss, duplication or reordering on every link until `heal()` (or the
   * next `degrade`). The effective rate of a link is the larger of its own and this one.
   * @example
   * ```ts
   * network.degrade({ lossRate: 0.3, duplicateRate: 0.1 })
   * ```
   */
  degrade(degradation: Degradation): void {
    assertOptions('degradation', degradation)
    this.degradation = {
      lossRate: assertNumberInRange('lossRate', degradation.lossRate ?? 0, 0, 1),
      duplicateRate: assertNumberInRange('duplicateRate', degradation.duplicateRate ?? 0, 0, 1),
      reorderRate: assertNumberInRange('reorderRate', degradation.reorderRate ?? 0, 0, 1),
    }
  }

  // ---------------------------------------------------------------- partitions

  /**
   * Cuts every link between nodes of different groups, both ways. Nodes not
   * named in any group are not affected (clients, for example). Adds to the
   * faults already in place; `heal()` removes them all.
   * @throws {RangeError} when a node appears in two groups
   * @example
   * ```ts
   * network.partition([['n1', 'n2'], ['n3', 'n4', 'n5']])
   * ```
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    if (!Array.isArray(groups))
      throw new TypeError(`groups: expected an array of arrays, got ${show(groups)}`)
    const groupOf = new Map<NodeRecord<M>, number>()
    groups.forEach((group, g) => {
      assertIdList(`groups[${g}]`, group)
      for (const id of group) {
        const node = this.named(`groups[${g}]`, id)
        if (groupOf.has(node)) throw new RangeError(`groups: node "${id}" appears in more than one group`)
        groupOf.set(node, g)
      }
    })
    for (const [a, ga] of groupOf) {
      for (const [b, gb] of groupOf) if (ga !== gb) this.link(a, b).blocked = true
    }
    this.traceFault(() => `partition ${groups.map((g) => g.join(',')).join(' | ')}`)
  }

  /**
   * Cuts `id` off from each of `others` (default: every other node the network knows), both ways.
   * @example
   * ```ts
   * network.isolate('n1', ['n2', 'n3'])
   * ```
   */
  isolate(id: NodeId, others?: readonly NodeId[]): void {
    const node = this.named('id', id)
    const list = others ?? this.records.map((n) => n.id)
    assertIdList('others', list)
    for (const other of list) {
      const peer = this.named('others', other)
      if (peer === node) continue
      this.link(node, peer).blocked = true
      this.link(peer, node).blocked = true
    }
    this.traceFault(() => `isolate ${id}`)
  }

  /**
   * Two halves that only talk through `bridge`: every link between `left` and `right` is cut.
   * @example
   * ```ts
   * network.bridge(['n1', 'n2'], 'n3', ['n4', 'n5'])
   * ```
   */
  bridge(left: readonly NodeId[], bridge: NodeId, right: readonly NodeId[]): void {
    assertIdList('left', left)
    assertIdList('right', right)
    assertNodeId('bridge', bridge)
    if (left.includes(bridge) || right.includes(bridge))
      throw new RangeError(`bridge: node "${bridge}" must not be in left or right`)
    for (const a of left) {
      for (const b of right) {
        if (a === b) throw new RangeError(`right: node "${b}" is also in left`)
        this.link(this.named('left', a), this.named('right', b)).blocked = true
        this.link(this.named('right', b), this.named('left', a)).blocked = true
      }
    }
    this.traceFault(() => `bridge ${left.join(',')} <${bridge}> ${right.join(',')}`)
  }

  /**
   * Cuts the directed link `from -> to` only: `to` can still reach `from`.
   * @example
   * ```ts
   * network.blockLink('n1', 'n2') // n1's messages to n2 are lost, n2's to n1 arrive
   * ```
   */
  blockLink(from: NodeId, to: NodeId): void {
    this.link(this.named('from', from), this.named('to', to)).blocked = true
    this.traceFault(() => `block ${from}->${to}`)
  }

  /**
   * Restores the directed link `from -> to` cut by a partition or block.
   * @example
   * ```ts
   * network.unblockLink('n1', 'n2')
   * ```
   */
  unblockLink(from: NodeId, to: NodeId): void {
    this.link(this.named('from', from), this.named('to', to)).blocked = false
    this.traceFault(() => `unblock ${from}->${to}`)
  }

  /**
   * Whether a message sent now from `from` to `to` could be delivered (not blocked, not clogged).
   * @example
   * ```ts
   * network.canReach('n1', 'n2')
   * ```
   */
  canReach(from: NodeId, to: NodeId): boolean {
    const link = this.link(this.named('from', from), this.named('to', to))
    return !link.blocked && !link.clogged
  }

  /**
   * Clogs the directed link `from -> to`: messages are held, not lost, until
   * `unclog` or `heal` releases them (each with a fresh delay, in order).
   * @example
   * ```ts
   * network.clog('n1', 'n2')
   * ```
   */
  clog(from: NodeId, to: NodeId): void {
    this.link(this.named('from', from), this.named('to', to)).clogged = true
    this.traceFault(() => `clog ${from}->${to}`)
  }

  /**
   * Releases a clogged link's held messages and lets new ones through.
   * @example
   * ```ts
   * network.unclog('n1', 'n2')
   * ```
   */
  unclog(from: NodeId, to: NodeId): void {
    const link = this.link(this.named('from', from), this.named('to', to))
    this.traceFault(() => `unclog ${from}->${to}`)
    this.release(link)
  }

  /**
   * Unclogs a link: what it held arrives together, in order, after one fresh
   * delay; messages reaching the link before then queue behind (FIFO holds).
   */
  private release(link: Link<M>): void {
    link.clogged = false
    if (link.held.length === 0 || link.draining) return
    link.draining = true
    this.scheduler.schedule(this.sampleDelay(link, this.options(link)), () => {
      link.draining = false
      if (link.clogged) return // clogged again meanwhile: keep holding
      const held = link.held
      link.held = []
      this.heldCount -= held.length
      for (const envelope of held) this.arrive(envelope)
    })
  }

  /**
   * Removes every partition, block, clog (releasing held messages) and
   * degradation. Per-link options set with `setLink` stay.
   * @example
   * ```ts
   * network.heal()
   * ```
   */
  heal(): void {
    this.degradation = {}
    this.traceFault(() => 'heal')
    for (const row of this.links) {
      if (row === undefined) continue
      for (const link of row) {
        if (link === undefined) continue
        link.blocked = false
        if (link.clogged) this.release(link)
      }
    }
  }

  // ---------------------------------------------------------------- pause

  /**
   * Holds every delivery to `id` until `resume(id)`.
   * @example
   * ```ts
   * network.pause('n1')
   * ```
   */
  pause(id: NodeId): void {
    this.named('id', id).paused = true
  }

  /**
   * Delivers what was held for `id` (in order, at the current time) and lets new deliveries through.
   * @example
   * ```ts
   * network.resume('n1')
   * ```
   */
  resume(id: NodeId): void {
    const node = this.named('id', id)
    node.paused = false
    if (node.pausedQueue.length === 0 || node.draining) return
    node.draining = true
    this.scheduler.schedule(0, () => {
      node.draining = false
      if (node.paused) return // paused again meanwhile: keep holding
      const queue = node.pausedQueue
      node.pausedQueue = []
      this.heldCount -= queue.length
      for (const envelope of queue) this.hand(envelope)
    })
  }

  // ---------------------------------------------------------------- counters

  /**
   * A snapshot of the message counters.
   * @example
   * ```ts
   * const { sent, delivered, dropped } = network.stats
   * ```
   */
  get stats(): NetworkStats {
    return {
      sent: this.counters.sent,
      delivered: this.counters.delivered,
      duplicated: this.counters.duplicated,
      dropped: this.counters.dropped,
      droppedByReason: { ...this.counters.droppedByReason },
      held: this.heldCount,
    }
  }

  // ---------------------------------------------------------------- the data path

  private options(link: Link<M>): ResolvedLink {
    return link.options ?? this.defaults
  }

  private drop(envelope: Envelope<M>, reason: DropReason): void {
    this.counters.dropped++
    this.counters.droppedByReason[reason]++
    const trace = this.trace
    if (trace) {
      const link = envelope.link
      trace.event(
        this.scheduler.now,
        'drop',
        () => `${link.from.id}->${link.to.id} #${envelope.id} (${reason})`,
        link.from.index,
        link.to.index,
        envelope.id,
      )
    }
  }

  private traceFault(text: () => string): void {
    this.trace?.note(this.scheduler.now, `network ${text()}`)
  }

  /** @internal */
  send(fromId: NodeId, to: NodeId, message: M): void {
    if (this.members && !this.members.has(to)) throw new UnknownPeerError(to)
    const payload = this.codec ? this.codec.encode(message) : message
    this.counters.sent++
    const id = ++this.messageSeq
    const from = this.nodes.get(fromId) as NodeRecord<M>
    const target = this.nodes.get(to)
    if (target === undefined) {
      this.counters.dropped++
      this.counters.droppedByReason['unknown-peer']++
      this.trace?.event(
        this.scheduler.now,
        'drop',
        () => `${fromId}->${to} #${id} (unknown-peer)`,
        from.index,
        -1,
        id,
      )
      return
    }
    const link = this.link(from, target)
    const envelope: Envelope<M> = { link, payload, id }
    this.trace?.event(
      this.scheduler.now,
      'send',
      () => `${fromId}->${to} #${id}`,
      from.index,
      target.index,
      id,
    )
    if (link.blocked) {
      this.drop(envelope, 'partition')
      return
    }
    const options = this.options(link)
    const degradation = this.degradation
    const lossRate = Math.max(options.lossRate, degradation.lossRate ?? 0)
    const random = link.random ?? this.linkRandom(link)
    if (lossRate > 0 && random.float() < lossRate) {
      this.drop(envelope, 'loss')
      return
    }
    this.dispatch(envelope, options, true)
    const duplicateRate = Math.max(options.duplicateRate, degradation.duplicateRate ?? 0)
    if (duplicateRate > 0 && random.float() < duplicateRate) {
      this.counters.duplicated++
      this.trace?.event(
        this.scheduler.now,
        'duplicate',
        () => `${fromId}->${to} #${id}`,
        from.index,
        target.index,
        id,
      )
      this.dispatch({ link, payload, id }, options, true)
    }
  }

  private linkRandom(link: Link<M>): Random {
    link.random = this.random.split(`link:${link.from.id}->${link.to.id}`)
    return link.random
  }

  /** Schedules one delivery with a sampled delay, FIFO-clamped unless picked for reordering. */
  private dispatch(envelope: Envelope<M>, options: ResolvedLink, mayReorder: boolean): void {
    const link = envelope.link
    const random = link.random ?? this.linkRandom(link)
    let atMs = this.scheduler.now + this.sampleDelay(link, options)
    const reorderRate = Math.max(options.reorderRate, this.degradation.reorderRate ?? 0)
    const reorder = mayReorder && reorderRate > 0 && random.float() < reorderRate
    if (!reorder) {
      if (atMs < link.lastAtMs) atMs = link.lastAtMs
      link.lastAtMs = atMs
    }
    this.scheduler.scheduleAt(atMs, () => this.deliver(envelope))
  }

  private sampleDelay(link: Link<M>, options: ResolvedLink): number {
    if (options.kind === KIND_CONSTANT) return options.a
    const random = link.random ?? this.linkRandom(link)
    if (options.kind === KIND_UNIFORM)
      return options.b === 0 ? options.a : options.a + options.b * random.float()
    const u = 1 - random.float() // (0, 1]
    return Math.min(options.maxMs, options.a + options.b * (u ** -options.inverseAlpha - 1))
  }

  /** A message reaches the end of its link: partitions drop it, clogs hold it. */
  private deliver(envelope: Envelope<M>): void {
    const link = envelope.link
    if (link.clogged || link.draining) this.hold(link.held, envelope)
    else this.arrive(envelope)
  }

  /** Holds a message in a clogged link's or a paused node's queue; drops it when the queue is full. */
  private hold(queue: Envelope<M>[], envelope: Envelope<M>): void {
    if (queue.length >= this.maxHeld) {
      this.drop(envelope, 'overflow')
      return
    }
    queue.push(envelope)
    this.heldCount++
  }

  /** A message crosses the link to its node: unless cut, it is handed over, or held while the node is paused. */
  private arrive(envelope: Envelope<M>): void {
    const link = envelope.link
    if (link.blocked) {
      this.drop(envelope, 'partition')
      return
    }
    const to = link.to
    if (to.transport === undefined) {
      this.drop(envelope, 'closed')
      return
    }
    if (to.paused || to.draining) this.hold(to.pausedQueue, envelope)
    else this.hand(envelope)
  }

  /** The node's handlers get the message. */
  private hand(envelope: Envelope<M>): void {
    const link = envelope.link
    const to = link.to
    const transport = to.transport
    if (transport === undefined) {
      this.drop(envelope, 'closed')
      return
    }
    const message = this.codec ? this.codec.decode(envelope.payload as Uint8Array) : (envelope.payload as M)
    this.counters.delivered++
    this.trace?.event(
      this.scheduler.now,
      'deliver',
      () => `${link.from.id}->${to.id} #${envelope.id}`,
      link.from.index,
      to.index,
      envelope.id,
    )
    transport.deliver(link.from.id, message)
  }

  /** @internal */
  detach(id: NodeId, transport: SimTransport<M>): void {
    const node = this.nodes.get(id)
    if (node === undefined || node.transport !== transport) return
    node.transport = undefined
    this.heldCount -= node.pausedQueue.length
    for (const envelope of node.pausedQueue) this.drop(envelope, 'closed')
    node.pausedQueue = []
  }
}

class SimTransport<M> implements Transport<M> {
  readonly localId: NodeId
  private readonly network: SimNetwork<M>
  private handlers: MessageHandler<M>[] = []
  private closed = false

  constructor(localId: NodeId, network: SimNetwork<M>) {
    this.localId = localId
    this.network = network
  }

  send(to: NodeId, message: M): void {
    assertNodeId('to', to)
    if (this.closed) throw new TransportClosedError(this.localId)
    this.network.send(this.localId, to, message)
  }

  onMessage(handler: MessageHandler<M>): () => void {
    if (typeof handler !== 'function')
      throw new TypeError(`handler: expected a function, got ${show(handler)}`)
    if (this.closed) return () => {}
    this.handlers = [...this.handlers, handler]
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler)
    }
  }

  async close(): Promise<void> {
    this.closeNow()
  }

  /** @internal Closes synchronously (a crash). */
  closeNow(): void {
    if (this.closed) return
    this.closed = true
    this.handlers = []
    this.network.detach(this.localId, this)
  }

  /** @internal */
  deliver(from: NodeId, message: M): void {
    const handlers = this.handlers
    for (const handler of handlers) handler(from, message)
  }
}
