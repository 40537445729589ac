/** The driver of the ABD register: binds a {@link RegisterCore} to a Transport, a clock and (optionally) storage. */
import type { Transport } from '@synod/transport'
import {
  type RegisterCompletion,
  RegisterCore,
  type RegisterMessage,
  type RegisterReady,
  type RegisterValue,
  type StoredRecord,
  type UpdateDecision,
} from '../core/register.js'
import type { Version } from '../core/version.js'
import { QuorumTimeoutError } from '../errors.js'
import type { QuorumSystem } from '../systems.js'
import { assertIntegerInRange } from '../validate.js'
import type { Clock } from './clock.js'
import { assertDriverOptions, Driver, randomNonce } from './driver.js'

/**
 * Durable storage of a replica's records. `save` must be durable when it
 * returns: the replica acknowledges stores right after it.
 *
 * @example
 * ```ts
 * const records = new Map<string, StoredRecord>()
 * const storage: RegisterStorage = { load: () => records.values(), save: (batch) => { for (const r of batch) records.set(r.key, r) } }
 * ```
 */
export interface RegisterStorage {
  load(): Iterable<StoredRecord>
  save(records: readonly StoredRecord[]): void
}

/**
 * Options of {@link QuorumRegister}.
 *
 * @example
 * ```ts
 * const options: QuorumRegisterOptions = { transport, system: majority(['a', 'b', 'c']), timeoutMs: 500 }
 * ```
 */
export interface QuorumRegisterOptions {
  /** This node's transport; the register listens on it and sends through it (it does not close it). */
  transport: Transport<RegisterMessage>
  /** The replicas and their quorums. This node stores values when it is a member. */
  system: QuorumSystem
  /** Ticks the core (default: real timers). */
  clock?: Clock
  /** Milliseconds per tick (default 10). */
  tickMs?: number
  /** Resend to silent replicas after this long (default 30 ms; rounded up to ticks). */
  retryMs?: number
  /** An operation fails with `QuorumTimeoutError` after this long (default 1,000 ms). */
  timeoutMs?: number
  /** This incarnation's nonce: must differ after a restart (default: random). */
  nonce?: number
  /**
   * The writer id in the versions (and fencing tokens) this node issues. Default:
   * the transport's id on a replica (which recovers its counter from `storage`),
   * `<id>#<nonce in base 36>` on a client, so a restarted client never reissues a version.
   */
  writerId?: string
  /** Where a replica persists its records (default: memory only). */
  storage?: RegisterStorage
  /** The most operations pending at once (default 10,000). */
  maxPendingOperations?: number
  /** The largest key in UTF-8 bytes (default 1,024). */
  maxKeyBytes?: number
  /** The largest value in bytes (default 1 MiB). */
  maxValueBytes?: number
  /** For tests only: reads skip the write-back, which breaks linearizability. */
  unsafeSkipWriteBack?: boolean
}

/**
 * What an `update` did: wrote a new value, or declined (`written: false`) after reading.
 *
 * @example
 * ```ts
 * const outcome = await register.update('x', (current) => (current.value === null ? { value: 'a' } : { abort: 'taken' }))
 * if (!outcome.written) console.log(outcome.reason)
 * ```
 */
export type UpdateOutcome =
  | { written: true; version: Version; value: RegisterValue }
  | { written: false; reason: string; version: Version; value: RegisterValue | null }

/**
 * A linearizable multi-writer register per key (ABD) over any `Transport` and any
 * quorum system. Every node that runs one is a coordinator; members of the quorum
 * system are also replicas. Operations succeed while a read quorum and a write
 * quorum of replicas are reachable, and fail with `QuorumTimeoutError` otherwise.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from '@synod/transport'
 * import { majority, QuorumRegister, type RegisterMessage } from '@synod/quorum'
 *
 * const ids = ['a', 'b', 'c']
 * const network = new MemoryNetwork<RegisterMessage>()
 * const system = majority(ids)
 * const [a, b] = ids.map((id) => new QuorumRegister({ transport: network.join(id), system }))
 * await a.write('x', 'hello')
 * await b.read('x') // 'hello'
 * ```
 */
export class QuorumRegister {
  private readonly core: RegisterCore
  private readonly driver: Driver<RegisterMessage, RegisterCompletion, RegisterReady>
  /** Sends the transport refused (closed, unknown peer): counted, never thrown at callers. */
  failedSends = 0

  constructor(options: QuorumRegisterOptions) {
    const { clock, tickMs } = assertDriverOptions(options)
    const retryMs = assertIntegerInRange('retryMs', options.retryMs ?? 30, 1, 3_600_000)
    const timeoutMs = assertIntegerInRange('timeoutMs', options.timeoutMs ?? 1_000, 1, 86_400_000)
    const nonce = options.nonce ?? randomNonce()
    const id = options.transport.localId
    const isMember = Array.isArray(options.system?.members) && options.system.members.includes(id)
    this.core = new RegisterCore({
      id,
      system: options.system,
      nonce,
      writerId: options.writerId ?? (isMember ? id : `${id}#${nonce.toString(36)}`),
      retryTicks: Math.ceil(retryMs / tickMs),
      timeoutTicks: Math.ceil(timeoutMs / tickMs),
      ...(options.maxPendingOperations === undefined
        ? {}
        : { maxPendingOperations: options.maxPendingOperations }),
      ...(options.maxKeyBytes === undefined ? {} : { maxKeyBytes: options.maxKeyBytes }),
      ...(options.maxValueBytes === undefined ? {} : { maxValueBytes: options.maxValueBytes }),
      ...(options.storage === undefined ? {} : { initialRecords: options.storage.load() }),
      unsafeSkipWriteBack: options.unsafeSkipWriteBack === true,
    })
    const storage = options.storage
    this.driver = new Driver({
      core: this.core,
      transport: options.transport,
      clock,
      tickMs,
      what: 'register',
      idOf: (completion) => completion.opId,
      beforeSend: (ready) => {
        if (ready.persist.length > 0) storage?.save(ready.persist)
      },
      onSendFailed: () => {
        this.failedSends++
      },
    })
  }

  /** This node's id. */
  get id(): string {
    return this.core.id
  }

  /** Operations in flight. */
  get pendingOperations(): number {
    return this.core.pendingOperations
  }

  /** This replica's own record for `key`, if any (no quorum involved: for inspection). */
  local(key: string): StoredRecord | undefined {
    return this.core.local(key)
  }

  /**
   * Reads `key`: the value of the latest completed write (or a concurrent one), `null` if never written.
   * @throws {TypeError} / {RangeError} (as a rejection) for a bad key
   * @throws {QuorumTimeoutError} when no read and write quorum answered in time
   * @example
   * ```ts
   * const value = await register.read('x')
   * ```
   */
  async read(key: string): Promise<RegisterValue | null> {
    const done = await this.driver.run(() => this.core.read(key))
    if (done.result !== 'ok') throw this.failure(done)
    return done.value
  }

  /**
   * Writes `value` to `key` and returns the version it was written with.
   * @throws {TypeError} / {RangeError} (as a rejection) for a bad key or value
   * @throws {QuorumTimeoutError} when no quorum answered in time: in phase `store` the write may still take effect
   * @example
   * ```ts
   * const version = await register.write('x', 'hello') // { counter: 1, writer: 'a' }
   * ```
   */
  async write(key: string, value: RegisterValue): Promise<Version> {
    const done = await this.driver.run(() => this.core.write(key, value))
    if (done.result !== 'ok') throw this.failure(done)
    return done.version
  }

  /**
   * Read-modify-write: `decide` sees the latest value and returns the next one, or `{ abort }`.
   * Two concurrent updates may both read the same value: the later version wins.
   * @throws {QuorumTimeoutError} when no quorum answered in time
   * @example
   * ```ts
   * const outcome = await register.update('counter', ({ value }) => ({ value: String(Number(value ?? 0) + 1) }))
   * ```
   */
  async update(key: string, decide: (current: StoredRecord) => UpdateDecision): Promise<UpdateOutcome> {
    const done = await this.driver.run(() => this.core.update(key, decide))
    if (done.result === 'timeout') throw this.failure(done)
    if (done.result === 'aborted')
      return { written: false, reason: done.reason, version: done.version, value: done.value }
    return { written: true, version: done.version, value: done.value as RegisterValue }
  }

  /**
   * Stops ticking and listening; pending operations reject with `QuorumClosedError`. Idempotent.
   * @example
   * ```ts
   * await register.close()
   * ```
   */
  async close(): Promise<void> {
    this.driver.close()
  }

  private failure(done: RegisterCompletion): Error {
    if (done.result === 'timeout')
      return new QuorumTimeoutError(done.kind, done.key, done.phase, done.replies)
    // only updates abort: anything else is a broken invariant of the core
    return new Error(`register: unexpected ${done.result} completion of a ${done.kind}`)
  }
}
