/** The core driven directly: step, tick, propose, ready. No timers, no network. */
import { describe, expect, it } from 'vitest'
import { PaxosCore } from '../../src/core/paxos.js'
import type { Ballot, PaxosMessage } from '../../src/core/types.js'
import { NotLeaderError, ProposalQueueFullError } from '../../src/errors.js'
import { CoreCluster, decode, encode, seeded } from '../support/cores.js'

const b = (round: number, nodeId: string): Ballot => ({ round, nodeId })
const encodeValue = (text: string) => ({ kind: 'command' as const, data: encode(text) })

describe('election via phase 1', () => {
  it('a candidate sends prepare for every slot from its first unchosen one and leads with a majority of promises', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.core('a').campaign()
    expect(cluster.core('a').status()).toMatchObject({
      role: 'candidate',
      ballot: b(1, 'a'),
      promised: b(1, 'a'),
    })
    const prepares = cluster.take()
    expect(prepares.map((e) => [e.to, e.message])).toEqual([
      ['b', { type: 'prepare', ballot: b(1, 'a'), fromSlot: 1 }],
      ['c', { type: 'prepare', ballot: b(1, 'a'), fromSlot: 1 }],
    ])
    cluster.deliver(prepares.slice(0, 1)) // b promises: a and b are a majority of three
    const promises = cluster.take((e) => e.message.type === 'promise')
    expect(promises[0]?.message).toEqual({
      type: 'promise',
      ballot: b(1, 'a'),
      fromSlot: 1,
      entries: [],
      nextSlot: null,
      chosenIndex: 0,
      compactedSlot: 0,
    })
    cluster.deliver(promises)
    expect(cluster.core('a').status().role).toBe('leader')
    cluster.stabilize()
    expect(cluster.core('b').status()).toMatchObject({ role: 'follower', leaderId: 'a', promised: b(1, 'a') })
  })

  it('the promise is persisted before the prepare leaves', () => {
    const core = new PaxosCore({ id: 'a', members: ['a', 'b', 'c'], random: seeded(1) })
    core.campaign()
    const ready = core.ready()
    expect(ready.records).toEqual([{ type: 'promise', ballot: b(1, 'a') }])
    expect(ready.messages).toHaveLength(2)
  })

  it('a follower campaigns on its own after missing heartbeats, with jitter from the injected PRNG', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    let ticks = 0
    while (cluster.core('a').status().role === 'follower' && ticks < 100) {
      cluster.core('a').tick()
      ticks++
    }
    expect(ticks).toBeGreaterThanOrEqual(10)
    expect(ticks).toBeLessThan(20)
    const again = new CoreCluster(['a', 'b', 'c'])
    let ticksAgain = 0
    while (again.core('a').status().role === 'follower') {
      again.core('a').tick()
      ticksAgain++
    }
    expect(ticksAgain).toBe(ticks) // same seed, same timeout
  })

  it('a leader keeps its followers quiet with heartbeats', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    cluster.tickAll(200)
    for (const id of ['a', 'b', 'c']) expect(cluster.core(id).status().leaderId).toBe('a')
    expect(cluster.core('a').status().ballot).toEqual(b(1, 'a'))
  })

  it('a leader that cannot hear from a majority steps down', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    cluster.isolated.add('a')
    for (let i = 0; i < 25; i++) {
      cluster.core('a').tick()
      cluster.stabilize()
    }
    expect(cluster.core('a').status().role).not.toBe('leader')
  })
})

describe('phase 2: pipelining, batching, commit', () => {
  it('chooses proposals in order on every replica and hands back the proposal ids', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    const ids = ['x', 'y', 'z'].map((text) => cluster.core('a').propose(encode(text)))
    const accepts = cluster.take((e) => e.message.type === 'accept')
    // three proposals, one batched accept per follower
    expect(accepts.map((e) => e.message.type === 'accept' && e.message.entries.map((x) => x.slot))).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ])
    cluster.deliver(accepts)
    cluster.stabilize()
    expect(cluster.log('a')).toEqual(['x', 'y', 'z'])
    expect(cluster.applied.get('a')?.map((e) => e.proposalId)).toEqual(ids)
    cluster.tickAll(2) // the next heartbeat carries the commit index
    expect(cluster.log('b')).toEqual(['x', 'y', 'z'])
    expect(cluster.log('c')).toEqual(['x', 'y', 'z'])
    expect(cluster.applied.get('b')?.every((e) => e.proposalId === null)).toBe(true)
  })

  it('keeps at most maxInflightSlots open and batches at most maxBatchEntries per message', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'], { maxInflightSlots: 4, maxBatchEntries: 3 })
    cluster.elect('a')
    for (let i = 0; i < 10; i++) cluster.core('a').propose(encode(`v${i}`))
    const accepts = cluster.take((e) => e.message.type === 'accept' && e.to === 'b')
    expect(accepts.map((e) => e.message.type === 'accept' && e.message.entries.length)).toEqual([3, 1])
    expect(cluster.core('a').status()).toMatchObject({ inflightSlots: 4, pendingProposals: 6 })
    cluster.queue = []
    cluster.tickAll(20) // retransmission fills the window again and again
    expect(cluster.log('a')).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`))
  })

  it('bounds the in-flight bytes', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'], { maxInflightBytes: 10 })
    cluster.elect('a')
    for (let i = 0; i < 4; i++) cluster.core('a').propose(new Uint8Array(6))
    cluster.collect()
    expect(cluster.core('a').status()).toMatchObject({ inflightSlots: 1, pendingProposals: 3 })
    cluster.stabilize()
    expect(cluster.core('a').status().chosenIndex).toBe(4)
  })

  it('a one-replica cluster chooses at once', () => {
    const core = new PaxosCore({ id: 'a', members: ['a'], random: seeded(1) })
    core.campaign()
    const id = core.propose(encode('hello'))
    const ready = core.ready()
    expect(ready.chosen).toEqual([
      { slot: 1, value: { kind: 'command', data: encode('hello') }, proposalId: id },
    ])
    expect(ready.records.map((r) => r.type)).toEqual(['promise', 'accept'])
  })
})

describe('leader change', () => {
  it('re-proposes a value a minority accepted (the classic safety scenario)', () => {
    const cluster = new CoreCluster(['a', 'b', 'c', 'd', 'e'])
    cluster.elect('a')
    cluster.core('a').propose(encode('X'))
    // only b receives the accept: X is accepted by a and b, not chosen
    const accepts = cluster.take((e) => e.message.type === 'accept')
    cluster.deliver(accepts.filter((e) => e.to === 'b'))
    cluster.queue = []
    cluster.isolated.add('a')
    cluster.elect('c')
    expect(cluster.core('c').status().role).toBe('leader')
    cluster.stabilize()
    cluster.tickAll(2)
    for (const id of ['b', 'c', 'd', 'e']) expect(cluster.log(id)).toEqual(['X'])
  })

  it('re-proposes a value that was chosen though the new leader never heard of it', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    cluster.core('a').propose(encode('X'))
    cluster.deliver(cluster.take((e) => e.message.type === 'accept' && e.to === 'b'))
    cluster.deliver(cluster.take((e) => e.message.type === 'accepted'))
    expect(cluster.log('a')).toEqual(['X']) // chosen: a and b accepted it
    cluster.queue = []
    cluster.isolated.add('a')
    cluster.elect('c') // c knows nothing of X; b's promise tells it
    cluster.tickAll(2)
    expect(cluster.log('c')).toEqual(['X'])
    expect(cluster.log('b')).toEqual(['X'])
  })

  it('picks the value accepted at the highest ballot among the promises', () => {
    const core = new PaxosCore({ id: 'c', members: ['a', 'b', 'c', 'd', 'e'], random: seeded(3) })
    core.campaign()
    core.ready()
    const ballot = core.status().ballot
    const promise = (entries: { slot: number; ballot: Ballot; text: string }[]): PaxosMessage => ({
      type: 'promise',
      ballot,
      fromSlot: 1,
      entries: entries.map((e) => ({
        slot: e.slot,
        ballot: e.ballot,
        value: { kind: 'command', data: encode(e.text) },
      })),
      nextSlot: null,
      chosenIndex: 0,
      compactedSlot: 0,
    })
    core.step('a', promise([{ slot: 1, ballot: b(0, 'a'), text: 'old' }]))
    expect(core.status().role).toBe('candidate')
    core.step(
      'd',
      promise([
        { slot: 1, ballot: b(0, 'd'), text: 'newer' },
        { slot: 3, ballot: b(0, 'a'), text: 'three' },
      ]),
    )
    expect(core.status().role).toBe('leader')
    const ready = core.ready()
    const accept = ready.messages.find((m) => m.message.type === 'accept' && m.message.entries.length > 0)
    expect(
      accept?.message.type === 'accept' &&
        accept.message.entries.map((e) => [e.slot, e.value.kind === 'command' ? decode(e.value.data) : '-']),
    ).toEqual([
      [1, 'newer'],
      [2, '-'], // the gap is filled with a no-op
      [3, 'three'],
    ])
  })

  it('fills gaps with no-ops and continues after them', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    for (const text of ['1', '2', '3']) cluster.core('a').propose(encode(text))
    const accepts = cluster.take((e) => e.message.type === 'accept' && e.to === 'b')
    // b receives only slot 3
    const only3 = accepts.map((e) =>
      e.message.type === 'accept'
        ? { ...e, message: { ...e.message, entries: e.message.entries.filter((x) => x.slot === 3) } }
        : e,
    )
    cluster.deliver(only3)
    cluster.queue = []
    cluster.isolated.add('a')
    cluster.elect('b')
    cluster.core('b').propose(encode('4'))
    cluster.stabilize()
    cluster.tickAll(2)
    expect(cluster.log('b')).toEqual(['-', '-', '3', '4'])
    expect(cluster.log('c')).toEqual(['-', '-', '3', '4'])
  })

  it('a preempted leader steps back, drops its queued proposals and names the new leader', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'], { maxInflightSlots: 1 })
    cluster.elect('a')
    cluster.core('a').propose(encode('first'))
    const queued = cluster.core('a').propose(encode('queued')) // waits for the window
    cluster.collect()
    cluster.queue = []
    cluster.elect('b') // a promises b's higher ballot
    expect(cluster.core('a').status()).toMatchObject({ role: 'follower', leaderId: 'b' })
    expect(cluster.dropped.get('a')).toEqual([{ proposalId: queued, reason: 'leadership-lost' }])
    expect(() => cluster.core('a').propose(encode('x'))).toThrow(new NotLeaderError('b'))
    expect(() => cluster.core('a').propose(encode('x'))).toThrow('not the leader: try "b"')
    cluster.tickAll(2)
    expect(cluster.log('a')).toEqual(['first']) // b found 'first' in a's promise
  })

  it('a leader whose accept meets a higher promise is rejected and steps back', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    const c = cluster.core('c')
    c.step('b', { type: 'prepare', ballot: b(5, 'b'), fromSlot: 1 }) // c promises (5, b)
    cluster.collect()
    cluster.queue = []
    cluster.core('a').propose(encode('late'))
    cluster.deliver(cluster.take((e) => e.message.type === 'accept' && e.to === 'c'))
    const reject = cluster.take((e) => e.message.type === 'reject')
    expect(reject[0]?.message).toEqual({ type: 'reject', ballot: b(1, 'a'), promised: b(5, 'b') })
    cluster.deliver(reject)
    expect(cluster.core('a').status().role).toBe('follower')
    cluster.core('a').campaign()
    expect(cluster.core('a').status().ballot).toEqual(b(6, 'a')) // above every ballot seen
  })

  it('with leader stickiness, a replica that hears from a live leader ignores a challenger', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'], { leaderStickiness: true })
    cluster.elect('a')
    cluster.tickAll(3)
    cluster.core('c').campaign()
    cluster.stabilize()
    expect(cluster.core('c').status().role).toBe('candidate')
    expect(cluster.core('b').status().leaderId).toBe('a')
    cluster.isolated.add('a')
    for (let i = 0; i < 60 && cluster.core('a').status().role === 'leader'; i++) cluster.tickAll()
    for (
      let i = 0;
      i < 60 && ![cluster.core('b'), cluster.core('c')].some((x) => x.status().role === 'leader');
      i++
    )
      cluster.tickAll()
    expect(['b', 'c'].some((id) => cluster.core(id).status().role === 'leader')).toBe(true)
  })
})

describe('duplicate, stale and reordered messages', () => {
  it('reaches the same log when every message is duplicated and the order reversed', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    for (let i = 0; i < 20; i++) cluster.core('a').propose(encode(`v${i}`))
    for (let round = 0; round < 50; round++) {
      const batch = cluster.take()
      if (batch.length === 0) break
      cluster.deliver([...batch, ...batch].reverse())
    }
    cluster.tickAll(3)
    const expected = Array.from({ length: 20 }, (_, i) => `v${i}`)
    for (const id of ['a', 'b', 'c']) expect(cluster.log(id)).toEqual(expected)
  })

  it('ignores stale promises and answers an accept below its promise with a reject', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.core('a').campaign()
    cluster.deliver(cluster.take())
    const promises = cluster.take((e) => e.message.type === 'promise')
    cluster.core('a').campaign() // a second ballot: the first one's promises are stale
    cluster.deliver(cluster.take((e) => e.message.type === 'prepare' && e.to === 'b'))
    cluster.queue = []
    cluster.deliver(promises)
    expect(cluster.core('a').status().role).toBe('candidate')
    const acceptor = cluster.core('b')
    acceptor.step('c', { type: 'accept', ballot: b(1, 'c'), entries: [], commitIndex: 0 })
    const ready = acceptor.ready()
    expect(ready.messages).toEqual([
      { to: 'c', message: { type: 'reject', ballot: b(1, 'c'), promised: b(2, 'a') } },
    ])
  })

  it('ignores messages from non-members, from itself, and with a ballot that is not the sender’s', () => {
    const core = new PaxosCore({ id: 'a', members: ['a', 'b', 'c'], random: seeded(1) })
    core.step('z', { type: 'prepare', ballot: b(1, 'z'), fromSlot: 1 })
    core.step('a', { type: 'prepare', ballot: b(1, 'a'), fromSlot: 1 })
    core.step('b', { type: 'prepare', ballot: b(1, 'c'), fromSlot: 1 })
    expect(core.hasReady()).toBe(false)
    expect(core.status().promised).toEqual(b(0, ''))
  })
})

describe('catch-up and paging', () => {
  it('a lagging replica learns every chosen value it missed, page by page', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'], { maxBatchEntries: 8 })
    cluster.elect('a')
    cluster.isolated.add('c')
    for (let i = 0; i < 100; i++) cluster.core('a').propose(encode(`v${i}`))
    cluster.stabilize()
    cluster.tickAll(3)
    expect(cluster.log('c')).toEqual([])
    cluster.isolated.delete('c')
    cluster.tickAll(40)
    expect(cluster.log('c')).toEqual(Array.from({ length: 100 }, (_, i) => `v${i}`))
  })

  it('a candidate collects a long tail of accepted values in pages', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'], { maxBatchEntries: 4 })
    cluster.elect('a')
    for (let i = 0; i < 30; i++) cluster.core('a').propose(encode(`v${i}`))
    const accepts = cluster.take((e) => e.message.type === 'accept' && e.to === 'b')
    cluster.deliver(accepts)
    cluster.queue = []
    cluster.isolated.add('a')
    cluster.elect('c')
    expect(cluster.core('c').status().role).toBe('leader')
    cluster.tickAll(5)
    expect(cluster.log('c')).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`))
  })
})

describe('compaction and snapshot transfer', () => {
  it('a replica that lags behind a compaction is sent the snapshot and continues after it', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'], { maxBatchEntries: 4 })
    cluster.elect('a')
    cluster.isolated.add('c')
    for (let i = 1; i <= 20; i++) cluster.core('a').propose(encode(`v${i}`))
    cluster.stabilize()
    cluster.tickAll(2)
    cluster.compact('a', 20)
    expect(cluster.core('a').status()).toMatchObject({ compactedSlot: 20, chosenIndex: 20 })
    expect(cluster.core('a').chosenValue(20)).toBeUndefined()
    expect(cluster.storages.get('a')?.load()).toMatchObject({ compactedSlot: 20, accepted: [] })
    cluster.isolated.delete('c')
    cluster.tickAll(4)
    expect(cluster.installed.get('c')).toEqual(['20:state@20'])
    cluster.core('a').propose(encode('v21'))
    cluster.stabilize()
    cluster.tickAll(2)
    expect(cluster.log('c')).toEqual(['v21']) // nothing before the snapshot is applied one by one
    expect(cluster.core('c').status()).toMatchObject({ compactedSlot: 20, chosenIndex: 21 })
  })

  it('a candidate behind a compaction gets the snapshot first, then runs phase 1 after it', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    cluster.isolated.add('c')
    for (let i = 1; i <= 10; i++) cluster.core('a').propose(encode(`v${i}`))
    cluster.stabilize()
    cluster.tickAll(2)
    cluster.compact('a', 10)
    cluster.compact('b', 10)
    cluster.isolated.delete('c')
    cluster.isolated.add('a')
    cluster.core('c').campaign() // from slot 1: b answers that it compacted up to 10, and sends its snapshot
    cluster.stabilize()
    expect(cluster.installed.get('c')).toEqual(['10:state@10'])
    expect(cluster.core('c').status()).toMatchObject({ role: 'leader', compactedSlot: 10 })
    cluster.core('c').propose(encode('after'))
    cluster.stabilize()
    expect(cluster.log('c')).toEqual(['after'])
    expect(cluster.applied.get('c')?.[0]?.slot).toBe(11)
  })

  it('an acceptor acknowledges an accept for a compacted slot without storing it', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    cluster.core('a').propose(encode('x'))
    cluster.stabilize()
    cluster.tickAll(2)
    cluster.compact('b', 1)
    const b = cluster.core('b')
    b.step('c', {
      type: 'accept',
      ballot: { round: 9, nodeId: 'c' },
      entries: [{ slot: 1, value: encodeValue('x') }],
      commitIndex: 0,
    })
    const ready = b.ready()
    expect(ready.records).toEqual([])
    expect(ready.messages.at(-1)?.message).toEqual({
      type: 'accepted',
      ballot: { round: 9, nodeId: 'c' },
      slots: [1],
      chosenIndex: 1,
    })
  })

  it('refuses to compact what is not applied, with exact messages', () => {
    const cluster = new CoreCluster(['a'])
    cluster.elect('a')
    cluster.core('a').propose(encode('x'))
    cluster.collect()
    const core = cluster.core('a')
    expect(() => core.compact(2)).toThrow(new RangeError('slot: expected an applied slot from 1 to 1, got 2'))
    expect(() => core.compact('1' as never)).toThrow(new TypeError('slot: expected an integer, got string'))
    core.compact(1)
    expect(() => core.compact(1)).toThrow(new RangeError('slot: expected an applied slot from 2 to 1, got 1'))
  })
})

describe('restart from persisted state', () => {
  it('an acceptor keeps its promise and accepted values across a restart', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    cluster.core('a').propose(encode('kept'))
    cluster.deliver(cluster.take((e) => e.message.type === 'accept' && e.to === 'b'))
    cluster.queue = []
    cluster.restart('b')
    expect(cluster.core('b').status()).toMatchObject({
      promised: b(1, 'a'),
      lastAcceptedSlot: 1,
      chosenIndex: 0,
    })
    cluster.isolated.add('a')
    cluster.elect('c')
    cluster.tickAll(2)
    expect(cluster.log('c')).toEqual(['kept'])
    expect(cluster.log('b')).toEqual(['kept'])
  })

  it('a restarted proposer never reuses a ballot', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    cluster.restart('a')
    expect(cluster.core('a').status()).toMatchObject({ role: 'follower', promised: b(1, 'a') })
    cluster.core('a').campaign()
    expect(cluster.core('a').status().ballot).toEqual(b(2, 'a'))
  })

  it('a whole cluster restarted relearns its chosen log through phase 1', () => {
    const cluster = new CoreCluster(['a', 'b', 'c'])
    cluster.elect('a')
    for (const text of ['p', 'q']) cluster.core('a').propose(encode(text))
    cluster.stabilize()
    for (const id of ['a', 'b', 'c']) cluster.restart(id)
    cluster.elect('b')
    cluster.tickAll(3)
    for (const id of ['a', 'b', 'c']) expect(cluster.log(id).slice(-2)).toEqual(['p', 'q'])
  })
})

describe('limits and bad inputs', () => {
  const base = { id: 'a', members: ['a', 'b', 'c'], random: seeded(1) }
  it('refuses bad options with exact messages', () => {
    const cases: [unknown, Error][] = [
      [null, new TypeError('options: expected an object, got null')],
      [{ ...base, id: 7 }, new TypeError('id: expected a node id string, got number')],
      [{ ...base, members: 'abc' }, new TypeError('members: expected an array of node ids, got "abc"')],
      [{ ...base, members: [] }, new RangeError('members: expected 1 to 64 node ids, got 0')],
      [{ ...base, members: ['a', 'b', 'a'] }, new RangeError('members[2]: "a" is listed twice')],
      [{ ...base, members: ['b', 'c'] }, new RangeError('members: must include this replica\'s id "a"')],
      [{ ...base, random: 4 }, new TypeError('random: expected a function, got 4')],
      [
        { ...base, electionTicks: 2 },
        new RangeError('electionTicks: expected more than heartbeatTicks (2), got 2'),
      ],
      [
        { ...base, heartbeatTicks: 1.5 },
        new RangeError('heartbeatTicks: expected an integer from 1 to 1000000, got 1.5'),
      ],
      [{ ...base, maxBatchEntries: '8' }, new TypeError('maxBatchEntries: expected an integer, got "8"')],
      [
        { ...base, maxInflightSlots: 0 },
        new RangeError('maxInflightSlots: expected an integer from 1 to 1000000, got 0'),
      ],
      [
        { ...base, maxCommandBytes: 10, maxBatchBytes: 5 },
        new RangeError('maxCommandBytes: expected at most maxBatchBytes (5), got 10'),
      ],
      [
        { ...base, leaderStickiness: 'yes' },
        new TypeError('leaderStickiness: expected a boolean, got "yes"'),
      ],
      [{ ...base, random: () => 1 }, new RangeError('random: expected a number in [0, 1), got 1')],
    ]
    for (const [options, error] of cases) {
      expect(() => new PaxosCore(options as never)).toThrow(error)
      try {
        new PaxosCore(options as never)
      } catch (thrown) {
        expect((thrown as Error).constructor).toBe(error.constructor)
      }
    }
  })

  it('refuses bad proposals with exact messages', () => {
    const core = new PaxosCore({ ...base, maxCommandBytes: 4, maxPendingProposals: 2 })
    expect(() => core.propose('x' as never)).toThrow(
      new TypeError('command: expected a Uint8Array, got string'),
    )
    expect(() => core.propose(new Uint8Array(5))).toThrow(
      new RangeError('command: expected at most 4 bytes, got 5'),
    )
    expect(() => core.propose(new Uint8Array(1))).toThrow(new NotLeaderError(null))
    expect(() => core.propose(new Uint8Array(1))).toThrow('not the leader: no leader known')
  })

  it('bounds the queue of proposals waiting for a slot', () => {
    const core = new PaxosCore({ ...base, members: ['a'], maxPendingProposals: 2, maxPendingBytes: 5 })
    core.campaign()
    core.propose(new Uint8Array(2))
    core.propose(new Uint8Array(2))
    expect(() => core.propose(new Uint8Array(1))).toThrow(
      new ProposalQueueFullError('2 proposals pending (limit 2)'),
    )
    core.ready()
    core.propose(new Uint8Array(4))
    expect(() => core.propose(new Uint8Array(2))).toThrow('proposal queue full: 6 bytes pending (limit 5)')
  })
})
