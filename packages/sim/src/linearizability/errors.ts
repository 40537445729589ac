/**
 * Typed errors of the history recorder, the history readers and the checker.
 * Each extends `SynodError` with a stable `code`; `isInstance` works across two
 * copies of the package.
 */
import { SynodError } from '@synod/transport'

/**
 * Stable error codes raised by the linearizability tools.
 *
 * @example
 * ```ts
 * if (SynodError.isInstance(error) && error.code === ('ERR_HISTORY_FORMAT' satisfies HistoryErrorCode)) showLine(error)
 * ```
 */
export type HistoryErrorCode =
  | 'ERR_HISTORY_UNKNOWN_OPERATION'
  | 'ERR_HISTORY_OPERATION_COMPLETED'
  | 'ERR_HISTORY_TIME_BACKWARDS'
  | 'ERR_HISTORY_INVALID_ARGUMENT'
  | 'ERR_HISTORY_FORMAT'
  | 'ERR_HISTORY_LIMIT'

function hasCode(error: unknown, code: HistoryErrorCode): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * `ok`, `fail` or `info` was called with an id that `invoke` never returned.
 *
 * @example
 * ```ts
 * const history = new HistoryRecorder()
 * history.ok(7, { value: 1 }, 10) // throws UnknownOperationError: operation 7 was never invoked
 * ```
 */
export class UnknownOperationError extends SynodError {
  /** The id that was passed. */
  readonly operationId: number
  constructor(operationId: number) {
    super('ERR_HISTORY_UNKNOWN_OPERATION', `operation ${operationId} was never invoked`)
    this.operationId = operationId
  }
  static override isInstance(error: unknown): error is UnknownOperationError {
    return hasCode(error, 'ERR_HISTORY_UNKNOWN_OPERATION')
  }
}

/**
 * An operation was completed (`ok`, `fail` or `info`) a second time.
 *
 * @example
 * ```ts
 * const id = history.invoke('c1', { type: 'read' }, 0)
 * history.ok(id, { value: null }, 1)
 * history.fail(id, 2) // throws OperationCompletedError: operation 0 was already completed (ok)
 * ```
 */
export class OperationCompletedError extends SynodError {
  readonly operationId: number
  /** How it was completed the first time. */
  readonly completion: 'ok' | 'fail' | 'info'
  constructor(operationId: number, completion: 'ok' | 'fail' | 'info') {
    super('ERR_HISTORY_OPERATION_COMPLETED', `operation ${operationId} was already completed (${completion})`)
    this.operationId = operationId
    this.completion = completion
  }
  static override isInstance(error: unknown): error is OperationCompletedError {
    return hasCode(error, 'ERR_HISTORY_OPERATION_COMPLETED')
  }
}

/**
 * An event of a process carries a time earlier than that process's previous event.
 *
 * @example
 * ```ts
 * history.invoke('c1', { type: 'read' }, 9)
 * history.invoke('c1', { type: 'read' }, 4)
 * // throws TimeBackwardsError: time 4 of process "c1" is before its previous event at time 9
 * ```
 */
export class TimeBackwardsError extends SynodError {
  readonly process: string | number
  readonly time: number
  readonly previousTime: number
  constructor(process: string | number, time: number, previousTime: number) {
    super(
      'ERR_HISTORY_TIME_BACKWARDS',
      `time ${time} of process ${JSON.stringify(process)} is before its previous event at time ${previousTime}`,
    )
    this.process = process
    this.time = time
    this.previousTime = previousTime
  }
  static override isInstance(error: unknown): error is TimeBackwardsError {
    return hasCode(error, 'ERR_HISTORY_TIME_BACKWARDS')
  }
}

/**
 * A recorder or checker argument of the wrong type or out of range (a time that
 * is not a finite number, a process that is neither a string nor an integer, a
 * negative budget…).
 *
 * @example
 * ```ts
 * history.invoke('c1', { type: 'read' }, Number.NaN)
 * // throws InvalidHistoryArgumentError: time: expected a finite number, got NaN
 * ```
 */
export class InvalidHistoryArgumentError extends SynodError {
  constructor(message: string) {
    super('ERR_HISTORY_INVALID_ARGUMENT', message)
  }
  static override isInstance(error: unknown): error is InvalidHistoryArgumentError {
    return hasCode(error, 'ERR_HISTORY_INVALID_ARGUMENT')
  }
}

/**
 * A history file that is not valid in its format. The message names the line
 * (1-based) and what is wrong with it.
 *
 * @example
 * ```ts
 * readJepsenLog('INFO  jepsen.util - 0\t:explode\t:read\tnil\n')
 * // throws HistoryFormatError: line 1: unknown type :explode (expected :invoke, :ok, :fail or :info)
 * ```
 */
export class HistoryFormatError extends SynodError {
  /** The 1-based line of the problem, or undefined when it concerns the whole file. */
  readonly line: number | undefined
  /** What is wrong, without the line prefix. */
  readonly reason: string
  constructor(line: number | undefined, reason: string) {
    super('ERR_HISTORY_FORMAT', line === undefined ? reason : `line ${line}: ${reason}`)
    this.line = line
    this.reason = reason
  }
  static override isInstance(error: unknown): error is HistoryFormatError {
    return hasCode(error, 'ERR_HISTORY_FORMAT')
  }
}

/**
 * A history (or a recorder) went over one of its limits: file size, line length
 * or operation count. Raised before the excess is processed.
 *
 * @example
 * ```ts
 * readJepsenLog(text, { maxOperations: 10 })
 * // throws HistoryLimitError: history has more than 10 operations (line 23)
 * ```
 */
export class HistoryLimitError extends SynodError {
  /** Which limit: `bytes`, `line-length` or `operations`. */
  readonly limit: 'bytes' | 'line-length' | 'operations'
  readonly maximum: number
  constructor(limit: 'bytes' | 'line-length' | 'operations', maximum: number, message: string) {
    super('ERR_HISTORY_LIMIT', message)
    this.limit = limit
    this.maximum = maximum
  }
  static override isInstance(error: unknown): error is HistoryLimitError {
    return hasCode(error, 'ERR_HISTORY_LIMIT')
  }
}
