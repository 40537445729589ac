/**
 * The one error class of this package that is not a plain `TypeError`/`RangeError`.
 * It carries a stable `code` and the `Symbol.for('@synod/error')` marker, so
 * `SynodError.isInstance` from `@synod/transport` recognises it without this
 * package depending on that one.
 */

const synodErrorMarker = Symbol.for('@synod/error')

/**
 * Thrown by a lookup on a structure that has no node to answer with.
 *
 * @example
 * ```ts
 * const ring = new HashRing()
 * try { ring.get('user:1') } catch (error) {
 *   if (EmptyRingError.isInstance(error)) console.log(error.message) // get: there are no nodes
 * }
 * ```
 */
export class EmptyRingError extends Error {
  /** Always `ERR_EMPTY_RING`. */
  readonly code = 'ERR_EMPTY_RING'
  /** @internal marks Synod errors across package copies */
  readonly [synodErrorMarker] = true

  /**
   * @param operation - the method that was called, e.g. `get`
   */
  constructor(operation: string) {
    super(`${operation}: there are no nodes`)
    this.name = 'EmptyRingError'
  }

  /**
   * True for an `EmptyRingError`, even one thrown by another copy of this package.
   *
   * @param error - any caught value
   * @returns whether it is an empty-ring error
   */
  static isInstance(error: unknown): error is EmptyRingError {
    return (
      typeof error === 'object' &&
      error !== null &&
      synodErrorMarker in error &&
      (error as { code?: unknown }).code === 'ERR_EMPTY_RING'
    )
  }
}
