/**
 * Typed errors of `@synod/maelstrom`. Errors a key-value backend rejects with
 * carry the Maelstrom error code they map to and whether that code is
 * definite (the operation certainly did not and never will happen) or not.
 */
import { SynodError } from '@synod/transport'

/**
 * Maelstrom's error codes (doc/protocol.md). Codes 0 (`timeout`) and 13
 * (`crash`) are indefinite: the operation may or may not have happened. Every
 * other code is definite: it certainly did not happen and never will.
 *
 * @example
 * ```ts
 * MAELSTROM_ERROR_CODES['precondition-failed'] // 22
 * ```
 */
export const MAELSTROM_ERROR_CODES = {
  timeout: 0,
  'node-not-found': 1,
  'not-supported': 10,
  'temporarily-unavailable': 11,
  'malformed-request': 12,
  crash: 13,
  abort: 14,
  'key-does-not-exist': 20,
  'key-already-exists': 21,
  'precondition-failed': 22,
  'txn-conflict': 30,
} as const

/**
 * The name of a Maelstrom error code, such as `'key-does-not-exist'`.
 *
 * @example
 * ```ts
 * const name: MaelstromErrorName = 'temporarily-unavailable'
 * MAELSTROM_ERROR_CODES[name] // 11
 * ```
 */
export type MaelstromErrorName = keyof typeof MAELSTROM_ERROR_CODES

const indefiniteCodes: ReadonlySet<number> = new Set([
  MAELSTROM_ERROR_CODES.timeout,
  MAELSTROM_ERROR_CODES.crash,
])
const knownCodes: ReadonlySet<number> = new Set(Object.values(MAELSTROM_ERROR_CODES))

/**
 * Whether a Maelstrom error code is definite: the operation certainly did not
 * happen. Codes 0 and 13 are indefinite; so is any code Maelstrom does not
 * define (codes of 1000 and above are application-defined, and a client cannot
 * know what they promise).
 *
 * @param code - an error code from an `error` reply
 * @returns true only for Maelstrom's definite codes (1, 10, 11, 12, 14, 20, 21, 22, 30)
 * @example
 * ```ts
 * isDefiniteErrorCode(22) // true: the cas definitely did nothing
 * isDefiniteErrorCode(0)  // false: the write may have happened
 * ```
 */
export function isDefiniteErrorCode(code: number): boolean {
  return knownCodes.has(code) && !indefiniteCodes.has(code)
}

const requestErrorMarker = Symbol.for('@synod/maelstrom/request-error')

/**
 * The base of every error that becomes a Maelstrom `error` reply. `maelstromCode`
 * is the reply's `code`; `definite` says whether the operation certainly did
 * not happen (derived from the code, never chosen freely).
 *
 * @example
 * ```ts
 * try { await backend.read(1) } catch (error) {
 *   if (MaelstromRequestError.isInstance(error)) reply({ type: 'error', code: error.maelstromCode, text: error.message })
 * }
 * ```
 */
export class MaelstromRequestError extends SynodError {
  /** The Maelstrom error code of the reply. */
  readonly maelstromCode: number
  /** True when the operation certainly did not happen and never will. */
  readonly definite: boolean
  /** @internal marks request errors across package copies */
  readonly [requestErrorMarker] = true

  constructor(code: string, maelstromCode: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.maelstromCode = maelstromCode
    this.definite = isDefiniteErrorCode(maelstromCode)
  }

  /** True for any request error, even one thrown by another copy of the package. */
  static override isInstance(error: unknown): error is MaelstromRequestError {
    return SynodError.isInstance(error) && requestErrorMarker in error
  }
}

function hasCode(error: unknown, code: string): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * Maelstrom code 20 (definite): a read or cas of a key that was never written.
 *
 * @example
 * ```ts
 * throw new KeyDoesNotExistError(3) // key 3 does not exist
 * ```
 */
export class KeyDoesNotExistError extends MaelstromRequestError {
  /** The key, as the request gave it. */
  readonly key: unknown
  constructor(key: unknown) {
    super('ERR_KEY_DOES_NOT_EXIST', 20, `key ${JSON.stringify(key)} does not exist`)
    this.key = key
  }
  static override isInstance(error: unknown): error is KeyDoesNotExistError {
    return hasCode(error, 'ERR_KEY_DOES_NOT_EXIST')
  }
}

/**
 * Maelstrom code 22 (definite): a cas whose `from` did not match the current value.
 *
 * @example
 * ```ts
 * throw new PreconditionFailedError(1, 2, 3) // key 1: expected 2, found 3
 * ```
 */
export class PreconditionFailedError extends MaelstromRequestError {
  readonly key: unknown
  readonly expected: unknown
  readonly actual: unknown
  constructor(key: unknown, expected: unknown, actual: unknown) {
    super(
      'ERR_PRECONDITION_FAILED',
      22,
      `key ${JSON.stringify(key)}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`,
    )
    this.key = key
    this.expected = expected
    this.actual = actual
  }
  static override isInstance(error: unknown): error is PreconditionFailedError {
    return hasCode(error, 'ERR_PRECONDITION_FAILED')
  }
}

/**
 * Maelstrom code 11 (definite): the operation was not performed and never will
 * be (not initialized yet, too many requests in flight, nothing was sent).
 * Never use it when the operation may have taken effect.
 *
 * @example
 * ```ts
 * throw new TemporarilyUnavailableError('node is not initialized yet')
 * ```
 */
export class TemporarilyUnavailableError extends MaelstromRequestError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('ERR_TEMPORARILY_UNAVAILABLE', 11, `temporarily unavailable: ${reason}`, options)
  }
  static override isInstance(error: unknown): error is TemporarilyUnavailableError {
    return hasCode(error, 'ERR_TEMPORARILY_UNAVAILABLE')
  }
}

/**
 * Maelstrom code 11 (definite): this node is not the leader and the operation
 * was certainly not applied here; `leaderHint` names the leader when known.
 * A backend that may already have appended the operation must not use it: it
 * rejects with `OperationTimeoutError` instead.
 *
 * @example
 * ```ts
 * throw new NotLeaderError('n2') // not the leader (leader hint: n2)
 * ```
 */
export class NotLeaderError extends MaelstromRequestError {
  /** The node believed to be the leader, when known. */
  readonly leaderHint: string | undefined
  constructor(leaderHint?: string) {
    super(
      'ERR_NOT_LEADER',
      11,
      leaderHint === undefined
        ? 'not the leader (leader unknown)'
        : `not the leader (leader hint: ${leaderHint})`,
    )
    this.leaderHint = leaderHint
  }
  static override isInstance(error: unknown): error is NotLeaderError {
    return hasCode(error, 'ERR_NOT_LEADER')
  }
}

/**
 * Maelstrom code 0 (indefinite): no outcome was observed in time. The
 * operation may have happened, may happen later, or may never happen.
 *
 * @example
 * ```ts
 * throw new OperationTimeoutError(1000)
 * ```
 */
export class OperationTimeoutError extends MaelstromRequestError {
  readonly timeoutMs: number
  constructor(timeoutMs: number, detail = 'the operation may or may not take effect') {
    super('ERR_OPERATION_TIMEOUT', 0, `no outcome within ${timeoutMs} ms: ${detail}`)
    this.timeoutMs = timeoutMs
  }
  static override isInstance(error: unknown): error is OperationTimeoutError {
    return hasCode(error, 'ERR_OPERATION_TIMEOUT')
  }
}

/**
 * Maelstrom code 12 (definite): the request is missing a field or has one of the wrong type.
 *
 * @example
 * ```ts
 * throw new MalformedRequestError('write: missing field "value"')
 * ```
 */
export class MalformedRequestError extends MaelstromRequestError {
  constructor(reason: string) {
    super('ERR_MALFORMED_REQUEST', 12, `malformed request: ${reason}`)
  }
  static override isInstance(error: unknown): error is MalformedRequestError {
    return hasCode(error, 'ERR_MALFORMED_REQUEST')
  }
}

/**
 * Maelstrom code 10 (definite): a request type this node does not implement.
 *
 * @example
 * ```ts
 * throw new NotSupportedError('txn') // request type "txn" is not supported
 * ```
 */
export class NotSupportedError extends MaelstromRequestError {
  readonly requestType: string
  constructor(requestType: string) {
    super('ERR_NOT_SUPPORTED', 10, `request type ${JSON.stringify(requestType)} is not supported`)
    this.requestType = requestType
  }
  static override isInstance(error: unknown): error is NotSupportedError {
    return hasCode(error, 'ERR_NOT_SUPPORTED')
  }
}

/**
 * Maelstrom code 13 (indefinite): the backend failed in an unexpected way, so
 * the outcome is unknown. Any error that is not a `MaelstromRequestError` is
 * reported this way.
 *
 * @example
 * ```ts
 * throw new CrashError('state machine threw', { cause })
 * ```
 */
export class CrashError extends MaelstromRequestError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('ERR_CRASH', 13, `internal error, outcome unknown: ${reason}`, options)
  }
  static override isInstance(error: unknown): error is CrashError {
    return hasCode(error, 'ERR_CRASH')
  }
}

/**
 * A command line that cannot be run: an unknown flag, a missing or bad value.
 *
 * @example
 * ```ts
 * parseServerArguments(['--workload', 'echo']) // throws UsageError: --workload: expected lin-kv, got "echo"
 * ```
 */
export class UsageError extends SynodError {
  constructor(message: string) {
    super('ERR_USAGE', message)
  }
  static override isInstance(error: unknown): error is UsageError {
    return hasCode(error, 'ERR_USAGE')
  }
}

/**
 * A backend that is named but cannot be used in this build.
 *
 * @example
 * ```ts
 * resolveBackend('raft') // throws BackendNotAvailableError
 * ```
 */
export class BackendNotAvailableError extends SynodError {
  readonly backend: string
  constructor(backend: string, reason: string) {
    super('ERR_BACKEND_NOT_AVAILABLE', `backend "${backend}" is not available yet: ${reason}`)
    this.backend = backend
  }
  static override isInstance(error: unknown): error is BackendNotAvailableError {
    return hasCode(error, 'ERR_BACKEND_NOT_AVAILABLE')
  }
}

/**
 * The harness could not run: the binary is not built, a node did not start or
 * did not answer `init`.
 *
 * @example
 * ```ts
 * throw new HarnessError('node n1 did not answer init within 10000 ms')
 * ```
 */
export class HarnessError extends SynodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_HARNESS', message, options)
  }
  static override isInstance(error: unknown): error is HarnessError {
    return hasCode(error, 'ERR_HARNESS')
  }
}
