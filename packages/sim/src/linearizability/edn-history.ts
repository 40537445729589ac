/**
 * Reader of Jepsen histories written as EDN maps, one a line:
 * `{:process 0, :type :invoke, :f :get, :key "k", :value nil}`.
 */
import { EdnKeyword, type EdnValue, printEdn } from './edn.js'
import { HistoryFormatError } from './errors.js'
import {
  forEachLine,
  type HistoryInput,
  type HistoryReadOptions,
  historyText,
  LineHistoryBuilder,
  type ReadHistory,
  resolveLimits,
} from './history-text.js'
import { casInput, parseValue, scalarOf } from './jepsen-log.js'
import type { RegisterInput } from './models.js'

/** Jepsen function names and the register operation each one is. */
const functionTypes: Record<string, RegisterInput['type']> = {
  get: 'read',
  read: 'read',
  put: 'write',
  write: 'write',
  append: 'append',
  cas: 'cas',
}
const types = new Set(['invoke', 'ok', 'fail', 'info'])

function keywordField(map: Map<string, EdnValue>, field: string, line: number): string {
  const value = map.get(`:${field}`)
  if (value === undefined) throw new HistoryFormatError(line, `missing :${field}`)
  if (!(value instanceof EdnKeyword)) {
    throw new HistoryFormatError(line, `:${field} must be a keyword, got ${printEdn(value)}`)
  }
  return value.name
}

/**
 * Reads an EDN history: one map a line with `:process`, `:type` (`:invoke`,
 * `:ok`, `:fail`, `:info`), `:f` (`:get`/`:read`, `:put`/`:write`, `:append`,
 * `:cas` with `[from to]`), `:value`, and for key-value histories `:key` (a
 * string or an integer). Time is the line number. Blank lines and `;` comments
 * are skipped, and so are events of non-numeric processes (`:nemesis`).
 *
 * Histories with keys are `kv` histories whose keys start as `""` (Jepsen's
 * convention for its key-value tests, where `append` concatenates); histories
 * without keys are `register` histories starting at `nil`.
 *
 * @param source - the file's text or bytes (bytes must be UTF-8).
 * @param options - limits on bytes, line length and operations.
 * @throws HistoryFormatError naming the line and what is wrong with it.
 * @throws HistoryLimitError when the file is over a limit.
 * @example
 * ```ts
 * const history = readEdnHistory('{:process 0, :type :invoke, :f :get, :key "a", :value nil}\n'
 *   + '{:process 0, :type :ok, :f :get, :key "a", :value ""}\n')
 * checkLinearizability(history.operations, createKvModel({ initialValue: history.initialValue })).result // 'ok'
 * ```
 */
export function readEdnHistory(source: string | Uint8Array, options: HistoryReadOptions = {}): ReadHistory {
  const limits = resolveLimits(options)
  const text = historyText(source, limits)
  const builder = new LineHistoryBuilder(limits)
  let keyed: { keyed: boolean; line: number } | undefined
  forEachLine(text, limits, (line, lineNumber) => {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith(';')) return
    const map = parseValue(trimmed, lineNumber, 'event')
    if (!(map instanceof Map)) {
      throw new HistoryFormatError(
        lineNumber,
        `expected a map {:process …, :type …, :f …, :value …}, got ${printEdn(map)}`,
      )
    }
    const processValue = map.get(':process')
    if (processValue === undefined) throw new HistoryFormatError(lineNumber, 'missing :process')
    if (processValue instanceof EdnKeyword) return // :nemesis and other non-client processes
    if (typeof processValue !== 'number' || !Number.isSafeInteger(processValue)) {
      throw new HistoryFormatError(lineNumber, `:process must be an integer, got ${printEdn(processValue)}`)
    }
    const type = keywordField(map, 'type', lineNumber)
    if (!types.has(type)) {
      throw new HistoryFormatError(
        lineNumber,
        `unknown :type :${type} (expected :invoke, :ok, :fail or :info)`,
      )
    }
    const f = keywordField(map, 'f', lineNumber)
    const operationType = functionTypes[f]
    if (operationType === undefined) {
      throw new HistoryFormatError(
        lineNumber,
        `unknown :f :${f} (expected :get, :read, :put, :write, :append or :cas)`,
      )
    }
    const keyValue = map.get(':key')
    let key: string | undefined
    if (keyValue !== undefined) {
      if (typeof keyValue === 'string') key = keyValue
      else if (typeof keyValue === 'number' && Number.isSafeInteger(keyValue)) key = String(keyValue)
      else
        throw new HistoryFormatError(
          lineNumber,
          `:key must be a string or an integer, got ${printEdn(keyValue)}`,
        )
    }
    if (keyed === undefined) keyed = { keyed: key !== undefined, line: lineNumber }
    else if (keyed.keyed !== (key !== undefined)) {
      throw new HistoryFormatError(
        lineNumber,
        keyed.keyed
          ? `missing :key (line ${keyed.line} has one)`
          : `unexpected :key (line ${keyed.line} has none)`,
      )
    }
    const value = map.has(':value') ? map.get(':value')! : null
    if (type === 'invoke') {
      let input: RegisterInput
      if (operationType === 'read') input = { type: 'read' }
      else if (operationType === 'write')
        input = { type: 'write', value: scalarOf(value, lineNumber, `a :${f} value`) }
      else if (operationType === 'append') {
        if (typeof value !== 'string') {
          throw new HistoryFormatError(lineNumber, `an :${f} value must be a string, got ${printEdn(value)}`)
        }
        input = { type: 'append', value }
      } else input = casInput(value, lineNumber)
      const keyedInput: HistoryInput = key === undefined ? input : { ...input, key }
      builder.invoke(processValue, f, keyedInput, lineNumber)
      return
    }
    if (type === 'ok') {
      const output =
        operationType === 'read' ? { value: scalarOf(value, lineNumber, `a :${f} result`) } : undefined
      builder.complete(processValue, type, f, 'ok', output, lineNumber)
      return
    }
    if (type === 'fail') {
      const timedOutRead =
        operationType === 'read' && value instanceof EdnKeyword && value.name === 'timed-out'
      builder.complete(processValue, type, f, timedOutRead ? 'info' : 'fail', undefined, lineNumber)
      return
    }
    builder.complete(processValue, type, f, 'info', undefined, lineNumber)
  })
  const isKv = keyed?.keyed === true
  return { model: isKv ? 'kv' : 'register', initialValue: isKv ? '' : null, operations: builder.operations() }
}
