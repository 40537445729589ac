import { MemoryNetwork } from '@synod/transport'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type DynamoCompletion, DynamoCore, type DynamoMessage } from '../src/core/dynamo.js'
import { hash32, preferenceList } from '../src/core/preference.js'
import {
  compareClocks,
  descends,
  mergeClocks,
  reconcile,
  type VectorClock,
} from '../src/core/vector-clock.js'
import { QuorumClosedError, QuorumTimeoutError, TooManyPendingError } from '../src/errors.js'
import { DynamoNode } from '../src/node/dynamo.js'

const members = ['n1', 'n2', 'n3', 'n4', 'n5']

/** A tiny synchronous network of cores: deliver everything (except cut links), tick on demand. */
class Cluster {
  readonly cores: Map<string, DynamoCore>
  readonly completions: DynamoCompletion[] = []
  cut = new Set<string>()
  constructor(options: Partial<ConstructorParameters<typeof DynamoCore>[0]> = {}, ids = members) {
    this.cores = new Map(ids.map((id) => [id, new DynamoCore({ id, members: ids, ...options })]))
  }
  core(id: string): DynamoCore {
    return this.cores.get(id) as DynamoCore
  }
  isolate(...ids: string[]) {
    for (const id of ids) this.cut.add(id)
  }
  /** Delivers until quiet; messages to or from a cut node are lost. */
  settle(limit = 100_000): DynamoCompletion[] {
    const queue: { from: string; to: string; message: DynamoMessage }[] = []
    const start = this.completions.length
    for (let i = 0; i < limit; i++) {
      for (const [id, core] of this.cores) {
        const ready = core.ready()
        for (const { to, message } of ready.messages) queue.push({ from: id, to, message })
        this.completions.push(...ready.completions)
      }
      const next = queue.shift()
      if (next === undefined) return this.completions.slice(start)
      if (this.cut.has(next.from) || this.cut.has(next.to)) continue
      this.cores.get(next.to)?.step(next.from, next.message)
    }
    throw new Error('did not settle')
  }
  tick(times = 1): DynamoCompletion[] {
    const start = this.completions.length
    for (let i = 0; i < times; i++) {
      for (const core of this.cores.values()) core.tick()
      this.settle()
    }
    return this.completions.slice(start)
  }
}

const clock = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 4 }))

describe('vector clocks', () => {
  it('compare is antisymmetric and merge is the least upper bound (property)', () => {
    fc.assert(
      fc.property(clock, clock, (a, b) => {
        const ab = compareClocks(a, b)
        const ba = compareClocks(b, a)
        const mirror = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const
        expect(ba).toBe(mirror[ab])
        const m = mergeClocks([a, b])
        expect(descends(m, a) && descends(m, b)).toBe(true)
        if (descends(a, b)) expect(compareClocks(m, a)).toBe('equal')
      }),
      { numRuns: 2_000 },
    )
  })

  it('reconcile keeps exactly the versions nothing supersedes (property)', () => {
    fc.assert(
      fc.property(fc.array(clock, { maxLength: 8 }), (clocks) => {
        const siblings = clocks.map((c, i) => ({ clock: c, value: `v${i}` }))
        const kept = reconcile(siblings)
        // every input is covered by a kept one; kept ones are pairwise concurrent
        for (const s of siblings) expect(kept.some((k) => descends(k.clock, s.clock))).toBe(true)
        for (const a of kept)
          for (const b of kept) if (a !== b) expect(compareClocks(a.clock, b.clock)).toBe('concurrent')
      }),
      { numRuns: 2_000 },
    )
  })

  it('treats missing actors as zero', () => {
    expect(compareClocks({ a: 0 }, {})).toBe('equal')
    expect(compareClocks({}, { b: 1 })).toBe('before')
    expect(compareClocks({ a: 1 }, { b: 1 })).toBe('concurrent')
    expect(mergeClocks([{ b: 2 }, { a: 1, b: 1 }])).toEqual({ a: 1, b: 2 })
  })
})

describe('preference lists', () => {
  it('are a deterministic permutation of the members, and removing a member moves only its keys', () => {
    const keys = Array.from({ length: 2_000 }, (_, i) => `key-${i}`)
    let moved = 0
    const homes = new Map<string, number>()
    for (const key of keys) {
      const list = preferenceList(key, members)
      expect([...list].sort()).toEqual(members)
      expect(preferenceList(key, [...members].reverse())).toEqual(list)
      const without = preferenceList(
        key,
        members.filter((m) => m !== 'n3'),
      )
      expect(without).toEqual(list.filter((m) => m !== 'n3'))
      if (list[0] === 'n3') moved++
      homes.set(list[0] as string, (homes.get(list[0] as string) ?? 0) + 1)
    }
    // about a fifth of the keys lived first on n3; every member is first for some share
    expect(moved).toBeGreaterThan(300)
    expect(moved).toBeLessThan(500)
    for (const count of homes.values()) expect(count).toBeGreaterThan(300)
    expect(hash32('a')).not.toBe(hash32('b'))
  })
})

describe('DynamoCore', () => {
  it('put then get with R + W > N returns the value and its clock', () => {
    const cluster = new Cluster({ n: 3, r: 2, w: 2 })
    const a = cluster.core('n1')
    a.put('k', 'v1')
    const [put] = cluster.settle()
    expect(put).toMatchObject({ kind: 'put', result: 'ok', clock: { n1: 1 }, hinted: 0 })
    cluster.core('n4').get('k')
    const [get] = cluster.settle()
    expect(get).toMatchObject({
      kind: 'get',
      result: 'ok',
      siblings: [{ clock: { n1: 1 }, value: 'v1' }],
      context: { n1: 1 },
    })
    // the value lives on the key's 3 home replicas, nowhere else
    const homes = preferenceList('k', members).slice(0, 3)
    for (const id of members) expect(cluster.core(id).local('k').length).toBe(homes.includes(id) ? 1 : 0)
  })

  it('concurrent puts become siblings; a put with their context supersedes both', () => {
    const cluster = new Cluster({ n: 3, r: 3, w: 3 })
    cluster.core('n1').put('cart', 'apples')
    cluster.core('n2').put('cart', 'pears')
    cluster.settle()
    cluster.core('n3').get('cart')
    const [get] = cluster.settle()
    if (get?.kind !== 'get' || get.result !== 'ok') throw new Error('get failed')
    expect(get.siblings.map((s) => s.value).sort()).toEqual(['apples', 'pears'])
    expect(get.context).toEqual({ n1: 1, n2: 1 })
    cluster.core('n3').put('cart', 'apples+pears', { context: get.context })
    const [put] = cluster.settle()
    expect(put).toMatchObject({ result: 'ok', clock: { n1: 1, n2: 1, n3: 1 } })
    cluster.core('n5').get('cart')
    expect(cluster.settle()[0]).toMatchObject({ siblings: [{ value: 'apples+pears' }] })
  })

  it('a coordinator never issues the same clock twice for different values', () => {
    const cluster = new Cluster({ n: 3, r: 1, w: 1 })
    const a = cluster.core('n1')
    a.put('k', 'x')
    a.put('k', 'y') // same (empty) context, same coordinator: must still be ordered, not equal
    const done = cluster.settle()
    const clocks = done.map((d) => (d.kind === 'put' && d.result === 'ok' ? d.clock : {}))
    expect(compareClocks(clocks[0] as VectorClock, clocks[1] as VectorClock)).toBe('before')
  })

  it('read repair brings a home replica that missed a write up to date', () => {
    const cluster = new Cluster({ n: 3, r: 3, w: 2, sloppy: false })
    const [h1, h2, h3] = preferenceList('k', members) as [string, string, string]
    cluster.isolate(h3)
    cluster.core(h1).put('k', 'v')
    expect(cluster.settle()[0]).toMatchObject({ result: 'ok' })
    expect(cluster.core(h3).local('k')).toEqual([])
    cluster.cut.clear()
    cluster.core(h2).get('k')
    expect(cluster.settle()[0]).toMatchObject({ result: 'ok', siblings: [{ value: 'v' }] })
    expect(cluster.core(h2).repairsSent).toBe(1)
    expect(cluster.core(h3).local('k')).toMatchObject([{ value: 'v' }])
  })

  it('sloppy: a stand-in takes the write with a hint and hands it off when the home replica is back', () => {
    const cluster = new Cluster({ n: 3, r: 2, w: 3, suspectAfterTicks: 2, handoffIntervalTicks: 5 })
    const list = preferenceList('k', members)
    const [h1, , h3, s1] = list as [string, string, string, string]
    cluster.isolate(h3)
    cluster.core(h1).put('k', 'v')
    expect(cluster.settle()).toEqual([]) // h3 is silent: W = 3 is not met yet
    const done = cluster.tick(2)
    expect(done).toMatchObject([{ kind: 'put', result: 'ok', acks: 3, hinted: 1 }])
    expect(cluster.core(s1).hinted()).toEqual(new Map([[h3, ['k']]]))
    expect(cluster.core(s1).local('k')).toEqual([]) // kept apart from its own data
    cluster.cut.clear()
    cluster.tick(5)
    expect(cluster.core(h3).local('k')).toMatchObject([{ value: 'v' }])
    expect(cluster.core(s1).hinted().size).toBe(0)
    expect(cluster.core(s1).handoffsCompleted).toBe(1)
  })

  it('strict quorums time out instead of using stand-ins', () => {
    const cluster = new Cluster({ n: 3, r: 2, w: 3, sloppy: false, timeoutTicks: 5 })
    const [h1, , h3] = preferenceList('k', members) as [string, string, string]
    cluster.isolate(h3)
    cluster.core(h1).put('k', 'v')
    expect(cluster.tick(5)).toMatchObject([{ kind: 'put', result: 'timeout', replies: 2 }])
    for (const core of cluster.cores.values()) expect(core.hinted().size).toBe(0)
  })

  it('ignores malformed messages and messages from non-members', () => {
    const core = new DynamoCore({ id: 'n1', members })
    core.step('n2', { kind: 'get' } as unknown as DynamoMessage)
    core.step('zz', { kind: 'get', nonce: 0, reqId: 1, key: 'k' })
    core.step('n2', {
      kind: 'put',
      nonce: 0,
      reqId: 1,
      key: 'k',
      siblings: [{ clock: { a: -1 }, value: 'v' }],
    })
    core.step('n2', { kind: 'repair', key: 'k', siblings: [{ clock: {}, value: 5 as never }] })
    expect(core.ready()).toEqual({ messages: [], completions: [] })
    expect(core.ignoredMessages).toBe(4)
  })

  it('refuses invalid N, R, W, members, keys, values and contexts with exact errors', () => {
    const make = (options: object) => () => new DynamoCore({ id: 'n1', members, ...options })
    expect(make({ n: 6 })).toThrow(
      new RangeError('n: expected an integer from 1 to 5 (the number of members), got 6'),
    )
    expect(make({ n: 0 })).toThrow(
      new RangeError('n: expected an integer from 1 to 5 (the number of members), got 0'),
    )
    expect(make({ n: 3, r: 4 })).toThrow(new RangeError('r: expected an integer from 1 to 3 (n), got 4'))
    expect(make({ n: 3, w: 4 })).toThrow(new RangeError('w: expected an integer from 1 to 3 (n), got 4'))
    expect(make({ n: 3, w: 0 })).toThrow(new RangeError('w: expected an integer from 1 to 3 (n), got 0'))
    expect(make({ r: '2' })).toThrow(new TypeError('r: expected an integer, got string'))
    expect(make({ n: 2.5 })).toThrow(
      new RangeError('n: expected an integer from 1 to 5 (the number of members), got 2.5'),
    )
    expect(() => new DynamoCore({ id: 'x', members })).toThrow(
      new RangeError('id: expected one of the members, got "x"'),
    )
    expect(() => new DynamoCore({ id: 'n1', members: [] })).toThrow(
      new RangeError('members: expected at least one node id, got 0'),
    )
    expect(() => new DynamoCore({ id: 'n1', members: ['n1', 'n1'] })).toThrow(
      new RangeError('members: expected distinct node ids'),
    )
    expect(() => new DynamoCore({ id: 'n1', members: 'n1' as never })).toThrow(
      new TypeError('members: expected an array of node ids, got "n1"'),
    )
    expect(() => new DynamoCore({ id: 'n1', members: ['n1', 3 as never] })).toThrow(
      new TypeError('members[1]: expected a non-empty string, got 3'),
    )
    const core = new DynamoCore({
      id: 'n1',
      members,
      n: 3,
      maxKeyBytes: 8,
      maxValueBytes: 4,
      maxPendingOperations: 1,
    })
    expect(() => core.get('k', { r: 4 })).toThrow(
      new RangeError('r: expected an integer from 1 to 3 (n), got 4'),
    )
    expect(() => core.get('k', { n: 6 })).toThrow(
      new RangeError('n: expected an integer from 1 to 5 (the number of members), got 6'),
    )
    expect(() => core.put('k', 'v', { n: 2, w: 3 })).toThrow(
      new RangeError('w: expected an integer from 1 to 2 (n), got 3'),
    )
    expect(() => core.get('')).toThrow(new RangeError('key: expected 1 to 8 UTF-8 bytes, got 0'))
    expect(() => core.get('123456789')).toThrow(new RangeError('key: expected 1 to 8 UTF-8 bytes, got 9'))
    expect(() => core.get({} as never)).toThrow(new TypeError('key: expected a string, got object'))
    expect(() => core.put('k', 'fives')).toThrow(new RangeError('value: expected at most 4 bytes, got 5'))
    expect(() => core.put('k', new Uint8Array(5))).toThrow(
      new RangeError('value: expected at most 4 bytes, got 5'),
    )
    expect(() => core.put('k', undefined as never)).toThrow(
      new TypeError('value: expected a string or a Uint8Array, got undefined'),
    )
    expect(() => core.put('k', 'v', { context: { a: -1 } })).toThrow(
      new TypeError('context: expected a vector clock (a record of non-negative integers)'),
    )
    expect(() => core.put('k', 'v', null as never)).toThrow(
      new TypeError('options: expected an object, got null'),
    )
    core.get('k')
    expect(() => core.get('k')).toThrow(new TooManyPendingError(1))
  })
})

describe('DynamoNode over MemoryNetwork', () => {
  it('puts and gets; times out without enough replicas; rejects after close', async () => {
    const network = new MemoryNetwork<DynamoMessage>()
    const three = ['n1', 'n2', 'n3']
    const nodes = three.map(
      (id) => new DynamoNode({ transport: network.join(id), members: three, tickMs: 5 }),
    )
    const [a, b] = nodes as [DynamoNode, DynamoNode]
    const { clock } = await a.put('k', new Uint8Array([1, 2, 3]))
    const { siblings } = await b.get('k')
    expect(siblings).toEqual([{ clock, value: new Uint8Array([1, 2, 3]) }])
    await Promise.all(nodes.map((n) => n.close()))

    const lonely = new DynamoNode({
      transport: network.join('m1'),
      members: ['m1', 'm2', 'm3'],
      sloppy: false,
      tickMs: 5,
      timeoutMs: 40,
    })
    const error = await lonely.put('k', 'v').catch((e: unknown) => e)
    expect(QuorumTimeoutError.isInstance(error)).toBe(true)
    expect((error as Error).message).toBe('put "k" timed out in the store phase with 1 reply')
    const pending = lonely.get('k')
    await lonely.close()
    await expect(pending).rejects.toThrow(new QuorumClosedError('store'))
    await expect(lonely.get('k')).rejects.toThrow('store is closed')
    await network.close()
  })

  it('refuses bad options with exact errors', async () => {
    const network = new MemoryNetwork<DynamoMessage>()
    const transport = network.join('n1')
    expect(() => new DynamoNode({ transport, members, n: 6 })).toThrow(
      new RangeError('n: expected an integer from 1 to 5 (the number of members), got 6'),
    )
    expect(() => new DynamoNode({ transport, members, n: 2, r: 3 })).toThrow(
      new RangeError('r: expected an integer from 1 to 2 (n), got 3'),
    )
    expect(() => new DynamoNode({ transport, members: ['a', 'b'] })).toThrow(
      new RangeError('id: expected one of the members, got "n1"'),
    )
    expect(() => new DynamoNode({ transport, members, suspectAfterMs: 0 })).toThrow(
      new RangeError('suspectAfterMs: expected an integer from 1 to 86400000, got 0'),
    )
    expect(() => new DynamoNode({ transport: null as never, members })).toThrow(
      new TypeError('transport: expected a Transport'),
    )
    await network.close()
  })
})
