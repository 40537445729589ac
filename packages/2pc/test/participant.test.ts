/** The participant core alone, and both cores together in a synchronous cluster. */
import { describe, expect, it } from 'vitest'
import { ParticipantCore } from '../src/core/participant.js'
import type { ParticipantRecord, TwoPhaseMessage } from '../src/core/types.js'
import { Cluster } from './support/cluster.js'

const prepare = (txId: string, participants = ['p1', 'p2']): TwoPhaseMessage => ({
  kind: 'prepare',
  txId,
  participants,
  payload: Uint8Array.of(7),
})
const brief = (core: ParticipantCore) => {
  const r = core.ready()
  return {
    records: r.records.map((x) =>
      'txId' in x ? `${x.kind}:${x.txId}${'decision' in x ? `:${x.decision}` : ''}` : x.kind,
    ),
    messages: r.messages.map(
      ({ to, message: m }) =>
        `${to}:${m.kind}${m.kind === 'vote' ? `:${m.vote}` : m.kind === 'decision' ? `:${m.decision}` : ''}`,
    ),
    decisions: r.decisions.map((d) => `${d.txId}:${d.decision}`),
    prepares: r.prepares.map((p) => `${p.txId}@${p.coordinator}`),
  }
}

describe('ParticipantCore', () => {
  it('writes the prepared record in the same batch as (so before) its yes vote, then commits and acks', () => {
    const core = new ParticipantCore({ id: 'p1' })
    core.step('c', prepare('t1'))
    expect(brief(core)).toEqual({ records: ['started'], messages: [], decisions: [], prepares: ['t1@c'] })
    expect(core.stateOf('t1')).toBe('voting')
    expect(core.vote('t1', 'yes')).toBe(true)
    expect(brief(core)).toEqual({
      records: ['prepared:t1'],
      messages: ['c:vote:yes'],
      decisions: [],
      prepares: [],
    })
    expect(core.inDoubt()).toEqual(['t1'])
    core.step('c', { kind: 'decision', txId: 't1', decision: 'commit' })
    expect(brief(core)).toEqual({
      records: ['decided:t1:commit'],
      messages: ['c:ack'],
      decisions: ['t1:commit'],
      prepares: [],
    })
    // the coordinator re-sends the decision (our ack was lost): ack again, report nothing
    core.step('c', { kind: 'decision', txId: 't1', decision: 'commit' })
    expect(brief(core)).toEqual({ records: [], messages: ['c:ack'], decisions: [], prepares: [] })
  })

  it('a no vote aborts at once; a read-only vote leaves; re-sent prepares get the same answer', () => {
    const core = new ParticipantCore({ id: 'p1' })
    core.ready()
    core.step('c', prepare('t1'))
    core.step('c', prepare('t2'))
    core.ready()
    core.vote('t1', 'no')
    core.vote('t2', 'read-only')
    expect(brief(core)).toEqual({
      records: ['decided:t1:abort'],
      messages: ['c:vote:no', 'c:vote:read-only'],
      decisions: ['t1:abort'],
      prepares: [],
    })
    core.step('c', prepare('t1'))
    core.step('c', prepare('t2'))
    expect(brief(core).messages).toEqual(['c:vote:no', 'c:vote:read-only'])
    expect(core.vote('t1', 'yes')).toBe(false) // too late: nothing changes
    expect(core.stateOf('t1')).toBe('abort')
    expect(core.hasReady()).toBe(false)
  })

  it('ignores stale and foreign messages, and a commit for a transaction it has not voted on', () => {
    const core = new ParticipantCore({ id: 'p1' })
    core.ready()
    core.step('c', prepare('t1', ['p2', 'p3'])) // not a participant
    core.step('c', { kind: 'vote', txId: 't1', vote: 'yes' })
    core.step('c', { kind: 'ack', txId: 't1' })
    expect(core.hasReady()).toBe(false)
    core.step('c', prepare('t2'))
    core.ready()
    core.step('c', { kind: 'decision', txId: 't2', decision: 'commit' }) // impossible before our vote
    core.step('x', { kind: 'decision', txId: 't2', decision: 'abort' }) // not in the transaction
    core.step('c', prepare('t2')) // duplicate while the application votes
    expect(core.hasReady()).toBe(false)
    core.vote('t2', 'yes')
    core.ready()
    core.step('x', { kind: 'decision', txId: 't2', decision: 'abort' })
    core.step('c', { kind: 'decision', txId: 'unknown', decision: 'abort' })
    expect(core.hasReady()).toBe(false)
    core.step('c', prepare('t2')) // re-sent prepare after the yes: repeat the vote
    expect(brief(core).messages).toEqual(['c:vote:yes'])
  })

  it('an uncertain participant asks the coordinator and its peers every decisionRequestTicks', () => {
    const core = new ParticipantCore({ id: 'p1', decisionRequestTicks: 3 })
    core.step('c', prepare('t1', ['p1', 'p2', 'p3']))
    core.vote('t1', 'yes')
    core.ready()
    core.tick()
    core.tick()
    expect(core.hasReady()).toBe(false)
    core.tick()
    expect(brief(core).messages).toEqual(['c:decision-request', 'p2:decision-request', 'p3:decision-request'])
    const alone = new ParticipantCore({ id: 'p1', decisionRequestTicks: 1, cooperativeTermination: false })
    alone.step('c', prepare('t1', ['p1', 'p2', 'p3']))
    alone.vote('t1', 'yes')
    alone.ready()
    alone.tick()
    expect(brief(alone).messages).toEqual(['c:decision-request'])
  })

  it('answers a peer: with its decision, with a unilateral abort if it has not voted, silence if uncertain', () => {
    const core = new ParticipantCore({ id: 'p2' })
    core.ready()
    core.step('c', prepare('voting'))
    core.step('c', prepare('prepared'))
    core.step('c', prepare('committed'))
    core.ready()
    core.vote('prepared', 'yes')
    core.vote('committed', 'yes')
    core.step('c', { kind: 'decision', txId: 'committed', decision: 'commit' })
    core.ready()
    core.step('p1', { kind: 'decision-request', txId: 'committed' })
    core.step('p1', { kind: 'decision-request', txId: 'prepared' })
    expect(brief(core).messages).toEqual(['p1:decision:commit'])
    core.step('p1', { kind: 'decision-request', txId: 'voting' })
    expect(brief(core)).toEqual({
      records: ['decided:voting:abort'],
      messages: ['c:vote:no', 'p1:decision:abort'],
      decisions: ['voting:abort'],
      prepares: [],
    })
    expect(core.vote('voting', 'yes')).toBe(false)
    // never saw it at all: abort it for good, so a late prepare is voted no
    core.step('p1', { kind: 'decision-request', txId: 'unseen' })
    expect(brief(core)).toEqual({
      records: ['decided:unseen:abort'],
      messages: ['p1:decision:abort'],
      decisions: [],
      prepares: [],
    })
    core.step('c', prepare('unseen'))
    expect(brief(core).messages).toEqual(['c:vote:no'])
  })

  it('after a restart it stays silent about transactions it does not know (it may have voted read-only)', () => {
    const core = new ParticipantCore({ id: 'p2', recovered: [{ kind: 'started' }] })
    expect(core.hasReady()).toBe(false)
    core.step('p1', { kind: 'decision-request', txId: 'forgotten' })
    expect(core.hasReady()).toBe(false)
  })

  it('recovers from each persisted state: prepared asks at once, decided answers and is re-reported, none is a first start', () => {
    const records: ParticipantRecord[] = [
      { kind: 'started' },
      { kind: 'prepared', txId: 't1', coordinator: 'c', participants: ['p1', 'p2'] },
      { kind: 'prepared', txId: 't2', coordinator: 'c', participants: ['p1', 'p2'] },
      { kind: 'decided', txId: 't2', decision: 'commit' },
      { kind: 'decided', txId: 't3', decision: 'abort' },
    ]
    const core = new ParticipantCore({ id: 'p1', recovered: records })
    expect(brief(core)).toEqual({
      records: [],
      messages: ['c:decision-request', 'p2:decision-request'],
      decisions: ['t2:commit'], // prepared, then decided: handed over again (at least once); t3 was never prepared
      prepares: [],
    })
    expect(core.inDoubt()).toEqual(['t1'])
    expect([core.stateOf('t2'), core.stateOf('t3')]).toEqual(['commit', 'abort'])
    core.step('p2', { kind: 'decision-request', txId: 't2' })
    core.step('c', prepare('t3'))
    expect(brief(core).messages).toEqual(['p2:decision:commit', 'c:vote:no'])
    core.step('p2', { kind: 'decision', txId: 't1', decision: 'commit' }) // a peer's answer
    expect(brief(core)).toEqual({
      records: ['decided:t1:commit'],
      messages: ['c:ack'],
      decisions: ['t1:commit'],
      prepares: [],
    })
  })

  it('limits: votes no beyond maxTransactions, forgets the oldest outcomes beyond maxRememberedOutcomes', () => {
    const core = new ParticipantCore({ id: 'p1', maxTransactions: 1, maxRememberedOutcomes: 2 })
    core.ready()
    core.step('c', prepare('t1'))
    core.step('c', prepare('t2'))
    expect(brief(core)).toEqual({
      records: ['decided:t2:abort'],
      messages: ['c:vote:no'],
      decisions: [],
      prepares: ['t1@c'],
    })
    core.vote('t1', 'no')
    core.step('c', prepare('t3'))
    core.vote('t3', 'no')
    core.ready()
    expect([core.stateOf('t1'), core.stateOf('t2'), core.stateOf('t3')]).toEqual([
      'abort',
      undefined,
      'abort',
    ])
    // having forgotten, it no longer aborts unknown transactions for peers
    core.step('p2', { kind: 'decision-request', txId: 't9' })
    expect(core.hasReady()).toBe(false)
    expect(() => core.vote('t1', 'maybe' as never)).toThrow(
      new RangeError('vote: expected "yes", "no" or "read-only", got "maybe"'),
    )
    expect(() => core.vote('t1', 1 as never)).toThrow(new TypeError('vote: expected a string, got 1'))
    expect(() => new ParticipantCore({ id: 'p', cooperativeTermination: 1 as never })).toThrow(
      new TypeError('cooperativeTermination: expected a boolean, got 1'),
    )
    expect(() => new ParticipantCore({ id: 'p', recovered: 'x' as never })).toThrow(
      new TypeError('recovered: expected an array, got string'),
    )
  })
})

describe('coordinator and participants together', () => {
  it('all yes commits everywhere; any no aborts everywhere', () => {
    const cluster = new Cluster(['p1', 'p2', 'p3'])
    cluster.c.begin('t1', ['p1', 'p2', 'p3'])
    cluster.pump()
    cluster.deliver()
    expect(['p1', 'p2', 'p3'].map((id) => cluster.decisionOf(id, 't1'))).toEqual([
      'commit',
      'commit',
      'commit',
    ])
    expect(cluster.c.size).toBe(0)
    cluster.votes.set('p2', 'no')
    cluster.c.begin('t2', ['p1', 'p2', 'p3'])
    cluster.pump()
    cluster.deliver()
    expect(['p1', 'p2', 'p3'].map((id) => cluster.decisionOf(id, 't2'))).toEqual(['abort', 'abort', 'abort'])
  })

  it('cooperative termination: with the coordinator down, a peer that has decided tells the uncertain one', () => {
    const cluster = new Cluster(['p1', 'p2'], {}, { decisionRequestTicks: 2 })
    cluster.c.begin('t1', ['p1', 'p2'])
    cluster.pump()
    cluster.deliver((e) => e.message.kind !== 'decision')
    // both prepared and the commit went out; only p2 hears it before the coordinator crashes
    cluster.queue = cluster.queue.filter((e) => e.to !== 'p1')
    cluster.deliver((e) => e.to === 'p2')
    cluster.crash('c')
    expect(cluster.decisionOf('p2', 't1')).toBe('commit')
    expect(cluster.p('p1').inDoubt()).toEqual(['t1'])
    cluster.tick(2)
    cluster.deliver()
    expect(cluster.decisionOf('p1', 't1')).toBe('commit')
  })

  it('cooperative termination: a peer that has not voted aborts and answers', () => {
    const cluster = new Cluster(['p1', 'p2'], {}, { decisionRequestTicks: 2 })
    cluster.c.begin('t1', ['p1', 'p2'])
    cluster.pump()
    cluster.deliver((e) => e.to === 'p1') // p1 prepares and votes; p2's prepare is still in flight
    cluster.crash('c')
    cluster.tick(2)
    cluster.deliver((e) => e.message.kind === 'decision-request' || e.message.kind === 'decision')
    expect(cluster.decisionOf('p1', 't1')).toBe('abort')
    expect(cluster.p('p2').stateOf('t1')).toBe('abort')
    cluster.deliver() // the old prepare reaches p2 at last: it votes no
    expect(cluster.p('p2').stateOf('t1')).toBe('abort')
    expect(cluster.decisionOf('p2', 't1')).toBeUndefined() // never prepared by its application: nothing to undo
  })

  it('all prepared and the coordinator down: blocked, never guessing, until the coordinator returns', () => {
    const cluster = new Cluster(['p1', 'p2', 'p3'], {}, { decisionRequestTicks: 2 })
    cluster.c.begin('t1', ['p1', 'p2', 'p3'])
    cluster.pump()
    cluster.deliver((e) => e.message.kind === 'prepare')
    cluster.crash('c') // every vote is lost with it
    for (let i = 0; i < 50; i++) {
      cluster.tick()
      cluster.deliver()
    }
    for (const id of ['p1', 'p2', 'p3']) {
      expect(cluster.p(id).inDoubt()).toEqual(['t1'])
      expect(cluster.decisionOf(id, 't1')).toBeUndefined()
    }
    cluster.restart('c') // it wrote nothing for t1: presumed abort
    cluster.tick(2)
    cluster.deliver()
    expect(['p1', 'p2', 'p3'].map((id) => cluster.decisionOf(id, 't1'))).toEqual(['abort', 'abort', 'abort'])
  })

  it('a coordinator that crashes after writing commit finishes it after restarting', () => {
    const cluster = new Cluster(
      ['p1', 'p2'],
      { retryTicks: 2 },
      { cooperativeTermination: false, decisionRequestTicks: 5 },
    )
    cluster.c.begin('t1', ['p1', 'p2'])
    cluster.pump()
    cluster.deliver((e) => e.message.kind !== 'decision')
    expect(cluster.disks.get('c')).toEqual([{ kind: 'committing', txId: 't1', participants: ['p1', 'p2'] }])
    cluster.crash('c') // the decisions never leave
    cluster.restart('c')
    cluster.deliver()
    expect(['p1', 'p2'].map((id) => cluster.decisionOf(id, 't1'))).toEqual(['commit', 'commit'])
    expect(cluster.disks.get('c')?.at(-1)).toEqual({ kind: 'ended', txId: 't1' })
  })

  it('a participant that crashes while prepared recovers uncertain and learns the outcome', () => {
    const cluster = new Cluster(['p1', 'p2'], {}, { decisionRequestTicks: 3 })
    cluster.c.begin('t1', ['p1', 'p2'])
    cluster.pump()
    cluster.deliver((e) => e.message.kind !== 'decision')
    cluster.crash('p1')
    cluster.deliver()
    cluster.restart('p1')
    expect(cluster.p('p1').inDoubt()).toEqual(['t1'])
    cluster.deliver()
    expect(cluster.p('p1').stateOf('t1')).toBe('commit')
    expect(cluster.decisionOf('p1', 't1')).toBe('commit')
    expect(cluster.c.size).toBe(0)
  })
})
