import { SynodError } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import {
  HistoryLimitError,
  HistoryRecorder,
  InvalidHistoryArgumentError,
  OperationCompletedError,
  type RegisterInput,
  type RegisterOutput,
  TimeBackwardsError,
  UnknownOperationError,
} from '../../src/check.js'

const read: RegisterInput = { type: 'read' }

function recorder() {
  return new HistoryRecorder<RegisterInput, RegisterOutput>()
}

describe('HistoryRecorder', () => {
  it('records ok, info, pending and fail operations', () => {
    const history = recorder()
    const a = history.invoke('a', { type: 'write', value: 1 }, 0)
    const b = history.invoke('b', read, 1)
    const c = history.invoke(3, { type: 'cas', from: 1, to: 2 }, 2)
    const d = history.invoke('d', read, 2)
    const e = history.invoke('e', { type: 'write', value: 5 }, 3)
    history.ok(a, undefined, 4)
    history.ok(b, { value: 1 }, 5)
    history.fail(c, 6)
    history.info(d, 7)
    expect([a, b, c, d, e]).toEqual([0, 1, 2, 3, 4])
    expect(history.size).toBe(5)
    expect(history.operations()).toEqual([
      {
        id: 0,
        process: 'a',
        input: { type: 'write', value: 1 },
        invokeTime: 0,
        completeTime: 4,
        outcome: { type: 'ok', output: undefined },
      },
      {
        id: 1,
        process: 'b',
        input: read,
        invokeTime: 1,
        completeTime: 5,
        outcome: { type: 'ok', output: { value: 1 } },
      },
      { id: 3, process: 'd', input: read, invokeTime: 2, completeTime: Infinity, outcome: { type: 'info' } },
      {
        id: 4,
        process: 'e',
        input: { type: 'write', value: 5 },
        invokeTime: 3,
        completeTime: Infinity,
        outcome: { type: 'info' },
      },
    ])
  })

  it('accepts equal times and times of different processes in any order', () => {
    const history = recorder()
    const a = history.invoke('a', read, 10)
    history.invoke('b', read, 3)
    history.ok(a, { value: null }, 10)
    expect(history.operations()).toHaveLength(2)
  })

  it('refuses a completion of an id never invoked', () => {
    const history = recorder()
    expect(() => history.ok(7, { value: 1 }, 1)).toThrow(new UnknownOperationError(7))
    expect(() => history.ok(7, { value: 1 }, 1)).toThrow('operation 7 was never invoked')
    expect(() => history.fail(-1, 1)).toThrow('operation -1 was never invoked')
    expect(() => history.info(0.5, 1)).toThrow('operation 0.5 was never invoked')
    try {
      history.info(3, 1)
    } catch (error) {
      expect(UnknownOperationError.isInstance(error)).toBe(true)
      expect(SynodError.isInstance(error) && error.code).toBe('ERR_HISTORY_UNKNOWN_OPERATION')
    }
  })

  it('refuses to complete an operation twice', () => {
    const history = recorder()
    const id = history.invoke('c1', read, 0)
    history.ok(id, { value: null }, 1)
    expect(() => history.fail(id, 2)).toThrow('operation 0 was already completed (ok)')
    const other = history.invoke('c2', read, 0)
    history.info(other, 1)
    expect(() => history.ok(other, { value: null }, 2)).toThrow(new OperationCompletedError(1, 'info'))
    const third = history.invoke('c3', read, 0)
    history.fail(third, 1)
    expect(() => history.info(third, 2)).toThrow('operation 2 was already completed (fail)')
  })

  it('refuses time going backwards for a process', () => {
    const history = recorder()
    history.invoke('c1', read, 9)
    expect(() => history.invoke('c1', read, 4)).toThrow(
      'time 4 of process "c1" is before its previous event at time 9',
    )
    const id = history.invoke(2, read, 9)
    expect(() => history.ok(id, { value: null }, 8)).toThrow(new TimeBackwardsError(2, 8, 9))
    expect(TimeBackwardsError.isInstance(new TimeBackwardsError(2, 8, 9))).toBe(true)
    // the refused completion left the operation pending
    history.ok(id, { value: null }, 10)
  })

  it('refuses non-finite times and bad processes', () => {
    const history = recorder()
    expect(() => history.invoke('c1', read, Number.NaN)).toThrow(
      new InvalidHistoryArgumentError('time: expected a finite number, got NaN'),
    )
    expect(() => history.invoke('c1', read, Infinity)).toThrow('time: expected a finite number, got Infinity')
    expect(() => history.invoke(1.5, read, 0)).toThrow(
      'process: expected a string or a safe integer, got 1.5',
    )
    expect(() => history.invoke({} as unknown as string, read, 0)).toThrow(
      'process: expected a string or a safe integer, got object',
    )
    const id = history.invoke('c1', read, 0)
    expect(() => history.ok(id, { value: 1 }, '3' as unknown as number)).toThrow(
      'time: expected a finite number, got string',
    )
  })

  it('refuses invocations beyond maxOperations', () => {
    const history = new HistoryRecorder<RegisterInput, RegisterOutput>({ maxOperations: 2 })
    history.invoke('a', read, 0)
    history.invoke('a', read, 1)
    expect(() => history.invoke('a', read, 2)).toThrow(
      new HistoryLimitError('operations', 2, 'history has more than 2 operations'),
    )
    expect(() => new HistoryRecorder({ maxOperations: 0 })).toThrow(
      'maxOperations: expected a positive integer, got 0',
    )
  })
})
