/**
 * Typed errors of `@synod/quorum`. Each extends `SynodError` from
 * `@synod/transport`, carries a stable `code`, and is recognised across two
 * copies of the package by its static `isInstance`.
 */
import { SynodError } from '@synod/transport'

/**
 * Stable error codes raised by `@synod/quorum`.
 *
 * @example
 * ```ts
 * const code: QuorumErrorCode = 'ERR_QUORUM_TIMEOUT'
 * ```
 */
export type QuorumErrorCode =
  | 'ERR_QUORUM_TIMEOUT'
  | 'ERR_QUORUM_CLOSED'
  | 'ERR_QUORUM_TOO_MANY_PENDING'
  | 'ERR_LEASE_HELD'
  | 'ERR_STALE_TOKEN'

function hasCode(error: unknown, code: QuorumErrorCode): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * An operation did not gather its quorum in time. When `phase` is `'store'`
 * the write may still have reached some replicas: its outcome is unknown.
 *
 * @example
 * ```ts
 * try { await register.write('x', 'v') } catch (error) {
 *   if (QuorumTimeoutError.isInstance(error)) console.log(error.phase, error.replies)
 * }
 * ```
 */
export class QuorumTimeoutError extends SynodError {
  /** What timed out: `read`, `write`, `update`, `get` or `put`. */
  readonly operation: string
  /** The key of the operation. */
  readonly key: string
  /** The phase that did not complete: `query` (nothing written) or `store` (outcome unknown). */
  readonly phase: 'query' | 'store'
  /** Replies gathered in that phase. */
  readonly replies: number
  constructor(operation: string, key: string, phase: 'query' | 'store', replies: number) {
    super(
      'ERR_QUORUM_TIMEOUT',
      `${operation} "${key}" timed out in the ${phase} phase with ${replies} ${replies === 1 ? 'reply' : 'replies'}`,
    )
    this.operation = operation
    this.key = key
    this.phase = phase
    this.replies = replies
  }
  static override isInstance(error: unknown): error is QuorumTimeoutError {
    return hasCode(error, 'ERR_QUORUM_TIMEOUT')
  }
}

/**
 * The register, store or lease service was closed: pending operations fail with it, and new ones are refused.
 *
 * @example
 * ```ts
 * await register.close()
 * await register.read('x') // rejects with QuorumClosedError
 * ```
 */
export class QuorumClosedError extends SynodError {
  constructor(what: string) {
    super('ERR_QUORUM_CLOSED', `${what} is closed`)
  }
  static override isInstance(error: unknown): error is QuorumClosedError {
    return hasCode(error, 'ERR_QUORUM_CLOSED')
  }
}

/**
 * More operations are pending than `maxPendingOperations` allows: the caller must slow down.
 *
 * @example
 * ```ts
 * const register = new QuorumRegister({ transport, system, maxPendingOperations: 1 })
 * void register.read('x')
 * await register.read('y') // rejects with TooManyPendingError
 * ```
 */
export class TooManyPendingError extends SynodError {
  /** The limit that was reached. */
  readonly limit: number
  constructor(limit: number) {
    super('ERR_QUORUM_TOO_MANY_PENDING', `too many pending operations: the limit is ${limit}`)
    this.limit = limit
  }
  static override isInstance(error: unknown): error is TooManyPendingError {
    return hasCode(error, 'ERR_QUORUM_TOO_MANY_PENDING')
  }
}

/**
 * A lease is held by another holder and has not expired.
 *
 * @example
 * ```ts
 * try { await leases.acquire('leader', { holder: 'b', leaseMs: 1_000 }) } catch (error) {
 *   if (LeaseHeldError.isInstance(error)) console.log(error.holder, error.expiresAtMs)
 * }
 * ```
 */
export class LeaseHeldError extends SynodError {
  /** The lease's name. */
  readonly lease: string
  /** Who holds it. */
  readonly holder: string
  /** When it expires, on the clock of the holder's lease service. */
  readonly expiresAtMs: number
  constructor(lease: string, holder: string, expiresAtMs: number) {
    super('ERR_LEASE_HELD', `lease "${lease}" is held by "${holder}" until ${expiresAtMs}`)
    this.lease = lease
    this.holder = holder
    this.expiresAtMs = expiresAtMs
  }
  static override isInstance(error: unknown): error is LeaseHeldError {
    return hasCode(error, 'ERR_LEASE_HELD')
  }
}

/**
 * A fenced resource refused a write whose token is lower than one it has already seen:
 * the writer's lease was superseded (a paused or partitioned old leader).
 *
 * @example
 * ```ts
 * storage.write('x', 'v', oldToken) // throws StaleTokenError
 * ```
 */
export class StaleTokenError extends SynodError {
  /** The token the write carried. */
  readonly token: { readonly counter: number; readonly writer: string }
  /** The highest token the resource had seen. */
  readonly highest: { readonly counter: number; readonly writer: string }
  constructor(
    token: { readonly counter: number; readonly writer: string },
    highest: { readonly counter: number; readonly writer: string },
  ) {
    super(
      'ERR_STALE_TOKEN',
      `stale fencing token ${token.counter}/${token.writer}: the resource has seen ${highest.counter}/${highest.writer}`,
    )
    this.token = token
    this.highest = highest
  }
  static override isInstance(error: unknown): error is StaleTokenError {
    return hasCode(error, 'ERR_STALE_TOKEN')
  }
}
