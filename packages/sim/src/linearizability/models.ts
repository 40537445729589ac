/**
 * Built-in models: a single register (read / write / compare-and-set / append)
 * and a key-value map of such registers, checked one key at a time.
 */
import { InvalidHistoryArgumentError } from './errors.js'
import type { Model, Outcome, StepResult } from './types.js'

/**
 * A value a register can hold. `null` is Jepsen's `nil`: nothing written yet.
 *
 * @example
 * ```ts
 * const values: RegisterValue[] = [null, 3, 'x 0 1 y', true, 10n]
 * ```
 */
export type RegisterValue = string | number | bigint | boolean | null

/**
 * An operation on a register. `cas` writes `to` only when the value equals
 * `from` (a successful cas is recorded `ok`; a cas whose compare failed is
 * recorded `fail`: it did nothing). `append` concatenates a string to a string
 * value (appending to `null` gives the appended string).
 *
 * @example
 * ```ts
 * const inputs: RegisterInput[] = [
 *   { type: 'read' }, { type: 'write', value: 1 }, { type: 'cas', from: 1, to: 2 }, { type: 'append', value: 'x' },
 * ]
 * ```
 */
export type RegisterInput =
  | { readonly type: 'read' }
  | { readonly type: 'write'; readonly value: RegisterValue }
  | { readonly type: 'cas'; readonly from: RegisterValue; readonly to: RegisterValue }
  | { readonly type: 'append'; readonly value: string }

/**
 * The output of a register operation: `{ value }` for a read; writes, cas and
 * appends have no output (anything given is ignored).
 *
 * @example
 * ```ts
 * const read: RegisterOutput = { value: 3 }
 * const write: RegisterOutput = undefined
 * ```
 */
export type RegisterOutput = { readonly value: RegisterValue } | undefined

/**
 * An operation on one key of a key-value map: a register operation plus its key.
 *
 * @example
 * ```ts
 * const put: KvInput = { type: 'write', key: 'x', value: 'a' }
 * const get: KvInput = { type: 'read', key: 'x' }
 * ```
 */
export type KvInput = RegisterInput & { readonly key: string }

/**
 * Options of `createRegisterModel` and `createKvModel`.
 *
 * @example
 * ```ts
 * createKvModel({ initialValue: '' }) // Jepsen's kv histories start every key as ""
 * ```
 */
export interface RegisterModelOptions {
  /** The value before any write (default `null`). */
  initialValue?: RegisterValue
}

const rejected: StepResult<never> = { ok: false }

function stepRegister(
  state: RegisterValue,
  input: RegisterInput,
  outcome: Outcome<RegisterOutput>,
): StepResult<RegisterValue> {
  switch (input.type) {
    case 'read': {
      if (outcome.type === 'info') return { ok: true, state }
      const output = outcome.output
      return output !== undefined && output !== null && output.value === state
        ? { ok: true, state }
        : rejected
    }
    case 'write':
      return { ok: true, state: input.value }
    case 'cas':
      if (state === input.from) return { ok: true, state: input.to }
      // an unknown cas whose compare fails at this point did nothing
      return outcome.type === 'info' ? { ok: true, state } : rejected
    case 'append':
      if (state === null) return { ok: true, state: input.value }
      if (typeof state === 'string') return { ok: true, state: state + input.value }
      return rejected
  }
}

/** Distinct keys for distinct values of distinct types (`3` vs `'3'` vs `3n`). */
function registerStateKey(state: RegisterValue): string {
  if (state === null) return 'null'
  switch (typeof state) {
    case 'string':
      return `s${state}`
    case 'number':
      return `n${state}`
    case 'bigint':
      return `b${state}`
    default:
      return state ? 'true' : 'false'
  }
}

function assertRegisterValue(value: unknown, what: string): asserts value is RegisterValue {
  const type = typeof value
  if (value === null || type === 'string' || type === 'number' || type === 'bigint' || type === 'boolean')
    return
  throw new InvalidHistoryArgumentError(
    `${what}: expected a string, number, bigint, boolean or null, got ${type}`,
  )
}

/**
 * A model of one register, starting at `initialValue`.
 *
 * @param options - the initial value (default `null`).
 * @returns a `Model` for `checkLinearizability`.
 * @throws InvalidHistoryArgumentError when the initial value is not a `RegisterValue`.
 * @example
 * ```ts
 * const model = createRegisterModel({ initialValue: 0 })
 * checkLinearizability(history.operations(), model)
 * ```
 */
export function createRegisterModel(
  options: RegisterModelOptions = {},
): Model<RegisterValue, RegisterInput, RegisterOutput> {
  const initialValue = options.initialValue ?? null
  assertRegisterValue(initialValue, 'initialValue')
  return {
    name: 'register',
    init: () => initialValue,
    step: stepRegister,
    stateKey: registerStateKey,
    isReadOnly: (input) => input.type === 'read',
  }
}

/**
 * A model of a key-value map of registers, every key starting at
 * `initialValue`. It partitions the history by key, so each key is checked on
 * its own (keys are independent), and its state is the value of one key.
 *
 * @param options - the initial value of every key (default `null`).
 * @returns a `Model` for `checkLinearizability`.
 * @throws InvalidHistoryArgumentError when the initial value is not a `RegisterValue`.
 * @example
 * ```ts
 * const model = createKvModel({ initialValue: '' })
 * checkLinearizability(history.operations(), model)
 * ```
 */
export function createKvModel(
  options: RegisterModelOptions = {},
): Model<RegisterValue, KvInput, RegisterOutput> {
  const initialValue = options.initialValue ?? null
  assertRegisterValue(initialValue, 'initialValue')
  return {
    name: 'kv',
    init: () => initialValue,
    step: stepRegister,
    stateKey: registerStateKey,
    partition: (input) => input.key,
    isReadOnly: (input) => input.type === 'read',
  }
}

/**
 * A register starting at `null`: inputs `{ type: 'read' }`, `{ type: 'write', value }`,
 * `{ type: 'cas', from, to }`, `{ type: 'append', value }`; a read's output is `{ value }`.
 *
 * @example
 * ```ts
 * const history = new HistoryRecorder<RegisterInput, RegisterOutput>()
 * const w = history.invoke('a', { type: 'write', value: 1 }, 0)
 * const r = history.invoke('b', { type: 'read' }, 1)
 * history.ok(r, { value: 1 }, 2)
 * history.ok(w, undefined, 3)
 * checkLinearizability(history.operations(), registerModel).result // 'ok'
 * ```
 */
export const registerModel: Model<RegisterValue, RegisterInput, RegisterOutput> = createRegisterModel()

/**
 * A key-value map whose keys start at `null`: the register inputs with a `key`,
 * checked one key at a time.
 *
 * @example
 * ```ts
 * const history = new HistoryRecorder<KvInput, RegisterOutput>()
 * const w = history.invoke('a', { type: 'write', key: 'x', value: 1 }, 0)
 * history.ok(w, undefined, 1)
 * const r = history.invoke('b', { type: 'read', key: 'y' }, 2)
 * history.ok(r, { value: null }, 3)
 * checkLinearizability(history.operations(), kvModel).result // 'ok'
 * ```
 */
export const kvModel: Model<RegisterValue, KvInput, RegisterOutput> = createKvModel()
