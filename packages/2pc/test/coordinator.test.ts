/** The coordinator core, driven through begin/step/tick directly. */
import { describe, expect, it } from 'vitest'
import { CoordinatorCore } from '../src/core/coordinator.js'
import type { CoordinatorRecord, TwoPhaseMessage } from '../src/core/types.js'
import { DuplicateTransactionError, TooManyTransactionsError } from '../src/errors.js'

const vote = (txId: string, v: 'yes' | 'no' | 'read-only'): TwoPhaseMessage => ({
  kind: 'vote',
  txId,
  vote: v,
})
const summary = (core: CoordinatorCore) => {
  const r = core.ready()
  return {
    records: r.records,
    messages: r.messages.map(({ to, message }) =>
      message.kind === 'decision' ? `${to}:${message.decision}` : `${to}:${message.kind}`,
    ),
    decisions: r.decisions.map((d) => `${d.txId}:${d.decision}`),
    ended: r.ended,
  }
}

describe('CoordinatorCore', () => {
  it('commits when every vote is yes, writing the commit record before the decision goes out', () => {
    const core = new CoordinatorCore({ id: 'c' })
    core.begin('t1', ['p1', 'p2'], { p1: Uint8Array.of(1) })
    const prepares = core.ready().messages
    expect(prepares).toEqual([
      {
        to: 'p1',
        message: { kind: 'prepare', txId: 't1', participants: ['p1', 'p2'], payload: Uint8Array.of(1) },
      },
      {
        to: 'p2',
        message: { kind: 'prepare', txId: 't1', participants: ['p1', 'p2'], payload: new Uint8Array() },
      },
    ])
    core.step('p1', vote('t1', 'yes'))
    expect(core.hasReady()).toBe(false)
    core.step('p2', vote('t1', 'yes'))
    expect(summary(core)).toEqual({
      records: [{ kind: 'committing', txId: 't1', participants: ['p1', 'p2'] }],
      messages: ['p1:commit', 'p2:commit'],
      decisions: ['t1:commit'],
      ended: [],
    })
    core.step('p1', { kind: 'ack', txId: 't1' })
    expect(core.hasReady()).toBe(false)
    core.step('p2', { kind: 'ack', txId: 't1' })
    expect(summary(core)).toEqual({
      records: [{ kind: 'ended', txId: 't1' }],
      messages: [],
      decisions: [],
      ended: ['t1'],
    })
    expect(core.size).toBe(0)
  })

  it('aborts at the first no, tells only those that may be prepared, and writes nothing', () => {
    const core = new CoordinatorCore({ id: 'c' })
    core.begin('t1', ['p1', 'p2', 'p3', 'p4'])
    core.ready()
    core.step('p1', vote('t1', 'yes'))
    core.step('p2', vote('t1', 'read-only'))
    core.step('p3', vote('t1', 'no'))
    expect(summary(core)).toEqual({
      records: [],
      messages: ['p1:abort', 'p4:abort'],
      decisions: ['t1:abort'],
      ended: ['t1'],
    })
    // a late vote: presumed abort answers a yes, ignores the rest
    core.step('p4', vote('t1', 'yes'))
    expect(summary(core).messages).toEqual(['p4:abort'])
    core.step('p4', vote('t1', 'no'))
    expect(core.hasReady()).toBe(false)
  })

  it('aborts when the votes do not all arrive within voteTimeoutTicks, re-sending prepare meanwhile', () => {
    const core = new CoordinatorCore({ id: 'c', voteTimeoutTicks: 10, retryTicks: 4 })
    core.begin('t1', ['p1', 'p2'])
    core.ready()
    core.step('p1', vote('t1', 'yes'))
    for (let i = 0; i < 4; i++) core.tick()
    expect(summary(core).messages).toEqual(['p2:prepare'])
    for (let i = 0; i < 5; i++) core.tick()
    expect(summary(core).messages).toEqual(['p2:prepare'])
    core.tick()
    expect(summary(core)).toEqual({
      records: [],
      messages: ['p1:abort', 'p2:abort'],
      decisions: ['t1:abort'],
      ended: ['t1'],
    })
  })

  it('read-only voters leave after phase 1; all read-only commits with no write at all', () => {
    const core = new CoordinatorCore({ id: 'c' })
    core.begin('t1', ['p1', 'p2'])
    core.begin('t2', ['p1', 'p2'])
    core.ready()
    core.step('p1', vote('t1', 'read-only'))
    core.step('p2', vote('t1', 'yes'))
    expect(summary(core)).toMatchObject({
      records: [{ kind: 'committing', txId: 't1', participants: ['p2'] }],
      messages: ['p2:commit'],
    })
    core.step('p1', vote('t2', 'read-only'))
    core.step('p2', vote('t2', 'read-only'))
    expect(summary(core)).toEqual({ records: [], messages: [], decisions: ['t2:commit'], ended: ['t2'] })
  })

  it('re-sends commit to unacknowledged voters until they ack, and answers their questions', () => {
    const core = new CoordinatorCore({ id: 'c', retryTicks: 3 })
    core.begin('t1', ['p1', 'p2'])
    core.step('p1', vote('t1', 'yes'))
    core.step('p2', vote('t1', 'yes'))
    core.ready()
    core.step('p1', { kind: 'ack', txId: 't1' })
    core.tick()
    core.tick()
    expect(core.hasReady()).toBe(false)
    core.tick()
    expect(summary(core).messages).toEqual(['p2:commit'])
    core.step('p2', { kind: 'decision-request', txId: 't1' })
    core.step('p2', vote('t1', 'yes')) // a duplicate vote after the decision: repeat it
    expect(summary(core).messages).toEqual(['p2:commit', 'p2:commit'])
    core.step('p2', { kind: 'decision-request', txId: 'unknown' })
    expect(summary(core).messages).toEqual(['p2:abort'])
  })

  it('ignores duplicate votes, votes from strangers, stray acks and messages meant for participants', () => {
    const core = new CoordinatorCore({ id: 'c' })
    core.begin('t1', ['p1', 'p2'])
    core.ready()
    core.step('p1', vote('t1', 'yes'))
    core.step('p1', vote('t1', 'no')) // a second vote from p1 does not count
    core.step('x', vote('t1', 'no'))
    core.step('p1', { kind: 'ack', txId: 't1' })
    core.step('p1', { kind: 'prepare', txId: 't1', participants: ['p1'], payload: new Uint8Array() })
    core.step('p1', { kind: 'decision', txId: 't1', decision: 'abort' })
    expect(core.hasReady()).toBe(false)
    expect(core.phaseOf('t1')).toBe('collecting')
    core.step('p2', vote('t1', 'yes'))
    expect(summary(core).decisions).toEqual(['t1:commit'])
    core.step('p2', { kind: 'decision-request', txId: 't1' })
    core.step('p1', { kind: 'decision-request', txId: 't1' })
    expect(summary(core).messages).toEqual(['p2:commit', 'p1:commit'])
  })

  it('recovers from each persisted state: committing re-sends the decision, ended and nothing presume abort', () => {
    const records: CoordinatorRecord[] = [
      { kind: 'committing', txId: 't1', participants: ['p1', 'p2'] },
      { kind: 'committing', txId: 't2', participants: ['p3'] },
      { kind: 'ended', txId: 't2' },
    ]
    const core = new CoordinatorCore({ id: 'c', recovered: records })
    expect(summary(core)).toEqual({
      records: [],
      messages: ['p1:commit', 'p2:commit'],
      decisions: [],
      ended: [],
    })
    expect(core.phaseOf('t1')).toBe('committing')
    core.step('p3', { kind: 'decision-request', txId: 't2' }) // ended: every voter had acked
    core.step('p4', { kind: 'decision-request', txId: 't3' }) // collecting when it crashed: nothing written
    expect(summary(core).messages).toEqual(['p3:abort', 'p4:abort'])
    core.step('p1', { kind: 'ack', txId: 't1' })
    core.step('p2', { kind: 'ack', txId: 't1' })
    expect(summary(core).records).toEqual([{ kind: 'ended', txId: 't1' }])
    expect(() => new CoordinatorCore({ id: 'c', recovered: [] }).ready()).not.toThrow()
  })

  it('refuses a transaction id in flight and more than maxTransactions, with typed errors', () => {
    const core = new CoordinatorCore({ id: 'c', maxTransactions: 2 })
    core.begin('t1', ['p1'])
    expect(() => core.begin('t1', ['p1'])).toThrow(DuplicateTransactionError)
    expect(() => core.begin('t1', ['p1'])).toThrow('transaction "t1" is already in flight')
    core.begin('t2', ['p1'])
    expect(() => core.begin('t3', ['p1'])).toThrow(new TooManyTransactionsError(2))
    expect(() => core.begin('t3', ['p1'])).toThrow('too many transactions in flight: the limit is 2')
  })

  it('validates its inputs with exact messages', () => {
    const core = new CoordinatorCore({
      id: 'c',
      maxParticipants: 2,
      maxTransactionIdBytes: 4,
      maxPayloadBytes: 2,
    })
    const bad: [() => unknown, Error][] = [
      [() => core.begin(7 as never, ['p1']), new TypeError('txId: expected a string, got 7')],
      [() => core.begin('', ['p1']), new RangeError('txId: expected 1 to 4 UTF-8 bytes, got 0')],
      [() => core.begin('ééé', ['p1']), new RangeError('txId: expected 1 to 4 UTF-8 bytes, got 6')],
      [() => core.begin('t', 'p1' as never), new TypeError('participants: expected an array, got "p1"')],
      [() => core.begin('t', []), new RangeError('participants: expected 1 to 2 node ids, got 0')],
      [
        () => core.begin('t', ['a', 'b', 'c']),
        new RangeError('participants: expected 1 to 2 node ids, got 3'),
      ],
      [() => core.begin('t', ['a', 'a']), new RangeError('participants[1]: "a" is listed twice')],
      [
        () => core.begin('t', ['c']),
        new RangeError('participants[0]: the coordinator "c" cannot be a participant'),
      ],
      [
        () => core.begin('t', [3 as never]),
        new TypeError('participants[0]: expected a node id string, got number'),
      ],
      [
        () => core.begin('t', ['a'], { b: new Uint8Array() }),
        new RangeError('payloads: "b" is not a participant'),
      ],
      [
        () => core.begin('t', ['a'], { a: 'x' as never }),
        new TypeError('payloads["a"]: expected a Uint8Array, got "x"'),
      ],
      [
        () => core.begin('t', ['a'], { a: new Uint8Array(3) }),
        new RangeError('payloads["a"]: expected at most 2 bytes, got 3'),
      ],
      [
        () => new CoordinatorCore({ id: 'c', retryTicks: 0 }),
        new RangeError('retryTicks: expected an integer from 1 to 1000000000, got 0'),
      ],
      [
        () => new CoordinatorCore({ id: 'c', voteTimeoutTicks: '5' as never }),
        new TypeError('voteTimeoutTicks: expected an integer, got string'),
      ],
      [() => new CoordinatorCore(null as never), new TypeError('options: expected an object, got null')],
    ]
    for (const [call, error] of bad) expect(call).toThrow(error)
    expect(core.size).toBe(0)
  })
})
