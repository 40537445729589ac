/**
 * Log replication: Figure 2 AppendEntries receiver rules, §5.3, the commitment
 * rule of §5.4.2 (Figure 8), flow control, batching, fast backtracking, and
 * regressions for data-loss bugs seen in other Raft libraries.
 */
import { describe, expect, it } from 'vitest'
import {
  type AppendEntriesMessage,
  type AppendEntriesResponseMessage,
  type CommitPropagation,
  type LogEntry,
  membership,
  ProposalDroppedError,
  RaftCore,
  RaftInvariantError,
} from '../../src/index.js'
import { Cluster, drain, enc, entry, prng } from './helpers.js'

function follower(entries: LogEntry[], commit = 0, term = 1): RaftCore {
  return new RaftCore({
    id: 'b',
    random: prng(2),
    initialMembership: membership(['a', 'b', 'c']),
    start: { hardState: { term, votedFor: null, commit }, snapshot: null, entries },
  })
}

function append(
  prevLogIndex: number,
  prevLogTerm: number,
  entries: LogEntry[],
  commit = 0,
  term = 1,
): AppendEntriesMessage {
  return { type: 'append-entries', from: 'a', to: 'b', term, prevLogIndex, prevLogTerm, entries, commit }
}

function answer(core: RaftCore): AppendEntriesResponseMessage {
  const ready = drain(core)
  const m = ready.messages.find((x) => x.type === 'append-entries-response')
  if (m?.type !== 'append-entries-response') throw new Error('no answer')
  return m
}

/** A leader of `term` over voters, elected by direct votes, its Ready drained. */
function leader(voters: string[], entries: LogEntry[], term: number, config = {}): RaftCore {
  const core = new RaftCore({
    id: 'a',
    random: prng(3),
    initialMembership: membership(voters),
    start: { hardState: { term: term - 1, votedFor: null, commit: 0 }, snapshot: null, entries },
    preVote: false,
    ...config,
  })
  core.campaign()
  for (const id of voters.slice(1)) {
    if (core.status().role === 'leader') break
    core.step({ type: 'request-vote-response', from: id, to: 'a', term, granted: true })
  }
  if (core.status().role !== 'leader') throw new Error('not elected')
  drain(core)
  return core
}

describe('AppendEntries receiver (Figure 2)', () => {
  it('replies false when the log has no entry at prevLogIndex with prevLogTerm', () => {
    const b = follower([entry(1, 1), entry(2, 1)])
    b.step(append(3, 1, [entry(4, 1)]))
    expect(answer(b)).toMatchObject({ success: false, rejectIndex: 3, conflictTerm: 0, conflictIndex: 3 })
    b.step(append(2, 2, [entry(3, 2)], 0, 2))
    expect(answer(b)).toMatchObject({ success: false, rejectIndex: 2, conflictTerm: 1, conflictIndex: 1 })
    expect(b.status().lastIndex).toBe(2)
  })

  it('deletes a conflicting entry and all that follow it, then appends the new ones', () => {
    const b = follower([entry(1, 1), entry(2, 1, 'old'), entry(3, 1, 'old')])
    b.step(append(1, 1, [entry(2, 2, 'new')], 0, 2))
    const ready = b.ready()
    b.advance(ready)
    expect(b.entries(1, 10).map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
    ])
    // the Ready tells storage to replace the suffix from index 2
    expect(ready.entries.map((e) => e.index)).toEqual([2])
    expect(ready.messages[0]).toMatchObject({ success: true, matchIndex: 2 })
  })

  it('ignores entries it already has: a stale append never truncates newer entries', () => {
    const b = follower([entry(1, 1), entry(2, 1), entry(3, 1)])
    b.step(append(0, 0, [entry(1, 1)]))
    expect(answer(b)).toMatchObject({ success: true, matchIndex: 1 })
    expect(b.status().lastIndex).toBe(3)
  })

  it('sets commitIndex = min(leaderCommit, index of last new entry)', () => {
    const b = follower([])
    b.step(append(0, 0, [entry(1, 1), entry(2, 1)], 5))
    expect(b.status().commit).toBe(2)
    const c = follower([entry(1, 1), entry(2, 1), entry(3, 1)])
    // the follower holds 3 entries but only 1 was verified by this message
    c.step(append(0, 0, [entry(1, 1)], 3))
    expect(c.status().commit).toBe(1)
  })

  it('persists before answering: the answer is in the same Ready as the entries', () => {
    const b = follower([])
    b.step(append(0, 0, [entry(1, 1, 'x')], 1))
    const ready = drain(b)
    expect(ready.entries).toHaveLength(1)
    expect(ready.hardState).toEqual({ term: 1, votedFor: null, commit: 1 })
    expect(ready.messages).toHaveLength(1)
    expect(ready.committedEntries.map((e) => e.index)).toEqual([1])
  })

  it('ignores a malformed append whose entries do not follow prevLogIndex', () => {
    const b = follower([])
    b.step(append(0, 0, [entry(2, 1)]))
    expect(drain(b).messages).toEqual([])
    expect(b.status().lastIndex).toBe(0)
  })
})

describe('regressions: data-loss bugs in other libraries', () => {
  it('Figure 8: a leader never commits an entry of an earlier term by counting replicas', () => {
    // a was leader of term 2 and wrote entry 2; now it leads term 4
    const a = leader(['a', 'b', 'c', 'd', 'e'], [entry(1, 1), entry(2, 2)], 4)
    expect(a.entries(3, 3)[0]).toMatchObject({ term: 4, kind: 'noop' })
    const ack = (from: string, matchIndex: number) =>
      a.step({
        type: 'append-entries-response',
        from,
        to: 'a',
        term: 4,
        success: true,
        matchIndex,
        rejectIndex: 0,
        conflictTerm: 0,
        conflictIndex: 0,
      })
    // entry 2 (term 2) is now on a, b, c: a majority, but it is not of term 4
    ack('b', 2)
    ack('c', 2)
    expect(a.status().commit).toBe(0)
    // once an entry of term 4 is on a majority, it and everything before it commit
    ack('b', 3)
    expect(a.status().commit).toBe(0)
    ack('c', 3)
    expect(a.status().commit).toBe(3)
  })

  it('Figure 8 scenario: an old-term entry on a majority is not committed, and is later overwritten', () => {
    const c = new Cluster({
      ids: ['a', 'b', 'c', 'd', 'e'],
      config: { preVote: false, checkQuorum: false, maxMessageBytes: 1 },
    })
    const t1 = entry(1, 1, 'first')
    const logs: Record<string, LogEntry[]> = {
      a: [t1, entry(2, 2, 'old')],
      b: [t1],
      c: [t1],
      d: [t1],
      e: [t1, entry(2, 3, 'e')],
    }
    for (const [id, entries] of Object.entries(logs)) {
      const disk = c.disks.get(id)!
      disk.entries = entries
      disk.hardState = { term: id === 'e' ? 4 : 3, votedFor: null, commit: 1 }
      c.restart(id)
    }
    const round = () => {
      c.processAll()
      c.deliverAll()
    }
    // a leads term 4 with b and c and copies 'old' (term 2) to them: a majority holds it
    c.isolate('d')
    c.isolate('e')
    c.node('a').campaign()
    round() // votes out
    round() // votes back: a leads
    round() // probes out
    round() // rejections back (b and c lack index 2)
    round() // entry 2 alone (maxMessageBytes) out
    round() // acknowledgements of index 2 back
    expect(c.node('a').status().progress.get('b')!.match).toBe(2)
    expect(c.node('a').status().progress.get('c')!.match).toBe(2)
    // a crashes before its term-4 no-op reaches anyone
    c.cut.add('a->b')
    c.cut.add('a->c')
    c.stabilize()
    expect(c.node('b').termAt(2)).toBe(2)
    expect(c.node('c').termAt(2)).toBe(2)
    // entry 2 is on a majority but is not of term 4: it must not be committed
    expect(c.node('a').status().commit).toBe(1)
    expect(c.appliedData('a')).toEqual(['first'])
    // a crashes; e (last term 3) wins with b and d, and overwrites index 2
    c.heal()
    c.isolate('a')
    c.isolate('c')
    c.cut.delete('e->c')
    c.cut.delete('c->e')
    c.elect('e')
    c.heal()
    c.tickAll(5)
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      expect(c.appliedData(id)).toEqual(['first', 'e'])
      expect(c.node(id).termAt(2)).toBe(3)
    }
  })

  it('a follower refuses (invariant violation) to truncate committed entries', () => {
    const b = follower([entry(1, 1), entry(2, 1), entry(3, 1)], 3)
    expect(() => b.step(append(1, 1, [entry(2, 2), entry(3, 2)], 3, 2))).toThrow(RaftInvariantError)
    expect(() => b.step(append(1, 1, [entry(2, 2), entry(3, 2)], 3, 2))).toThrow(
      'raft invariant violated: leader a sent term 2 at committed index 2, which has term 1',
    )
  })

  it('an append whose prevLogIndex is below the compacted (purged) index neither crashes nor deletes', () => {
    const b = new RaftCore({
      id: 'b',
      random: prng(2),
      start: {
        hardState: { term: 1, votedFor: null, commit: 10 },
        snapshot: { index: 10, term: 1, membership: membership(['a', 'b', 'c']), sizeBytes: 0 },
        entries: [],
      },
    })
    const entries = Array.from({ length: 7 }, (_, i) => entry(6 + i, 1))
    b.step(append(5, 1, entries, 12))
    expect(answer(b)).toMatchObject({ success: true, matchIndex: 12 })
    expect(b.status()).toMatchObject({ firstIndex: 11, lastIndex: 12, commit: 12 })
    // entirely below the commit index: acknowledged as matching up to commit, nothing changes
    b.step(append(2, 1, [entry(3, 1), entry(4, 1)], 12))
    expect(answer(b)).toMatchObject({ success: true, matchIndex: 12 })
    expect(b.status().lastIndex).toBe(12)
  })
})

describe('leader replication', () => {
  it('replicates, commits on a majority, and every node applies in order', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    for (let i = 0; i < 10; i++) a.propose(enc(`v${i}`))
    c.stabilize()
    c.tickAll(1)
    const expected = Array.from({ length: 10 }, (_, i) => `v${i}`)
    for (const id of ['a', 'b', 'c']) expect(c.appliedData(id)).toEqual(expected)
  })

  it('commits with one follower down, not with two', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.isolate('c')
    a.propose(enc('x'))
    c.stabilize()
    expect(c.appliedData('a')).toEqual(['x'])
    c.isolate('b')
    a.propose(enc('y'))
    c.stabilize()
    expect(c.appliedData('a')).toEqual(['x'])
  })

  it('a follower refuses proposals with the leader id', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    c.elect('a')
    let error: unknown
    try {
      c.node('b').propose(enc('x'))
    } catch (e) {
      error = e
    }
    expect(ProposalDroppedError.isInstance(error)).toBe(true)
    expect(error).toMatchObject({
      reason: 'not-leader',
      leaderId: 'a',
      message: 'proposal dropped: this node is not the leader',
    })
  })

  it('batches: a batch of proposals goes out as one message per follower', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.tickAll(1)
    a.proposeBatch(Array.from({ length: 100 }, (_, i) => enc(`${i}`)))
    for (let i = 0; i < 50; i++) a.propose(enc('more'))
    const appends = drain(a).messages.filter((m) => m.type === 'append-entries')
    expect(appends.map((m) => [m.to, m.type === 'append-entries' && m.entries.length])).toEqual([
      ['b', 150],
      ['c', 150],
    ])
  })

  it('splits appends at maxMessageBytes and pipelines up to maxInflightMessages', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config: { maxMessageBytes: 4, maxInflightMessages: 3 } })
    const a = c.elect('a')
    c.tickAll(1)
    expect(a.status().progress.get('b')!.state).toBe('replicate')
    for (let i = 0; i < 10; i++) a.propose(enc('xxxx'))
    const toB = () =>
      drain(a).messages.filter((m): m is AppendEntriesMessage => m.type === 'append-entries' && m.to === 'b')
    const first = toB()
    expect(first.map((m) => m.entries.length)).toEqual([1, 1, 1])
    // nothing more until an acknowledgement frees the window
    expect(toB()).toEqual([])
    a.step({
      type: 'append-entries-response',
      from: 'b',
      to: 'a',
      term: a.status().term,
      success: true,
      matchIndex: first[0]!.entries[0]!.index,
      rejectIndex: 0,
      conflictTerm: 0,
      conflictIndex: 0,
    })
    expect(toB()).toHaveLength(1)
  })

  it('refuses proposals beyond maxUncommittedBytes with a typed error, and accepts again after commit', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config: { maxUncommittedBytes: 10 } })
    const a = c.elect('a')
    c.isolate('b')
    c.isolate('c')
    a.propose(new Uint8Array(6))
    expect(() => a.propose(new Uint8Array(6))).toThrow(
      'proposal dropped: 6 uncommitted bytes plus 6 exceed the limit of 10',
    )
    c.heal()
    c.stabilize()
    c.tickAll(1)
    expect(a.status().uncommittedBytes).toBe(0)
    expect(() => a.propose(new Uint8Array(6))).not.toThrow()
  })

  it('backtracks a long divergent follower in a few round trips using conflict hints', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config: { preVote: false } })
    const base = Array.from({ length: 5 }, (_, i) => entry(i + 1, 1))
    const leaderLog = [...base, ...Array.from({ length: 100 }, (_, i) => entry(6 + i, 3, 'good'))]
    const staleLog = [...base, ...Array.from({ length: 200 }, (_, i) => entry(6 + i, 2, 'stale'))]
    for (const [id, entries, term] of [
      ['a', leaderLog, 3],
      ['b', staleLog, 2],
      ['c', leaderLog, 3],
    ] as const) {
      const disk = c.disks.get(id)!
      disk.entries = [...entries]
      disk.hardState = { term, votedFor: null, commit: 5 }
      c.restart(id)
    }
    const a = c.elect('a')
    c.tickAll(2)
    const rejections = c.delivered.filter(
      (m) => m.type === 'append-entries-response' && m.from === 'b' && !m.success,
    )
    expect(rejections.length).toBeLessThanOrEqual(2)
    expect(c.node('b').status().lastIndex).toBe(a.status().lastIndex)
    expect(c.node('b').termAt(6)).toBe(3)
  })

  it('recovers lost appends: a follower that missed messages catches up via heartbeats', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.tickAll(1)
    c.cut.add('a->b')
    for (let i = 0; i < 5; i++) {
      a.propose(enc(`${i}`))
      c.stabilize()
    }
    c.heal()
    c.tickAll(3)
    expect(c.appliedData('b')).toEqual(['0', '1', '2', '3', '4'])
  })
})

describe('commit propagation', () => {
  const ack = (from: string, matchIndex: number, term = 2): AppendEntriesResponseMessage => ({
    type: 'append-entries-response',
    from,
    to: 'a',
    term,
    success: true,
    matchIndex,
    rejectIndex: 0,
    conflictTerm: 0,
    conflictIndex: 0,
  })
  /** A leader of term 2 whose followers b and c acknowledged its no-op (index 1): both replicating. */
  function replicating(config: { commitPropagation?: CommitPropagation } = {}): RaftCore {
    const a = leader(['a', 'b', 'c'], [], 2, config)
    a.step(ack('b', 1))
    a.step(ack('c', 1))
    drain(a)
    expect(a.status().commit).toBe(1)
    expect(a.status().progress.get('b')!.state).toBe('replicate')
    return a
  }
  const appendsOf = (messages: readonly { type: string }[]) =>
    messages
      .filter((m): m is AppendEntriesMessage => m.type === 'append-entries')
      .map((m) => ({ to: m.to, entries: m.entries.length, commit: m.commit }))

  it('immediate (the default): a commit goes out at once, in appends without entries', () => {
    const a = replicating()
    a.propose(enc('x'))
    expect(appendsOf(drain(a).messages)).toEqual([
      { to: 'b', entries: 1, commit: 1 },
      { to: 'c', entries: 1, commit: 1 },
    ])
    a.step(ack('b', 2))
    expect(a.status().commit).toBe(2)
    expect(appendsOf(drain(a).messages)).toEqual([
      { to: 'b', entries: 0, commit: 2 },
      { to: 'c', entries: 0, commit: 2 },
    ])
  })

  it('piggyback: no append without entries; the commit rides on the next entries and heartbeat', () => {
    const a = replicating({ commitPropagation: 'piggyback' })
    a.propose(enc('x'))
    drain(a)
    a.step(ack('b', 2))
    expect(a.status().commit).toBe(2)
    expect(appendsOf(drain(a).messages)).toEqual([])
    // the next proposal's appends carry the commit
    a.propose(enc('y'))
    expect(appendsOf(drain(a).messages)).toEqual([
      { to: 'b', entries: 1, commit: 2 },
      { to: 'c', entries: 1, commit: 2 },
    ])
    a.step(ack('b', 3))
    a.step(ack('c', 3))
    expect(a.status().commit).toBe(3)
    expect(appendsOf(drain(a).messages)).toEqual([])
    // with no more entries, the heartbeat tells each follower, capped at its match
    a.tick()
    const heartbeats = drain(a).messages.filter((m) => m.type === 'heartbeat')
    expect(heartbeats.map((m) => [m.to, m.type === 'heartbeat' && m.commit])).toEqual([
      ['b', 3],
      ['c', 3],
    ])
  })

  it('piggyback: a follower whose read the leader answers is told the commit with the answer', () => {
    const a = replicating({ commitPropagation: 'piggyback' })
    a.propose(enc('x'))
    drain(a)
    a.step(ack('b', 2))
    drain(a)
    // c holds entry 2 but has not heard it committed; it asks for a read index
    a.step(ack('c', 2))
    drain(a)
    a.step({ type: 'read-index', from: 'c', to: 'a', term: 2, requestId: 'r1' })
    const round = drain(a).messages.find((m) => m.type === 'heartbeat')
    if (round?.type !== 'heartbeat') throw new Error('no heartbeat round')
    a.step({ type: 'heartbeat-response', from: 'b', to: 'a', term: 2, round: round.round })
    const out = drain(a).messages
    expect(out.find((m) => m.type === 'read-index-response')).toMatchObject({
      to: 'c',
      index: 2,
      success: true,
    })
    expect(appendsOf(out)).toEqual([{ to: 'c', entries: 0, commit: 2 }])
  })

  it('refuses an unknown mode', () => {
    expect(
      () => new RaftCore({ id: 'a', random: prng(1), commitPropagation: 'lazy' as 'piggyback' }),
    ).toThrow(new RangeError(`commitPropagation: expected 'immediate' or 'piggyback', got "lazy"`))
  })
})
