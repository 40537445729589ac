/**
 * Synod's own history format, `synod-history/1`: one JSON document.
 *
 * ```json
 * {
 *   "format": "synod-history/1",
 *   "model": "kv",
 *   "initialValue": null,
 *   "operations": [
 *     { "process": "c1", "type": "ok", "input": { "type": "write", "key": "x", "value": 1 }, "invokeTime": 0, "completeTime": 3 },
 *     { "process": "c2", "type": "ok", "input": { "type": "read", "key": "x" }, "output": { "value": 1 }, "invokeTime": 1, "completeTime": 2 },
 *     { "process": "c3", "type": "info", "input": { "type": "cas", "key": "x", "from": 1, "to": 2 }, "invokeTime": 4 }
 *   ]
 * }
 * ```
 */
import { HistoryFormatError, InvalidHistoryArgumentError } from './errors.js'
import {
  type HistoryInput,
  type HistoryReadOptions,
  historyText,
  operationLimitError,
  type ReadHistory,
  resolveLimits,
} from './history-text.js'
import { locateJsonProblem } from './json-syntax.js'
import type { RegisterInput, RegisterOutput, RegisterValue } from './models.js'
import type { Operation } from './types.js'

/**
 * The `format` field of the current version.
 *
 * @example
 * ```ts
 * JSON.parse(writeJsonHistory(operations, { model: 'kv' })).format === JSON_HISTORY_FORMAT // true
 * ```
 */
export const JSON_HISTORY_FORMAT = 'synod-history/1'

type JsonObject = { readonly [key: string]: unknown }

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  const text = JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}

function fail(path: string, expected: string, got: unknown): never {
  throw new HistoryFormatError(undefined, `${path}: expected ${expected}, got ${describe(got)}`)
}

function scalar(value: unknown, path: string): RegisterValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number' && Number.isFinite(value)) return value
  return fail(path, 'a string, number, boolean or null', value)
}

function time(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  return fail(path, 'a finite number', value)
}

function readInput(value: unknown, path: string, keyed: boolean): HistoryInput {
  if (!isObject(value)) return fail(path, 'an object', value)
  let input: RegisterInput
  switch (value.type) {
    case 'read':
      input = { type: 'read' }
      break
    case 'write':
      input = { type: 'write', value: scalar(value.value, `${path}.value`) }
      break
    case 'cas':
      input = { type: 'cas', from: scalar(value.from, `${path}.from`), to: scalar(value.to, `${path}.to`) }
      break
    case 'append':
      if (typeof value.value !== 'string') fail(`${path}.value`, 'a string', value.value)
      input = { type: 'append', value: value.value }
      break
    default:
      return fail(`${path}.type`, '"read", "write", "cas" or "append"', value.type)
  }
  if (!keyed) {
    if (value.key !== undefined) fail(`${path}.key`, 'no key in a register history', value.key)
    return input
  }
  if (typeof value.key !== 'string') fail(`${path}.key`, 'a string', value.key)
  return { ...input, key: value.key }
}

/**
 * Reads a `synod-history/1` document. Operations of type `fail` are left out;
 * `info` operations (and their `completeTime`, if any) are open until the end
 * of time. Errors name the JSON path (`operations[3].input.type`) of the
 * problem, or the line and column of a syntax error.
 *
 * @param source - the file's text or bytes (bytes must be UTF-8).
 * @param options - limits on bytes and operations (the line length limit does not apply).
 * @throws HistoryFormatError for invalid JSON or an invalid history.
 * @throws HistoryLimitError when the file is over a limit.
 * @example
 * ```ts
 * const history = readJsonHistory(writeJsonHistory(recorder.operations(), { model: 'register' }))
 * checkLinearizability(history.operations, registerModel)
 * ```
 */
export function readJsonHistory(source: string | Uint8Array, options: HistoryReadOptions = {}): ReadHistory {
  const limits = resolveLimits(options)
  const text = historyText(source, limits)
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    const problem = locateJsonProblem(text)
    if (problem === undefined) {
      throw new HistoryFormatError(
        undefined,
        `invalid JSON: ${error instanceof Error ? error.message : String(error)}`,
      )
    }
    const before = text.slice(0, problem.offset)
    const line = before.split('\n').length
    const column = problem.offset - before.lastIndexOf('\n')
    throw new HistoryFormatError(line, `invalid JSON at column ${column}: ${problem.reason}`)
  }
  if (!isObject(document)) return fail('document', 'an object', document)
  if (document.format !== JSON_HISTORY_FORMAT) fail('format', `"${JSON_HISTORY_FORMAT}"`, document.format)
  const model = document.model
  if (model !== 'register' && model !== 'kv') fail('model', '"register" or "kv"', model)
  const initialValue =
    document.initialValue === undefined ? null : scalar(document.initialValue, 'initialValue')
  const list = document.operations
  if (!Array.isArray(list)) return fail('operations', 'an array', list)
  if (list.length > limits.maxOperations) throw operationLimitError(limits.maxOperations)
  const operations: Operation<HistoryInput, RegisterOutput>[] = []
  const ids = new Set<number>()
  list.forEach((item: unknown, index) => {
    const path = `operations[${index}]`
    if (!isObject(item)) fail(path, 'an object', item)
    const process = item.process
    if (typeof process !== 'string' && !(typeof process === 'number' && Number.isSafeInteger(process))) {
      fail(`${path}.process`, 'a string or an integer', process)
    }
    let id = index
    if (item.id !== undefined) {
      if (typeof item.id !== 'number' || !Number.isSafeInteger(item.id))
        fail(`${path}.id`, 'an integer', item.id)
      id = item.id
    }
    if (ids.has(id)) throw new HistoryFormatError(undefined, `${path}.id: ${id} is used twice`)
    ids.add(id)
    const input = readInput(item.input, `${path}.input`, model === 'kv')
    const invokeTime = time(item.invokeTime, `${path}.invokeTime`)
    const type = item.type
    if (type === 'fail') return
    if (type === 'info') {
      if (item.completeTime !== undefined) time(item.completeTime, `${path}.completeTime`)
      operations.push({
        id,
        process,
        input,
        invokeTime,
        completeTime: Number.POSITIVE_INFINITY,
        outcome: { type: 'info' },
      })
      return
    }
    if (type !== 'ok') fail(`${path}.type`, '"ok", "fail" or "info"', type)
    const completeTime = time(item.completeTime, `${path}.completeTime`)
    if (completeTime < invokeTime) {
      throw new HistoryFormatError(
        undefined,
        `${path}.completeTime: ${completeTime} is before its invokeTime ${invokeTime}`,
      )
    }
    let output: RegisterOutput
    if (input.type === 'read') {
      if (!isObject(item.output)) fail(`${path}.output`, 'an object { "value": … } for a read', item.output)
      output = { value: scalar(item.output.value, `${path}.output.value`) }
    }
    operations.push({ id, process, input, invokeTime, completeTime, outcome: { type: 'ok', output } })
  })
  return { model, initialValue, operations }
}

function jsonValue(value: RegisterValue, what: string): RegisterValue {
  if (typeof value === 'bigint') {
    throw new InvalidHistoryArgumentError(`${what}: a bigint cannot be written as JSON`)
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new InvalidHistoryArgumentError(`${what}: ${value} cannot be written as JSON`)
  }
  return value
}

/**
 * Writes operations (from a recorder or a reader) as a `synod-history/1`
 * document, one operation a line.
 *
 * @param operations - register or key-value operations.
 * @param options - the model name and initial value to record.
 * @returns the JSON text.
 * @throws InvalidHistoryArgumentError for values JSON cannot hold (bigint, NaN, Infinity).
 * @example
 * ```ts
 * writeFileSync('history.json', writeJsonHistory(recorder.operations(), { model: 'kv' }))
 * ```
 */
export function writeJsonHistory(
  operations: readonly Operation<HistoryInput, RegisterOutput>[],
  options: { model: 'register' | 'kv'; initialValue?: RegisterValue },
): string {
  const lines = operations.map((operation, index) => {
    const path = `operations[${index}]`
    const input = operation.input
    const inputJson: Record<string, unknown> = { type: input.type }
    if ('key' in input) inputJson.key = input.key
    if (input.type === 'write' || input.type === 'append')
      inputJson.value = jsonValue(input.value, `${path}.input.value`)
    if (input.type === 'cas') {
      inputJson.from = jsonValue(input.from, `${path}.input.from`)
      inputJson.to = jsonValue(input.to, `${path}.input.to`)
    }
    const item: Record<string, unknown> = {
      id: operation.id,
      process: operation.process,
      type: operation.outcome.type,
      input: inputJson,
      invokeTime: operation.invokeTime,
    }
    if (operation.outcome.type === 'ok') {
      item.completeTime = operation.completeTime
      const output = operation.outcome.output
      if (input.type === 'read' && output !== undefined) {
        item.output = { value: jsonValue(output.value, `${path}.output.value`) }
      }
    }
    return `    ${JSON.stringify(item)}`
  })
  const header = {
    format: JSON_HISTORY_FORMAT,
    model: options.model,
    initialValue: jsonValue(options.initialValue ?? null, 'initialValue'),
  }
  const head = JSON.stringify(header).slice(0, -1)
  return `${head},\n  "operations": [\n${lines.join(',\n')}\n  ]\n}\n`
}
