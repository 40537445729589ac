/**
 * Membership: learners, single-server changes, joint consensus (thesis §4.3,
 * etcd's ConfChangeV2 semantics: a configuration takes effect when appended),
 * and the quorum arithmetic checked against a dumb reference.
 */
import { describe, expect, it } from 'vitest'
import {
  applyConfigChange,
  ConfigChangeRefusedError,
  decodeMembership,
  encodeMembership,
  type Membership,
  membership,
  quorumValue,
  RaftCore,
  RaftInvariantError,
  validateMembership,
  voteResult,
} from '../../src/index.js'
import { Cluster, drain, enc, entry, prng } from './helpers.js'

describe('applyConfigChange', () => {
  const abc = membership(['a', 'b', 'c'])

  it('one voter changed: a simple step', () => {
    expect(applyConfigChange(abc, { changes: [{ type: 'add-voter', nodeId: 'd' }] })).toEqual(
      membership(['a', 'b', 'c', 'd']),
    )
    expect(applyConfigChange(abc, { changes: [{ type: 'remove-node', nodeId: 'c' }] })).toEqual(
      membership(['a', 'b']),
    )
    expect(applyConfigChange(abc, { changes: [{ type: 'add-learner', nodeId: 'l' }] })).toEqual(
      membership(['a', 'b', 'c'], ['l']),
    )
  })

  it('several voters changed: joint consensus, left automatically by default', () => {
    const joint = applyConfigChange(abc, {
      changes: [
        { type: 'add-voter', nodeId: 'd' },
        { type: 'add-voter', nodeId: 'e' },
        { type: 'remove-node', nodeId: 'b' },
        { type: 'add-learner', nodeId: 'c' },
      ],
    })
    expect(joint).toEqual({
      voters: ['a', 'd', 'e'],
      learners: [],
      votersOutgoing: ['a', 'b', 'c'],
      learnersNext: ['c'],
      autoLeave: true,
    })
    expect(applyConfigChange(joint, { changes: [] })).toEqual(membership(['a', 'd', 'e'], ['c']))
  })

  it('explicit joint transitions are not left automatically', () => {
    const joint = applyConfigChange(abc, {
      changes: [{ type: 'add-voter', nodeId: 'd' }],
      transition: 'joint-explicit',
    })
    expect(joint.autoLeave).toBe(false)
    expect(joint.votersOutgoing).toEqual(['a', 'b', 'c'])
  })

  it('refuses what breaks a rule, with exact messages', () => {
    const joint = applyConfigChange(abc, {
      changes: [{ type: 'add-voter', nodeId: 'd' }],
      transition: 'joint-explicit',
    })
    expect(() => applyConfigChange(joint, { changes: [{ type: 'add-voter', nodeId: 'e' }] })).toThrow(
      'config change refused: the configuration is joint: leave it first (an empty change)',
    )
    expect(() => applyConfigChange(abc, { changes: [] })).toThrow(
      'config change refused: no changes, and the configuration is not joint',
    )
    expect(() =>
      applyConfigChange(membership(['a']), { changes: [{ type: 'remove-node', nodeId: 'a' }] }),
    ).toThrow(ConfigChangeRefusedError)
  })

  it('membership encoding round-trips and rejects corrupt data as an invariant violation', () => {
    const m = membership(['a', 'b'], ['c'])
    expect(decodeMembership(encodeMembership(m))).toEqual(m)
    expect(() => decodeMembership(enc('{"voters":[]'))).toThrow(RaftInvariantError)
    expect(() => validateMembership(membership(['a'], ['a']))).toThrow(
      'membership: "a" is both a voter and a learner',
    )
  })
})

describe('quorum arithmetic against a dumb reference', () => {
  const reference = (m: Membership, values: Map<string, number>) => {
    // the largest v such that a majority of each (non-empty) half has value >= v
    const candidates = [0, ...values.values()].sort((x, y) => y - x)
    const ok = (voters: string[], v: number) =>
      voters.length === 0 || voters.filter((id) => (values.get(id) ?? 0) >= v).length * 2 > voters.length
    for (const v of candidates) if (ok(m.voters, v) && ok(m.votersOutgoing, v)) return v
    return 0
  }
  const referenceVote = (m: Membership, votes: Map<string, boolean>) => {
    const half = (voters: string[]) => {
      if (voters.length === 0) return 'won'
      const yes = voters.filter((id) => votes.get(id) === true).length
      const no = voters.filter((id) => votes.get(id) === false).length
      if (yes * 2 > voters.length) return 'won'
      if ((voters.length - no) * 2 <= voters.length) return 'lost'
      return 'pending'
    }
    const x = half(m.voters)
    const y = half(m.votersOutgoing)
    return x === 'lost' || y === 'lost' ? 'lost' : x === 'won' && y === 'won' ? 'won' : 'pending'
  }

  it('agrees on 5,000 random configurations', () => {
    const rnd = prng(99)
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
    for (let i = 0; i < 5000; i++) {
      const pick = () => ids.filter(() => rnd() < 0.5)
      let voters = pick()
      if (voters.length === 0) voters = ['a']
      const outgoing = rnd() < 0.5 ? pick() : []
      const m: Membership = {
        voters,
        learners: [],
        votersOutgoing: outgoing,
        learnersNext: [],
        autoLeave: false,
      }
      const values = new Map(ids.map((id) => [id, Math.floor(rnd() * 10)]))
      expect(quorumValue(m, (id) => values.get(id) ?? 0)).toBe(reference(m, values))
      const votes = new Map<string, boolean>()
      for (const id of ids) {
        const r = rnd()
        if (r < 0.33) votes.set(id, true)
        else if (r < 0.66) votes.set(id, false)
      }
      expect(voteResult(m, votes)).toBe(referenceVote(m, votes))
    }
  })
})

function members(c: Cluster, id: string) {
  return c.node(id).status().membership
}

describe('membership changes in a cluster', () => {
  it('a learner receives the log and applies it, but does not vote or count for commit', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.add('l', null)
    a.proposeConfigChange({ changes: [{ type: 'add-learner', nodeId: 'l' }] })
    c.stabilize()
    a.propose(enc('x'))
    c.stabilize()
    c.tickAll(1)
    expect(c.appliedData('l')).toEqual(['x'])
    expect(members(c, 'l').learners).toEqual(['l'])
    // the learner never campaigns
    c.isolate('l')
    for (let i = 0; i < 50; i++) c.node('l').tick()
    expect(c.node('l').status().role).toBe('follower')
    // with b and c down, a and the learner cannot commit
    c.heal()
    c.isolate('b')
    c.isolate('c')
    a.propose(enc('y'))
    c.stabilize()
    expect(c.appliedData('a')).toEqual(['x'])
  })

  it('a configuration takes effect when appended, before it commits, and is rolled back if truncated', () => {
    const b = new RaftCore({
      id: 'b',
      random: prng(1),
      initialMembership: membership(['a', 'b', 'c']),
    })
    const config = {
      index: 1,
      term: 1,
      kind: 'config' as const,
      data: encodeMembership(membership(['a', 'b', 'c', 'd'])),
    }
    b.step({
      type: 'append-entries',
      from: 'a',
      to: 'b',
      term: 1,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [config],
      commit: 0,
    })
    expect(b.status().membership.voters).toEqual(['a', 'b', 'c', 'd'])
    expect(b.status().commit).toBe(0)
    // a new leader of term 2 overwrites the uncommitted configuration entry
    b.step({
      type: 'append-entries',
      from: 'c',
      to: 'b',
      term: 2,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [entry(1, 2)],
      commit: 0,
    })
    expect(b.status().membership.voters).toEqual(['a', 'b', 'c'])
    const changes = drain(b).events.filter((e) => e.type === 'membership-changed')
    expect(changes.map((e) => e.type === 'membership-changed' && e.index)).toEqual([0, 1, 0])
  })

  it('adds a voter by a single-server step and promotes a learner', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.add('d', null)
    a.proposeConfigChange({ changes: [{ type: 'add-learner', nodeId: 'd' }] })
    c.stabilize()
    a.proposeConfigChange({ changes: [{ type: 'add-voter', nodeId: 'd' }] })
    c.stabilize()
    c.tickAll(1)
    for (const id of ['a', 'b', 'c', 'd']) expect(members(c, id)).toEqual(membership(['a', 'b', 'c', 'd']))
    // d now counts: with b and c down, a and d are not a majority of 4
    c.isolate('b')
    c.isolate('c')
    a.propose(enc('x'))
    c.stabilize()
    expect(c.appliedData('a')).toEqual([])
  })

  it('replaces two voters by joint consensus and leaves the joint configuration automatically', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.add('d', null)
    c.add('e', null)
    a.proposeConfigChange({
      changes: [
        { type: 'add-voter', nodeId: 'd' },
        { type: 'add-voter', nodeId: 'e' },
        { type: 'remove-node', nodeId: 'b' },
        { type: 'remove-node', nodeId: 'c' },
      ],
    })
    expect(a.status().membership.votersOutgoing).toEqual(['a', 'b', 'c'])
    c.stabilize()
    c.tickAll(2)
    for (const id of ['a', 'd', 'e']) expect(members(c, id)).toEqual(membership(['a', 'd', 'e']))
    const configEntries = a.entries(1, 100).filter((e) => e.kind === 'config')
    expect(configEntries).toHaveLength(2)
    a.propose(enc('after'))
    c.isolate('b')
    c.isolate('c')
    c.stabilize()
    expect(c.appliedData('d')).toEqual(['after'])
  })

  it('in a joint configuration, commits need a majority of both halves', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    c.add('d', null)
    c.add('e', null)
    a.proposeConfigChange({
      changes: [
        { type: 'add-voter', nodeId: 'd' },
        { type: 'add-voter', nodeId: 'e' },
      ],
      transition: 'joint-explicit',
    })
    c.stabilize()
    c.tickAll(1)
    expect(members(c, 'a').votersOutgoing).toEqual(['a', 'b', 'c'])
    // b and c down: the incoming half {a,b,c,d,e} has a majority (a, d, e), the outgoing {a,b,c} has not
    c.isolate('b')
    c.isolate('c')
    a.propose(enc('x'))
    c.stabilize()
    expect(c.appliedData('a')).toEqual([])
    c.heal()
    c.tickAll(2)
    expect(c.appliedData('a')).toEqual(['x'])
    // explicit leave
    a.proposeConfigChange({ changes: [] })
    c.stabilize()
    c.tickAll(1)
    expect(members(c, 'a')).toEqual(membership(['a', 'b', 'c', 'd', 'e']))
  })

  it('a new leader that inherits an uncommitted joint configuration leaves it only after committing it', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config: { preVote: false, checkQuorum: false } })
    const a = c.elect('a')
    c.add('d', null)
    // the joint entry reaches b only, and a never hears back
    c.cut.add('a->c')
    c.cut.add('a->d')
    c.cut.add('b->a')
    a.proposeConfigChange({ changes: [{ type: 'add-voter', nodeId: 'd' }], transition: 'joint-auto-leave' })
    c.stabilize()
    const b = c.node('b')
    expect(b.status().membership.votersOutgoing).toEqual(['a', 'b', 'c'])
    expect(b.status().commit).toBeLessThan(b.status().lastIndex)
    c.heal()
    c.isolate('a')
    c.campaignTwoRounds('b')
    expect(b.status().role).toBe('leader')
    // not committed yet in b's term: no leave entry
    const configs = () => b.entries(1, 100).filter((e) => e.kind === 'config')
    expect(configs()).toHaveLength(1)
    c.stabilize()
    c.tickAll(2)
    expect(configs()).toHaveLength(2)
    for (const id of ['b', 'c', 'd']) expect(members(c, id)).toEqual(membership(['a', 'b', 'c', 'd']))
  })

  it('refuses a second change while one is in flight, and on a new leader before it commits in its term', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], config: { preVote: false, checkQuorum: false } })
    const a = c.elect('a')
    a.proposeConfigChange({ changes: [{ type: 'add-learner', nodeId: 'x' }] })
    expect(() => a.proposeConfigChange({ changes: [{ type: 'add-learner', nodeId: 'y' }] })).toThrow(
      'config change refused: a configuration change is already in flight (index 2)',
    )
    c.stabilize()
    expect(() => a.proposeConfigChange({ changes: [{ type: 'add-learner', nodeId: 'y' }] })).not.toThrow()
    c.stabilize()
    // a new leader: nothing until its no-op commits
    const b = c.node('b')
    c.campaignTwoRounds('b')
    expect(b.status().role).toBe('leader')
    expect(() => b.proposeConfigChange({ changes: [{ type: 'add-learner', nodeId: 'z' }] })).toThrow(
      'config change refused: the leader has not yet committed an entry of its term',
    )
    c.stabilize()
    expect(() => b.proposeConfigChange({ changes: [{ type: 'add-learner', nodeId: 'z' }] })).not.toThrow()
  })

  it('a leader that removes itself steps down once the change commits; the others elect a leader', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    a.proposeConfigChange({ changes: [{ type: 'remove-node', nodeId: 'a' }] })
    c.stabilize()
    expect(a.status().role).toBe('follower')
    c.nodes.delete('a')
    c.tickAll(40)
    const leader = c.leader()!
    expect(['b', 'c']).toContain(leader.id)
    leader.propose(enc('x'))
    c.stabilize()
    c.tickAll(1)
    expect(c.appliedData('b')).toEqual(['x'])
  })
})
