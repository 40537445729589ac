/**
 * Typed errors of `@synod/snowflake`. They carry the same `Symbol.for('@synod/error')`
 * marker as every Synod error (so `SynodError.isInstance` from `@synod/transport`
 * recognises them) without depending on that package: this one has no dependencies.
 *
 * Bad arguments are plain `TypeError`s (wrong type) and `RangeError`s (wrong value);
 * the classes below are the operating errors a running generator can meet.
 */

const synodErrorMarker = Symbol.for('@synod/error')

/** Stable codes of the errors this package throws on purpose. */
export type SnowflakeErrorCode =
  | 'ERR_CLOCK_ROLLBACK'
  | 'ERR_CLOCK_STALLED'
  | 'ERR_CLOCK_INVALID'
  | 'ERR_TIMESTAMP_OVERFLOW'
  | 'ERR_LEASE_EXPIRED'

/**
 * The base class of the operating errors of `@synod/snowflake`.
 *
 * @example
 * ```ts
 * try { generator.nextBigInt() } catch (error) {
 *   if (SnowflakeError.isInstance(error)) console.log(error.code) // e.g. ERR_CLOCK_ROLLBACK
 * }
 * ```
 */
export class SnowflakeError extends Error {
  /** A stable machine-readable code such as `ERR_CLOCK_ROLLBACK`. */
  readonly code: SnowflakeErrorCode
  /** @internal marks Synod errors across package copies */
  readonly [synodErrorMarker] = true

  /**
   * @param code - the stable code
   * @param message - the human-readable message
   */
  constructor(code: SnowflakeErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = new.target.name
  }

  /**
   * True for any error of this package, even one thrown by another copy of it.
   *
   * @param error - anything caught
   * @returns whether `error` is a `SnowflakeError`
   * @example
   * ```ts
   * SnowflakeError.isInstance(new Error('x')) // false
   * ```
   */
  static isInstance(error: unknown): error is SnowflakeError {
    if (typeof error !== 'object' || error === null || !(synodErrorMarker in error)) return false
    const code: unknown = (error as { code?: unknown }).code
    return typeof code === 'string' && codes.has(code)
  }
}

const codes = new Set<string>([
  'ERR_CLOCK_ROLLBACK',
  'ERR_CLOCK_STALLED',
  'ERR_CLOCK_INVALID',
  'ERR_TIMESTAMP_OVERFLOW',
  'ERR_LEASE_EXPIRED',
])

function hasCode(error: unknown, code: SnowflakeErrorCode): boolean {
  return SnowflakeError.isInstance(error) && error.code === code
}

/**
 * The clock moved back further than the generator's `clockRollback` policy accepts:
 * always with the policy `'throw'`, and beyond `rollbackToleranceMs` with `'continue'`
 * and `'wait'`. Nothing was issued; the generator stays usable and issues again once
 * the clock is back within the tolerance.
 *
 * @example
 * ```ts
 * // clockRollback: 'throw', the clock steps back 5 ms:
 * generator.nextBigInt() // ClockRollbackError: clock moved back by 5 ms and clockRollback is 'throw'
 * ```
 */
export class ClockRollbackError extends SnowflakeError {
  /** How far the clock is behind the last issued timestamp, in ms (a multiple of the time unit). */
  readonly rollbackMs: number
  /** The start of the last issued tick, in Unix ms. */
  readonly lastTimestampMs: number
  /** What the clock read, in Unix ms. */
  readonly clockMs: number

  /**
   * @param rollbackMs - how far back the clock is, in ms
   * @param lastTimestampMs - the last issued timestamp, Unix ms
   * @param clockMs - the clock reading
   * @param toleranceMs - the tolerance that was exceeded, or `undefined` for the `'throw'` policy
   */
  constructor(rollbackMs: number, lastTimestampMs: number, clockMs: number, toleranceMs: number | undefined) {
    super(
      'ERR_CLOCK_ROLLBACK',
      toleranceMs === undefined
        ? `clock moved back by ${rollbackMs} ms and clockRollback is 'throw'`
        : `clock moved back by ${rollbackMs} ms, beyond the rollback tolerance of ${toleranceMs} ms`,
    )
    this.rollbackMs = rollbackMs
    this.lastTimestampMs = lastTimestampMs
    this.clockMs = clockMs
  }

  /**
   * @param error - anything caught
   * @returns whether `error` is a `ClockRollbackError`, from any copy of the package
   * @example
   * ```ts
   * ClockRollbackError.isInstance(error)
   * ```
   */
  static override isInstance(error: unknown): error is ClockRollbackError {
    return hasCode(error, 'ERR_CLOCK_ROLLBACK')
  }
}

/**
 * The clock returned the same value for so many reads in a row, while the generator was
 * busy-waiting for the next tick, that it cannot be a running clock (a frozen fake clock).
 *
 * @example
 * ```ts
 * const generator = new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 1, clock: () => 1.7e12 })
 * // after 4096 ids in that one millisecond:
 * generator.nextBigInt() // ClockStalledError: clock: returned 1700000000000 for 33554432 reads in a row ...
 * ```
 */
export class ClockStalledError extends SnowflakeError {
  /** The value the clock kept returning. */
  readonly clockMs: number

  /**
   * @param clockMs - the value the clock kept returning
   * @param reads - how many reads returned it
   */
  constructor(clockMs: number, reads: number) {
    super(
      'ERR_CLOCK_STALLED',
      `clock: returned ${clockMs} for ${reads} reads in a row while waiting for the next tick; is it frozen?`,
    )
    this.clockMs = clockMs
  }

  /**
   * @param error - anything caught
   * @returns whether `error` is a `ClockStalledError`, from any copy of the package
   * @example
   * ```ts
   * ClockStalledError.isInstance(error)
   * ```
   */
  static override isInstance(error: unknown): error is ClockStalledError {
    return hasCode(error, 'ERR_CLOCK_STALLED')
  }
}

/**
 * The clock returned something that is not a time at or after the layout's epoch
 * (`NaN`, `Infinity`, a non-number, or a time before the epoch).
 *
 * @example
 * ```ts
 * // clock: () => NaN
 * generator.nextBigInt() // ClockInvalidError: clock: expected a finite number of ms at or after the epoch 1288834974657, got NaN
 * ```
 */
export class ClockInvalidError extends SnowflakeError {
  /**
   * @param value - what the clock returned
   * @param epochMs - the layout's epoch
   */
  constructor(value: unknown, epochMs: number) {
    super(
      'ERR_CLOCK_INVALID',
      `clock: expected a finite number of ms at or after the epoch ${epochMs}, got ${typeof value === 'number' ? value : typeof value}`,
    )
  }

  /**
   * @param error - anything caught
   * @returns whether `error` is a `ClockInvalidError`, from any copy of the package
   * @example
   * ```ts
   * ClockInvalidError.isInstance(error)
   * ```
   */
  static override isInstance(error: unknown): error is ClockInvalidError {
    return hasCode(error, 'ERR_CLOCK_INVALID')
  }
}

/**
 * The clock is past the last instant the layout's timestamp bits can hold.
 *
 * @example
 * ```ts
 * // Twitter layout, clock in the year 2080:
 * generator.nextBigInt()
 * // TimestampOverflowError: timestamp: 2199023255552 ticks since the epoch do not fit in 41 bits;
 * //   the layout ran out of time at 2080-07-10T17:30:30.209Z
 * ```
 */
export class TimestampOverflowError extends SnowflakeError {
  /** The first Unix ms the layout cannot represent. */
  readonly endMs: number

  /**
   * @param ticks - the tick count that overflowed
   * @param bits - the timestamp width
   * @param endMs - the first Unix ms the layout cannot represent
   */
  constructor(ticks: number, bits: number, endMs: number) {
    super(
      'ERR_TIMESTAMP_OVERFLOW',
      `timestamp: ${ticks} ticks since the epoch do not fit in ${bits} bits; the layout ran out of time at ${isoOrNumber(endMs)}`,
    )
    this.endMs = endMs
  }

  /**
   * @param error - anything caught
   * @returns whether `error` is a `TimestampOverflowError`, from any copy of the package
   * @example
   * ```ts
   * TimestampOverflowError.isInstance(error)
   * ```
   */
  static override isInstance(error: unknown): error is TimestampOverflowError {
    return hasCode(error, 'ERR_TIMESTAMP_OVERFLOW')
  }
}

/**
 * The generator's worker-id lease expired: it refuses to start a new tick, because after
 * the lease (plus the maximum clock drift) the id may belong to someone else.
 *
 * @example
 * ```ts
 * generator.nextBigInt() // LeaseExpiredError: lease: node id 7 (fencing token 12) expired at 1700000030000, clock reads 1700000030001
 * ```
 */
export class LeaseExpiredError extends SnowflakeError {
  /**
   * @param nodeId - the leased node id
   * @param fencingToken - the lease's fencing token
   * @param expiresAtMs - when it expired
   * @param clockMs - the clock reading
   */
  constructor(nodeId: number, fencingToken: bigint, expiresAtMs: number, clockMs: number) {
    super(
      'ERR_LEASE_EXPIRED',
      `lease: node id ${nodeId} (fencing token ${fencingToken}) expired at ${expiresAtMs}, clock reads ${clockMs}`,
    )
  }

  /**
   * @param error - anything caught
   * @returns whether `error` is a `LeaseExpiredError`, from any copy of the package
   * @example
   * ```ts
   * LeaseExpiredError.isInstance(error)
   * ```
   */
  static override isInstance(error: unknown): error is LeaseExpiredError {
    return hasCode(error, 'ERR_LEASE_EXPIRED')
  }
}

/** @internal an ISO date when the value is a valid date, else the number itself */
export function isoOrNumber(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms)
}
