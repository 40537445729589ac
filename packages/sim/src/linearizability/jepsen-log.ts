/**
 * Reader of Jepsen's logger format, one event a line:
 * `INFO  jepsen.util - <process>\t<type>\t<f>\t<value>` on a single register.
 */
import { EdnKeyword, EdnSyntaxError, type EdnValue, parseEdn, printEdn } from './edn.js'
import { HistoryFormatError } from './errors.js'
import {
  forEachLine,
  type HistoryReadOptions,
  historyText,
  LineHistoryBuilder,
  type ReadHistory,
  resolveLimits,
} from './history-text.js'
import type { RegisterInput, RegisterValue } from './models.js'

/** A line of a client process's event; other lines (nemesis, other loggers) carry no operation. */
const eventLine = /^\s*\w+\s+jepsen\.util\s+-\s+(\d+)\s(.*)$/

const types = new Set(['invoke', 'ok', 'fail', 'info'])
const functions = new Set(['read', 'write', 'cas'])

/** An EDN value as a register value, or undefined when it is not a scalar. */
export function registerValueOf(value: EdnValue): RegisterValue | undefined {
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean'
  ) {
    return value
  }
  return undefined
}

export function parseValue(text: string, line: number, what: string): EdnValue {
  try {
    return parseEdn(text)
  } catch (error) {
    if (error instanceof EdnSyntaxError) {
      throw new HistoryFormatError(
        line,
        `${what} ${JSON.stringify(text)} is not valid EDN (column ${error.column}: ${error.reason})`,
      )
    }
    throw error
  }
}

export function scalarOf(value: EdnValue, line: number, what: string): RegisterValue {
  const scalar = registerValueOf(value)
  if (scalar === undefined) {
    throw new HistoryFormatError(
      line,
      `${what} must be a number, string, boolean or nil, got ${printEdn(value)}`,
    )
  }
  return scalar
}

export function casInput(value: EdnValue, line: number): RegisterInput {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new HistoryFormatError(line, `a :cas value must be a vector [from to], got ${printEdn(value)}`)
  }
  return {
    type: 'cas',
    from: scalarOf(value[0]!, line, 'a :cas from'),
    to: scalarOf(value[1]!, line, 'a :cas to'),
  }
}

/**
 * Reads a Jepsen log of register operations (`:read`, `:write`, `:cas`) into a
 * history on a register that starts as `nil`. Time is the line number.
 *
 * - `:ok` took effect with that result; `:fail` definitely did not happen (left
 *   out), except `:fail :read :timed-out`, which is indeterminate;
 * - `:info` and invocations never completed are indeterminate;
 * - lines that are not a client process's event (`INFO  jepsen.util - <number>\t…`)
 *   carry no operation and are skipped.
 *
 * @param source - the file's text or bytes (bytes must be UTF-8).
 * @param options - limits on bytes, line length and operations.
 * @returns the history, with `model: 'register'` and `initialValue: null`.
 * @throws HistoryFormatError naming the line and what is wrong with it.
 * @throws HistoryLimitError when the file is over a limit.
 * @example
 * ```ts
 * const history = readJepsenLog(readFileSync('etcd_000.log'))
 * checkLinearizability(history.operations, registerModel).result // 'illegal'
 * ```
 */
export function readJepsenLog(source: string | Uint8Array, options: HistoryReadOptions = {}): ReadHistory {
  const limits = resolveLimits(options)
  const text = historyText(source, limits)
  const builder = new LineHistoryBuilder(limits)
  forEachLine(text, limits, (line, lineNumber) => {
    const match = eventLine.exec(line)
    if (match === null) return
    const process = Number(match[1])
    if (!Number.isSafeInteger(process)) {
      throw new HistoryFormatError(lineNumber, `process ${match[1]} is not a safe integer`)
    }
    const fields = match[2]!.split('\t')
    if (fields.length !== 3) {
      throw new HistoryFormatError(
        lineNumber,
        `expected <process> <type> <f> <value> separated by tabs, got ${fields.length + 1} fields`,
      )
    }
    const [typeField, functionField, valueField] = fields as [string, string, string]
    const typeValue = parseValue(typeField, lineNumber, 'type')
    if (!(typeValue instanceof EdnKeyword) || !types.has(typeValue.name)) {
      throw new HistoryFormatError(
        lineNumber,
        `unknown type ${typeField} (expected :invoke, :ok, :fail or :info)`,
      )
    }
    const functionValue = parseValue(functionField, lineNumber, 'f')
    if (!(functionValue instanceof EdnKeyword) || !functions.has(functionValue.name)) {
      throw new HistoryFormatError(lineNumber, `unknown f ${functionField} (expected :read, :write or :cas)`)
    }
    const type = typeValue.name
    const f = functionValue.name
    const value = parseValue(valueField, lineNumber, 'value')
    if (type === 'invoke') {
      let input: RegisterInput
      if (f === 'read') input = { type: 'read' }
      else if (f === 'write') input = { type: 'write', value: scalarOf(value, lineNumber, 'a :write value') }
      else input = casInput(value, lineNumber)
      builder.invoke(process, f, input, lineNumber)
      return
    }
    if (type === 'ok') {
      const output = f === 'read' ? { value: scalarOf(value, lineNumber, 'a :read result') } : undefined
      builder.complete(process, type, f, 'ok', output, lineNumber)
      return
    }
    if (type === 'fail') {
      const timedOutRead = f === 'read' && value instanceof EdnKeyword && value.name === 'timed-out'
      builder.complete(process, type, f, timedOutRead ? 'info' : 'fail', undefined, lineNumber)
      return
    }
    builder.complete(process, type, f, 'info', undefined, lineNumber)
  })
  return { model: 'register', initialValue: null, operations: builder.operations() }
}
