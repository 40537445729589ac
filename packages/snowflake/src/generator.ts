/**
 * The generator: one instance per node id. It never issues the same id twice and never
 * issues a smaller id than the one before, whatever the clock does.
 */

import { type DecodedSnowflake, decodeSnowflake } from './decode.js'
import {
  ClockInvalidError,
  ClockRollbackError,
  ClockStalledError,
  isoOrNumber,
  LeaseExpiredError,
  TimestampOverflowError,
} from './errors.js'
import { defineLayout, isDefinedLayout, type SnowflakeLayout } from './layout.js'
import type { WorkerIdLease } from './lease.js'
import { joinNodeId, nodeBitsOf, nodeFieldList, splitNodeId } from './node-id.js'
import { assertInteger, describe } from './validate.js'

/**
 * What a generator does when the clock reads earlier than the last timestamp it issued
 * (an NTP step, a VM migration, a fake clock):
 *
 * - `'continue'` (default): keep issuing from the last timestamp, continuing its sequence;
 *   if that sequence runs out, busy-wait until the clock passes the last timestamp.
 * - `'wait'`: busy-wait until the clock is back at the last timestamp, then go on.
 * - `'throw'`: throw a `ClockRollbackError` at once (issue nothing) until the clock is back.
 *
 * With `'continue'` and `'wait'`, a step back larger than `rollbackToleranceMs` throws a
 * `ClockRollbackError` too, so that a clock gone badly wrong does not block a thread for
 * a long busy-wait. No policy ever issues a duplicate or a smaller id.
 */
export type ClockRollbackPolicy = 'continue' | 'wait' | 'throw'

const POLICIES: readonly ClockRollbackPolicy[] = ['continue', 'wait', 'throw']

/** The default `rollbackToleranceMs`: one second (NTP steps are usually far smaller). */
export const DEFAULT_ROLLBACK_TOLERANCE_MS = 1_000
/** The largest `rollbackToleranceMs`: one day. */
export const MAX_ROLLBACK_TOLERANCE_MS = 86_400_000
/** The default `maxClockSkewMs` of `decode`: one minute. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 60_000
/**
 * A busy-wait gives up with `ClockStalledError` after this many clock reads in a row
 * returned the same value: a running millisecond clock changes long before.
 */
export const MAX_STALLED_CLOCK_READS = 2 ** 25
/** The most ids one `fill` or `fillStrings` call writes. */
export const MAX_FILL_COUNT = 2 ** 31

/** Options of {@link SnowflakeGenerator}. */
export interface SnowflakeGeneratorOptions<Node extends string = string> {
  /** The bit layout: one of `layouts` or a `defineLayout(...)`. */
  readonly layout: SnowflakeLayout<Node>
  /** The node field values, e.g. `{ datacenter: 1, worker: 7 }` for Twitter. */
  readonly node?: Readonly<Record<Node, number>>
  /** Or: the node fields as one integer, 0 to `layout.nodeIdMax` (1023 for Twitter). */
  readonly nodeId?: number
  /**
   * Or: a worker-id lease. Its `nodeId` is used, and the generator refuses to start a new
   * tick at or after `lease.expiresAtMs` (read at every new tick, so a lease object whose
   * `expiresAtMs` grows on renewal keeps the generator going). Only ticks that end by
   * `expiresAtMs` are used.
   */
  readonly lease?: WorkerIdLease
  /** Returns the time in Unix ms; default `Date.now`. Inject a fake one in tests. */
  readonly clock?: () => number
  /** What to do when the clock moves back; default `'continue'`. */
  readonly clockRollback?: ClockRollbackPolicy
  /** The largest step back `'continue'` and `'wait'` absorb, in ms; default 1000. */
  readonly rollbackToleranceMs?: number
  /**
   * `decode` refuses ids whose timestamp is more than this many ms ahead of the clock (and
   * of the last issued timestamp): they come from another layout or a broken clock.
   * Default 60,000; `Infinity` turns the check off.
   */
  readonly maxClockSkewMs?: number
}

let digits4: string[] = []

/** "0000" to "9999", built on the first string id. */
function ensureDigits4(): string[] {
  if (digits4.length === 0) {
    const table: string[] = new Array(10_000)
    for (let value = 0; value < 10_000; value++) table[value] = String(value + 10_000).slice(1)
    digits4 = table
  }
  return digits4
}

/**
 * Issues snowflake ids: unique and strictly increasing for one generator, at up to the
 * layout's limit (4,096 ids per ms for Twitter).
 *
 * **Busy-waiting.** When a tick's sequence is used up, the generator spins on the clock
 * until the next tick (at most one time unit: 1 ms, or 10 ms for Sonyflake). It blocks the
 * thread meanwhile, like every synchronous snowflake generator; at the full rate that is
 * how the limit is enforced.
 *
 * **Timestamps.** `nextBigInt` and `nextString` read the clock on every call, so an id's
 * timestamp is the tick the call started in. `fill` and `fillStrings` read it once per
 * tick: an id in a batch carries a tick that the clock read during the call. (Except while
 * the clock is behind, where ids keep the last timestamp.)
 *
 * @example
 * ```ts
 * const generator = new SnowflakeGenerator({ layout: layouts.twitter, node: { datacenter: 1, worker: 7 } })
 * const id = generator.nextBigInt() // e.g. 1861321044107882496n
 * generator.nextString()            // e.g. "1861321044107882497"
 * generator.decode(id).node         // { datacenter: 1, worker: 7 }
 * ```
 */
export class SnowflakeGenerator<Node extends string = string> {
  /** The layout ids are made with. */
  readonly layout: SnowflakeLayout<Node>
  /** The node fields as one integer. */
  readonly nodeId: number
  /** The node field values. */
  readonly node: Readonly<Record<Node, number>>
  /** The rollback policy. */
  readonly clockRollback: ClockRollbackPolicy
  /** The largest step back absorbed by `'continue'` and `'wait'`, in ms. */
  readonly rollbackToleranceMs: number
  /** How far ahead of the clock `decode` accepts a timestamp, in ms. */
  readonly maxClockSkewMs: number

  private readonly clock: () => number
  private readonly lease: WorkerIdLease | undefined
  private readonly epochMs: number
  private readonly timeUnitMs: number
  private readonly maxTick: number
  private readonly sequenceMax: number
  private readonly timestampShift: bigint
  private readonly nodeBits: bigint
  /** The id difference between two consecutive sequence numbers. */
  private readonly step: bigint
  /** `step` as a number, when the whole sequence spans less than 10,000 (the decimal fast path). */
  private readonly decimalStep: number

  /** The tick of the last issued id, -1 before the first. */
  private lastTick = -1
  /** The sequence of the last issued id. */
  private sequence = 0
  /** The id of sequence 0 in `lastTick`. */
  private base = 0n
  /** The last issued id, `base + BigInt(sequence) * step`, unless `stale` (string ids skip it). */
  private current = 0n
  /** True when `current` lags behind `sequence`: recompute it before use. */
  private stale = true
  /** The last clock value read by a busy-wait. */
  private spunMs = 0

  /** The tick the decimal prefix below was computed for. */
  private decimalTick = -1
  /** Decimal digits of `base / 10000`, or '' when the fast path does not apply. */
  private decimalPrefix = ''
  /** Decimal digits of `base / 10000 + 1`. */
  private decimalCarryPrefix = ''
  /** `base % 10000`. */
  private decimalLow = 0

  /**
   * @param options - layout, node id (one of `node`, `nodeId`, `lease`), clock and rollback policy
   * @throws {TypeError} when an option has the wrong type
   * @throws {RangeError} when a node value, the tolerance or the policy is out of range
   *   (`nodeId: expected an integer from 0 to 1023, got 1024`), or the epoch is in the future
   * @throws {TimestampOverflowError} when the clock is already past the layout's last timestamp
   * @example
   * ```ts
   * new SnowflakeGenerator({ layout: layouts.sonyflake, nodeId: 0x0a01 })
   * ```
   */
  constructor(options: SnowflakeGeneratorOptions<Node>) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options: expected an object, got ${describe(options)}`)
    }
    const layout = ensureLayout(options.layout)
    this.layout = layout
    const clock = options.clock ?? Date.now
    if (typeof clock !== 'function') throw new TypeError(`clock: expected a function, got ${describe(clock)}`)
    this.clock = clock
    const policy = options.clockRollback ?? 'continue'
    if (typeof policy !== 'string') {
      throw new TypeError(`clockRollback: expected a string, got ${describe(policy)}`)
    }
    if (!POLICIES.includes(policy)) {
      throw new RangeError(
        `clockRollback: expected 'continue', 'wait' or 'throw', got ${JSON.stringify(policy)}`,
      )
    }
    this.clockRollback = policy
    const tolerance = options.rollbackToleranceMs ?? DEFAULT_ROLLBACK_TOLERANCE_MS
    assertInteger('rollbackToleranceMs', tolerance, 0, MAX_ROLLBACK_TOLERANCE_MS)
    this.rollbackToleranceMs = tolerance
    const skew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS
    if (skew !== Number.POSITIVE_INFINITY) assertInteger('maxClockSkewMs', skew, 0, Number.MAX_SAFE_INTEGER)
    this.maxClockSkewMs = skew

    const { node, nodeId, lease } = options
    const given = [node, nodeId, lease].filter((value) => value !== undefined).length
    if (given > 1) throw new TypeError('options: expected one of node, nodeId or lease, got several')
    let resolved: number
    if (lease !== undefined) {
      if (typeof lease !== 'object' || lease === null) {
        throw new TypeError(`lease: expected an object, got ${describe(lease)}`)
      }
      assertInteger('lease.nodeId', lease.nodeId, 0, layout.nodeIdMax)
      if (typeof lease.fencingToken !== 'bigint') {
        throw new TypeError(`lease.fencingToken: expected a bigint, got ${describe(lease.fencingToken)}`)
      }
      if (typeof lease.expiresAtMs !== 'number') {
        throw new TypeError(`lease.expiresAtMs: expected a number, got ${describe(lease.expiresAtMs)}`)
      }
      resolved = lease.nodeId
    } else if (node !== undefined) {
      resolved = joinNodeId(layout, node)
    } else if (nodeId !== undefined) {
      resolved = nodeId
      assertInteger('nodeId', resolved, 0, layout.nodeIdMax)
    } else if (layout.nodeBits === 0) {
      resolved = 0
    } else {
      throw new TypeError(
        `options: expected node (${nodeFieldList(layout)}), nodeId (0 to ${layout.nodeIdMax}) or lease, got none`,
      )
    }
    this.lease = lease
    this.nodeId = resolved
    this.node = Object.freeze(splitNodeId(layout, resolved))

    this.epochMs = layout.epochMs
    this.timeUnitMs = layout.timeUnitMs
    this.maxTick = layout.timestamp.max
    this.sequenceMax = layout.sequence.max
    this.timestampShift = BigInt(layout.timestamp.shift)
    this.nodeBits = nodeBitsOf(layout, resolved)
    this.step = 1n << BigInt(layout.sequence.shift)
    const span = BigInt(layout.sequence.max) * this.step
    this.decimalStep = span < 10_000n ? Number(this.step) : 0

    const nowMs = clock()
    if (typeof nowMs !== 'number' || Number.isNaN(nowMs)) throw new ClockInvalidError(nowMs, layout.epochMs)
    if (nowMs < layout.epochMs) {
      throw new RangeError(
        `layout.epochMs: expected an epoch not in the future, got ${isoOrNumber(layout.epochMs)} (the clock reads ${isoOrNumber(nowMs)})`,
      )
    }
    const ticks = Math.floor((nowMs - layout.epochMs) / layout.timeUnitMs)
    if (ticks > this.maxTick) throw new TimestampOverflowError(ticks, layout.timestamp.bits, layout.endMs)
  }

  /**
   * The start of the last issued id's tick in Unix ms, or `undefined` before the first id.
   *
   * @returns Unix ms or `undefined`
   * @example
   * ```ts
   * generator.nextBigInt()
   * generator.lastTimestampMs // e.g. 1732600000123
   * ```
   */
  get lastTimestampMs(): number | undefined {
    return this.lastTick < 0 ? undefined : this.epochMs + this.lastTick * this.timeUnitMs
  }

  /**
   * Issues the next id as a bigint.
   *
   * @returns an id larger than every id this generator issued before
   * @throws {ClockRollbackError} when the clock moved back beyond what the policy absorbs
   * @throws {TimestampOverflowError} when the clock is past the layout's last timestamp
   * @throws {ClockInvalidError} when the clock returns a non-number, NaN, or a time before the epoch
   * @throws {ClockStalledError} when a busy-wait sees a frozen clock
   * @throws {LeaseExpiredError} when the worker-id lease expired
   * @example
   * ```ts
   * const a = generator.nextBigInt()
   * const b = generator.nextBigInt()
   * a < b // true
   * ```
   */
  nextBigInt(): bigint {
    const ms = this.clock()
    const tick = Math.floor((ms - this.epochMs) / this.timeUnitMs)
    if (tick === this.lastTick && this.sequence < this.sequenceMax) {
      this.sequence++
      if (this.stale) return this.materialize()
      this.current += this.step
      return this.current
    }
    this.issueSlow(ms, tick)
    return this.materialize()
  }

  /**
   * Issues the next id as a decimal string (numeric order = issue order; compare with
   * `BigInt(a) < BigInt(b)`, not `a < b`, as strings differ in length across powers of ten).
   *
   * @returns the decimal digits of an id larger than every id issued before
   * @throws {ClockRollbackError} see {@link SnowflakeGenerator.nextBigInt}
   * @throws {TimestampOverflowError} see {@link SnowflakeGenerator.nextBigInt}
   * @throws {ClockInvalidError} see {@link SnowflakeGenerator.nextBigInt}
   * @throws {ClockStalledError} see {@link SnowflakeGenerator.nextBigInt}
   * @throws {LeaseExpiredError} see {@link SnowflakeGenerator.nextBigInt}
   * @example
   * ```ts
   * const id = generator.nextString() // e.g. "1861321044107882496"
   * ```
   */
  nextString(): string {
    const ms = this.clock()
    const tick = Math.floor((ms - this.epochMs) / this.timeUnitMs)
    if (tick === this.lastTick && this.sequence < this.sequenceMax) {
      this.sequence++
      this.stale = true
    } else {
      this.issueSlow(ms, tick)
    }
    return this.decimal()
  }

  /**
   * Writes `count` new ids into `target` from `offset` on: the fast way to make many. The
   * clock is read once per tick (not once per id), so a batch runs at the layout's limit.
   *
   * @param target - an array (grown as needed) or a `BigUint64Array` (must be long enough)
   * @param count - how many ids; default: up to `target.length` (an array grows past it when asked)
   * @param offset - the first index written; default 0
   * @returns `target`
   * @throws {TypeError} when `target` is neither an array nor a `BigUint64Array`
   * @throws {RangeError} when `count` or `offset` is out of range
   * @throws {ClockRollbackError} see {@link SnowflakeGenerator.nextBigInt}; the ids written
   *   before the error stay in `target` from `offset` on (they were issued and are never issued again)
   * @example
   * ```ts
   * const ids = generator.fill(new BigUint64Array(10_000))
   * const more = generator.fill([], 100)
   * ```
   */
  fill<T extends bigint[] | BigUint64Array>(target: T, count?: number, offset = 0): T {
    const end = fillRange(target, count, offset, true)
    let index = offset
    while (index < end) {
      target[index++] = this.nextBigInt()
      // the rest of this tick's sequence, without reading the clock
      const stop = Math.min(end, index + (this.sequenceMax - this.sequence))
      const step = this.step
      let current = this.current
      const first = index
      while (index < stop) {
        current += step
        target[index++] = current
      }
      this.sequence += index - first
      this.current = current
    }
    return target
  }

  /**
   * Writes `count` new ids as decimal strings into `target` from `offset` on.
   *
   * @param target - an array, grown as needed
   * @param count - how many ids; default: up to `target.length`
   * @param offset - the first index written; default 0
   * @returns `target`
   * @throws {TypeError} when `target` is not an array
   * @throws {RangeError} when `count` or `offset` is out of range
   * @throws {ClockRollbackError} see {@link SnowflakeGenerator.nextBigInt} (ids written before stay valid)
   * @example
   * ```ts
   * const ids = generator.fillStrings([], 1000)
   * ```
   */
  fillStrings(target: string[], count?: number, offset = 0): string[] {
    const end = fillRange(target, count, offset, false)
    let index = offset
    while (index < end) {
      target[index++] = this.nextString()
      const stop = Math.min(end, index + (this.sequenceMax - this.sequence))
      let sequence = this.sequence
      const prefix = this.decimalPrefix
      if (prefix !== '') {
        const carryPrefix = this.decimalCarryPrefix
        const low = this.decimalLow
        const step = this.decimalStep
        const digits = digits4
        while (index < stop) {
          const value = low + ++sequence * step
          target[index++] = value < 10_000 ? prefix + digits[value] : carryPrefix + digits[value - 10_000]
        }
        this.sequence = sequence
      } else {
        const step = this.step
        let current = this.materialize()
        while (index < stop) {
          current += step
          sequence++
          target[index++] = current.toString()
        }
        this.sequence = sequence
        this.current = current
      }
    }
    return target
  }

  /**
   * Takes an id of this generator's layout apart. Refuses ids that cannot come from it:
   * malformed strings, negative values, values wider than the layout, and timestamps more
   * than `maxClockSkewMs` ahead of the clock.
   *
   * @param id - a bigint or a canonical decimal string
   * @returns timestamp, node fields and sequence
   * @throws {TypeError} when `id` is neither a bigint nor a string
   * @throws {RangeError} when `id` is malformed or does not fit the layout
   * @example
   * ```ts
   * generator.decode(generator.nextString()).sequence // 0 in a fresh millisecond
   * ```
   */
  decode(id: bigint | string): DecodedSnowflake<Node> {
    const last = this.lastTimestampMs ?? this.epochMs
    const nowMs = this.clock()
    // a broken clock reading falls back on the last issued timestamp
    const notAfterMs = (Number.isFinite(nowMs) ? Math.max(nowMs, last) : last) + this.maxClockSkewMs
    return decodeSnowflake(id, this.layout, { notAfterMs })
  }

  /** Brings `current` up to `base + sequence * step` and returns it. */
  private materialize(): bigint {
    this.stale = false
    this.current = this.base + BigInt(this.sequence) * this.step
    return this.current
  }

  /** Decimal digits of the last issued id. */
  private decimal(): string {
    if (this.decimalTick !== this.lastTick) this.prepareDecimal()
    const prefix = this.decimalPrefix
    if (prefix === '') return this.materialize().toString()
    const value = this.decimalLow + this.sequence * this.decimalStep
    return value < 10_000 ? prefix + digits4[value] : this.decimalCarryPrefix + digits4[value - 10_000]
  }

  /**
   * Splits the tick's base id into a decimal prefix and a 4-digit low part: every id of the
   * tick is then the prefix (or the prefix + 1, after a carry) followed by 4 digits.
   */
  private prepareDecimal(): void {
    this.decimalTick = this.lastTick
    if (this.decimalStep === 0 || this.base < 10_000n) {
      this.decimalPrefix = ''
      return
    }
    ensureDigits4()
    const text = this.base.toString()
    this.decimalPrefix = text.slice(0, -4)
    this.decimalLow = Number(text.slice(-4))
    this.decimalCarryPrefix = (this.base / 10_000n + 1n).toString()
  }

  /**
   * Issues one id when the fast path cannot: a new tick, a used-up sequence, a clock
   * behind. Leaves the id in `sequence` (and `current` stale). Every branch either issues, throws, or busy-waits
   * for a later tick and goes round once more (at most three rounds).
   */
  private issueSlow(ms: number, tick: number): void {
    for (;;) {
      if (typeof ms !== 'number' || !(tick >= 0) || tick === Number.POSITIVE_INFINITY) {
        throw new ClockInvalidError(ms, this.epochMs)
      }
      if (tick > this.lastTick) {
        if (tick > this.maxTick)
          throw new TimestampOverflowError(tick, this.layout.timestamp.bits, this.layout.endMs)
        const lease = this.lease
        // the whole tick must end by the lease's expiry (see the lease protocol in lease.ts)
        if (lease !== undefined && !(this.epochMs + (tick + 1) * this.timeUnitMs <= lease.expiresAtMs)) {
          throw new LeaseExpiredError(lease.nodeId, lease.fencingToken, lease.expiresAtMs, ms)
        }
        this.lastTick = tick
        this.sequence = 0
        this.base = (BigInt(tick) << this.timestampShift) | this.nodeBits
        this.stale = true
        return
      }
      if (tick === this.lastTick) {
        if (this.sequence < this.sequenceMax) {
          this.sequence++
          this.stale = true
          return
        }
        tick = this.spinUntil(this.lastTick + 1)
        ms = this.spunMs
        continue
      }
      // the clock is behind the last issued timestamp
      this.checkRollback(ms, tick)
      if (this.clockRollback === 'continue') {
        if (this.sequence < this.sequenceMax) {
          this.sequence++
          this.stale = true
          return
        }
        tick = this.spinUntil(this.lastTick + 1)
      } else {
        tick = this.spinUntil(this.lastTick)
      }
      ms = this.spunMs
    }
  }

  /** Throws when a clock behind `lastTick` is more than the policy absorbs. */
  private checkRollback(ms: number, tick: number): void {
    const rollbackMs = (this.lastTick - tick) * this.timeUnitMs
    const lastTimestampMs = this.epochMs + this.lastTick * this.timeUnitMs
    if (this.clockRollback === 'throw')
      throw new ClockRollbackError(rollbackMs, lastTimestampMs, ms, undefined)
    if (rollbackMs > this.rollbackToleranceMs) {
      throw new ClockRollbackError(rollbackMs, lastTimestampMs, ms, this.rollbackToleranceMs)
    }
  }

  /** Busy-waits until the clock reaches `minTick`; returns the tick and leaves the reading in `spunMs`. */
  private spinUntil(minTick: number): number {
    let previous = Number.NaN
    let same = 0
    for (;;) {
      const ms = this.clock()
      const tick = Math.floor((ms - this.epochMs) / this.timeUnitMs)
      if (tick >= minTick) {
        this.spunMs = ms
        return tick
      }
      if (typeof ms !== 'number' || !(tick >= 0)) throw new ClockInvalidError(ms, this.epochMs)
      if (tick < this.lastTick) this.checkRollback(ms, tick)
      if (ms === previous) {
        if (++same >= MAX_STALLED_CLOCK_READS) throw new ClockStalledError(ms, same)
      } else {
        previous = ms
        same = 0
      }
    }
  }
}

/** Validates a fill call's target, count and offset; returns the end index. */
function fillRange(target: unknown, count: unknown, offset: unknown, allowTyped: boolean): number {
  const typed = allowTyped && target instanceof BigUint64Array
  if (!typed && !Array.isArray(target)) {
    throw new TypeError(
      `target: expected ${allowTyped ? 'an array or a BigUint64Array' : 'an array'}, got ${target instanceof Object ? target.constructor.name : describe(target)}`,
    )
  }
  const length = (target as { length: number }).length
  if (typed) {
    assertInteger('offset', offset, 0, length)
    const room = length - offset
    const wanted = count ?? room
    assertInteger('count', wanted, 0, room)
    return offset + wanted
  }
  assertInteger('offset', offset, 0, length)
  const wanted = count ?? length - offset
  assertInteger('count', wanted, 0, MAX_FILL_COUNT)
  return offset + wanted
}

/** Accepts a layout from `defineLayout`/`layouts`, or validates a plain spec. */
function ensureLayout<Node extends string>(layout: SnowflakeLayout<Node>): SnowflakeLayout<Node> {
  if (typeof layout !== 'object' || layout === null) {
    throw new TypeError(`layout: expected a layout from defineLayout() or layouts, got ${describe(layout)}`)
  }
  if (isDefinedLayout(layout)) return layout
  return defineLayout(layout) as unknown as SnowflakeLayout<Node>
}
