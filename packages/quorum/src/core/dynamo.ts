/**
 * A Dynamo-style key-value store (DeCandia et al. 2007) as a pure state machine:
 * N replicas per key chosen by a preference list (rendezvous hashing over the
 * members), R and W per request, vector-clock versions with concurrent versions
 * kept as siblings, read repair, and sloppy quorums with hinted handoff.
 *
 * Every node is a replica and can coordinate requests. Inputs: `get`, `put`,
 * `step(from, message)`, `tick()`. Outputs, collected until `ready()`: messages
 * to send and completions. No timers, clocks, randomness, Promises or I/O.
 * Replica data lives in memory.
 */
import type { NodeId } from '@synod/transport'
import { assertIntegerInRange, assertKey, assertObject, assertValue, show } from '../validate.js'
import { assertLimits, OperationTable } from './operations.js'
import { preferenceList } from './preference.js'
import {
  covers,
  isVectorClock,
  mergeClocks,
  reconcile,
  type Sibling,
  type VectorClock,
} from './vector-clock.js'

/**
 * A stored value: a string or bytes.
 *
 * @example
 * ```ts
 * const value: DynamoValue = new TextEncoder().encode('cart: 2 items')
 * ```
 */
export type DynamoValue = string | Uint8Array

/**
 * The messages the store's nodes exchange.
 *
 * - `get` / `get-reply`, `put` / `put-ack`: a coordinator's requests to replicas.
 *   A `put` with a `hint` is kept by a stand-in for the home replica `hint`.
 * - `repair`: read repair, pushed to a home replica that answered with less.
 * - `handoff` / `handoff-ack`: a stand-in returning hinted data to its home replica.
 *
 * @example
 * ```ts
 * const get: DynamoMessage = { kind: 'get', nonce: 1, reqId: 7, key: 'cart:42' }
 * ```
 */
export type DynamoMessage =
  | { kind: 'get'; nonce: number; reqId: number; key: string }
  | { kind: 'get-reply'; nonce: number; reqId: number; key: string; siblings: Sibling<DynamoValue>[] }
  | {
      kind: 'put'
      nonce: number
      reqId: number
      key: string
      siblings: Sibling<DynamoValue>[]
      hint?: NodeId
    }
  | { kind: 'put-ack'; nonce: number; reqId: number }
  | { kind: 'repair'; key: string; siblings: Sibling<DynamoValue>[] }
  | { kind: 'handoff'; key: string; siblings: Sibling<DynamoValue>[]; seq: number }
  | { kind: 'handoff-ack'; key: string; seq: number }

/**
 * Per-request replication: `n` replicas (the first `n` of the preference list), `r` replies
 * for a get, `w` acknowledgements for a put.
 *
 * @example
 * ```ts
 * const strong: ReplicationOptions = { n: 3, r: 2, w: 2 } // R + W > N
 * ```
 */
export interface ReplicationOptions {
  n?: number
  r?: number
  w?: number
}

/**
 * Options of one `put`: N and W for this request, and the `context` (the clock a
 * get returned): the new value supersedes every version that context covers.
 *
 * @example
 * ```ts
 * const { siblings, context } = await store.get('cart')
 * await store.put('cart', merge(siblings), { context, w: 3 })
 * ```
 */
export interface PutOptions {
  n?: number
  w?: number
  context?: VectorClock
}

/**
 * Options of one `get`: N and R for this request.
 *
 * @example
 * ```ts
 * await store.get('cart', { r: 1 }) // fastest answer, weakest guarantee
 * ```
 */
export interface GetOptions {
  n?: number
  r?: number
}

/**
 * How a request ended.
 *
 * - get `ok`: `siblings` are the versions no other version supersedes (one when
 *   there was no conflict, none when the key was never written); `context` is
 *   their merged clock, to pass to the next put.
 * - put `ok`: `clock` is the new version's clock; `hinted` counts acknowledgements
 *   from stand-ins (a sloppy quorum).
 * - `timeout`: fewer than R (W) replicas answered in time. A put may still have
 *   been stored by some.
 *
 * @example
 * ```ts
 * for (const done of core.ready().completions) if (done.kind === 'get' && done.result === 'ok') console.log(done.siblings)
 * ```
 */
export type DynamoCompletion =
  | {
      reqId: number
      kind: 'get'
      key: string
      result: 'ok'
      siblings: Sibling<DynamoValue>[]
      context: VectorClock
      replies: number
    }
  | {
      reqId: number
      kind: 'put'
      key: string
      result: 'ok'
      clock: VectorClock
      acks: number
      hinted: number
    }
  | { reqId: number; kind: 'get' | 'put'; key: string; result: 'timeout'; replies: number }

/**
 * What the core produced since the last `ready()`: send `messages`, then report `completions`.
 *
 * @example
 * ```ts
 * const { messages, completions } = core.ready()
 * ```
 */
export interface DynamoReady {
  messages: { to: NodeId; message: DynamoMessage }[]
  completions: DynamoCompletion[]
}

/**
 * Options of {@link DynamoCore}.
 *
 * @example
 * ```ts
 * const options: DynamoCoreOptions = { id: 'n1', members: ['n1', 'n2', 'n3', 'n4', 'n5'], n: 3, r: 2, w: 2 }
 * ```
 */
export interface DynamoCoreOptions {
  /** This node's id; it must be one of `members`. */
  id: NodeId
  /** Every node of the store, each a replica. */
  members: readonly NodeId[]
  /** Default replicas per key (default 3, at most the number of members). */
  n?: number
  /** Default replies a get waits for (default 2, at most `n`). */
  r?: number
  /** Default acknowledgements a put waits for (default 2, at most `n`). */
  w?: number
  /**
   * Sloppy quorums (default true): when a home replica does not answer within
   * `suspectAfterTicks`, the next healthy node of the preference list stands in
   * for it (a put leaves it a hint to hand off). More available, weaker: see the README.
   */
  sloppy?: boolean
  /** Push the merged versions to home replicas that answered a get with less (default true). */
  readRepair?: boolean
  /** This incarnation's nonce, in every request: a restarted node must use a new one (default 0). */
  nonce?: number
  /** The clock entry this node's puts increment (default `id`); a node that restarts without its data needs a new one. */
  actorId?: string
  /** Ticks between resends to replicas that have not answered (default 2). */
  retryTicks?: number
  /** Ticks without an answer before a sloppy request looks for a stand-in (default 3). */
  suspectAfterTicks?: number
  /** How long a node that did not answer is skipped by new sloppy requests (default 50 ticks). */
  suspicionTicks?: number
  /** Ticks before a request times out (default 50). */
  timeoutTicks?: number
  /** Ticks between hinted-handoff attempts (default 10). */
  handoffIntervalTicks?: number
  /** The most requests pending at once (default 10,000). */
  maxPendingOperations?: number
  /** The largest key, in UTF-8 bytes (default 1,024). */
  maxKeyBytes?: number
  /** The largest value, in bytes (default 1 MiB). */
  maxValueBytes?: number
}

interface Target {
  node: NodeId
  /** The home replica this target answers for (itself, or the one it stands in for). */
  home: NodeId
  firstSentTick: number
  sentTick: number
  replaced: boolean
}

interface PendingRequest {
  reqId: number
  kind: 'get' | 'put'
  key: string
  n: number
  need: number
  startTick: number
  order: NodeId[]
  targets: Target[]
  answered: Set<NodeId>
  replies: Map<NodeId, Sibling<DynamoValue>[]>
  sibling: Sibling<DynamoValue> | undefined
  hinted: number
  /** After completion, a get lingers to repair late repliers until this tick. */
  lingerUntil: number | undefined
  merged: Sibling<DynamoValue>[]
}

const HANDOFF_BATCH = 64

/**
 * The Dynamo-style store as a pure state machine: no I/O, no timers, time in ticks.
 * {@link DynamoNode} drives it over a `Transport`.
 *
 * @example
 * ```ts
 * const members = ['n1', 'n2', 'n3']
 * const core = new DynamoCore({ id: 'n1', members, n: 3, r: 2, w: 2 })
 * const reqId = core.put('cart', 'apples')
 * const { messages } = core.ready() // puts to the other home replicas
 * ```
 */
export class DynamoCore {
  readonly id: NodeId
  readonly members: readonly NodeId[]
  readonly defaults: { readonly n: number; readonly r: number; readonly w: number }
  readonly sloppy: boolean
  private readonly readRepair: boolean
  private readonly nonce: number
  private readonly actorId: string
  private readonly retryTicks: number
  private readonly suspectAfterTicks: number
  private readonly suspicionTicks: number
  private readonly handoffIntervalTicks: number
  private readonly maxKeyBytes: number
  private readonly maxValueBytes: number
  private readonly memberSet: ReadonlySet<NodeId>
  private readonly store = new Map<string, Sibling<DynamoValue>[]>()
  /** Hinted data: home replica → key → versions kept for it. */
  private readonly hints = new Map<NodeId, Map<string, { siblings: Sibling<DynamoValue>[]; seq: number }>>()
  private readonly issued = new Map<string, number>()
  private readonly suspected = new Map<NodeId, number>()
  private readonly ops: OperationTable<PendingRequest, DynamoMessage, DynamoCompletion, DynamoReady>
  private readonly lingering = new Map<number, PendingRequest>()
  private hintSeq = 0
  /** Messages ignored because they were malformed or came from a non-member. */
  ignoredMessages = 0
  /** Read-repair messages sent. */
  repairsSent = 0
  /** Hinted entries handed off to their home replica and acknowledged. */
  handoffsCompleted = 0

  constructor(options: DynamoCoreOptions) {
    assertObject('options', options)
    if (typeof options.id !== 'string' || options.id.length === 0)
      throw new TypeError(`id: expected a non-empty string, got ${show(options.id)}`)
    if (!Array.isArray(options.members))
      throw new TypeError(`members: expected an array of node ids, got ${show(options.members)}`)
    if (options.members.length === 0) throw new RangeError('members: expected at least one node id, got 0')
    options.members.forEach((member, i) => {
      if (typeof member !== 'string' || member.length === 0)
        throw new TypeError(`members[${i}]: expected a non-empty string, got ${show(member)}`)
    })
    if (new Set(options.members).size !== options.members.length)
      throw new RangeError('members: expected distinct node ids')
    if (!options.members.includes(options.id))
      throw new RangeError(`id: expected one of the members, got "${options.id}"`)
    this.id = options.id
    this.members = [...options.members]
    this.memberSet = new Set(this.members)
    const n = assertIntegerInRange(
      'n',
      options.n ?? Math.min(3, this.members.length),
      1,
      this.members.length,
      ' (the number of members)',
    )
    const r = assertIntegerInRange('r', options.r ?? Math.min(2, n), 1, n, ' (n)')
    const w = assertIntegerInRange('w', options.w ?? Math.min(2, n), 1, n, ' (n)')
    this.defaults = { n, r, w }
    this.sloppy = options.sloppy ?? true
    this.readRepair = options.readRepair ?? true
    this.nonce = assertIntegerInRange('nonce', options.nonce ?? 0, 0, Number.MAX_SAFE_INTEGER)
    this.actorId = options.actorId ?? options.id
    if (typeof this.actorId !== 'string' || this.actorId.length === 0)
      throw new TypeError(`actorId: expected a non-empty string, got ${show(options.actorId)}`)
    this.retryTicks = assertIntegerInRange('retryTicks', options.retryTicks ?? 2, 1, 1_000_000)
    this.suspectAfterTicks = assertIntegerInRange(
      'suspectAfterTicks',
      options.suspectAfterTicks ?? 3,
      1,
      1_000_000,
    )
    this.suspicionTicks = assertIntegerInRange(
      'suspicionTicks',
      options.suspicionTicks ?? 50,
      1,
      1_000_000_000,
    )
    const timeoutTicks = assertIntegerInRange('timeoutTicks', options.timeoutTicks ?? 50, 1, 1_000_000_000)
    this.handoffIntervalTicks = assertIntegerInRange(
      'handoffIntervalTicks',
      options.handoffIntervalTicks ?? 10,
      1,
      1_000_000_000,
    )
    const { maxPendingOperations, maxKeyBytes, maxValueBytes } = assertLimits(options)
    this.maxKeyBytes = maxKeyBytes
    this.maxValueBytes = maxValueBytes
    this.ops = new OperationTable({
      id: this.id,
      name: 'dynamo core',
      maxPendingOperations,
      timeoutTicks,
      handle: (from, message) => this.handle(from, message),
      timedOut: (op) => ({
        reqId: op.reqId,
        kind: op.kind,
        key: op.key,
        result: 'timeout',
        replies: op.answered.size,
      }),
      emptyOutbox: () => ({ messages: [], completions: [] }),
    })
  }

  /** Requests in flight. */
  get pendingOperations(): number {
    return this.ops.size
  }

  /** The key's preference list: its `n` home replicas first, then the stand-ins in order. */
  preferenceList(key: string): NodeId[] {
    return preferenceList(key, this.members)
  }

  /** This node's own versions of `key` (its home data), for inspection. */
  local(key: string): readonly Sibling<DynamoValue>[] {
    return this.store.get(key) ?? []
  }

  /** Keys this node keeps for other (home) replicas, by home replica. */
  hinted(): Map<NodeId, string[]> {
    const out = new Map<NodeId, string[]>()
    for (const [home, keys] of this.hints) if (keys.size > 0) out.set(home, [...keys.keys()])
    return out
  }

  /** True when `node` did not answer recently and sloppy requests skip it. */
  isSuspected(node: NodeId): boolean {
    return (this.suspected.get(node) ?? -1) > this.ops.now
  }

  /**
   * Starts a get of `key`.
   * @throws {TypeError} / {RangeError} for a bad key or a bad `n` / `r`
   * @throws {TooManyPendingError} when `maxPendingOperations` requests are pending
   */
  get(key: string, options: GetOptions = {}): number {
    assertKey(key, this.maxKeyBytes)
    assertObject('options', options)
    const { n, need } = this.replication(options.n, options.r, 'r', this.defaults.r)
    return this.start('get', key, n, need, undefined)
  }

  /**
   * Starts a put of `value` to `key`, superseding the versions `options.context` covers.
   * @throws {TypeError} / {RangeError} for a bad key, value, context, `n` or `w`
   * @throws {TooManyPendingError} when `maxPendingOperations` requests are pending
   */
  put(key: string, value: DynamoValue, options: PutOptions = {}): number {
    assertKey(key, this.maxKeyBytes)
    assertValue(value, this.maxValueBytes)
    assertObject('options', options)
    const context = options.context ?? {}
    if (!isVectorClock(context))
      throw new TypeError('context: expected a vector clock (a record of non-negative integers)')
    const { n, need } = this.replication(options.n, options.w, 'w', this.defaults.w)
    let counter = Math.max(context[this.actorId] ?? 0, this.issued.get(key) ?? 0)
    for (const sibling of this.store.get(key) ?? [])
      counter = Math.max(counter, sibling.clock[this.actorId] ?? 0)
    counter++
    this.issued.set(key, counter)
    const clock = mergeClocks([context, { [this.actorId]: counter }])
    return this.start('put', key, n, need, { clock, value })
  }

  private replication(
    nOption: number | undefined,
    needOption: number | undefined,
    name: 'r' | 'w',
    fallback: number,
  ): { n: number; need: number } {
    const n =
      nOption === undefined
        ? this.defaults.n
        : assertIntegerInRange('n', nOption, 1, this.members.length, ' (the number of members)')
    const need = assertIntegerInRange(name, needOption ?? Math.min(fallback, n), 1, n, ' (n)')
    return { n, need }
  }

  private start(
    kind: 'get' | 'put',
    key: string,
    n: number,
    need: number,
    sibling: Sibling<DynamoValue> | undefined,
  ): number {
    const op = this.ops.start((reqId) => ({
      reqId,
      kind,
      key,
      n,
      need,
      startTick: this.ops.now,
      order: preferenceList(key, this.members),
      targets: [],
      answered: new Set(),
      replies: new Map(),
      sibling,
      hinted: 0,
      lingerUntil: undefined,
      merged: [],
    }))
    for (const home of op.order.slice(0, n)) {
      const node = this.sloppy && this.isSuspected(home) ? (this.standIn(op) ?? home) : home
      this.addTarget(op, node, home)
    }
    this.ops.drain()
    return op.reqId
  }

  /** The next node of the preference list beyond the first N that is not a target yet and not suspected. */
  private standIn(op: PendingRequest): NodeId | undefined {
    for (let i = op.n; i < op.order.length; i++) {
      const node = op.order[i] as NodeId
      if (op.targets.some((t) => t.node === node) || this.isSuspected(node)) continue
      return node
    }
    return undefined
  }

  private addTarget(op: PendingRequest, node: NodeId, home: NodeId): void {
    const now = this.ops.now
    const target: Target = { node, home, firstSentTick: now, sentTick: now, replaced: false }
    op.targets.push(target)
    this.request(op, target)
  }

  private request(op: PendingRequest, target: Target): void {
    if (op.kind === 'get') {
      this.send(target.node, { kind: 'get', nonce: this.nonce, reqId: op.reqId, key: op.key })
    } else {
      const message: DynamoMessage = {
        kind: 'put',
        nonce: this.nonce,
        reqId: op.reqId,
        key: op.key,
        siblings: [op.sibling as Sibling<DynamoValue>],
      }
      if (target.node !== target.home) message.hint = target.home
      this.send(target.node, message)
    }
  }

  /** Feeds one message received from `from`. Malformed messages are counted and ignored. */
  step(from: NodeId, message: DynamoMessage): void {
    this.ops.step(from, message)
  }

  /** Advances time by one tick: resends, finds stand-ins, times requests out, hands hints off. */
  tick(): void {
    this.ops.tick((op) => {
      const now = this.ops.now
      for (const target of [...op.targets]) {
        if (op.answered.has(target.node)) continue
        if (this.sloppy && !target.replaced && now - target.firstSentTick >= this.suspectAfterTicks) {
          target.replaced = true
          this.suspected.set(target.node, now + this.suspicionTicks)
          const node = this.standIn(op)
          if (node !== undefined) this.addTarget(op, node, target.home)
        }
        if (now - target.sentTick >= this.retryTicks) {
          target.sentTick = now
          this.request(op, target)
        }
      }
    })
    for (const [reqId, op] of this.lingering)
      if ((op.lingerUntil ?? 0) <= this.ops.now) this.lingering.delete(reqId)
    if (this.ops.now % this.handoffIntervalTicks === 0) this.handOff()
    this.ops.drain()
  }

  /** True when `ready()` has something to return. */
  hasReady(): boolean {
    return this.ops.hasReady()
  }

  /** Returns and clears what the core produced. */
  ready(): DynamoReady {
    return this.ops.ready()
  }

  /** Abandons every pending request (reported as timeouts). */
  abandonAll(): void {
    this.ops.abandonAll()
    this.lingering.clear()
  }

  // ------------------------------------------------------------ internals

  private send(to: NodeId, message: DynamoMessage): void {
    this.ops.send(to, message)
  }

  private handOff(): void {
    for (const [home, keys] of this.hints) {
      let sent = 0
      for (const [key, entry] of keys) {
        if (sent++ >= HANDOFF_BATCH) break
        this.send(home, { kind: 'handoff', key, siblings: entry.siblings, seq: entry.seq })
      }
    }
  }

  /** Merges versions into this node's home data; true when something changed. */
  private merge(key: string, incoming: readonly Sibling<DynamoValue>[]): boolean {
    const current = this.store.get(key) ?? []
    if (covers(current, incoming)) return false
    this.store.set(key, reconcile([...current, ...incoming]))
    return true
  }

  private answer(key: string): Sibling<DynamoValue>[] {
    const all = [...(this.store.get(key) ?? [])]
    for (const keys of this.hints.values()) {
      const entry = keys.get(key)
      if (entry !== undefined) all.push(...entry.siblings)
    }
    return reconcile(all)
  }

  private handle(from: NodeId, message: DynamoMessage): void {
    if (!this.memberSet.has(from) || !wellFormed(message)) {
      this.ignoredMessages++
      return
    }
    this.suspected.delete(from)
    switch (message.kind) {
      case 'get':
        this.send(from, {
          kind: 'get-reply',
          nonce: message.nonce,
          reqId: message.reqId,
          key: message.key,
          siblings: this.answer(message.key),
        })
        return
      case 'put': {
        const hint = message.hint
        if (hint !== undefined && hint !== this.id && this.memberSet.has(hint)) {
          let keys = this.hints.get(hint)
          if (keys === undefined) {
            keys = new Map()
            this.hints.set(hint, keys)
          }
          const entry = keys.get(message.key)
          const current = entry?.siblings ?? []
          if (!covers(current, message.siblings))
            keys.set(message.key, {
              siblings: reconcile([...current, ...message.siblings]),
              seq: ++this.hintSeq,
            })
        } else this.merge(message.key, message.siblings)
        this.send(from, { kind: 'put-ack', nonce: message.nonce, reqId: message.reqId })
        return
      }
      case 'repair':
        this.merge(message.key, message.siblings)
        return
      case 'handoff':
        this.merge(message.key, message.siblings)
        this.send(from, { kind: 'handoff-ack', key: message.key, seq: message.seq })
        return
      case 'handoff-ack': {
        const keys = this.hints.get(from)
        if (keys?.get(message.key)?.seq === message.seq) {
          keys.delete(message.key)
          this.handoffsCompleted++
          if (keys.size === 0) this.hints.delete(from)
        }
        return
      }
      case 'get-reply':
        this.onGetReply(from, message)
        return
      case 'put-ack':
        this.onPutAck(from, message)
        return
    }
  }

  private onGetReply(from: NodeId, message: Extract<DynamoMessage, { kind: 'get-reply' }>): void {
    if (message.nonce !== this.nonce) return
    const op = this.ops.get(message.reqId) ?? this.lingering.get(message.reqId)
    if (op === undefined || op.kind !== 'get' || op.key !== message.key || op.answered.has(from)) return
    if (!op.targets.some((t) => t.node === from)) return
    op.answered.add(from)
    op.replies.set(from, message.siblings)
    if (op.lingerUntil !== undefined) {
      // a late reply: repair it (and learn from it)
      op.merged = reconcile([...op.merged, ...message.siblings])
      this.repair(op, from, message.siblings)
      return
    }
    if (op.answered.size < op.need) return
    const merged = reconcile([...op.replies.values()].flat())
    op.merged = merged
    this.ops.complete(op.reqId, {
      reqId: op.reqId,
      kind: 'get',
      key: op.key,
      result: 'ok',
      siblings: merged,
      context: mergeClocks(merged.map((s) => s.clock)),
      replies: op.answered.size,
    })
    if (!this.readRepair) return
    for (const [node, siblings] of op.replies) this.repair(op, node, siblings)
    op.lingerUntil = this.ops.now + this.suspectAfterTicks + this.retryTicks * 2
    this.lingering.set(op.reqId, op)
  }

  /** Read repair: a home replica that answered with less than the merged result gets it. */
  private repair(op: PendingRequest, node: NodeId, siblings: readonly Sibling<DynamoValue>[]): void {
    if (!this.readRepair || !op.order.slice(0, op.n).includes(node)) return
    if (covers(siblings, op.merged)) return
    this.repairsSent++
    this.send(node, { kind: 'repair', key: op.key, siblings: op.merged })
  }

  private onPutAck(from: NodeId, message: Extract<DynamoMessage, { kind: 'put-ack' }>): void {
    if (message.nonce !== this.nonce) return
    const op = this.ops.get(message.reqId)
    if (op === undefined || op.kind !== 'put' || op.answered.has(from)) return
    const target = op.targets.find((t) => t.node === from)
    if (target === undefined) return
    op.answered.add(from)
    if (target.node !== target.home) op.hinted++
    if (op.answered.size < op.need) return
    this.ops.complete(op.reqId, {
      reqId: op.reqId,
      kind: 'put',
      key: op.key,
      result: 'ok',
      clock: (op.sibling as Sibling<DynamoValue>).clock,
      acks: op.answered.size,
      hinted: op.hinted,
    })
  }
}

function isSiblings(value: unknown): value is Sibling<DynamoValue>[] {
  return (
    Array.isArray(value) &&
    value.every(
      (s) =>
        typeof s === 'object' &&
        s !== null &&
        isVectorClock((s as Sibling<unknown>).clock) &&
        (typeof (s as Sibling<unknown>).value === 'string' ||
          (s as Sibling<unknown>).value instanceof Uint8Array),
    )
  )
}

/** Structural check of a message from the network: never trust its shape. */
function wellFormed(message: unknown): message is DynamoMessage {
  if (typeof message !== 'object' || message === null) return false
  const m = message as Record<string, unknown>
  const request = Number.isSafeInteger(m.nonce) && Number.isSafeInteger(m.reqId)
  switch (m.kind) {
    case 'get':
      return request && typeof m.key === 'string'
    case 'put-ack':
      return request
    case 'get-reply':
      return request && typeof m.key === 'string' && isSiblings(m.siblings)
    case 'put':
      return (
        request &&
        typeof m.key === 'string' &&
        isSiblings(m.siblings) &&
        (m.hint === undefined || typeof m.hint === 'string')
      )
    case 'repair':
      return typeof m.key === 'string' && isSiblings(m.siblings)
    case 'handoff':
      return typeof m.key === 'string' && isSiblings(m.siblings) && Number.isSafeInteger(m.seq)
    case 'handoff-ack':
      return typeof m.key === 'string' && Number.isSafeInteger(m.seq)
    default:
      return false
  }
}
