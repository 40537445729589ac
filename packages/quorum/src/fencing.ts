/**
 * Split-brain protection with fencing tokens (Lamport's and Kleppmann's
 * recipe): a lease service hands out tokens through quorum writes, so a later
 * lease always carries a higher token, and a resource refuses any write whose
 * token is lower than the highest it has seen. A leader that was paused past
 * its lease (a GC pause, a stopped VM) and wakes up believing it still leads
 * is stopped at the resource, whatever its clock says.
 */
import type { Version } from './core/version.js'
import { compareVersions, isVersion } from './core/version.js'
import { LeaseHeldError, StaleTokenError } from './errors.js'
import { assertClock, type Clock, systemClock } from './node/clock.js'
import type { QuorumRegister } from './node/register.js'
import { assertIntegerInRange, assertKey, assertNonEmptyString, assertObject, show } from './validate.js'

/**
 * A fencing token: the version of the quorum write that granted the lease.
 * Ordered by `counter`, then `writer`; leases granted one after another get
 * strictly increasing counters.
 *
 * @example
 * ```ts
 * const token: FencingToken = { counter: 7, writer: 'leader-b' }
 * ```
 */
export type FencingToken = Version

/**
 * Orders two fencing tokens: negative when `a` is older, 0 when equal, positive when newer.
 *
 * @example
 * ```ts
 * compareTokens({ counter: 2, writer: 'a' }, { counter: 3, writer: 'a' }) // -1
 * ```
 */
export function compareTokens(a: FencingToken, b: FencingToken): number {
  return compareVersions(a, b)
}

function assertToken(token: unknown): FencingToken {
  if (!isVersion(token))
    throw new TypeError(`token: expected a fencing token { counter, writer }, got ${show(token)}`)
  return token
}

/**
 * A granted lease.
 *
 * @example
 * ```ts
 * const { token, expiresAtMs } = await leases.acquire('leader', { holder: 'a', leaseMs: 5_000 })
 * ```
 */
export interface Lease {
  readonly name: string
  readonly holder: string
  /** Carry it with every write to a fenced resource. */
  readonly token: FencingToken
  /** When the lease ends, on this service's clock. */
  readonly expiresAtMs: number
}

interface LeaseRecord {
  holder: string
  expiresAtMs: number
}

function parseRecord(value: string | Uint8Array | null): LeaseRecord | undefined {
  if (typeof value !== 'string') return undefined
  try {
    const parsed = JSON.parse(value) as LeaseRecord
    if (typeof parsed.holder === 'string' && typeof parsed.expiresAtMs === 'number') return parsed
  } catch {}
  return undefined
}

/**
 * Options of {@link LeaseService}.
 *
 * @example
 * ```ts
 * const options: LeaseServiceOptions = { register, clock: systemClock }
 * ```
 */
export interface LeaseServiceOptions {
  /** The quorum register leases are stored in (key `lease:<name>`). */
  register: QuorumRegister
  /** The clock lease expiry is measured on (default: real time). */
  clock?: Clock
}

/**
 * Leases with fencing tokens, stored in a {@link QuorumRegister}. `acquire`
 * reads the lease from a read quorum and, when it is free, expired, or already
 * the caller's, writes the new holder to a write quorum: the version of that
 * write is the token, higher than the token of every lease granted before.
 *
 * The lease itself is advisory: its expiry is measured on the acquirer's clock,
 * and two acquisitions that overlap in time may both succeed. Safety comes from
 * the tokens: a {@link FencedStore} (or any resource that checks them) accepts
 * only the newest holder's writes.
 *
 * @example
 * ```ts
 * const leases = new LeaseService({ register })
 * const lease = await leases.acquire('leader', { holder: 'node-a', leaseMs: 2_000 })
 * storage.write('config', 'v2', lease.token)
 * ```
 */
export class LeaseService {
  private readonly register: QuorumRegister
  private readonly clock: Clock

  constructor(options: LeaseServiceOptions) {
    assertObject('options', options)
    const register = options.register as unknown as { update?: unknown } | null
    if (typeof register !== 'object' || register === null || typeof register.update !== 'function')
      throw new TypeError(`register: expected a QuorumRegister, got ${show(options.register)}`)
    this.register = options.register
    this.clock = assertClock(options.clock ?? systemClock)
  }

  /**
   * Acquires (or renews) lease `name` for `holder` for `leaseMs`.
   * @throws {LeaseHeldError} when another holder's lease has not expired
   * @throws {QuorumTimeoutError} when no quorum answered in time
   * @throws {TypeError} / {RangeError} (as rejections) for a bad name, holder or duration
   * @example
   * ```ts
   * const lease = await leases.acquire('leader', { holder: 'node-a', leaseMs: 2_000 })
   * ```
   */
  async acquire(name: string, options: { holder: string; leaseMs: number }): Promise<Lease> {
    assertKey(name, 1_000)
    assertObject('options', options)
    const holder = assertNonEmptyString('holder', options.holder)
    const leaseMs = assertIntegerInRange('leaseMs', options.leaseMs, 1, 86_400_000)
    let expiresAtMs = 0
    let held: LeaseRecord | undefined
    const outcome = await this.register.update(`lease:${name}`, (current) => {
      const now = this.clock.now()
      const record = parseRecord(current.value)
      if (
        record !== undefined &&
        record.holder !== holder &&
        record.holder !== '' &&
        now < record.expiresAtMs
      ) {
        held = record
        return { abort: 'held' }
      }
      expiresAtMs = now + leaseMs
      return { value: JSON.stringify({ holder, expiresAtMs }) }
    })
    if (!outcome.written) {
      if (held === undefined) throw new Error(`lease "${name}": ${outcome.reason}`)
      throw new LeaseHeldError(name, held.holder, held.expiresAtMs)
    }
    return { name, holder, token: outcome.version, expiresAtMs }
  }

  /**
   * Releases lease `name` if `token` is still its latest grant; returns whether it did.
   * @throws {QuorumTimeoutError} when no quorum answered in time
   * @example
   * ```ts
   * await leases.release('leader', lease.token) // true
   * ```
   */
  async release(name: string, token: FencingToken): Promise<boolean> {
    assertKey(name, 1_000)
    assertToken(token)
    const outcome = await this.register.update(`lease:${name}`, (current) =>
      compareVersions(current.version, token) === 0
        ? { value: JSON.stringify({ holder: '', expiresAtMs: 0 }) }
        : { abort: 'superseded' },
    )
    return outcome.written
  }
}

/**
 * A storage resource that checks fencing tokens: a write carrying a token lower
 * than the highest it has accepted is refused with `StaleTokenError`. Equal
 * tokens pass (one holder writes many times). Keep one per resource that one
 * lease protects; in a real system this check lives inside the storage server.
 *
 * @example
 * ```ts
 * const storage = new FencedStore<string>()
 * storage.write('x', 'new', { counter: 8, writer: 'b' })
 * storage.write('x', 'old', { counter: 7, writer: 'a' }) // throws StaleTokenError
 * storage.read('x') // 'new'
 * ```
 */
export class FencedStore<V> {
  private readonly values = new Map<string, V>()
  private highest: FencingToken | undefined
  /** Writes refused for a stale token. */
  rejectedWrites = 0

  /** The highest token accepted so far. */
  get highestToken(): FencingToken | undefined {
    return this.highest
  }

  /**
   * Writes `value` under `key` if `token` is not older than any token seen.
   * @throws {StaleTokenError} for a stale token
   * @throws {TypeError} for something that is not a token
   */
  write(key: string, value: V, token: FencingToken): void {
    if (typeof key !== 'string') throw new TypeError(`key: expected a string, got ${show(key)}`)
    assertToken(token)
    if (this.highest !== undefined && compareVersions(token, this.highest) < 0) {
      this.rejectedWrites++
      throw new StaleTokenError(token, this.highest)
    }
    this.highest = { counter: token.counter, writer: token.writer }
    this.values.set(key, value)
  }

  /** The value under `key`, if any. */
  read(key: string): V | undefined {
    return this.values.get(key)
  }
}
