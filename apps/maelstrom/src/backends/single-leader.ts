/**
 * `single-leader`: the first node of `node_ids` holds the map; every other
 * node forwards operations to it over `MaelstromTransport`, retrying, and gives
 * up after the request timeout with an indefinite error.
 *
 * It is linearizable (one map, one thread of application at the leader, each
 * forwarded operation applied at most once thanks to per-origin sequence
 * numbers), but not available under partitions (operations cut off from the
 * leader time out) and not durable (the leader's map lives in memory).
 */
import { randomUUID } from 'node:crypto'
import type { NodeId, Transport } from '@synod/transport'
import {
  CrashError,
  KeyDoesNotExistError,
  type MaelstromRequestError,
  OperationTimeoutError,
  PreconditionFailedError,
  TemporarilyUnavailableError,
} from '../errors.js'
import { exceedsJsonDepth, isJsonObject, type JsonValue, MAX_JSON_DEPTH } from '../json.js'
import { type KvOperation, type KvOutcome, KvStore, settle } from './kv-store.js'
import type { BackendContext, BackendFactory, CasOptions, KvBackend } from './types.js'

/**
 * The result of a forwarded operation, as the leader sends it back.
 *
 * @example
 * ```ts
 * const result: ForwardedResult = { status: 'precondition-failed', actual: 3 }
 * ```
 */
export type ForwardedResult =
  | { status: 'ok'; value?: JsonValue }
  | { status: 'key-does-not-exist' }
  | { status: 'precondition-failed'; actual: JsonValue }
  /** The leader no longer remembers this sequence number: it will never apply it now, but may have. */
  | { status: 'expired' }

/**
 * The messages of the single-leader backend. `origin` names one incarnation
 * of a node; `seq` numbers its operations, so the leader applies each at most once.
 *
 * @example
 * ```ts
 * const forward: SingleLeaderMessage = { kind: 'forward', origin: 'n2:5f…', seq: 7, operation: { type: 'read', key: 1 } }
 * ```
 */
export type SingleLeaderMessage =
  | { kind: 'forward'; origin: string; seq: number; operation: KvOperation }
  | { kind: 'result'; origin: string; seq: number; result: ForwardedResult }

/**
 * Options of the single-leader backend.
 *
 * @example
 * ```ts
 * singleLeaderBackend({ retryIntervalMs: 100 })
 * ```
 */
export interface SingleLeaderOptions {
  /** How often a follower re-sends an unanswered operation (default 200 ms). */
  retryIntervalMs?: number
  /** Operations a follower keeps in flight before refusing new ones with code 11 (default 10,000). */
  maxPending?: number
  /** Results the leader remembers per origin, to answer retries without applying twice (default 4,096). */
  resultsPerOrigin?: number
  /** Origins (node incarnations) the leader remembers (default 64). */
  maxOrigins?: number
}

const MAX_ORIGIN_LENGTH = 512

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function fail(reason: string): never {
  throw new Error(reason)
}

function parseOperation(value: unknown): KvOperation {
  if (!isJsonObject(value)) fail('operation: expected an object')
  // key and values are one level below the operation
  if (exceedsJsonDepth(value, MAX_JSON_DEPTH + 1))
    fail(`operation: nests deeper than ${MAX_JSON_DEPTH} levels`)
  if (!('key' in value)) fail('operation.key: missing')
  const key = value.key as JsonValue
  switch (value.type) {
    case 'read':
      return { type: 'read', key }
    case 'write':
      if (!('value' in value)) fail('operation.value: missing')
      return { type: 'write', key, value: value.value as JsonValue }
    case 'cas':
      if (!('from' in value) || !('to' in value)) fail('operation: cas needs from and to')
      if (typeof value.createIfNotExists !== 'boolean')
        fail('operation.createIfNotExists: expected a boolean')
      return {
        type: 'cas',
        key,
        from: value.from as JsonValue,
        to: value.to as JsonValue,
        createIfNotExists: value.createIfNotExists,
      }
    default:
      return fail(`operation.type: expected read, write or cas, got ${JSON.stringify(value.type)}`)
  }
}

function parseResult(value: unknown): ForwardedResult {
  if (!isJsonObject(value)) fail('result: expected an object')
  if (exceedsJsonDepth(value, MAX_JSON_DEPTH + 1)) fail(`result: nests deeper than ${MAX_JSON_DEPTH} levels`)
  switch (value.status) {
    case 'ok':
      return 'value' in value ? { status: 'ok', value: value.value as JsonValue } : { status: 'ok' }
    case 'key-does-not-exist':
    case 'expired':
      return { status: value.status }
    case 'precondition-failed':
      if (!('actual' in value)) fail('result.actual: missing')
      return { status: 'precondition-failed', actual: value.actual as JsonValue }
    default:
      return fail(`result.status: unknown ${JSON.stringify(value.status)}`)
  }
}

/**
 * Checks an arriving payload and returns it as a `SingleLeaderMessage`, or throws.
 *
 * @throws {Error} naming the first thing that is wrong
 * @example
 * ```ts
 * parseSingleLeaderMessage({ kind: 'result', origin: 'n2:x', seq: 1, result: { status: 'ok' } })
 * ```
 */
export function parseSingleLeaderMessage(payload: unknown): SingleLeaderMessage {
  if (!isJsonObject(payload)) fail('message: expected an object')
  const { kind, origin, seq } = payload
  if (typeof origin !== 'string' || origin.length === 0 || origin.length > MAX_ORIGIN_LENGTH)
    fail('origin: expected a non-empty string of at most 512 characters')
  if (!isSeq(seq)) fail('seq: expected a non-negative integer')
  if (kind === 'forward') return { kind, origin, seq, operation: parseOperation(payload.operation) }
  if (kind === 'result') return { kind, origin, seq, result: parseResult(payload.result) }
  return fail(`kind: expected forward or result, got ${JSON.stringify(kind)}`)
}

function toForwardedResult(outcome: KvOutcome): ForwardedResult {
  if (outcome.ok)
    return outcome.value === undefined ? { status: 'ok' } : { status: 'ok', value: outcome.value }
  if (PreconditionFailedError.isInstance(outcome.error))
    return { status: 'precondition-failed', actual: outcome.error.actual as JsonValue }
  if (KeyDoesNotExistError.isInstance(outcome.error)) return { status: 'key-does-not-exist' }
  // the store produces no other error
  throw new CrashError(`unexpected store error: ${outcome.error.message}`)
}

interface OriginResults {
  /** Every sequence number at or below it is forgotten: never applied from now on. */
  floor: number
  results: Map<number, ForwardedResult>
}

interface Pending {
  operation: KvOperation
  resolve: (value: JsonValue | undefined) => void
  reject: (error: MaelstromRequestError) => void
  retry: ReturnType<typeof setInterval>
  deadline: ReturnType<typeof setTimeout>
}

/**
 * The single-leader backend of one node (leader or follower).
 *
 * @example
 * ```ts
 * const factory = singleLeaderBackend()
 * const node = new MaelstromNode({ backend: factory, write, log })
 * ```
 */
export class SingleLeaderBackend implements KvBackend {
  /** The node holding the map: the first of `nodeIds`. */
  readonly leaderId: NodeId
  private readonly context: BackendContext
  private readonly transport: Transport<SingleLeaderMessage>
  private readonly origin: string
  private readonly retryIntervalMs: number
  private readonly maxPending: number
  private readonly resultsPerOrigin: number
  private readonly maxOrigins: number
  private readonly store = new KvStore()
  private readonly origins = new Map<string, OriginResults>()
  private readonly pending = new Map<number, Pending>()
  private nextSeq = 0
  private closed = false
  /** Counters, for logs and tests. */
  readonly stats = { forwarded: 0, retries: 0, appliedForOthers: 0, duplicatesAnswered: 0, timedOut: 0 }

  constructor(context: BackendContext, options: SingleLeaderOptions = {}) {
    const positive = (name: string, value: number) => {
      if (!Number.isSafeInteger(value) || value <= 0)
        throw new RangeError(`${name}: expected a positive integer, got ${String(value)}`)
      return value
    }
    this.retryIntervalMs = positive('retryIntervalMs', options.retryIntervalMs ?? 200)
    this.maxPending = positive('maxPending', options.maxPending ?? 10_000)
    this.resultsPerOrigin = positive('resultsPerOrigin', options.resultsPerOrigin ?? 4096)
    this.maxOrigins = positive('maxOrigins', options.maxOrigins ?? 64)
    const leaderId = context.nodeIds[0]
    if (leaderId === undefined) throw new RangeError('nodeIds: expected at least one node')
    this.leaderId = leaderId
    this.context = context
    this.origin = `${context.nodeId}:${randomUUID()}`
    this.transport = context.createTransport<SingleLeaderMessage>({ validate: parseSingleLeaderMessage })
    this.transport.onMessage((from, message) => this.onMessage(from, message))
  }

  /** Whether this node holds the map. */
  get isLeader(): boolean {
    return this.context.nodeId === this.leaderId
  }

  read(key: JsonValue): Promise<JsonValue> {
    return this.run({ type: 'read', key }) as Promise<JsonValue>
  }

  async write(key: JsonValue, value: JsonValue): Promise<void> {
    await this.run({ type: 'write', key, value })
  }

  async cas(key: JsonValue, from: JsonValue, to: JsonValue, options: CasOptions = {}): Promise<void> {
    await this.run({ type: 'cas', key, from, to, createIfNotExists: options.createIfNotExists === true })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const [seq, pending] of this.pending) {
      this.pending.delete(seq)
      clearInterval(pending.retry)
      clearTimeout(pending.deadline)
      pending.reject(new CrashError('the node is shutting down with the operation in flight'))
    }
    await this.transport.close()
  }

  private run(operation: KvOperation): Promise<JsonValue | undefined> {
    if (this.closed) return Promise.reject(new TemporarilyUnavailableError('the node is shutting down'))
    if (this.isLeader) return settle(this.store.apply(operation))
    if (this.pending.size >= this.maxPending)
      return Promise.reject(
        new TemporarilyUnavailableError(`${this.maxPending} operations already in flight to the leader`),
      )
    const seq = this.nextSeq++
    const message: SingleLeaderMessage = { kind: 'forward', origin: this.origin, seq, operation }
    try {
      this.transport.send(this.leaderId, message)
    } catch (error) {
      // nothing left this node: the leader cannot have applied it
      return Promise.reject(
        new TemporarilyUnavailableError(
          `cannot send to the leader ${this.leaderId}: ${(error as Error).message}`,
        ),
      )
    }
    this.stats.forwarded++
    return new Promise((resolve, reject) => {
      const retry = setInterval(() => {
        try {
          this.stats.retries++
          this.transport.send(this.leaderId, message)
        } catch {
          // the deadline decides; the operation may already be applied
        }
      }, this.retryIntervalMs)
      const timeoutMs = this.context.requestTimeoutMs
      const deadline = setTimeout(() => {
        this.finish(
          seq,
          new OperationTimeoutError(
            timeoutMs,
            `the leader ${this.leaderId} did not confirm it; it may or may not take effect`,
          ),
        )
        this.stats.timedOut++
      }, timeoutMs)
      this.pending.set(seq, { operation, resolve, reject, retry, deadline })
    })
  }

  private finish(
    seq: number,
    outcome: { ok: true; value: JsonValue | undefined } | MaelstromRequestError,
  ): void {
    const pending = this.pending.get(seq)
    if (!pending) return
    this.pending.delete(seq)
    clearInterval(pending.retry)
    clearTimeout(pending.deadline)
    if (outcome instanceof Error) pending.reject(outcome)
    else pending.resolve(outcome.value)
  }

  private onMessage(from: NodeId, message: SingleLeaderMessage): void {
    if (message.kind === 'forward') {
      if (!this.isLeader) {
        this.context.log(
          `single-leader: ignoring a forward from ${from}: ${this.context.nodeId} is not the leader`,
        )
        return
      }
      const result = this.applyForwarded(message.origin, message.seq, message.operation)
      try {
        this.transport.send(from, { kind: 'result', origin: message.origin, seq: message.seq, result })
      } catch (error) {
        this.context.log(`single-leader: cannot answer ${from}: ${(error as Error).message}`)
      }
      return
    }
    if (message.origin !== this.origin) return // an answer to a previous incarnation
    const pending = this.pending.get(message.seq)
    if (!pending) return // already answered, or timed out
    const { operation } = pending
    const result = message.result
    switch (result.status) {
      case 'ok':
        this.finish(message.seq, { ok: true, value: result.value })
        return
      case 'key-does-not-exist':
        this.finish(message.seq, new KeyDoesNotExistError(operation.key))
        return
      case 'precondition-failed':
        this.finish(
          message.seq,
          new PreconditionFailedError(
            operation.key,
            operation.type === 'cas' ? operation.from : null,
            result.actual,
          ),
        )
        return
      case 'expired':
        this.finish(
          message.seq,
          new OperationTimeoutError(
            this.context.requestTimeoutMs,
            'the leader no longer knows whether it applied it',
          ),
        )
        return
    }
  }

  /** Applies a forwarded operation at most once per (origin, seq), and remembers its result. */
  private applyForwarded(origin: string, seq: number, operation: KvOperation): ForwardedResult {
    let entry = this.origins.get(origin)
    if (!entry) {
      if (this.origins.size >= this.maxOrigins) {
        const oldest = this.origins.keys().next().value
        if (oldest !== undefined) this.origins.delete(oldest)
      }
      entry = { floor: -1, results: new Map() }
      this.origins.set(origin, entry)
    }
    const known = entry.results.get(seq)
    if (known) {
      this.stats.duplicatesAnswered++
      return known
    }
    if (seq <= entry.floor) return { status: 'expired' }
    const result = toForwardedResult(this.store.apply(operation))
    this.stats.appliedForOthers++
    entry.results.set(seq, result)
    if (entry.results.size > this.resultsPerOrigin) {
      const forgotten = entry.results.keys().next().value
      if (forgotten !== undefined) {
        entry.results.delete(forgotten)
        entry.floor = Math.max(entry.floor, forgotten)
      }
    }
    return result
  }
}

/**
 * The single-leader backend factory (`--backend single-leader`).
 *
 * @example
 * ```ts
 * const node = new MaelstromNode({ backend: singleLeaderBackend({ retryIntervalMs: 100 }), write, log })
 * ```
 */
export function singleLeaderBackend(options: SingleLeaderOptions = {}): BackendFactory {
  return (context) => new SingleLeaderBackend(context, options)
}
