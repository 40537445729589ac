/**
 * The ABD replicated register (Attiya, Bar-Noy and Dolev 1995), multi-writer, as
 * a pure state machine over any quorum system, for many keys at once.
 *
 * Every node is a coordinator (it runs operations) and, when it is a member of
 * the quorum system, a replica (it stores a version and a value per key).
 *
 * - read: query a read quorum for the highest version, then store that version
 *   back to a write quorum (the write-back), then return its value. The
 *   write-back is skipped when the replicas that already hold the highest
 *   version form a write quorum.
 * - write: query a read quorum for the highest version, then store
 *   `(max counter + 1, own id)` to a write quorum.
 * - update: like write, with the new value computed from the value read (a
 *   read-modify-write that may also decline to write: leases are built on it).
 *
 * Inputs: `read`, `write`, `update`, `step(from, message)`, `tick()`. Outputs,
 * collected until `ready()`: messages to send, records to persist, completions.
 * No timers, clocks, randomness, Promises or I/O: time is counted in ticks.
 */
import type { NodeId } from '@synod/transport'
import type { QuorumSystem } from '../systems.js'
import {
  assertFunction,
  assertIntegerInRange,
  assertKey,
  assertObject,
  assertValue,
  show,
} from '../validate.js'
import { assertLimits, OperationTable } from './operations.js'
import { compareVersions, INITIAL_VERSION, isVersion, type Version } from './version.js'

/**
 * A register value: a string or bytes. A key never written reads as `null`.
 *
 * @example
 * ```ts
 * const value: RegisterValue = 'hello'
 * ```
 */
export type RegisterValue = string | Uint8Array

/**
 * The messages the register's nodes exchange. `nonce` names the coordinator's
 * incarnation and `opId` its operation; `phase` separates the query from the store.
 *
 * @example
 * ```ts
 * const query: RegisterMessage = { kind: 'query', nonce: 7, opId: 1, key: 'x' }
 * ```
 */
export type RegisterMessage =
  | { kind: 'query'; nonce: number; opId: number; key: string }
  | {
      kind: 'query-reply'
      nonce: number
      opId: number
      key: string
      version: Version
      value: RegisterValue | null
    }
  | {
      kind: 'store'
      nonce: number
      opId: number
      key: string
      version: Version
      value: RegisterValue | null
    }
  | { kind: 'store-ack'; nonce: number; opId: number }

/**
 * What a replica keeps for one key (and must persist before acknowledging it).
 *
 * @example
 * ```ts
 * const record: StoredRecord = { key: 'x', version: { counter: 1, writer: 'n1' }, value: 'v' }
 * ```
 */
export interface StoredRecord {
  readonly key: string
  readonly version: Version
  readonly value: RegisterValue | null
}

/**
 * The decision of an `update`: write `value`, or write nothing and complete with `abort`.
 *
 * @example
 * ```ts
 * const decide = (current: StoredRecord): UpdateDecision =>
 *   current.value === null ? { value: 'first' } : { abort: 'already set' }
 * ```
 */
export type UpdateDecision = { value: RegisterValue } | { abort: string }

/**
 * The kinds of register operation.
 *
 * @example
 * ```ts
 * const kind: RegisterOperationKind = 'update'
 * ```
 */
export type RegisterOperationKind = 'read' | 'write' | 'update'

/**
 * How an operation ended, reported by `ready()`.
 *
 * - `ok`: done; `version` and `value` are what was read (read) or written (write, update).
 * - `aborted`: an update's `decide` declined; `version` and `value` are what it read.
 * - `timeout`: no quorum in time. In the `query` phase nothing was written; in
 *   the `store` phase a write may or may not take effect.
 *
 * @example
 * ```ts
 * for (const done of core.ready().completions) if (done.result === 'ok') console.log(done.value)
 * ```
 */
export type RegisterCompletion =
  | {
      opId: number
      kind: RegisterOperationKind
      key: string
      result: 'ok'
      version: Version
      value: RegisterValue | null
    }
  | {
      opId: number
      kind: 'update'
      key: string
      result: 'aborted'
      reason: string
      version: Version
      value: RegisterValue | null
    }
  | {
      opId: number
      kind: RegisterOperationKind
      key: string
      result: 'timeout'
      phase: 'query' | 'store'
      replies: number
    }

/**
 * The output of the core since the last `ready()`. The I/O contract: first
 * persist `persist` durably (a replica's acknowledgements promise it), then send
 * `messages`, then report `completions` to the callers.
 *
 * @example
 * ```ts
 * const { persist, messages, completions } = core.ready()
 * storage.save(persist)
 * for (const { to, message } of messages) transport.send(to, message)
 * ```
 */
export interface RegisterReady {
  persist: StoredRecord[]
  messages: { to: NodeId; message: RegisterMessage }[]
  completions: RegisterCompletion[]
}

/**
 * Options of {@link RegisterCore}.
 *
 * @example
 * ```ts
 * const options: RegisterCoreOptions = { id: 'n1', system: majority(['n1', 'n2', 'n3']), nonce: 42 }
 * ```
 */
export interface RegisterCoreOptions {
  /** This node's id. It is a replica when it is a member of `system`. */
  id: NodeId
  /** Where values live: any quorum system whose read quorums meet its write quorums. */
  system: QuorumSystem
  /**
   * This incarnation's nonce, put in every request: replies to a previous
   * incarnation's operations are ignored. A restarted coordinator must use a new one.
   * Default 0.
   */
  nonce?: number
  /**
   * The writer id in the versions this node issues (default `id`). Versions must
   * never repeat with different values: a coordinator that restarts without its
   * own records (a client, or a replica without storage) must use a new one,
   * such as `${id}#${incarnation}`. A replica restarted with `initialRecords`
   * resumes after the highest counter it had issued.
   */
  writerId?: string
  /** Ticks between resends to replicas that have not answered (default 2). */
  retryTicks?: number
  /** Ticks before an operation times out (default 50). */
  timeoutTicks?: number
  /** The most operations pending at once (default 10,000). */
  maxPendingOperations?: number
  /** The largest key, in UTF-8 bytes (default 1,024). */
  maxKeyBytes?: number
  /** The largest value, in bytes (default 1 MiB). */
  maxValueBytes?: number
  /** Replica state recovered from storage after a restart. */
  initialRecords?: Iterable<StoredRecord>
  /**
   * For tests only: reads return without the write-back phase. This breaks
   * linearizability (a read may return a value that a later read no longer sees);
   * it exists so tests can show that the checker catches it.
   */
  unsafeSkipWriteBack?: boolean
}

interface PendingOperation {
  opId: number
  kind: RegisterOperationKind
  key: string
  phase: 'query' | 'store'
  startTick: number
  sentTick: number
  replied: Set<NodeId>
  best: StoredRecord
  /** Replicas that answered the query with the best version. */
  bestFrom: Set<NodeId>
  value: RegisterValue | null
  decide: ((current: StoredRecord) => UpdateDecision) | undefined
  storing: StoredRecord | undefined
}

/**
 * The ABD register as a pure state machine: no I/O, no timers, time in ticks.
 * A driver feeds it messages and ticks and carries out what `ready()` returns;
 * {@link QuorumRegister} is that driver for any `Transport`.
 *
 * @example
 * ```ts
 * const system = majority(['n1', 'n2', 'n3'])
 * const core = new RegisterCore({ id: 'n1', system })
 * const opId = core.write('x', 'hello')
 * const { messages } = core.ready() // queries to n2 and n3 (n1 answers itself)
 * // deliver them, feed the replies to core.step(from, reply), call core.tick() every tick…
 * ```
 */
export class RegisterCore {
  readonly id: NodeId
  readonly system: QuorumSystem
  /** The writer id of the versions this node issues. */
  readonly writerId: string
  private readonly isReplica: boolean
  private readonly nonce: number
  private readonly retryTicks: number
  private readonly maxKeyBytes: number
  private readonly maxValueBytes: number
  private readonly skipWriteBack: boolean
  private readonly store = new Map<string, StoredRecord>()
  private readonly ops: OperationTable<PendingOperation, RegisterMessage, RegisterCompletion, RegisterReady>
  /** The highest counter this coordinator has issued: never issue the same version twice. */
  private lastIssued = 0
  /** Messages ignored because they were malformed or came from a non-member. */
  ignoredMessages = 0

  constructor(options: RegisterCoreOptions) {
    assertObject('options', options)
    if (typeof options.id !== 'string' || options.id.length === 0)
      throw new TypeError(`id: expected a non-empty string, got ${show(options.id)}`)
    const system = options.system
    if (
      typeof system !== 'object' ||
      system === null ||
      typeof system.isReadQuorum !== 'function' ||
      !Array.isArray(system.members)
    )
      throw new TypeError(`system: expected a QuorumSystem, got ${show(system)}`)
    const disjoint = disjointReadWrite(system)
    if (disjoint !== undefined)
      throw new RangeError(
        `system: expected every read quorum to meet every write quorum, but [${disjoint[0].join(', ')}] and [${disjoint[1].join(', ')}] are disjoint`,
      )
    this.id = options.id
    this.system = system
    this.isReplica = system.members.includes(options.id)
    this.nonce = assertIntegerInRange('nonce', options.nonce ?? 0, 0, Number.MAX_SAFE_INTEGER)
    this.retryTicks = assertIntegerInRange('retryTicks', options.retryTicks ?? 2, 1, 1_000_000)
    const timeoutTicks = assertIntegerInRange('timeoutTicks', options.timeoutTicks ?? 50, 1, 1_000_000_000)
    const { maxPendingOperations, maxKeyBytes, maxValueBytes } = assertLimits(options)
    this.maxKeyBytes = maxKeyBytes
    this.maxValueBytes = maxValueBytes
    this.skipWriteBack = options.unsafeSkipWriteBack === true
    this.writerId = options.writerId ?? options.id
    if (typeof this.writerId !== 'string' || this.writerId.length === 0)
      throw new TypeError(`writerId: expected a non-empty string, got ${show(options.writerId)}`)
    for (const record of options.initialRecords ?? []) {
      if (!isVersion(record.version)) throw new TypeError('initialRecords: expected records with a version')
      if (record.version.writer === this.writerId)
        this.lastIssued = Math.max(this.lastIssued, record.version.counter)
      const current = this.store.get(record.key)
      if (current === undefined || compareVersions(record.version, current.version) > 0)
        this.store.set(record.key, record)
    }
    this.ops = new OperationTable({
      id: this.id,
      name: 'register core',
      maxPendingOperations,
      timeoutTicks,
      handle: (from, message) => this.handle(from, message),
      timedOut: (op) => ({
        opId: op.opId,
        kind: op.kind,
        key: op.key,
        result: 'timeout',
        phase: op.phase,
        replies: op.replied.size,
      }),
      emptyOutbox: () => ({ persist: [], messages: [], completions: [] }),
    })
  }

  /** Operations in flight. */
  get pendingOperations(): number {
    return this.ops.size
  }

  /** Ticks since the core was made. */
  get now(): number {
    return this.ops.now
  }

  /** This replica's record for `key`, if it holds one (for inspection and tests). */
  local(key: string): StoredRecord | undefined {
    return this.store.get(key)
  }

  /**
   * Starts a linearizable read of `key`. Its completion carries the value (`null` if never written).
   * @throws {TypeError} when `key` is not a string; {RangeError} when it is empty or too long
   * @throws {TooManyPendingError} when `maxPendingOperations` are pending
   */
  read(key: string): number {
    assertKey(key, this.maxKeyBytes)
    return this.start('read', key, null, undefined)
  }

  /** Starts a write of `value` to `key`. */
  write(key: string, value: RegisterValue): number {
    assertKey(key, this.maxKeyBytes)
    assertValue(value, this.maxValueBytes)
    return this.start('write', key, value, undefined)
  }

  /**
   * Starts a read-modify-write: `decide` sees the latest value (as a read would)
   * and returns the value to write, or `{ abort }` to write nothing.
   */
  update(key: string, decide: (current: StoredRecord) => UpdateDecision): number {
    assertKey(key, this.maxKeyBytes)
    assertFunction('decide', decide)
    return this.start('update', key, null, decide)
  }

  /** True when one more operation may start without exceeding `maxPendingOperations`. */
  canStart(): boolean {
    return this.ops.canStart()
  }

  private start(
    kind: RegisterOperationKind,
    key: string,
    value: RegisterValue | null,
    decide: ((current: StoredRecord) => UpdateDecision) | undefined,
  ): number {
    const op = this.ops.start((opId) => ({
      opId,
      kind,
      key,
      phase: 'query',
      startTick: this.ops.now,
      sentTick: this.ops.now,
      replied: new Set(),
      best: { key, version: INITIAL_VERSION, value: null },
      bestFrom: new Set(),
      value,
      decide,
      storing: undefined,
    }))
    this.broadcast(op)
    this.ops.drain()
    return op.opId
  }

  /** Feeds one message received from `from`. Malformed messages are counted and ignored. */
  step(from: NodeId, message: RegisterMessage): void {
    this.ops.step(from, message)
  }

  /** Advances time by one tick: resends to silent replicas, times operations out. */
  tick(): void {
    this.ops.tick((op) => {
      if (this.ops.now - op.sentTick < this.retryTicks) return
      op.sentTick = this.ops.now
      this.broadcast(op)
    })
    this.ops.drain()
  }

  /** Abandons every pending operation (reported as timeouts in their current phase). */
  abandonAll(): void {
    this.ops.abandonAll()
  }

  /** True when `ready()` has something to return. */
  hasReady(): boolean {
    return this.ops.out.persist.length > 0 || this.ops.hasReady()
  }

  /** Returns and clears what the core produced: persist, then send, then complete. */
  ready(): RegisterReady {
    return this.ops.ready()
  }

  // ------------------------------------------------------------ internals

  private send(to: NodeId, message: RegisterMessage): void {
    this.ops.send(to, message)
  }

  /** (Re)sends the current phase's request to every member that has not answered it. */
  private broadcast(op: PendingOperation): void {
    for (const member of this.system.members) {
      if (op.replied.has(member)) continue
      if (op.phase === 'query')
        this.send(member, { kind: 'query', nonce: this.nonce, opId: op.opId, key: op.key })
      else {
        const storing = op.storing as StoredRecord
        this.send(member, {
          kind: 'store',
          nonce: this.nonce,
          opId: op.opId,
          key: op.key,
          version: storing.version,
          value: storing.value,
        })
      }
    }
  }

  private handle(from: NodeId, message: RegisterMessage): void {
    if (!wellFormed(message)) {
      this.ignoredMessages++
      return
    }
    switch (message.kind) {
      case 'query': {
        if (!this.isReplica) {
          this.ignore()
          return
        }
        const record = this.store.get(message.key)
        this.send(from, {
          kind: 'query-reply',
          nonce: message.nonce,
          opId: message.opId,
          key: message.key,
          version: record?.version ?? INITIAL_VERSION,
          value: record?.value ?? null,
        })
        return
      }
      case 'store': {
        if (!this.isReplica) {
          this.ignore()
          return
        }
        const current = this.store.get(message.key)
        if (current === undefined || compareVersions(message.version, current.version) > 0) {
          const record: StoredRecord = { key: message.key, version: message.version, value: message.value }
          this.store.set(message.key, record)
          this.ops.out.persist.push(record)
        }
        this.send(from, { kind: 'store-ack', nonce: message.nonce, opId: message.opId })
        return
      }
      case 'query-reply':
        this.onQueryReply(from, message)
        return
      case 'store-ack':
        this.onStoreAck(from, message)
        return
    }
  }

  private ignore(): void {
    this.ignoredMessages++
  }

  private operationFor(from: NodeId, nonce: number, opId: number): PendingOperation | undefined {
    if (nonce !== this.nonce) return undefined
    if (!this.system.members.includes(from)) {
      this.ignoredMessages++
      return undefined
    }
    return this.ops.get(opId)
  }

  private onQueryReply(from: NodeId, message: Extract<RegisterMessage, { kind: 'query-reply' }>): void {
    const op = this.operationFor(from, message.nonce, message.opId)
    if (op === undefined || op.phase !== 'query' || op.replied.has(from) || message.key !== op.key) return
    op.replied.add(from)
    const order = compareVersions(message.version, op.best.version)
    if (order > 0) {
      op.best = { key: op.key, version: message.version, value: message.value }
      op.bestFrom = new Set([from])
    } else if (order === 0) op.bestFrom.add(from)
    if (!this.system.isReadQuorum(op.replied)) return
    // a read quorum has answered: op.best is at least as new as any write completed before this operation began
    if (op.kind === 'read') {
      if (this.skipWriteBack || this.system.isWriteQuorum(op.bestFrom)) this.complete(op, op.best)
      else this.enterStore(op, op.best)
      return
    }
    let value = op.value as RegisterValue
    if (op.kind === 'update') {
      let reason: string | undefined
      try {
        const decision = (op.decide as (current: StoredRecord) => UpdateDecision)(op.best)
        if ('abort' in decision) reason = String(decision.abort)
        else {
          assertValue(decision.value, this.maxValueBytes)
          value = decision.value
        }
      } catch (error) {
        reason = `decide threw: ${error instanceof Error ? error.message : String(error)}`
      }
      if (reason !== undefined) {
        this.ops.complete(op.opId, {
          opId: op.opId,
          kind: 'update',
          key: op.key,
          result: 'aborted',
          reason,
          version: op.best.version,
          value: op.best.value,
        })
        return
      }
    }
    const counter = Math.max(op.best.version.counter, this.lastIssued) + 1
    this.lastIssued = counter
    this.enterStore(op, { key: op.key, version: { counter, writer: this.writerId }, value })
  }

  private enterStore(op: PendingOperation, record: StoredRecord): void {
    op.phase = 'store'
    op.storing = record
    op.replied = new Set()
    op.sentTick = this.ops.now
    this.broadcast(op)
  }

  private onStoreAck(from: NodeId, message: Extract<RegisterMessage, { kind: 'store-ack' }>): void {
    const op = this.operationFor(from, message.nonce, message.opId)
    if (op === undefined || op.phase !== 'store' || op.replied.has(from)) return
    op.replied.add(from)
    if (this.system.isWriteQuorum(op.replied)) this.complete(op, op.storing as StoredRecord)
  }

  private complete(op: PendingOperation, record: StoredRecord): void {
    this.ops.complete(op.opId, {
      opId: op.opId,
      kind: op.kind,
      key: op.key,
      result: 'ok',
      version: record.version,
      value: record.value,
    })
  }
}

/** Systems up to this size are checked for read/write intersection when a core is built. */
const MAX_CHECKED_MEMBERS = 12

/**
 * A read quorum and a write quorum that do not meet, if the system (of at most
 * 12 members) has them: then `mask` is a read quorum and its complement contains
 * a write quorum. Larger systems are trusted (the built-in ones prove it when built).
 */
function disjointReadWrite(system: QuorumSystem): [string[], string[]] | undefined {
  const members = system.members
  const n = members.length
  if (n > MAX_CHECKED_MEMBERS) return undefined
  const pick = (mask: number) => members.filter((_, i) => (mask >> i) & 1)
  const all = (1 << n) - 1
  for (let mask = 0; mask <= all; mask++) {
    if (system.isReadQuorum(pick(mask)) && system.isWriteQuorum(pick(all & ~mask)))
      return [pick(mask), pick(all & ~mask)]
  }
  return undefined
}

/** Structural check of a message from the network: never trust its shape. */
function wellFormed(message: unknown): message is RegisterMessage {
  if (typeof message !== 'object' || message === null) return false
  const m = message as Record<string, unknown>
  if (!Number.isSafeInteger(m.nonce) || !Number.isSafeInteger(m.opId)) return false
  switch (m.kind) {
    case 'query':
      return typeof m.key === 'string'
    case 'store-ack':
      return true
    case 'query-reply':
    case 'store':
      return (
        typeof m.key === 'string' &&
        isVersion(m.version) &&
        (m.value === null || typeof m.value === 'string' || m.value instanceof Uint8Array)
      )
    default:
      return false
  }
}
