/**
 * Elections: Figure 2 "Rules for Servers" and RequestVote, §5.2, §5.4.1, pre-vote
 * and check-quorum (thesis §9.6). Cores are driven directly with tick()/step().
 */
import { describe, expect, it } from 'vitest'
import {
  type HardState,
  type LogEntry,
  membership,
  RaftCore,
  type RaftMessage,
  type RequestVoteMessage,
  type RequestVoteResponseMessage,
} from '../../src/index.js'
import { Cluster, drain, entry, prng, single } from './helpers.js'

const vote = (
  from: string,
  to: string,
  term: number,
  lastLogIndex = 0,
  lastLogTerm = 0,
): RequestVoteMessage => ({
  type: 'request-vote',
  from,
  to,
  term,
  lastLogIndex,
  lastLogTerm,
  transfer: false,
})

/** Voter `a` of a, b, c, restarted from `hardState` and `entries` (no snapshot). */
function restarted(hardState: HardState, entries: LogEntry[] = []): RaftCore {
  return single('a', ['a', 'b', 'c'], { start: { hardState, snapshot: null, entries } }, 1)
}

function sent<T extends RaftMessage['type']>(core: RaftCore, type: T): Extract<RaftMessage, { type: T }>[] {
  return drain(core).messages.filter((m): m is Extract<RaftMessage, { type: T }> => m.type === type)
}

describe('election timeouts', () => {
  it('draws the randomized timeout from the injected PRNG, in [T, 2T), deterministically', () => {
    const timeouts = (seed: number) =>
      Array.from({ length: 5 }, (_, i) => {
        const core = single('a', ['a', 'b', 'c'], { preVote: false }, seed + i)
        let ticks = 0
        while (core.status().role === 'follower') {
          core.tick()
          ticks++
        }
        return ticks
      })
    const first = timeouts(1)
    expect(timeouts(1)).toEqual(first)
    for (const t of first) {
      expect(t).toBeGreaterThanOrEqual(10)
      expect(t).toBeLessThan(20)
    }
    expect(new Set([...timeouts(1), ...timeouts(100)]).size).toBeGreaterThan(1)
  })

  it('rejects a PRNG that returns values outside [0, 1)', () => {
    expect(() => new RaftCore({ id: 'a', random: () => 1, initialMembership: membership(['a']) })).toThrow(
      'random: expected a number in [0, 1), got 1',
    )
  })

  it('validates its options with exact messages', () => {
    const random = prng(1)
    expect(() => new RaftCore({ id: 'a', random, electionTimeoutTicks: 0 })).toThrow(
      'electionTimeoutTicks: expected a positive integer, got 0',
    )
    expect(
      () => new RaftCore({ id: 'a', random, electionTimeoutTicks: 5, heartbeatIntervalTicks: 5 }),
    ).toThrow('heartbeatIntervalTicks: expected less than electionTimeoutTicks (5), got 5')
    expect(() => new RaftCore({ id: 'a', random, readOnlyMode: 'lease', checkQuorum: false })).toThrow(
      'readOnlyMode: lease reads need checkQuorum',
    )
    expect(() => new RaftCore({ id: '', random })).toThrow(RangeError)
  })
})

describe('Figure 2: followers and candidates', () => {
  it('a follower that hears nothing for an election timeout becomes a candidate: term + 1, votes for itself, asks all', () => {
    const core = single('a', ['a', 'b', 'c'], { preVote: false })
    let ticks = 0
    while (core.status().role === 'follower' && ticks < 100) {
      core.tick()
      ticks++
    }
    expect(ticks).toBeGreaterThanOrEqual(10)
    const s = core.status()
    expect(s.role).toBe('candidate')
    expect(s.term).toBe(1)
    expect(s.votedFor).toBe('a')
    const ready = drain(core)
    expect(ready.hardState).toEqual({ term: 1, votedFor: 'a', commit: 0 })
    expect(ready.messages.map((m) => [m.type, m.to, m.term])).toEqual([
      ['request-vote', 'b', 1],
      ['request-vote', 'c', 1],
    ])
  })

  it('a candidate that wins a majority becomes leader and appends a no-op of its term', () => {
    const core = single('a', ['a', 'b', 'c'], { preVote: false })
    core.campaign()
    drain(core)
    core.step({ type: 'request-vote-response', from: 'b', to: 'a', term: 1, granted: true })
    expect(core.status().role).toBe('leader')
    const ready = drain(core)
    expect(ready.entries).toEqual([{ index: 1, term: 1, kind: 'noop', data: new Uint8Array() }])
    const appends = ready.messages.filter((m) => m.type === 'append-entries')
    expect(appends.map((m) => m.to)).toEqual(['b', 'c'])
  })

  it('a candidate rejected by a majority returns to follower', () => {
    const core = single('a', ['a', 'b', 'c'], { preVote: false })
    core.campaign()
    core.step({ type: 'request-vote-response', from: 'b', to: 'a', term: 1, granted: false })
    expect(core.status().role).toBe('candidate')
    core.step({ type: 'request-vote-response', from: 'c', to: 'a', term: 1, granted: false })
    expect(core.status().role).toBe('follower')
  })

  it('a candidate that receives an append from a leader of its term becomes follower', () => {
    const core = single('a', ['a', 'b', 'c'], { preVote: false })
    core.campaign()
    core.step({
      type: 'append-entries',
      from: 'b',
      to: 'a',
      term: 1,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [],
      commit: 0,
    })
    expect(core.status()).toMatchObject({ role: 'follower', leaderId: 'b', term: 1 })
  })

  it('a candidate whose election times out starts a new one with a higher term', () => {
    const core = single('a', ['a', 'b', 'c'], { preVote: false })
    core.campaign()
    for (let i = 0; i < 20; i++) core.tick()
    expect(core.status()).toMatchObject({ role: 'candidate', term: 2 })
  })

  it('any server seeing a higher term adopts it and becomes follower (§5.1)', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const leader = c.elect('a')
    leader.step({ type: 'heartbeat-response', from: 'b', to: 'a', term: 9, round: 1 })
    expect(leader.status()).toMatchObject({ role: 'follower', term: 9, votedFor: null, leaderId: null })
  })

  it('messages of a stale term are rejected; a stale leader is told the newer term', () => {
    const core = single('a', ['a', 'b', 'c'], { preVote: false })
    core.step(vote('b', 'a', 3))
    drain(core)
    core.step({
      type: 'append-entries',
      from: 'c',
      to: 'a',
      term: 2,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [entry(1, 2)],
      commit: 0,
    })
    const ready = drain(core)
    expect(core.status().lastIndex).toBe(0)
    expect(ready.messages).toEqual([
      expect.objectContaining({ type: 'append-entries-response', to: 'c', term: 3, success: false }),
    ])
    // a vote request of an older term is not granted (and not answered)
    core.step(vote('c', 'a', 2, 10, 2))
    expect(core.status()).toMatchObject({ term: 3, votedFor: 'b' })
    expect(drain(core).messages).toEqual([])
  })
})

describe('RequestVote receiver rules', () => {
  it('grants at most one vote per term, first come first served, and persists it before answering', () => {
    const core = single('a', ['a', 'b', 'c'])
    core.step(vote('b', 'a', 1))
    const first = drain(core)
    expect(first.hardState).toEqual({ term: 1, votedFor: 'b', commit: 0 })
    expect(first.messages).toEqual([
      expect.objectContaining({ type: 'request-vote-response', granted: true }),
    ])
    core.step(vote('c', 'a', 1))
    expect(sent(core, 'request-vote-response')[0]!.granted).toBe(false)
    // the same candidate asking again gets the same answer (a retry)
    core.step(vote('b', 'a', 1))
    expect(sent(core, 'request-vote-response')[0]!.granted).toBe(true)
  })

  it('refuses a candidate whose log is less up to date: lower last term (§5.4.1)', () => {
    const core = restarted({ term: 3, votedFor: null, commit: 0 }, [entry(1, 1), entry(2, 3)])
    core.step(vote('b', 'a', 4, 5, 2))
    const answer = sent(core, 'request-vote-response')[0] as RequestVoteResponseMessage
    expect(answer.granted).toBe(false)
    expect(core.status().term).toBe(4)
  })

  it('refuses a candidate whose log has the same last term but is shorter', () => {
    const core = restarted({ term: 3, votedFor: null, commit: 0 }, [entry(1, 3), entry(2, 3)])
    core.step(vote('b', 'a', 4, 1, 3))
    expect(sent(core, 'request-vote-response')[0]!.granted).toBe(false)
    core.step(vote('c', 'a', 4, 2, 3))
    expect(sent(core, 'request-vote-response')[0]!.granted).toBe(true)
  })

  it('restores term and vote from the hard state after a restart and does not vote twice', () => {
    const core = restarted({ term: 5, votedFor: 'b', commit: 0 })
    core.step(vote('c', 'a', 5))
    expect(sent(core, 'request-vote-response')[0]!.granted).toBe(false)
  })

  it('learners and non-members never campaign', () => {
    const learner = new RaftCore({ id: 'l', random: prng(1), initialMembership: membership(['a'], ['l']) })
    const stranger = new RaftCore({ id: 'z', random: prng(1) })
    for (let i = 0; i < 50; i++) {
      learner.tick()
      stranger.tick()
    }
    expect(learner.status().role).toBe('follower')
    expect(stranger.status().role).toBe('follower')
    expect(drain(learner).messages).toEqual([])
  })
})

describe('pre-vote (on by default)', () => {
  it('a follower runs a pre-vote first, without changing its term', () => {
    const core = single('a', ['a', 'b', 'c'])
    while (core.status().role === 'follower') core.tick()
    expect(core.status()).toMatchObject({ role: 'pre-candidate', term: 0, votedFor: null })
    const messages = drain(core).messages
    expect(messages.map((m) => [m.type, m.term])).toEqual([
      ['pre-vote', 1],
      ['pre-vote', 1],
    ])
    core.step({ type: 'pre-vote-response', from: 'b', to: 'a', term: 1, granted: true })
    expect(core.status()).toMatchObject({ role: 'candidate', term: 1, votedFor: 'a' })
  })

  it('a partitioned node does not inflate its term and does not disrupt the leader when it returns', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    c.elect('a')
    const term = c.node('a').status().term
    c.isolate('c')
    c.tickAll(100)
    expect(c.node('c').status().term).toBe(term)
    c.heal()
    c.tickAll(20)
    expect(c.node('a').status()).toMatchObject({ role: 'leader', term })
  })

  it('without pre-vote a partitioned node inflates its term and forces an election on return', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config: { preVote: false, checkQuorum: false } })
    c.elect('a')
    const term = c.node('a').status().term
    c.isolate('c')
    c.tickAll(100)
    expect(c.node('c').status().term).toBeGreaterThan(term + 2)
    c.heal()
    c.tickAll(40)
    expect(c.leader()!.status().term).toBeGreaterThan(term)
  })
})

describe('check-quorum (on by default)', () => {
  it('a leader that has not heard from a quorum for an election timeout steps down', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    c.elect('a')
    c.isolate('a')
    for (let i = 0; i < 21; i++) c.node('a').tick()
    expect(c.node('a').status().role).toBe('follower')
  })

  it('a follower that heard from its leader within the election timeout ignores vote requests (leader stickiness)', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    c.elect('a')
    const b = c.node('b')
    const term = b.status().term
    b.step({ ...vote('c', 'b', term + 1, 100, 100) })
    expect(b.status().term).toBe(term)
    expect(drain(b).messages).toEqual([])
  })
})

describe('leader election scenarios', () => {
  it('elects exactly one leader from a cold start, and re-elects after the leader is isolated', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c', 'd', 'e'], seed: 3 })
    c.tickAll(40)
    const first = c.leader()!
    const leaders = [...c.nodes.values()].filter((n) => n.status().role === 'leader')
    expect(leaders).toHaveLength(1)
    c.isolate(first.id)
    c.tickAll(60)
    const second = [...c.nodes.values()].find((n) => n.id !== first.id && n.status().role === 'leader')
    expect(second).toBeDefined()
    expect(second!.status().term).toBeGreaterThan(first.status().term)
  })
})
