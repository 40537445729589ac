/** The driver of the Dynamo-style store: binds a {@link DynamoCore} to a Transport and a clock. */
import type { NodeId, Transport } from '@synod/transport'
import {
  type DynamoCompletion,
  DynamoCore,
  type DynamoMessage,
  type DynamoReady,
  type DynamoValue,
  type GetOptions,
  type PutOptions,
} from '../core/dynamo.js'
import type { Sibling, VectorClock } from '../core/vector-clock.js'
import { QuorumTimeoutError } from '../errors.js'
import { assertIntegerInRange } from '../validate.js'
import type { Clock } from './clock.js'
import { assertDriverOptions, Driver, randomNonce } from './driver.js'

/**
 * Options of {@link DynamoNode}.
 *
 * @example
 * ```ts
 * const options: DynamoNodeOptions = { transport, members: ['n1', 'n2', 'n3', 'n4', 'n5'], n: 3, r: 2, w: 2, sloppy: false }
 * ```
 */
export interface DynamoNodeOptions {
  /** This node's transport (its `localId` must be one of `members`); not closed by `close()`. */
  transport: Transport<DynamoMessage>
  /** Every node of the store. */
  members: readonly NodeId[]
  /** Default replicas per key (default 3). */
  n?: number
  /** Default replies per get (default 2). */
  r?: number
  /** Default acknowledgements per put (default 2). */
  w?: number
  /** Sloppy quorums with hinted handoff (default true). */
  sloppy?: boolean
  /** Read repair (default true). */
  readRepair?: boolean
  /** Ticks the core (default: real timers). */
  clock?: Clock
  /** Milliseconds per tick (default 10). */
  tickMs?: number
  /** Resend to silent replicas after this long (default 30 ms). */
  retryMs?: number
  /** A silent home replica is replaced by a stand-in after this long (default 40 ms). */
  suspectAfterMs?: number
  /** A request fails with `QuorumTimeoutError` after this long (default 1,000 ms). */
  timeoutMs?: number
  /** Hinted handoff is attempted this often (default 100 ms). */
  handoffIntervalMs?: number
  /** This incarnation's nonce (default: random). */
  nonce?: number
  /** The vector-clock entry this node's puts increment (default: its id). A node restarted without its data needs a new one. */
  actorId?: string
  /** The most requests pending at once (default 10,000). */
  maxPendingOperations?: number
  /** The largest key in UTF-8 bytes (default 1,024). */
  maxKeyBytes?: number
  /** The largest value in bytes (default 1 MiB). */
  maxValueBytes?: number
}

/**
 * What a get returns: the versions of the key that no other version supersedes,
 * and the context to pass to the put that resolves them.
 *
 * @example
 * ```ts
 * const { siblings, context } = await store.get('cart')
 * if (siblings.length > 1) await store.put('cart', resolve(siblings.map((s) => s.value)), { context })
 * ```
 */
export interface GetResult {
  /** Concurrent versions (siblings); empty when the key was never written. */
  siblings: Sibling<DynamoValue>[]
  /** The merged clock of `siblings`: a put with it supersedes them all. */
  context: VectorClock
}

/**
 * What a put returns.
 *
 * @example
 * ```ts
 * const { clock, hinted } = await store.put('cart', 'apples')
 * ```
 */
export interface PutResult {
  /** The clock of the new version. */
  clock: VectorClock
  /** Acknowledgements from stand-ins rather than home replicas (a sloppy quorum). */
  hinted: number
}

/**
 * One node of a Dynamo-style store: a replica, and a coordinator for the gets and
 * puts made through it. Per-request N, R and W; vector clocks with siblings; read
 * repair; sloppy quorums with hinted handoff. See the README for what each setting
 * guarantees.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from '@synod/transport'
 * import { DynamoNode, type DynamoMessage } from '@synod/quorum'
 *
 * const members = ['n1', 'n2', 'n3']
 * const network = new MemoryNetwork<DynamoMessage>()
 * const [a, b] = members.map((id) => new DynamoNode({ transport: network.join(id), members, n: 3, r: 2, w: 2 }))
 * await a.put('cart', 'apples')
 * const { siblings, context } = await b.get('cart') // [{ value: 'apples', clock: { n1: 1 } }]
 * await b.put('cart', 'apples, pears', { context })
 * ```
 */
export class DynamoNode {
  /** The pure core (for inspection: `local`, `hinted`, counters). */
  readonly core: DynamoCore
  private readonly driver: Driver<DynamoMessage, DynamoCompletion, DynamoReady>
  /** Sends the transport refused: counted, never thrown at callers. */
  failedSends = 0

  constructor(options: DynamoNodeOptions) {
    const { clock, tickMs } = assertDriverOptions(options)
    const ticks = (name: string, ms: number | undefined, fallback: number) =>
      Math.ceil(assertIntegerInRange(name, ms ?? fallback, 1, 86_400_000) / tickMs)
    this.core = new DynamoCore({
      id: options.transport.localId,
      members: options.members,
      ...(options.n === undefined ? {} : { n: options.n }),
      ...(options.r === undefined ? {} : { r: options.r }),
      ...(options.w === undefined ? {} : { w: options.w }),
      ...(options.sloppy === undefined ? {} : { sloppy: options.sloppy }),
      ...(options.readRepair === undefined ? {} : { readRepair: options.readRepair }),
      nonce: options.nonce ?? randomNonce(),
      ...(options.actorId === undefined ? {} : { actorId: options.actorId }),
      retryTicks: ticks('retryMs', options.retryMs, 30),
      suspectAfterTicks: ticks('suspectAfterMs', options.suspectAfterMs, 40),
      timeoutTicks: ticks('timeoutMs', options.timeoutMs, 1_000),
      handoffIntervalTicks: ticks('handoffIntervalMs', options.handoffIntervalMs, 100),
      ...(options.maxPendingOperations === undefined
        ? {}
        : { maxPendingOperations: options.maxPendingOperations }),
      ...(options.maxKeyBytes === undefined ? {} : { maxKeyBytes: options.maxKeyBytes }),
      ...(options.maxValueBytes === undefined ? {} : { maxValueBytes: options.maxValueBytes }),
    })
    this.driver = new Driver({
      core: this.core,
      transport: options.transport,
      clock,
      tickMs,
      what: 'store',
      idOf: (completion) => completion.reqId,
      onSendFailed: () => {
        this.failedSends++
      },
    })
  }

  /** This node's id. */
  get id(): NodeId {
    return this.core.id
  }

  /**
   * Reads `key` from R of its N replicas.
   * @throws {TypeError} / {RangeError} (as a rejection) for a bad key, `n` or `r`
   * @throws {QuorumTimeoutError} when fewer than R replicas answered in time
   * @example
   * ```ts
   * const { siblings, context } = await store.get('cart', { r: 2 })
   * ```
   */
  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const done = await this.driver.run(() => this.core.get(key, options))
    if (done.result === 'timeout') throw new QuorumTimeoutError('get', done.key, 'query', done.replies)
    if (done.kind !== 'get') throw new Error('dynamo: a get completed as a put')
    return { siblings: done.siblings, context: done.context }
  }

  /**
   * Writes `value` to `key` on W of its N replicas (stand-ins count when sloppy),
   * superseding what `options.context` covers.
   * @throws {TypeError} / {RangeError} (as a rejection) for a bad key, value, context, `n` or `w`
   * @throws {QuorumTimeoutError} when fewer than W acknowledged in time (the value may still be stored by some)
   * @example
   * ```ts
   * await store.put('cart', 'apples', { context, w: 3 })
   * ```
   */
  async put(key: string, value: DynamoValue, options: PutOptions = {}): Promise<PutResult> {
    const done = await this.driver.run(() => this.core.put(key, value, options))
    if (done.result === 'timeout') throw new QuorumTimeoutError('put', done.key, 'store', done.replies)
    if (done.kind !== 'put') throw new Error('dynamo: a put completed as a get')
    return { clock: done.clock, hinted: done.hinted }
  }

  /**
   * Stops ticking and listening; pending requests reject with `QuorumClosedError`. Idempotent.
   * @example
   * ```ts
   * await store.close()
   * ```
   */
  async close(): Promise<void> {
    this.driver.close()
  }
}
