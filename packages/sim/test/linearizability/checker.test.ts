import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CheckResult,
  checkLinearizability,
  generateKvHistory,
  HistoryRecorder,
  InvalidHistoryArgumentError,
  type KvInput,
  kvModel,
  type Model,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  type RegisterValue,
  registerModel,
} from '../../src/check.js'

type Event =
  | [process: string, input: RegisterInput, invokeTime: number, completeTime: number, output?: RegisterValue]
  | [process: string, input: RegisterInput, invokeTime: number, 'info']

/** Builds a register history: `[process, input, invoke, complete, read result]` or `[…, invoke, 'info']`. */
function history(...events: Event[]): Operation<RegisterInput, RegisterOutput>[] {
  return events.map((event, id) => {
    const [process, input, invokeTime, completion] = event
    if (completion === 'info') {
      return {
        id,
        process,
        input,
        invokeTime,
        completeTime: Number.POSITIVE_INFINITY,
        outcome: { type: 'info' },
      }
    }
    const output = input.type === 'read' ? { value: event[4] ?? null } : undefined
    return { id, process, input, invokeTime, completeTime: completion, outcome: { type: 'ok', output } }
  })
}

const read: RegisterInput = { type: 'read' }
const write = (value: RegisterValue): RegisterInput => ({ type: 'write', value })
const cas = (from: RegisterValue, to: RegisterValue): RegisterInput => ({ type: 'cas', from, to })

function verdict(operations: Operation<RegisterInput, RegisterOutput>[]): CheckResult['result'] {
  return checkLinearizability(operations, registerModel).result
}

describe('checkLinearizability on hand-made register histories', () => {
  it('accepts the empty history', () => {
    expect(checkLinearizability([], registerModel)).toMatchObject({ result: 'ok', ops: 0, partitions: 1 })
  })

  it('lets a read overlapping a write see the old or the new value', () => {
    expect(verdict(history(['a', write(1), 0, 10], ['b', read, 2, 5, 1]))).toBe('ok')
    expect(verdict(history(['a', write(1), 0, 10], ['b', read, 2, 5, null]))).toBe('ok')
  })

  it('rejects a stale read after the write completed', () => {
    expect(verdict(history(['a', write(1), 0, 1], ['b', read, 2, 3, null]))).toBe('illegal')
    expect(verdict(history(['a', write(1), 0, 1], ['a', write(2), 2, 3], ['b', read, 4, 5, 1]))).toBe(
      'illegal',
    )
  })

  it('rejects a read of a value nobody wrote', () => {
    expect(verdict(history(['a', write(1), 0, 10], ['b', read, 2, 5, 7]))).toBe('illegal')
  })

  it('rejects a new-then-old pair of reads during one write (no going back)', () => {
    const operations = history(['a', write(1), 0, 10], ['b', read, 1, 2, 1], ['c', read, 3, 4, null])
    expect(verdict(operations)).toBe('illegal')
    // but the same reads in the other order are fine
    expect(verdict(history(['a', write(1), 0, 10], ['b', read, 1, 2, null], ['c', read, 3, 4, 1]))).toBe('ok')
  })

  it('treats intervals that touch as concurrent (calls sort before returns at equal times)', () => {
    expect(verdict(history(['a', write(1), 0, 5], ['b', read, 5, 6, null]))).toBe('ok')
    expect(verdict(history(['a', write(1), 0, 5], ['b', read, 6, 7, null]))).toBe('illegal')
  })

  it('applies cas only when the compare matches', () => {
    expect(verdict(history(['a', write(1), 0, 1], ['b', cas(1, 2), 2, 3], ['c', read, 4, 5, 2]))).toBe('ok')
    expect(verdict(history(['a', write(1), 0, 1], ['b', cas(0, 2), 2, 3], ['c', read, 4, 5, 2]))).toBe(
      'illegal',
    )
    // a successful cas from the initial nil
    expect(verdict(history(['b', cas(null, 3), 0, 1], ['c', read, 2, 3, 3]))).toBe('ok')
    // two successful cas 1→2 cannot both have happened
    expect(
      verdict(
        history(['a', write(1), 0, 1], ['b', cas(1, 2), 2, 5], ['c', cas(1, 2), 2, 5], ['d', read, 6, 7, 2]),
      ),
    ).toBe('illegal')
  })

  it('accepts an info write that took effect, and one that did not', () => {
    expect(verdict(history(['a', write(1), 0, 'info'], ['b', read, 5, 6, 1]))).toBe('ok')
    expect(verdict(history(['a', write(1), 0, 'info'], ['b', read, 5, 6, null]))).toBe('ok')
    // it may take effect late: after a first read saw nothing
    expect(verdict(history(['a', write(1), 0, 'info'], ['b', read, 5, 6, null], ['b', read, 7, 8, 1]))).toBe(
      'ok',
    )
  })

  it('never lets an info operation take effect before it was invoked, nor twice', () => {
    expect(verdict(history(['b', read, 0, 1, 1], ['a', write(1), 2, 'info']))).toBe('illegal')
    expect(verdict(history(['a', write(1), 0, 'info'], ['b', read, 5, 6, 1], ['b', read, 7, 8, null]))).toBe(
      'illegal',
    )
  })

  it('treats an info cas as applied or not, whichever fits', () => {
    const base: Event[] = [
      ['a', write(1), 0, 1],
      ['b', cas(1, 2), 2, 'info'],
    ]
    expect(verdict(history(...base, ['c', read, 10, 11, 2]))).toBe('ok')
    expect(verdict(history(...base, ['c', read, 10, 11, 1]))).toBe('ok')
    expect(verdict(history(...base, ['c', read, 10, 11, 3]))).toBe('illegal')
  })

  it('leaves failed operations out of recorded histories', () => {
    const recorder = new HistoryRecorder<RegisterInput, RegisterOutput>()
    const w = recorder.invoke('a', write(1), 0)
    recorder.ok(w, undefined, 1)
    const c = recorder.invoke('b', cas(5, 2), 2)
    recorder.fail(c, 3)
    const r = recorder.invoke('c', read, 4)
    recorder.ok(r, { value: 1 }, 5)
    expect(recorder.operations().map((operation) => operation.id)).toEqual([0, 2])
    expect(checkLinearizability(recorder.operations(), registerModel).result).toBe('ok')
  })

  it('reports the failing key of a kv history', () => {
    const recorder = new HistoryRecorder<KvInput, RegisterOutput>()
    const w = recorder.invoke('a', { type: 'write', key: 'x', value: 1 }, 0)
    recorder.ok(w, undefined, 1)
    const rx = recorder.invoke('b', { type: 'read', key: 'x' }, 2)
    recorder.ok(rx, { value: 1 }, 3)
    const ry = recorder.invoke('b', { type: 'read', key: 'y' }, 4)
    recorder.ok(ry, { value: 1 }, 5) // y was never written
    const result = checkLinearizability(recorder.operations(), kvModel)
    expect(result).toMatchObject({
      result: 'illegal',
      ops: 3,
      partitions: 2,
      partition: 'y',
      partitionOps: 1,
    })
    expect(result.longestLinearized).toBe(0)
  })

  it('checks a user-defined model (a FIFO queue)', () => {
    type QueueInput = { type: 'enqueue'; value: number } | { type: 'dequeue' }
    const queueModel: Model<readonly number[], QueueInput, number | null | undefined> = {
      name: 'queue',
      init: () => [],
      step(state, input, outcome) {
        if (input.type === 'enqueue') return { ok: true, state: [...state, input.value] }
        const head = state[0] ?? null
        if (outcome.type === 'ok' && outcome.output !== head) return { ok: false }
        return { ok: true, state: state.slice(1) }
      },
      stateKey: (state) => state.join(','),
    }
    const recorder = new HistoryRecorder<QueueInput, number | null | undefined>()
    const e1 = recorder.invoke('a', { type: 'enqueue', value: 1 }, 0)
    const e2 = recorder.invoke('b', { type: 'enqueue', value: 2 }, 0)
    recorder.ok(e1, undefined, 2)
    recorder.ok(e2, undefined, 2)
    const d = recorder.invoke('a', { type: 'dequeue' }, 3)
    recorder.ok(d, 2, 4)
    expect(checkLinearizability(recorder.operations(), queueModel).result).toBe('ok')
    const d2 = recorder.invoke('a', { type: 'dequeue' }, 5)
    recorder.ok(d2, 2, 6) // 2 again: impossible
    expect(checkLinearizability(recorder.operations(), queueModel).result).toBe('illegal')
  })
})

/** `writes` concurrent writes and a read of a value none of them wrote: exhaustive search. */
function hardHistory(writes = 16): Operation<RegisterInput, RegisterOutput>[] {
  const events: Event[] = []
  for (let i = 0; i < writes; i++) events.push([`w${i}`, write(i), 0, 100])
  events.push(['r', read, 0, 100, 99])
  return history(...events)
}

describe('checkLinearizability limits', () => {
  it('answers unknown when the time budget runs out', () => {
    let clock = 0
    const result = checkLinearizability(hardHistory(), registerModel, {
      timeBudgetMs: 50,
      now: () => clock++,
    })
    expect(result).toMatchObject({ result: 'unknown', reason: 'time-budget', partitionOps: 17 })
  })

  it('answers unknown at the state limit', () => {
    const result = checkLinearizability(hardHistory(), registerModel, { maxStates: 1000 })
    expect(result).toMatchObject({ result: 'unknown', reason: 'state-limit' })
  })

  it('finishes the hard history within the default limits', () => {
    expect(checkLinearizability(hardHistory(11), registerModel)).toMatchObject({
      result: 'illegal',
      partitionOps: 12,
    })
  })

  it('refuses bad options and malformed operations with exact errors', () => {
    expect(() => checkLinearizability([], registerModel, { timeBudgetMs: -1 })).toThrow(
      new InvalidHistoryArgumentError('timeBudgetMs: expected a number >= 0, got -1'),
    )
    expect(() => checkLinearizability([], registerModel, { maxStates: 0 })).toThrow(
      'maxStates: expected a positive integer, got 0',
    )
    const bad = history(['a', write(1), 5, 3])
    expect(() => checkLinearizability(bad, registerModel)).toThrow(
      'operations[0].completeTime: expected a number >= invokeTime 5, got 3',
    )
    const noTime = [{ ...history(['a', write(1), 0, 3])[0]!, invokeTime: Number.NaN }]
    expect(() => checkLinearizability(noTime, registerModel)).toThrow(
      'operations[0].invokeTime: expected a finite number, got NaN',
    )
  })
})

/** A dumb reference: tries every order allowed by real time, with info operations optional. */
function referenceLinearizable(operations: Operation<RegisterInput, RegisterOutput>[]): boolean {
  const search = (remaining: Operation<RegisterInput, RegisterOutput>[], state: RegisterValue): boolean => {
    if (remaining.every((operation) => operation.outcome.type === 'info')) return true
    for (const candidate of remaining) {
      const blocked = remaining.some(
        (other) => other !== candidate && other.completeTime < candidate.invokeTime,
      )
      if (blocked) continue
      const stepped = registerModel.step(state, candidate.input, candidate.outcome)
      if (!stepped.ok) continue
      if (
        search(
          remaining.filter((operation) => operation !== candidate),
          stepped.state,
        )
      ) {
        return true
      }
    }
    return false
  }
  return search(operations, null)
}

const smallValue = fc.constantFrom<RegisterValue>(null, 0, 1, 2)
const randomOperation = fc.record({
  process: fc.constantFrom('a', 'b', 'c'),
  input: fc.oneof(
    fc.constant<RegisterInput>({ type: 'read' }),
    smallValue.map((value): RegisterInput => ({ type: 'write', value })),
    fc.tuple(smallValue, smallValue).map(([from, to]): RegisterInput => ({ type: 'cas', from, to })),
  ),
  start: fc.integer({ min: 0, max: 20 }),
  length: fc.integer({ min: 0, max: 10 }),
  readValue: smallValue,
  info: fc.integer({ min: 0, max: 4 }).map((roll) => roll === 0),
})

/** Compares the checker with the reference on `numRuns` random histories; returns how many were ok / illegal. */
function agreeWithReference(
  numRuns: number,
  maxLength: number,
  seed: number,
): { ok: number; illegal: number } {
  let illegal = 0
  let ok = 0
  fc.assert(
    fc.property(fc.array(randomOperation, { minLength: 1, maxLength }), (drawn) => {
      const operations: Operation<RegisterInput, RegisterOutput>[] = drawn.map((item, id) => ({
        id,
        process: item.process,
        input: item.input,
        invokeTime: item.start,
        completeTime: item.info ? Number.POSITIVE_INFINITY : item.start + item.length,
        outcome: item.info
          ? { type: 'info' }
          : { type: 'ok', output: item.input.type === 'read' ? { value: item.readValue } : undefined },
      }))
      const expected = referenceLinearizable(operations)
      if (expected) ok++
      else illegal++
      expect(checkLinearizability(operations, registerModel).result).toBe(expected ? 'ok' : 'illegal')
    }),
    { numRuns, seed },
  )
  return { ok, illegal }
}

describe('checkLinearizability properties', () => {
  it('agrees with a brute-force reference on random small histories', () => {
    const { ok, illegal } = agreeWithReference(400, 7, 42)
    // the generator must produce both verdicts for the comparison to mean anything
    expect(ok).toBeGreaterThan(20)
    expect(illegal).toBeGreaterThan(20)
  })

  it('accepts every history of a sequential execution widened by random concurrency windows', () => {
    const step = fc.record({
      key: fc.constantFrom('x', 'y'),
      kind: fc.constantFrom('read', 'write', 'cas'),
      a: fc.integer({ min: 0, max: 3 }),
      b: fc.integer({ min: 0, max: 3 }),
      before: fc.integer({ min: 0, max: 35 }),
      after: fc.integer({ min: 0, max: 35 }),
      outcome: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'info-applied', 'info-lost'),
    })
    fc.assert(
      fc.property(fc.array(step, { minLength: 0, maxLength: 40 }), (steps) => {
        const store = new Map<string, RegisterValue>()
        const operations: Operation<KvInput, RegisterOutput>[] = []
        steps.forEach((item, index) => {
          const point = index * 10 // the real-time instant the operation takes effect
          const input: KvInput =
            item.kind === 'read'
              ? { type: 'read', key: item.key }
              : item.kind === 'write'
                ? { type: 'write', key: item.key, value: item.a }
                : { type: 'cas', key: item.key, from: item.a, to: item.b }
          const invokeTime = point - item.before
          if (item.outcome === 'info-lost') {
            operations.push({
              id: index,
              process: index,
              input,
              invokeTime,
              completeTime: Infinity,
              outcome: { type: 'info' },
            })
            return
          }
          const current = store.get(item.key) ?? null
          let output: RegisterOutput
          if (input.type === 'read') output = { value: current }
          else if (input.type === 'write') store.set(item.key, input.value)
          else if (input.type === 'cas') {
            if (current !== input.from) return // a failed cas: recorded `fail`, left out
            store.set(item.key, input.to)
          }
          operations.push(
            item.outcome === 'info-applied'
              ? {
                  id: index,
                  process: index,
                  input,
                  invokeTime,
                  completeTime: Infinity,
                  outcome: { type: 'info' },
                }
              : {
                  id: index,
                  process: index,
                  input,
                  invokeTime,
                  completeTime: point + item.after,
                  outcome: { type: 'ok', output },
                },
          )
        })
        expect(checkLinearizability(operations, kvModel).result).toBe('ok')
      }),
      { numRuns: 300, seed: 7 },
    )
  })
})

describe('a generated 10,000-operation, 10-key history', () => {
  it('is ok, and illegal once one read is changed to a value nobody wrote', () => {
    const operations = generateKvHistory({ seed: 2026, operations: 10_000, keys: 10 })
    expect(operations.length).toBe(10_000)
    expect(operations.some((operation) => operation.outcome.type === 'info')).toBe(true)
    const good = checkLinearizability(operations, kvModel)
    expect(good).toMatchObject({ result: 'ok', partitions: 10 })

    const index = operations.findIndex(
      (operation, i) =>
        i > operations.length / 2 && operation.input.type === 'read' && operation.outcome.type === 'ok',
    )
    const target = operations[index]!
    const mutated = [...operations]
    mutated[index] = { ...target, outcome: { type: 'ok', output: { value: 'never written' } } }
    const bad = checkLinearizability(mutated, kvModel)
    expect(bad).toMatchObject({ result: 'illegal', partition: target.input.key })
    console.log(
      `generated 10k history: ${good.ops} ops ok in ${good.ms.toFixed(0)} ms; mutated: illegal in ${bad.ms.toFixed(0)} ms`,
    )
  })

  it('is illegal after a subtler mutation: one read returns the value from before the previous write', () => {
    const operations = generateKvHistory({ seed: 99, operations: 2000, keys: 4, processes: 4, infoRate: 0 })
    // find a read that saw a write, where a different value was certainly there before the write began
    const byKey = new Map<string, Operation<KvInput, RegisterOutput>[]>()
    for (const operation of operations) {
      const list = byKey.get(operation.input.key) ?? []
      list.push(operation)
      byKey.set(operation.input.key, list)
    }
    let mutated: Operation<KvInput, RegisterOutput>[] | undefined
    for (const list of byKey.values()) {
      for (let i = 2; i < list.length && mutated === undefined; i++) {
        const [older, newer, reader] = [list[i - 2]!, list[i - 1]!, list[i]!]
        // three strictly sequential operations: write a, write b, read b → read a is stale
        if (
          older.input.type === 'write' &&
          newer.input.type === 'write' &&
          reader.input.type === 'read' &&
          older.input.value !== newer.input.value &&
          older.completeTime < newer.invokeTime &&
          newer.completeTime < reader.invokeTime &&
          !list.some(
            (other) =>
              other !== newer &&
              other !== older &&
              other.input.type !== 'read' &&
              other.completeTime >= older.invokeTime &&
              other.invokeTime <= reader.completeTime,
          )
        ) {
          const stale = older.input.value
          mutated = operations.map((operation) =>
            operation === reader
              ? { ...operation, outcome: { type: 'ok', output: { value: stale } } }
              : operation,
          )
        }
      }
    }
    expect(mutated).toBeDefined()
    expect(checkLinearizability(operations, kvModel).result).toBe('ok')
    expect(checkLinearizability(mutated!, kvModel).result).toBe('illegal')
  })
})

// registered only under SYNOD_SLOW=1 (`pnpm test:slow`), so the default run neither runs nor skips them
if (process.env.SYNOD_SLOW === '1')
  describe('slow sweeps (SYNOD_SLOW=1)', () => {
    it('agrees with the brute-force reference on 20,000 histories of up to 8 operations', () => {
      const { ok, illegal } = agreeWithReference(20_000, 8, 2026)
      expect(ok).toBeGreaterThan(1000)
      expect(illegal).toBeGreaterThan(1000)
    }, 600_000)

    it('finds 40 generated 10,000-operation histories ok, and each illegal with one read corrupted', () => {
      for (let seed = 1; seed <= 40; seed++) {
        const operations = generateKvHistory({ seed, operations: 10_000, keys: 10 })
        expect(checkLinearizability(operations, kvModel).result, `seed ${seed}`).toBe('ok')
        const reads = operations.flatMap((operation, index) =>
          operation.input.type === 'read' && operation.outcome.type === 'ok' ? [index] : [],
        )
        const index = reads[(seed * 7919) % reads.length]!
        const mutated = [...operations]
        mutated[index] = { ...operations[index]!, outcome: { type: 'ok', output: { value: -1 } } }
        expect(checkLinearizability(mutated, kvModel).result, `seed ${seed}, operation ${index}`).toBe(
          'illegal',
        )
      }
    }, 600_000)
  })
