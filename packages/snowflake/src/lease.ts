/**
 * Worker-id leases: how a process gets a node id nobody else uses at the same time.
 *
 * The protocol (any store with compare-and-set works: `@synod/quorum`, a Raft log, etcd,
 * a SQL row):
 *
 * 1. **acquire** — take the lowest node id that was never leased, or whose lease expired
 *    more than `maxClockDriftMs` ago; record the holder, a new **fencing token** (strictly
 *    larger than every token issued before) and `expiresAtMs = now + leaseMs`.
 * 2. **renew** — well before expiry, the holder extends `expiresAtMs`; the store accepts
 *    only if the record still carries the holder's fencing token and has not expired.
 *    A refused renewal means the id may be someone else's soon: stop generating.
 * 3. **use** — the generator issues ids only in ticks that end by `expiresAtMs` (by its own
 *    clock); past that it throws `LeaseExpiredError`.
 * 4. **never reuse early** — an id is handed out again only after its lease plus
 *    `maxClockDriftMs` (the largest difference between any two clocks involved). Then the
 *    old holder's clock has passed `expiresAtMs` (so it stopped), and the new holder's clock
 *    reads later than `expiresAtMs` (so its timestamps are later than all the old ones):
 *    the two never issue in the same tick, and ids stay unique.
 * 5. **release** — after its last id, a holder may end the lease early: the registry cuts it
 *    to `now + maxClockDriftMs + timeUnitMs` (the holder's last tick can end one unit after
 *    its clock, which can run the drift ahead of the registry's), then the quarantine applies.
 *
 * `MemoryWorkerIdRegistry` is the reference implementation of these rules for one process
 * (tests, and many generators in one program); a cluster implements `WorkerIdRegistry` on
 * its replicated store.
 */

import { LeaseExpiredError } from './errors.js'
import type { SnowflakeLayout } from './layout.js'
import { assertInteger, describe } from './validate.js'

/** A leased node id, as the generator's `lease` option takes it. */
export interface WorkerIdLease {
  /** The node id, 0 to the layout's `nodeIdMax`. */
  readonly nodeId: number
  /** Strictly larger than every token the registry issued before this lease. */
  readonly fencingToken: bigint
  /** The Unix ms the lease ends at; may grow when the lease is renewed. */
  readonly expiresAtMs: number
}

/** What a worker-id registry offers; implement it on your replicated store. */
export interface WorkerIdRegistry {
  /** Leases a free node id to `holder`; throws when none is free. */
  acquire(holder: string): WorkerIdLease | Promise<WorkerIdLease>
  /** Extends the lease; throws `LeaseExpiredError` when it expired or was taken over. */
  renew(lease: WorkerIdLease): WorkerIdLease | Promise<WorkerIdLease>
  /** Ends the lease now. */
  release(lease: WorkerIdLease): void | Promise<void>
}

/** Options of {@link MemoryWorkerIdRegistry}. */
export interface MemoryWorkerIdRegistryOptions {
  /** The layout whose node ids (0 to `nodeIdMax`) and time unit the registry works with. */
  readonly layout: SnowflakeLayout
  /** How long a lease lasts from acquisition or renewal, in ms. */
  readonly leaseMs: number
  /** The largest difference between any two clocks involved, in ms. */
  readonly maxClockDriftMs: number
  /** Returns the time in Unix ms; default `Date.now`. */
  readonly clock?: () => number
}

interface LeaseRecord {
  holder: string
  fencingToken: bigint
  expiresAtMs: number
  handle: Lease
}

/** A live lease: `expiresAtMs` follows renewals and release. */
class Lease implements WorkerIdLease {
  constructor(
    readonly nodeId: number,
    readonly fencingToken: bigint,
    public expiresAtMs: number,
  ) {}
}

/**
 * An in-memory worker-id registry that follows the lease protocol above.
 *
 * @example
 * ```ts
 * const registry = new MemoryWorkerIdRegistry({ layout: layouts.twitter, leaseMs: 30_000, maxClockDriftMs: 1_000 })
 * const lease = registry.acquire('api-7')
 * const generator = new SnowflakeGenerator({ layout: layouts.twitter, lease })
 * setInterval(() => registry.renew(lease), 10_000)
 * ```
 */
export class MemoryWorkerIdRegistry implements WorkerIdRegistry {
  private readonly nodeIdMax: number
  private readonly timeUnitMs: number
  private readonly leaseMs: number
  private readonly maxClockDriftMs: number
  private readonly clock: () => number
  private readonly records = new Map<number, LeaseRecord>()
  private lastFencingToken = 0n

  /**
   * @param options - the node id range, lease length, drift bound and clock
   * @throws {TypeError} when an option has the wrong type
   * @throws {RangeError} when an option is out of range: `leaseMs: expected an integer from 1 to 86400000, got 0`
   * @example
   * ```ts
   * new MemoryWorkerIdRegistry({ layout: layouts.twitter, leaseMs: 30_000, maxClockDriftMs: 1_000 })
   * ```
   */
  constructor(options: MemoryWorkerIdRegistryOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options: expected an object, got ${describe(options)}`)
    }
    const layout = options.layout
    if (typeof layout !== 'object' || layout === null) {
      throw new TypeError(`layout: expected a layout, got ${describe(layout)}`)
    }
    assertInteger('layout.nodeIdMax', layout.nodeIdMax, 0, Number.MAX_SAFE_INTEGER)
    assertInteger('layout.timeUnitMs', layout.timeUnitMs, 1, 86_400_000)
    assertInteger('leaseMs', options.leaseMs, 1, 86_400_000)
    assertInteger('maxClockDriftMs', options.maxClockDriftMs, 0, 86_400_000)
    const clock = options.clock ?? Date.now
    if (typeof clock !== 'function') throw new TypeError(`clock: expected a function, got ${describe(clock)}`)
    this.nodeIdMax = layout.nodeIdMax
    this.timeUnitMs = layout.timeUnitMs
    this.leaseMs = options.leaseMs
    this.maxClockDriftMs = options.maxClockDriftMs
    this.clock = clock
  }

  /**
   * Leases the lowest free node id.
   *
   * @param holder - who takes it (for diagnostics)
   * @returns the lease
   * @throws {TypeError} when `holder` is not a string
   * @throws {RangeError} when every node id is leased or quarantined
   * @example
   * ```ts
   * const lease = registry.acquire('api-7') // { nodeId: 0, fencingToken: 1n, expiresAtMs: ... }
   * ```
   */
  acquire(holder: string): WorkerIdLease {
    if (typeof holder !== 'string') throw new TypeError(`holder: expected a string, got ${describe(holder)}`)
    const nowMs = this.clock()
    for (let nodeId = 0; nodeId <= this.nodeIdMax; nodeId++) {
      const record = this.records.get(nodeId)
      if (record !== undefined && !(nowMs - record.expiresAtMs > this.maxClockDriftMs)) continue
      const fencingToken = ++this.lastFencingToken
      const handle = new Lease(nodeId, fencingToken, nowMs + this.leaseMs)
      this.records.set(nodeId, { holder, fencingToken, expiresAtMs: handle.expiresAtMs, handle })
      return handle
    }
    throw new RangeError(
      `acquire: all ${this.nodeIdMax + 1} node ids are leased or in their drift quarantine`,
    )
  }

  /**
   * Extends a lease to `now + leaseMs`.
   *
   * @param lease - a lease this registry issued
   * @returns the same lease, with a later `expiresAtMs`
   * @throws {LeaseExpiredError} when the lease expired, was released, or its id was leased again
   * @example
   * ```ts
   * registry.renew(lease)
   * ```
   */
  renew(lease: WorkerIdLease): WorkerIdLease {
    const nowMs = this.clock()
    const record = this.records.get(lease.nodeId)
    if (record === undefined || record.fencingToken !== lease.fencingToken || !(nowMs < record.expiresAtMs)) {
      throw new LeaseExpiredError(
        lease.nodeId,
        lease.fencingToken,
        record?.expiresAtMs ?? lease.expiresAtMs,
        nowMs,
      )
    }
    record.expiresAtMs = nowMs + this.leaseMs
    record.handle.expiresAtMs = record.expiresAtMs
    return record.handle
  }

  /**
   * Ends a lease early: call it after the generator's last id. The lease is cut to
   * `now + maxClockDriftMs + timeUnitMs` (the holder's last tick may end up to one unit
   * after its clock, which may be up to the drift ahead of ours), and the id is handed out
   * again once that plus `maxClockDriftMs` has passed. Releasing a lease that is no longer
   * current does nothing.
   *
   * @param lease - a lease this registry issued
   * @example
   * ```ts
   * registry.release(lease)
   * ```
   */
  release(lease: WorkerIdLease): void {
    const record = this.records.get(lease.nodeId)
    if (record === undefined || record.fencingToken !== lease.fencingToken) return
    record.expiresAtMs = Math.min(record.expiresAtMs, this.clock() + this.maxClockDriftMs + this.timeUnitMs)
    record.handle.expiresAtMs = record.expiresAtMs
  }
}
