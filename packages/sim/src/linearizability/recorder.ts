/**
 * Records a concurrent history as clients see it: invocations and their
 * completions, with virtual or real times.
 */
import {
  HistoryLimitError,
  InvalidHistoryArgumentError,
  OperationCompletedError,
  TimeBackwardsError,
  UnknownOperationError,
} from './errors.js'
import type { Operation } from './types.js'

/**
 * The default `maxOperations` of a recorder: one million.
 *
 * @example
 * ```ts
 * new HistoryRecorder({ maxOperations: DEFAULT_MAX_RECORDED_OPERATIONS * 4 })
 * ```
 */
export const DEFAULT_MAX_RECORDED_OPERATIONS = 1_000_000

/**
 * Options of `HistoryRecorder`.
 *
 * @example
 * ```ts
 * new HistoryRecorder({ maxOperations: 10_000 })
 * ```
 */
export interface HistoryRecorderOptions {
  /** Invocations beyond this throw `HistoryLimitError` (default 1,000,000). */
  maxOperations?: number
}

interface RecordedOperation<I, O> {
  id: number
  process: string | number
  input: I
  invokeTime: number
  completion: 'pending' | 'ok' | 'fail' | 'info'
  completeTime: number
  output: O | undefined
}

function assertTime(time: number): void {
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw new InvalidHistoryArgumentError(
      `time: expected a finite number, got ${typeof time === 'number' ? String(time) : typeof time}`,
    )
  }
}

function assertProcess(process: string | number): void {
  if (typeof process === 'string') return
  if (typeof process === 'number' && Number.isSafeInteger(process)) return
  throw new InvalidHistoryArgumentError(
    `process: expected a string or a safe integer, got ${typeof process === 'number' ? String(process) : typeof process}`,
  )
}

/**
 * Records invocations and completions of operations by client processes.
 *
 * - `ok(id, output, time)`: the operation took effect and returned `output`.
 * - `fail(id, time)`: it definitely did not take effect; it is dropped from the history.
 * - `info(id, time)`: its outcome is unknown (timeout, crash): it may have taken
 *   effect at any point after its invocation, or never; it stays open until the
 *   end of time. Operations never completed are treated the same way.
 *
 * Times are per history (virtual ticks or milliseconds); each process's times
 * must not go backwards.
 *
 * @example
 * ```ts
 * const history = new HistoryRecorder<RegisterInput, RegisterOutput>()
 * const write = history.invoke('c1', { type: 'write', value: 1 }, 0)
 * const read = history.invoke('c2', { type: 'read' }, 1)
 * history.ok(write, undefined, 2)
 * history.ok(read, { value: 1 }, 3)
 * checkLinearizability(history.operations(), registerModel).result // 'ok'
 * ```
 */
export class HistoryRecorder<I, O> {
  readonly #operations: RecordedOperation<I, O>[] = []
  readonly #lastTimeByProcess = new Map<string | number, number>()
  readonly #maxOperations: number

  constructor(options: HistoryRecorderOptions = {}) {
    const maxOperations = options.maxOperations ?? DEFAULT_MAX_RECORDED_OPERATIONS
    if (!Number.isSafeInteger(maxOperations) || maxOperations < 1) {
      throw new InvalidHistoryArgumentError(
        `maxOperations: expected a positive integer, got ${String(maxOperations)}`,
      )
    }
    this.#maxOperations = maxOperations
  }

  /** How many operations were invoked so far. */
  get size(): number {
    return this.#operations.length
  }

  /**
   * Records that `process` invoked an operation at `time`.
   *
   * @returns the operation's id, to pass to `ok`, `fail` or `info`.
   * @throws TimeBackwardsError when `time` is before the process's previous event.
   * @throws InvalidHistoryArgumentError for a non-finite time or a bad process.
   * @throws HistoryLimitError beyond `maxOperations`.
   * @example
   * ```ts
   * const id = history.invoke(3, { type: 'cas', from: 1, to: 2 }, 17)
   * ```
   */
  invoke(process: string | number, input: I, time: number): number {
    assertProcess(process)
    assertTime(time)
    if (this.#operations.length >= this.#maxOperations) {
      throw new HistoryLimitError(
        'operations',
        this.#maxOperations,
        `history has more than ${this.#maxOperations} operations`,
      )
    }
    this.#advance(process, time)
    const id = this.#operations.length
    this.#operations.push({
      id,
      process,
      input,
      invokeTime: time,
      completion: 'pending',
      completeTime: Number.POSITIVE_INFINITY,
      output: undefined,
    })
    return id
  }

  /**
   * Records that operation `id` took effect and returned `output` at `time`.
   *
   * @throws UnknownOperationError, OperationCompletedError, TimeBackwardsError, InvalidHistoryArgumentError
   * @example
   * ```ts
   * history.ok(id, { value: 3 }, 20)
   * ```
   */
  ok(id: number, output: O, time: number): void {
    const operation = this.#pending(id, time)
    operation.completion = 'ok'
    operation.completeTime = time
    operation.output = output
  }

  /**
   * Records that operation `id` definitely did not take effect: it is dropped from the history.
   *
   * @throws UnknownOperationError, OperationCompletedError, TimeBackwardsError, InvalidHistoryArgumentError
   * @example
   * ```ts
   * history.fail(id, 20) // e.g. a cas whose compare did not match
   * ```
   */
  fail(id: number, time: number): void {
    const operation = this.#pending(id, time)
    operation.completion = 'fail'
    operation.completeTime = time
  }

  /**
   * Records that the outcome of operation `id` is unknown as of `time`: it may
   * have taken effect at any point after its invocation, or never.
   *
   * @throws UnknownOperationError, OperationCompletedError, TimeBackwardsError, InvalidHistoryArgumentError
   * @example
   * ```ts
   * history.info(id, 20) // the request timed out
   * ```
   */
  info(id: number, time: number): void {
    const operation = this.#pending(id, time)
    operation.completion = 'info'
  }

  /**
   * The history so far, in invocation order, ready for `checkLinearizability`:
   * `ok` operations with their outputs, `info` and still pending ones with an
   * unknown outcome (`completeTime: Infinity`); `fail`ed ones left out.
   *
   * @example
   * ```ts
   * const verdict = checkLinearizability(history.operations(), kvModel)
   * ```
   */
  operations(): Operation<I, O>[] {
    const result: Operation<I, O>[] = []
    for (const operation of this.#operations) {
      if (operation.completion === 'fail') continue
      const base = { id: operation.id, process: operation.process, input: operation.input }
      if (operation.completion === 'ok') {
        result.push({
          ...base,
          invokeTime: operation.invokeTime,
          completeTime: operation.completeTime,
          outcome: { type: 'ok', output: operation.output as O },
        })
      } else {
        result.push({
          ...base,
          invokeTime: operation.invokeTime,
          completeTime: Number.POSITIVE_INFINITY,
          outcome: { type: 'info' },
        })
      }
    }
    return result
  }

  #pending(id: number, time: number): RecordedOperation<I, O> {
    const operation = Number.isSafeInteger(id) ? this.#operations[id] : undefined
    if (operation === undefined) throw new UnknownOperationError(id)
    if (operation.completion !== 'pending') throw new OperationCompletedError(id, operation.completion)
    assertTime(time)
    this.#advance(operation.process, time)
    return operation
  }

  #advance(process: string | number, time: number): void {
    const previous = this.#lastTimeByProcess.get(process)
    if (previous !== undefined && time < previous) throw new TimeBackwardsError(process, time, previous)
    this.#lastTimeByProcess.set(process, time)
  }
}
