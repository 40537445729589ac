/** The Ready / advance contract and flow-control states. */
import { describe, expect, it } from 'vitest'
import { type AppendEntriesMessage, membership, RaftCore, ReadyPendingError } from '../../src/index.js'
import { Cluster, drain, enc, entry, prng, single } from './helpers.js'

describe('Ready / advance', () => {
  it('one Ready at a time; advance takes exactly the Ready handed out', () => {
    const core = single('a', ['a'])
    core.campaign()
    const ready = core.ready()
    expect(core.hasReady()).toBe(false)
    expect(() => core.ready()).toThrow(ReadyPendingError)
    expect(() => core.ready()).toThrow('ready() called before the previous Ready was advanced')
    expect(() => core.advance({ ...ready })).toThrow('advance: expected the Ready last returned by ready()')
    core.advance(ready)
    // the leader's entry is durable once its Ready is advanced: it commits in the next Ready
    expect(core.hasReady()).toBe(true)
    drain(core)
    expect(core.hasReady()).toBe(false)
  })

  it('reports the hard state only when it changed, and each entry once', () => {
    const core = single('a', ['a'])
    core.campaign()
    const first = drain(core)
    expect(first.hardState).toEqual({ term: 1, votedFor: 'a', commit: 0 })
    expect(first.entries.map((e) => e.index)).toEqual([1])
    // the leader counts its own entry toward commit only once it is durable (advanced)
    expect(first.committedEntries).toEqual([])
    const firstCommit = drain(core)
    expect(firstCommit.hardState).toEqual({ term: 1, votedFor: 'a', commit: 1 })
    expect(firstCommit.entries).toEqual([])
    expect(firstCommit.committedEntries.map((e) => e.index)).toEqual([1])
    core.propose(enc('x'))
    const second = drain(core)
    expect(second.hardState).toBeNull()
    expect(second.entries.map((e) => e.index)).toEqual([2])
    const secondCommit = drain(core)
    expect(secondCommit.hardState).toEqual({ term: 1, votedFor: 'a', commit: 2 })
    expect(secondCommit.entries).toEqual([])
    expect(secondCommit.committedEntries.map((e) => e.index)).toEqual([2])
    expect(core.hasReady()).toBe(false)
  })

  it('steps taken while a Ready is out are reported in the next one', () => {
    const core = single('a', ['a'])
    core.campaign()
    const ready = core.ready()
    core.propose(enc('during'))
    core.advance(ready)
    expect(drain(core).entries.map((e) => e.index)).toEqual([2])
  })

  it('a restarted node re-applies committed entries after its applied index', () => {
    const core = new RaftCore({
      id: 'a',
      random: prng(1),
      initialMembership: membership(['a', 'b', 'c']),
      applied: 1,
      start: {
        hardState: { term: 1, votedFor: null, commit: 3 },
        snapshot: null,
        entries: [entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)],
      },
    })
    const ready = drain(core)
    expect(ready.entries).toEqual([])
    expect(ready.hardState).toBeNull()
    expect(ready.committedEntries.map((e) => e.index)).toEqual([2, 3])
  })
})

describe('flow control states', () => {
  it('probe: one append at a time until an answer; replicate: pipelined', () => {
    const c = new Cluster({ ids: ['a', 'b'], config: { maxMessageBytes: 1, preVote: false } })
    const a = c.node('a')
    c.campaignTwoRounds('a')
    expect(a.status().role).toBe('leader')
    expect(a.status().progress.get('b')!.state).toBe('probe')
    a.propose(enc('x'))
    a.propose(enc('y'))
    const toB = () =>
      drain(a).messages.filter((m): m is AppendEntriesMessage => m.type === 'append-entries' && m.to === 'b')
    expect(toB()).toHaveLength(1)
    expect(toB()).toHaveLength(0)
    a.step({
      type: 'append-entries-response',
      from: 'b',
      to: 'a',
      term: 1,
      success: true,
      matchIndex: 1,
      rejectIndex: 0,
      conflictTerm: 0,
      conflictIndex: 0,
    })
    expect(a.status().progress.get('b')!.state).toBe('replicate')
    expect(toB().map((m) => m.entries.map((e) => e.index))).toEqual([[2], [3]])
  })

  it('stops at maxInflightBytes', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config: { maxMessageBytes: 10, maxInflightBytes: 25 } })
    const a = c.elect('a')
    c.tickAll(1)
    for (let i = 0; i < 10; i++) a.propose(new Uint8Array(10))
    const appends = drain(a).messages.filter((m) => m.type === 'append-entries' && m.to === 'b')
    expect(appends).toHaveLength(3) // 10 + 10 + 10 bytes: the third crosses 25
  })
})
