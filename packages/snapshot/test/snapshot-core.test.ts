/** The Chandy–Lamport core, driven by hand: recording, channel states, concurrency, limits and bad input. */
import { Random } from '@synod/sim'
import { describe, expect, it } from 'vitest'
import { SnapshotCore, type SnapshotCoreOptions } from '../src/core/snapshot-core.js'
import { DuplicateSnapshotError, TooManySnapshotsError } from '../src/errors.js'
import { amountOf, Cluster, channelOf, snapshotTotal } from './support/cores.js'

const balances = (cluster: Cluster, index = 0) =>
  Object.fromEntries(
    [...(cluster.completed[index]?.states ?? [])].map(([id, state]) => [id, amountOf(state)]),
  )

describe('Chandy–Lamport snapshot', () => {
  it('records a message in flight in the channel it travelled on', () => {
    const cluster = new Cluster(['a', 'b', 'c'])
    cluster.transfer('b', 'a', 7)
    cluster.collect()
    const held = cluster.take() // b's transfer to a is slow
    cluster.core('a').startSnapshot('s1')
    cluster.settle() // b and c record; b's marker waits at a behind the transfer
    expect(cluster.completed).toEqual([])
    cluster.deliver(held)
    cluster.settle()
    expect(cluster.completed).toHaveLength(1)
    const snapshot = cluster.completed[0]
    expect(snapshot).toMatchObject({ initiator: 'a', id: 's1' })
    expect(balances(cluster)).toEqual({ a: 100, b: 93, c: 100 })
    expect(channelOf(snapshot as never, 'b', 'a')).toEqual([7])
    expect(snapshot?.channels.map((c) => `${c.from}>${c.to}`)).toEqual([
      'a>b',
      'a>c',
      'b>a',
      'b>c',
      'c>a',
      'c>b',
    ])
    expect(snapshot?.channels.filter((c) => c.messages.length > 0)).toHaveLength(1)
    expect(snapshotTotal(snapshot as never)).toBe(300)
    expect(cluster.accounts.get('a')?.balance).toBe(107)
  })

  it('records at the first marker, even when it comes from a process other than the initiator', () => {
    const cluster = new Cluster(['a', 'b', 'c'])
    cluster.transfer('a', 'c', 3) // sent before a records: in c's channel from a
    cluster.core('a').startSnapshot('s1')
    cluster.transfer('a', 'c', 5) // sent after a records: after the marker, in neither
    cluster.collect()
    const toC = cluster.take((e) => e.from === 'a' && e.to === 'c')
    cluster.settle() // b records at a's marker, then c records at b's marker
    const recorded = cluster.events.filter((e) => e.type === 'state-recorded').map((e) => e.at)
    expect(recorded).toEqual(['a', 'b', 'c'])
    expect(cluster.accounts.get('c')?.balance).toBe(100)
    cluster.deliver(toC)
    cluster.settle()
    expect(balances(cluster)).toEqual({ a: 97, b: 100, c: 100 })
    expect(channelOf(cluster.completed[0] as never, 'a', 'c')).toEqual([3])
    expect(snapshotTotal(cluster.completed[0] as never)).toBe(300)
    expect(cluster.accounts.get('c')?.balance).toBe(108)
  })

  it('runs concurrent snapshots from several initiators under loss, duplicates and reordering', () => {
    const ids = ['a', 'b', 'c', 'd']
    const cluster = new Cluster(ids, { maxFramesPerMessage: 2 })
    const random = new Random(42)
    const started: string[] = []
    for (let round = 0; round < 400; round++) {
      if (round < 200 && random.chance(0.5)) {
        const from = random.pick(ids)
        const to = random.pick(ids.filter((id) => id !== from))
        if ((cluster.accounts.get(from)?.balance ?? 0) > 0) cluster.transfer(from, to, random.int(1, 10))
      }
      if (round % 40 === 10) {
        const initiator = random.pick(ids)
        cluster.core(initiator).startSnapshot(`r${round}`)
        started.push(`${initiator}/r${round}`)
      }
      cluster.collect()
      const wire = random.shuffle(cluster.take())
      const delivered = wire.filter(() => random.chance(0.8))
      cluster.deliver([...delivered, ...delivered.filter(() => random.chance(0.1))])
      cluster.tickAll()
    }
    for (let i = 0; i < 200; i++) {
      cluster.tickAll()
      cluster.settle()
    }
    expect(cluster.completed.map((s) => `${s.initiator}/${s.id}`).sort()).toEqual(started.sort())
    for (const snapshot of cluster.completed) expect(snapshotTotal(snapshot)).toBe(400)
    expect(cluster.completed.some((s) => s.channels.some((c) => c.messages.length > 0))).toBe(true)
    expect(cluster.total()).toBe(400)
  })

  it('completes at once with a single member', () => {
    const cluster = new Cluster(['solo'])
    cluster.core('solo').startSnapshot('s1')
    cluster.collect()
    expect(cluster.completed).toEqual([
      { initiator: 'solo', id: 's1', states: new Map([['solo', Uint8Array.of(0, 0, 0, 100)]]), channels: [] },
    ])
    expect(cluster.readies[0]?.parts).toHaveLength(1)
  })

  it('fails a snapshot whose recorded channel states exceed maxRecordedBytes', () => {
    const cluster = new Cluster(['a', 'b'], { maxRecordedBytes: 3 })
    cluster.transfer('b', 'a', 1)
    cluster.collect()
    const held = cluster.take()
    cluster.core('a').startSnapshot('s1')
    cluster.settle()
    cluster.deliver(held)
    cluster.settle()
    expect(cluster.completed).toEqual([])
    expect(cluster.readies.flatMap((r) => r.failed)).toEqual([
      { snapshotId: 's1', reason: 'overflow', overflowed: ['a'] },
    ])
    expect(cluster.core('a').activeSnapshots).toBe(0)
  })

  it('limits snapshots in progress and refuses reused ids', () => {
    const cluster = new Cluster(['a', 'b'], { maxActiveSnapshots: 2 })
    const a = cluster.core('a')
    a.startSnapshot('s1')
    expect(() => a.startSnapshot('s1')).toThrow(new DuplicateSnapshotError('s1'))
    expect(() => a.startSnapshot('s1')).toThrow('snapshot id "s1" was already used by this process')
    a.startSnapshot('s2')
    expect(a.activeSnapshots).toBe(2)
    expect(() => a.startSnapshot('s3')).toThrow(new TooManySnapshotsError(2))
    expect(() => a.startSnapshot('s3')).toThrow('too many snapshots in progress: the limit is 2')
    cluster.settle()
    expect(cluster.completed.map((s) => s.id)).toEqual(['s1', 's2'])
    expect(a.activeSnapshots).toBe(0)
    expect(() => a.startSnapshot('s1')).toThrow(DuplicateSnapshotError)
    a.startSnapshot('s3')
    // b may use the same id: snapshots are named by (initiator, id)
    cluster.core('b').startSnapshot('s3')
    cluster.settle()
    expect(cluster.completed.map((s) => `${s.initiator}/${s.id}`)).toEqual(['a/s1', 'a/s2', 'a/s3', 'b/s3'])
  })

  it('abandons a snapshot: its late parts are ignored', () => {
    const cluster = new Cluster(['a', 'b'])
    cluster.core('a').startSnapshot('s1')
    cluster.collect()
    const held = cluster.take()
    expect(cluster.core('a').abandonSnapshot('s1')).toEqual(['a', 'b']) // a waits for b's marker too
    expect(cluster.core('a').abandonSnapshot('nope')).toBeUndefined()
    cluster.deliver(held)
    cluster.settle()
    expect(cluster.completed).toEqual([])
    expect(cluster.events).toContainEqual({
      type: 'message-ignored',
      at: 'a',
      from: 'b',
      reason: 'part of unknown snapshot "s1"',
    })
  })
})

describe('bad input', () => {
  const base: SnapshotCoreOptions = {
    id: 'a',
    members: ['a', 'b'],
    captureState: () => new Uint8Array(),
    deliver: () => {},
  }
  const cases: [string, Partial<Record<keyof SnapshotCoreOptions, unknown>> | undefined, Error][] = [
    ['options', undefined, new TypeError('options: expected an object, got undefined')],
    ['id type', { id: 7 }, new TypeError('id: expected a string, got 7')],
    ['empty id', { id: '' }, new RangeError('id: expected 1 to 256 UTF-8 bytes, got 0')],
    ['members type', { members: 'ab' }, new TypeError('members: expected an array, got "ab"')],
    ['no members', { members: [] }, new RangeError('members: expected 1 to 1024 ids, got 0')],
    ['duplicate member', { members: ['a', 'b', 'a'] }, new RangeError('members: duplicate id "a"')],
    ['bad member', { members: ['a', 3] }, new TypeError('members[1]: expected a string, got 3')],
    ['not a member', { members: ['b', 'c'] }, new RangeError('members: expected to include id "a"')],
    ['captureState', { captureState: 1 }, new TypeError('captureState: expected a function, got 1')],
    ['deliver', { deliver: null }, new TypeError('deliver: expected a function, got null')],
    [
      'retransmitTicks',
      { retransmitTicks: 0 },
      new RangeError('retransmitTicks: expected an integer in [1, 1000000], got 0'),
    ],
    [
      'maxRetransmitTicks',
      { retransmitTicks: 4, maxRetransmitTicks: 2 },
      new RangeError('maxRetransmitTicks: expected an integer in [4, 1000000], got 2'),
    ],
    [
      'maxInFlightFrames',
      { maxInFlightFrames: 1.5 },
      new RangeError('maxInFlightFrames: expected an integer in [1, 65536], got 1.5'),
    ],
    [
      'maxQueuedFrames',
      { maxQueuedFrames: '9' },
      new TypeError('maxQueuedFrames: expected an integer, got string'),
    ],
    [
      'maxActiveSnapshots',
      { maxActiveSnapshots: 0 },
      new RangeError('maxActiveSnapshots: expected an integer in [1, 1024], got 0'),
    ],
  ]
  it.each(cases)('constructor: %s', (_, change, error) => {
    const options = change === undefined ? undefined : { ...base, ...change }
    expect(() => new SnapshotCore(options as SnapshotCoreOptions)).toThrow(error)
  })

  it('send and startSnapshot say exactly what is wrong', () => {
    const core = new SnapshotCore({ ...base, maxPayloadBytes: 4 })
    expect(() => core.send('a', Uint8Array.of(1))).toThrow(
      new RangeError('to: cannot send to this process itself'),
    )
    expect(() => core.send('z', Uint8Array.of(1))).toThrow(new RangeError('to: "z" is not a member'))
    expect(() => core.send(1 as never, Uint8Array.of(1))).toThrow(
      new TypeError('to: expected a string, got 1'),
    )
    expect(() => core.send('b', [1] as never)).toThrow(
      new TypeError('payload: expected a Uint8Array, got array(1)'),
    )
    expect(() => core.send('b', new Uint8Array(5))).toThrow(
      new RangeError('payload: expected at most 4 bytes, got 5'),
    )
    expect(() => core.startSnapshot('')).toThrow(
      new RangeError('snapshotId: expected 1 to 256 UTF-8 bytes, got 0'),
    )
    expect(() => core.startSnapshot('x'.repeat(257))).toThrow(
      new RangeError('snapshotId: expected 1 to 256 UTF-8 bytes, got 257'),
    )
    expect(() => core.queuedFrames('q')).toThrow(new RangeError('to: "q" is not a member'))
  })

  it('checks what captureState returns', () => {
    const core = new SnapshotCore({ ...base, captureState: () => 'state' as never })
    expect(() => core.startSnapshot('s1')).toThrow(
      new TypeError('captureState(): expected a Uint8Array, got "state"'),
    )
    const big = new SnapshotCore({ ...base, maxStateBytes: 2, captureState: () => new Uint8Array(3) })
    expect(() => big.startSnapshot('s1')).toThrow(
      new RangeError('captureState(): expected at most 2 bytes, got 3'),
    )
  })

  it('refuses startSnapshot from inside captureState', () => {
    let core: SnapshotCore | undefined
    core = new SnapshotCore({
      ...base,
      captureState: () => {
        core?.startSnapshot('inner')
        return new Uint8Array()
      },
    })
    expect(() => core?.startSnapshot('outer')).toThrow(new Error('startSnapshot: called from captureState'))
  })
})
