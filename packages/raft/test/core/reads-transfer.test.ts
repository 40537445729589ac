/**
 * Linearizable reads (ReadIndex, thesis §6.4; lease reads §6.4.1) and leadership
 * transfer (thesis §3.10).
 */
import { describe, expect, it } from 'vitest'
import { ProposalDroppedError, TransferRefusedError } from '../../src/index.js'
import { Cluster, drain, enc, single } from './helpers.js'

function readStates(c: Cluster, id: string) {
  return (c.readyLog.get(id) ?? []).flatMap((r) => r.readStates)
}
function events(c: Cluster, id: string) {
  return (c.readyLog.get(id) ?? []).flatMap((r) => r.events)
}

describe('ReadIndex', () => {
  it('the leader confirms a read with a quorum heartbeat round, at its commit index', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    a.propose(enc('x'))
    c.stabilize()
    a.readIndex('r1')
    const ready = drain(a)
    expect(ready.readStates).toEqual([])
    const heartbeats = ready.messages.filter((m) => m.type === 'heartbeat')
    expect(heartbeats.map((m) => m.to)).toEqual(['b', 'c'])
    const round = heartbeats[0]!.type === 'heartbeat' ? heartbeats[0]!.round : 0
    a.step({ type: 'heartbeat-response', from: 'b', to: 'a', term: a.status().term, round })
    expect(drain(a).readStates).toEqual([{ requestId: 'r1', index: a.status().commit }])
  })

  it('an acknowledgement of an earlier heartbeat round does not confirm a later read', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.tickAll(1)
    const oldRound = c.delivered.filter((m) => m.type === 'heartbeat').pop()
    a.readIndex('r1')
    drain(a)
    a.step({
      type: 'heartbeat-response',
      from: 'b',
      to: 'a',
      term: a.status().term,
      round: oldRound?.type === 'heartbeat' ? oldRound.round : 0,
    })
    expect(drain(a).readStates).toEqual([])
  })

  it('a new leader answers reads only after committing an entry of its term', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config: { preVote: false } })
    const a = c.node('a')
    c.campaignTwoRounds('a') // a is leader, its no-op not yet committed
    expect(a.status().role).toBe('leader')
    a.readIndex('early')
    c.cut.add('b->a')
    c.cut.add('c->a')
    c.stabilize()
    expect(readStates(c, 'a')).toEqual([])
    c.heal()
    c.tickAll(2)
    expect(readStates(c, 'a')).toEqual([{ requestId: 'early', index: a.status().commit }])
  })

  it('an isolated leader cannot confirm a read, and drops it when it steps down', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.isolate('a')
    a.readIndex('stale')
    c.tickAll(25)
    expect(readStates(c, 'a')).toEqual([])
    expect(events(c, 'a')).toContainEqual({
      type: 'read-index-dropped',
      requestId: 'stale',
      reason: 'leadership-lost',
    })
  })

  it('a follower forwards a read to the leader and gets the read state back', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    a.propose(enc('x'))
    c.stabilize()
    c.node('b').readIndex('via-b')
    c.stabilize()
    expect(readStates(c, 'b')).toEqual([{ requestId: 'via-b', index: a.status().commit }])
  })

  it('a node without a leader drops the read with an event', () => {
    const core = single('a', ['a', 'b', 'c'])
    core.readIndex('r')
    expect(drain(core).events.filter((e) => e.type === 'read-index-dropped')).toEqual([
      { type: 'read-index-dropped', requestId: 'r', reason: 'no-leader' },
    ])
  })

  it('a single voter answers at once', () => {
    const core = single('a', ['a'])
    core.campaign()
    drain(core)
    core.readIndex('r')
    expect(drain(core).readStates).toEqual([{ requestId: 'r', index: 1 }])
  })
})

describe('lease reads (opt-in)', () => {
  const config = { readOnlyMode: 'lease' as const, electionTimeoutTicks: 10, leaseClockDriftTicks: 2 }

  it('answer without a round trip while the lease holds', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config })
    c.tickAll(30)
    const leader = c.leader()!
    c.tickAll(1)
    leader.readIndex('lease')
    const ready = drain(leader)
    expect(ready.readStates).toEqual([{ requestId: 'lease', index: leader.status().commit }])
    expect(ready.messages.filter((m) => m.type === 'heartbeat')).toEqual([])
  })

  it('fall back to a quorum round once the lease has expired (electionTimeout - drift ticks after the last acknowledged round)', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config })
    c.tickAll(30)
    const leader = c.leader()!
    c.tickAll(1)
    c.isolate(leader.id)
    for (let i = 0; i < 7; i++) leader.tick()
    leader.readIndex('still-valid')
    expect(drain(leader).readStates).toHaveLength(1)
    leader.tick()
    leader.readIndex('expired')
    expect(drain(leader).readStates).toEqual([])
  })

  it('a restarted node refuses votes for one election timeout, so a lease cannot be overtaken by its restart', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config })
    const b = c.node('b')
    b.step({
      type: 'request-vote',
      from: 'c',
      to: 'b',
      term: 1,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: false,
    })
    expect(drain(b).messages).toEqual([])
  })
})

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date follower with timeout-now', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    const term = a.status().term
    a.transferLeadership('b')
    c.stabilize()
    expect(c.delivered.some((m) => m.type === 'timeout-now' && m.to === 'b')).toBe(true)
    expect(c.node('b').status()).toMatchObject({ role: 'leader', term: term + 1 })
    expect(a.status().role).toBe('follower')
  })

  it('catches a lagging target up first, and refuses proposals meanwhile', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.isolate('c')
    for (let i = 0; i < 5; i++) a.propose(enc(`${i}`))
    c.stabilize()
    c.heal()
    a.transferLeadership('c')
    expect(() => a.propose(enc('x'))).toThrow(ProposalDroppedError)
    expect(() => a.propose(enc('x'))).toThrow('proposal dropped: leadership is being transferred to "c"')
    c.stabilize()
    expect(c.node('c').status().role).toBe('leader')
    expect(c.appliedData('c')).toEqual(['0', '1', '2', '3', '4'])
  })

  it('aborts after an election timeout when the target does not take over', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.cut.add('a->c')
    a.propose(enc('x'))
    c.stabilize()
    a.transferLeadership('c')
    for (let i = 0; i < 10; i++) c.tickAll(1)
    expect(a.status()).toMatchObject({ role: 'leader', leadTransferee: null })
    expect(events(c, 'a')).toContainEqual({ type: 'leadership-transfer-aborted', to: 'c' })
    expect(() => a.propose(enc('y'))).not.toThrow()
  })

  it('refuses a target that is not a voter, and refuses on a follower', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], learners: ['l'] })
    const a = c.elect('a')
    expect(() => a.transferLeadership('l')).toThrow('leadership transfer refused: "l" is not a voter')
    expect(() => c.node('b').transferLeadership('c')).toThrow(TransferRefusedError)
  })
})
