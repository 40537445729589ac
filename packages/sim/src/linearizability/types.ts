/**
 * The shapes shared by the recorder, the readers, the models and the checker.
 */

/**
 * How an operation ended, as far as the history knows: `ok` with its output, or
 * `info` when the outcome is unknown (a timeout, a crashed client). An `info`
 * operation may have taken effect at any point after its invocation, or never.
 * Operations that definitely did not happen (`fail`) are not part of a history.
 *
 * @example
 * ```ts
 * const done: Outcome<{ value: number }> = { type: 'ok', output: { value: 3 } }
 * const unknown: Outcome<{ value: number }> = { type: 'info' }
 * ```
 */
export type Outcome<O> = { readonly type: 'ok'; readonly output: O } | { readonly type: 'info' }

/**
 * One operation of a history: who invoked what, when, and how it ended.
 *
 * @example
 * ```ts
 * const write: Operation<RegisterInput, RegisterOutput> = {
 *   id: 0, process: 'c1', input: { type: 'write', value: 1 },
 *   invokeTime: 0, completeTime: 5, outcome: { type: 'ok', output: undefined },
 * }
 * ```
 */
export interface Operation<I, O> {
  /** Unique within the history. */
  readonly id: number
  /** The client that invoked it. */
  readonly process: string | number
  readonly input: I
  /** When it was invoked (any unit, as long as the whole history uses the same one). */
  readonly invokeTime: number
  /** When it completed; `Infinity` when its outcome is unknown (`info`). */
  readonly completeTime: number
  readonly outcome: Outcome<O>
}

/**
 * The result of applying one operation to a model state: `ok: false` when the
 * operation cannot have produced its output from that state.
 *
 * @example
 * ```ts
 * const accepted: StepResult<number> = { ok: true, state: 4 }
 * const rejected: StepResult<number> = { ok: false }
 * ```
 */
export type StepResult<S> = { readonly ok: true; readonly state: S } | { readonly ok: false }

/**
 * A sequential specification that histories are checked against. Implement it
 * for your own state machine; states must be treated as immutable.
 *
 * @example
 * ```ts
 * // A counter with `inc` (no output) and `get` (returns the count).
 * const counterModel: Model<number, { type: 'inc' } | { type: 'get' }, number | undefined> = {
 *   name: 'counter',
 *   init: () => 0,
 *   step(state, input, outcome) {
 *     if (input.type === 'inc') return { ok: true, state: state + 1 }
 *     if (outcome.type === 'info' || outcome.output === state) return { ok: true, state }
 *     return { ok: false }
 *   },
 *   stateKey: (state) => state,
 * }
 * ```
 */
export interface Model<S, I, O> {
  /** Shown in diagnostics. */
  readonly name: string
  /** The state before any operation (of one partition, when `partition` is set). */
  init(): S
  /**
   * Applies `input` to `state`. With an `ok` outcome, says whether the operation
   * could have returned `outcome.output`; with an `info` outcome the output is
   * unknown and any output is acceptable.
   */
  step(state: S, input: I, outcome: Outcome<O>): StepResult<S>
  /**
   * A key that is equal for two states exactly when they are equal: the checker
   * remembers which (linearized operations, state) pairs it has explored by it.
   */
  stateKey(state: S): string | number
  /**
   * When present, the history is split by this key and each part is checked on
   * its own, from `init()`: the model's state then describes one part only (one
   * key of a key-value store). Only valid when parts are independent.
   */
  partition?(input: I): string
  /**
   * When present and true for an input, that operation never changes the state
   * (a read). Such operations with an unknown outcome constrain nothing, and the
   * checker leaves them out, which keeps the search small.
   */
  isReadOnly?(input: I): boolean
}

/**
 * The verdict of `checkLinearizability`.
 *
 * @example
 * ```ts
 * const verdict: CheckResult = { result: 'ok', ops: 120, ms: 3, partitions: 1 }
 * ```
 */
export interface CheckResult {
  /** `ok`: linearizable; `illegal`: not linearizable; `unknown`: the budget ran out first. */
  readonly result: 'ok' | 'illegal' | 'unknown'
  /** Operations checked (`fail`ed operations are not part of a history). */
  readonly ops: number
  /** Wall-clock time spent, in milliseconds. */
  readonly ms: number
  /** How many parts the model's `partition` split the history into (1 without). */
  readonly partitions: number
  /** The partition key of the part that was illegal (or that ran out of budget first). */
  readonly partition?: string
  /**
   * When illegal: the most operations of that part the search managed to
   * linearize together, out of `partitionOps`. A hint of where it went wrong.
   */
  readonly longestLinearized?: number
  /** When illegal or unknown: the number of operations in that part. */
  readonly partitionOps?: number
  /** When unknown: which limit stopped the search. */
  readonly reason?: 'time-budget' | 'state-limit'
}

/**
 * Options of `checkLinearizability`.
 *
 * @example
 * ```ts
 * checkLinearizability(history.operations(), registerModel, { timeBudgetMs: 5_000 })
 * ```
 */
export interface CheckOptions {
  /** Give up with `unknown` after this long (default: 60,000 ms). */
  timeBudgetMs?: number
  /**
   * Give up with `unknown` after remembering this many explored (operations,
   * state) pairs in one part, which bounds memory (default: 2,000,000).
   */
  maxStates?: number
  /** The clock the budget is measured with, in milliseconds (default: `performance.now`). */
  now?: () => number
}
