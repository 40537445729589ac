/**
 * Checks a history read from a file with the built-in model it calls for.
 */
import { checkLinearizability } from './checker.js'
import { InvalidHistoryArgumentError } from './errors.js'
import type { HistoryInput, ReadHistory } from './history-text.js'
import {
  createKvModel,
  createRegisterModel,
  type KvInput,
  type RegisterInput,
  type RegisterOutput,
  type RegisterValue,
} from './models.js'
import type { CheckOptions, CheckResult, Operation } from './types.js'

/**
 * Options of `checkHistory`: the checker's, plus a model and initial value that
 * override the history's own.
 *
 * @example
 * ```ts
 * checkHistory(history, { model: 'kv', initialValue: '', timeBudgetMs: 10_000 })
 * ```
 */
export interface CheckHistoryOptions extends CheckOptions {
  model?: 'register' | 'kv'
  initialValue?: RegisterValue
}

function hasKey(input: HistoryInput): input is KvInput {
  return 'key' in input && typeof input.key === 'string'
}

/**
 * Checks a history from `readJepsenLog`, `readEdnHistory` or `readJsonHistory`
 * against `createKvModel` or `createRegisterModel`, as the history (or the
 * options) say, starting from the history's initial value.
 *
 * @param history - a history read from a file.
 * @param options - checker options; `model` and `initialValue` overrides.
 * @returns the checker's verdict.
 * @throws InvalidHistoryArgumentError when `kv` is asked for operations without
 *   keys, or `register` for operations with keys.
 * @example
 * ```ts
 * checkHistory(readEdnHistory(readFileSync('c01-ok.txt'))).result // 'ok'
 * ```
 */
export function checkHistory(history: ReadHistory, options: CheckHistoryOptions = {}): CheckResult {
  const { model = history.model, initialValue = history.initialValue, ...checkOptions } = options
  const operations = history.operations
  let keyed = 0
  for (const operation of operations) if (hasKey(operation.input)) keyed++
  if (model === 'kv') {
    if (keyed !== operations.length) {
      throw new InvalidHistoryArgumentError(
        `the kv model needs a key on every operation, but ${operations.length - keyed} of ${operations.length} have none`,
      )
    }
    return checkLinearizability(
      operations as Operation<KvInput, RegisterOutput>[],
      createKvModel({ initialValue }),
      checkOptions,
    )
  }
  if (keyed !== 0) {
    throw new InvalidHistoryArgumentError(
      `the register model takes operations without keys, but ${keyed} of ${operations.length} have one`,
    )
  }
  return checkLinearizability(
    operations as Operation<RegisterInput, RegisterOutput>[],
    createRegisterModel({ initialValue }),
    checkOptions,
  )
}
