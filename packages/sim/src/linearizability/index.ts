/**
 * The linearizability toolkit: recorder, models, checker, history readers.
 *
 * @example
 * ```ts
 * import { checkLinearizability, readJepsenLog, registerModel } from '@synod/sim/check'
 * const history = readJepsenLog(text)
 * checkLinearizability(history.operations, registerModel).result
 * ```
 * @packageDocumentation
 */

export { type CheckHistoryOptions, checkHistory } from './check-history.js'
export {
  checkLinearizability,
  DEFAULT_MAX_STATES,
  DEFAULT_TIME_BUDGET_MS,
} from './checker.js'
export { readEdnHistory } from './edn-history.js'
export {
  type HistoryErrorCode,
  HistoryFormatError,
  HistoryLimitError,
  InvalidHistoryArgumentError,
  OperationCompletedError,
  TimeBackwardsError,
  UnknownOperationError,
} from './errors.js'
export { type GenerateKvHistoryOptions, generateKvHistory } from './generate.js'
export {
  DEFAULT_MAX_HISTORY_BYTES,
  DEFAULT_MAX_HISTORY_OPERATIONS,
  DEFAULT_MAX_LINE_LENGTH,
  type HistoryInput,
  type HistoryReadOptions,
  type ReadHistory,
} from './history-text.js'
export { readJepsenLog } from './jepsen-log.js'
export { JSON_HISTORY_FORMAT, readJsonHistory, writeJsonHistory } from './json-history.js'
export {
  createKvModel,
  createRegisterModel,
  type KvInput,
  kvModel,
  type RegisterInput,
  type RegisterModelOptions,
  type RegisterOutput,
  type RegisterValue,
  registerModel,
} from './models.js'
export { DEFAULT_MAX_RECORDED_OPERATIONS, HistoryRecorder, type HistoryRecorderOptions } from './recorder.js'
export type { CheckOptions, CheckResult, Model, Operation, Outcome, StepResult } from './types.js'
