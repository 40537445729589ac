/**
 * Typed errors of `@synod/crypto`. Argument mistakes raise the built-in `TypeError`
 * (wrong type) and `RangeError` (wrong value), like noble; failures of the
 * machinery (a worker thread that died, a closed verifier) raise a `CryptoError`
 * with a stable `code`. `CryptoError` carries the same `Symbol.for('@synod/error')`
 * marker as every Synod error, so `SynodError.isInstance` from `@synod/transport`
 * recognises it too, without this package depending on that one.
 */

const synodErrorMarker = Symbol.for('@synod/error')

/**
 * Stable codes of the errors this package raises on purpose.
 *
 * @example
 * ```ts
 * const code: CryptoErrorCode = 'ERR_WORKER_CRASHED'
 * ```
 */
export type CryptoErrorCode = 'ERR_WORKER_CRASHED' | 'ERR_BATCH_VERIFIER_CLOSED'

const cryptoErrorCodes: ReadonlySet<unknown> = new Set<CryptoErrorCode>([
  'ERR_WORKER_CRASHED',
  'ERR_BATCH_VERIFIER_CLOSED',
])

/**
 * The base class of the typed errors of `@synod/crypto`.
 *
 * @example
 * ```ts
 * try { await verifier.verify(items) } catch (error) {
 *   if (CryptoError.isInstance(error)) console.log(error.code) // 'ERR_WORKER_CRASHED'
 * }
 * ```
 */
export class CryptoError extends Error {
  /** A stable machine-readable code such as `ERR_WORKER_CRASHED`. */
  readonly code: CryptoErrorCode
  /** @internal marks Synod errors across package copies */
  readonly [synodErrorMarker] = true

  /**
   * @param code - the stable code
   * @param message - the human-readable message
   * @param options - the underlying cause, if any
   */
  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }

  /**
   * True for an error of this package, even one thrown by another copy of it.
   *
   * @param error - any thrown value
   * @returns whether `error` is a `CryptoError`
   * @example
   * ```ts
   * CryptoError.isInstance(new Error('x')) // false
   * ```
   */
  static isInstance(error: unknown): error is CryptoError {
    return (
      typeof error === 'object' &&
      error !== null &&
      synodErrorMarker in error &&
      cryptoErrorCodes.has((error as { code?: unknown }).code)
    )
  }
}

/**
 * A verification worker thread died (threw, ran out of memory, or was terminated)
 * while it held part of a batch; the whole batch is rejected, never left pending.
 * The verifier replaces the worker on its next batch.
 *
 * @example
 * ```ts
 * try { await verifier.verify(items) } catch (error) {
 *   if (WorkerCrashedError.isInstance(error)) console.log(error.threadId, error.exitCode)
 * }
 * ```
 */
export class WorkerCrashedError extends CryptoError {
  /** The `threadId` of the worker that died. */
  readonly threadId: number
  /** Its exit code, when it exited rather than threw. */
  readonly exitCode: number | undefined

  /**
   * @param threadId - the dead worker's thread id
   * @param exitCode - its exit code, if it exited
   * @param cause - the error it threw, if any
   */
  constructor(threadId: number, exitCode: number | undefined, cause?: unknown) {
    const how = exitCode === undefined ? 'threw' : `exited with code ${exitCode}`
    super('ERR_WORKER_CRASHED', `verification worker ${threadId} ${how} with a batch pending`, { cause })
    this.threadId = threadId
    this.exitCode = exitCode
  }

  /**
   * @param error - any thrown value
   * @returns whether `error` is a `WorkerCrashedError` (from any copy of the package)
   * @example
   * ```ts
   * WorkerCrashedError.isInstance(error)
   * ```
   */
  static override isInstance(error: unknown): error is WorkerCrashedError {
    return CryptoError.isInstance(error) && error.code === 'ERR_WORKER_CRASHED'
  }
}

/**
 * The batch verifier was closed: batches pending at `close()` and any later call reject with it.
 *
 * @example
 * ```ts
 * await verifier.close()
 * await verifier.verify(items) // rejects with BatchVerifierClosedError
 * ```
 */
export class BatchVerifierClosedError extends CryptoError {
  constructor() {
    super('ERR_BATCH_VERIFIER_CLOSED', 'batch verifier is closed')
  }

  /**
   * @param error - any thrown value
   * @returns whether `error` is a `BatchVerifierClosedError` (from any copy of the package)
   * @example
   * ```ts
   * BatchVerifierClosedError.isInstance(error)
   * ```
   */
  static override isInstance(error: unknown): error is BatchVerifierClosedError {
    return CryptoError.isInstance(error) && error.code === 'ERR_BATCH_VERIFIER_CLOSED'
  }
}
