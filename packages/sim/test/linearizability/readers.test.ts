import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  checkHistory,
  generateKvHistory,
  HistoryFormatError,
  HistoryLimitError,
  InvalidHistoryArgumentError,
  readEdnHistory,
  readJepsenLog,
  readJsonHistory,
  writeJsonHistory,
} from '../../src/check.js'
import { vendoredDataDirectory } from './testdata.js'

/** The HistoryFormatError that `read` throws (fails the test when it throws something else, or nothing). */
function formatError(read: () => unknown): HistoryFormatError {
  try {
    read()
  } catch (error) {
    if (HistoryFormatError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected a HistoryFormatError, but nothing was thrown')
}

const log = (...lines: string[]) => `${lines.map((line) => `INFO  jepsen.util - ${line}`).join('\n')}\n`

describe('readJepsenLog', () => {
  it('pairs invocations with completions; time is the line number', () => {
    const history = readJepsenLog(
      log('0\t:invoke\t:write\t3', '1\t:invoke\t:read\tnil', '0\t:ok\t:write\t3', '1\t:ok\t:read\t3'),
    )
    expect(history).toEqual({
      model: 'register',
      initialValue: null,
      operations: [
        {
          id: 0,
          process: 0,
          input: { type: 'write', value: 3 },
          invokeTime: 1,
          completeTime: 3,
          outcome: { type: 'ok', output: undefined },
        },
        {
          id: 1,
          process: 1,
          input: { type: 'read' },
          invokeTime: 2,
          completeTime: 4,
          outcome: { type: 'ok', output: { value: 3 } },
        },
      ],
    })
  })

  it('drops :fail, keeps :info, :fail :read :timed-out and unfinished invocations open', () => {
    const history = readJepsenLog(
      [
        'some other logger line',
        'INFO  jepsen.util - :nemesis\t:info\t:start\tnil',
        ...log(
          '0\t:invoke\t:cas\t[1 2]',
          '0\t:fail\t:cas\t[1 2]',
          '1\t:invoke\t:write\t4',
          '1\t:info\t:write\t:timed-out',
          '2\t:invoke\t:read\tnil',
          '2\t:fail\t:read\t:timed-out',
          '3\t:invoke\t:cas\t[4 5]',
        ).split('\n'),
      ].join('\r\n'),
    )
    expect(
      history.operations.map((operation) => [operation.id, operation.outcome.type, operation.completeTime]),
    ).toEqual([
      [1, 'info', Infinity],
      [2, 'info', Infinity],
      [3, 'info', Infinity],
    ])
    expect(history.operations[2]!.input).toEqual({ type: 'cas', from: 4, to: 5 })
  })

  it.each([
    ['0\t:explode\t:read\tnil', 'line 1: unknown type :explode (expected :invoke, :ok, :fail or :info)'],
    ['0\t:invoke\t:delete\tnil', 'line 1: unknown f :delete (expected :read, :write or :cas)'],
    ['0 :invoke :read nil', 'line 1: expected <process> <type> <f> <value> separated by tabs, got 2 fields'],
    ['0\t:invoke\t:read', 'line 1: expected <process> <type> <f> <value> separated by tabs, got 3 fields'],
    ['0\t:invoke\t:write\t[1', 'line 1: value "[1" is not valid EDN (column 3: missing "]")'],
    [
      '0\t:invoke\t:write\t{:a 1}',
      'line 1: a :write value must be a number, string, boolean or nil, got {:a 1}',
    ],
    ['0\t:invoke\t:cas\t[1 2 3]', 'line 1: a :cas value must be a vector [from to], got [1 2 3]'],
    ['0\t:ok\t:read\t1', 'line 1: process 0 completed :read (:ok) with no open invocation'],
    [
      '0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:invoke\t:read\tnil',
      'line 2: process 0 invoked :read while its :write from line 1 is still open',
    ],
    [
      '0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:read\t1',
      'line 2: process 0 completed :read but its open invocation (line 1) is :write',
    ],
    [
      '0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t[1]',
      'line 2: a :read result must be a number, string, boolean or nil, got [1]',
    ],
    [
      '99999999999999999999\t:invoke\t:read\tnil',
      'line 1: process 99999999999999999999 is not a safe integer',
    ],
  ])('refuses %j', (line, message) => {
    const error = formatError(() => readJepsenLog(log(line)))
    expect(error.message).toBe(message)
    expect(error.code).toBe('ERR_HISTORY_FORMAT')
    expect(message.startsWith(`line ${error.line}: `)).toBe(true)
  })

  it('enforces its limits before the excess is processed', () => {
    const text = log('0\t:invoke\t:read\tnil', '0\t:ok\t:read\tnil', '0\t:invoke\t:read\tnil')
    expect(() => readJepsenLog(text, { maxOperations: 1 })).toThrow(
      new HistoryLimitError('operations', 1, 'history has more than 1 operations (line 3)'),
    )
    expect(() => readJepsenLog(text, { maxBytes: 20 })).toThrow(
      `history of ${text.length} characters exceeds the limit of 20`,
    )
    expect(() => readJepsenLog(new TextEncoder().encode(text), { maxBytes: 20 })).toThrow(
      `history of ${text.length} bytes exceeds the limit of 20 bytes`,
    )
    expect(() => readJepsenLog(text, { maxLineLength: 30 })).toThrow(
      'line 1: 39 characters exceeds the limit of 30',
    )
    expect(() => readJepsenLog(text, { maxLineLength: 0 })).toThrow(
      new InvalidHistoryArgumentError('maxLineLength: expected a positive integer, got 0'),
    )
  })

  it('refuses bytes that are not UTF-8', () => {
    expect(() => readJepsenLog(Uint8Array.of(0x49, 0xff, 0xfe))).toThrow('history is not valid UTF-8')
  })
})

describe('readEdnHistory', () => {
  const edn = (...lines: string[]) => `${lines.join('\n')}\n`

  it('reads the kv histories with keys starting as ""', () => {
    const history = readEdnHistory(readFileSync(join(vendoredDataDirectory, 'kv/c01-ok.txt')))
    expect(history.model).toBe('kv')
    expect(history.initialValue).toBe('')
    expect(history.operations[0]).toEqual({
      id: 0,
      process: 0,
      input: { type: 'append', key: '0', value: 'x 0 0 y' },
      invokeTime: 1,
      completeTime: 2,
      outcome: { type: 'ok', output: undefined },
    })
  })

  it('reads register histories, skips blank lines, comments and the nemesis', () => {
    const history = readEdnHistory(
      edn(
        '; a comment',
        '{:process 0, :type :invoke, :f :write, :value 1}',
        '',
        '{:process :nemesis, :type :info, :f :start, :value nil}',
        '{:process 0, :type :ok, :f :write, :value 1}',
        '{:process 1, :type :invoke, :f :read, :value nil}',
        '{:process 1, :type :ok, :f :read, :value 1}',
        '{:process 2, :type :invoke, :f :cas, :value [1 2]}',
        '{:process 2, :type :fail, :f :cas, :value [1 2]}',
      ),
    )
    expect(history.model).toBe('register')
    expect(history.initialValue).toBe(null)
    expect(history.operations).toHaveLength(2)
    expect(checkHistory(history).result).toBe('ok')
  })

  it.each([
    ['[1 2]', 'line 1: expected a map {:process …, :type …, :f …, :value …}, got [1 2]'],
    [
      '{:process 0, :type :invoke, :f :get',
      'line 1: event "{:process 0, :type :invoke, :f :get" is not valid EDN (column 36: missing "}")',
    ],
    [
      '{:process 0, :type :invoke, :f}',
      'line 1: event "{:process 0, :type :invoke, :f}" is not valid EDN (column 1: a map needs an even number of forms)',
    ],
    ['{:type :invoke, :f :get, :key "a"}', 'line 1: missing :process'],
    ['{:process "p", :type :invoke, :f :get, :key "a"}', 'line 1: :process must be an integer, got "p"'],
    ['{:process 0, :f :get, :key "a"}', 'line 1: missing :type'],
    ['{:process 0, :type "invoke", :f :get, :key "a"}', 'line 1: :type must be a keyword, got "invoke"'],
    [
      '{:process 0, :type :begin, :f :get, :key "a"}',
      'line 1: unknown :type :begin (expected :invoke, :ok, :fail or :info)',
    ],
    [
      '{:process 0, :type :invoke, :f :delete, :key "a"}',
      'line 1: unknown :f :delete (expected :get, :read, :put, :write, :append or :cas)',
    ],
    [
      '{:process 0, :type :invoke, :f :get, :key [1]}',
      'line 1: :key must be a string or an integer, got [1]',
    ],
    [
      '{:process 0, :type :invoke, :f :append, :key "a", :value 3}',
      'line 1: an :append value must be a string, got 3',
    ],
    [
      '{:process 0, :type :invoke, :f :get, :key "a", :key "b"}',
      'line 1: event "{:process 0, :type :invoke, :f :get, :key \\"a\\", :key \\"b\\"}" is not valid EDN (column 1: duplicate map key :key)',
    ],
    [
      '{:process 0, :type :invoke, :f :get, :key "a"}\n{:process 1, :type :invoke, :f :get}',
      'line 2: missing :key (line 1 has one)',
    ],
    [
      '{:process 0, :type :invoke, :f :get}\n{:process 1, :type :invoke, :f :get, :key "a"}',
      'line 2: unexpected :key (line 1 has none)',
    ],
    [
      '{:process 0, :type :invoke, :f :get, :key "a", :value #inst "2020"}',
      'line 1: event "{:process 0, :type :invoke, :f :get, :key \\"a\\", :value #inst \\"2020\\"}" is not valid EDN (column 55: tagged literals are not supported)',
    ],
  ])('refuses %j', (text, message) => {
    expect(formatError(() => readEdnHistory(text)).message).toBe(message)
  })

  it('limits nesting depth', () => {
    const deep = `{:process 0, :type :invoke, :f :put, :key "a", :value ${'['.repeat(40)}${']'.repeat(40)}}`
    expect(() => readEdnHistory(deep)).toThrow('nesting deeper than 32')
  })
})

describe('synod-history/1 JSON', () => {
  it('round-trips a generated history and keeps the verdict', () => {
    const operations = generateKvHistory({ seed: 5, operations: 300, keys: 3 })
    const text = writeJsonHistory(operations, { model: 'kv' })
    expect(text.split('\n').length).toBe(operations.length + 5)
    const history = readJsonHistory(text)
    expect(history).toEqual({ model: 'kv', initialValue: null, operations })
    expect(checkHistory(history).result).toBe('ok')
  })

  it('refuses values JSON cannot hold', () => {
    expect(() =>
      writeJsonHistory(
        [
          {
            id: 0,
            process: 0,
            input: { type: 'write', value: 1n },
            invokeTime: 0,
            completeTime: 1,
            outcome: { type: 'ok', output: undefined },
          },
        ],
        { model: 'register' },
      ),
    ).toThrow(
      new InvalidHistoryArgumentError('operations[0].input.value: a bigint cannot be written as JSON'),
    )
  })

  const valid = {
    format: 'synod-history/1',
    model: 'register',
    operations: [
      {
        process: 'a',
        type: 'ok',
        input: { type: 'read' },
        output: { value: null },
        invokeTime: 0,
        completeTime: 1,
      },
    ],
  }
  const withOperation = (patch: Record<string, unknown>) =>
    JSON.stringify({ ...valid, operations: [{ ...valid.operations[0], ...patch }] })

  it('reads a minimal document, with info and fail operations', () => {
    const text = JSON.stringify({
      ...valid,
      initialValue: 0,
      operations: [
        ...valid.operations,
        {
          process: 'b',
          type: 'fail',
          input: { type: 'cas', from: 1, to: 2 },
          invokeTime: 0,
          completeTime: 1,
        },
        { process: 'c', type: 'info', input: { type: 'write', value: 7 }, invokeTime: 2, completeTime: 9 },
      ],
    })
    const history = readJsonHistory(text)
    expect(history.initialValue).toBe(0)
    expect(
      history.operations.map((operation) => [operation.id, operation.outcome.type, operation.completeTime]),
    ).toEqual([
      [0, 'ok', 1],
      [2, 'info', Infinity],
    ])
  })

  it.each([
    [
      '{"format": "synod-history/1",\n  "model": "kv",\n  "operations": [}',
      'line 3: invalid JSON at column 18: unexpected "}", expected a value',
    ],
    [
      '{"format": "synod-history/1"',
      'line 1: invalid JSON at column 29: unexpected end of input, expected "," or "}"',
    ],
    ['{"a": "b\\u00"}', 'line 1: invalid JSON at column 9: bad \\u escape'],
    ['{} x', 'line 1: invalid JSON at column 4: unexpected "x" after the document'],
    ['[]', 'document: expected an object, got an array'],
    [
      JSON.stringify({ ...valid, format: 'synod-history/2' }),
      'format: expected "synod-history/1", got "synod-history/2"',
    ],
    [JSON.stringify({ ...valid, model: 'queue' }), 'model: expected "register" or "kv", got "queue"'],
    [
      JSON.stringify({ ...valid, initialValue: [] }),
      'initialValue: expected a string, number, boolean or null, got an array',
    ],
    [JSON.stringify({ ...valid, operations: {} }), 'operations: expected an array, got an object'],
    [withOperation({ process: 1.5 }), 'operations[0].process: expected a string or an integer, got 1.5'],
    [withOperation({ type: 'done' }), 'operations[0].type: expected "ok", "fail" or "info", got "done"'],
    [
      withOperation({ input: { type: 'delete' } }),
      'operations[0].input.type: expected "read", "write", "cas" or "append", got "delete"',
    ],
    [
      withOperation({ input: { type: 'write' } }),
      'operations[0].input.value: expected a string, number, boolean or null, got nothing',
    ],
    [
      withOperation({ input: { type: 'read', key: 'k' } }),
      'operations[0].input.key: expected no key in a register history, got "k"',
    ],
    [withOperation({ invokeTime: '0' }), 'operations[0].invokeTime: expected a finite number, got "0"'],
    [withOperation({ completeTime: -1 }), 'operations[0].completeTime: -1 is before its invokeTime 0'],
    [
      withOperation({ output: 3 }),
      'operations[0].output: expected an object { "value": … } for a read, got 3',
    ],
    [withOperation({ id: 'x' }), 'operations[0].id: expected an integer, got "x"'],
  ])('refuses %j', (text, message) => {
    const error = formatError(() => readJsonHistory(text))
    if (typeof message === 'string') expect(error.message).toBe(message)
    else expect(error.message).toMatch(message)
  })

  it('names the place of a syntax error even in deeply nested JSON', () => {
    const deep = `{"format": "synod-history/1", "x": ${'['.repeat(100_000)}}`
    expect(formatError(() => readJsonHistory(deep)).message).toBe(
      'line 1: invalid JSON at column 548: nesting too deep',
    )
  })

  it('refuses a kv operation without a key, duplicate ids, and too many operations', () => {
    expect(() => readJsonHistory(JSON.stringify({ ...valid, model: 'kv' }))).toThrow(
      'operations[0].input.key: expected a string, got nothing',
    )
    const twice = JSON.stringify({
      ...valid,
      operations: [
        { ...valid.operations[0], id: 1 },
        { ...valid.operations[0], id: 1 },
      ],
    })
    expect(() => readJsonHistory(twice)).toThrow('operations[1].id: 1 is used twice')
    expect(() => readJsonHistory(twice, { maxOperations: 1 })).toThrow(
      new HistoryLimitError('operations', 1, 'history has more than 1 operations'),
    )
  })
})
