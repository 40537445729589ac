/** The README's examples, run as written (MemoryNetwork, real timers). */
import { MemoryNetwork } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import {
  type DynamoMessage,
  DynamoNode,
  FencedStore,
  flexible,
  grid,
  LeaseService,
  majority,
  QuorumRegister,
  type RegisterMessage,
  StaleTokenError,
  verifyIntersection,
  weighted,
} from '../src/index.js'

describe('README examples', () => {
  it('quorum systems', () => {
    const m = majority(['a', 'b', 'c'])
    expect(m.isQuorum(['a', 'c'])).toBe(true)
    expect(m.availability(0.1).read).toBeCloseTo(0.972, 12)
    const w = weighted({ votes: { p: 2, s1: 1, s2: 1 }, readVotes: 2, writeVotes: 3 })
    expect(w.isReadQuorum(['p'])).toBe(true)
    const g = grid([
      ['a', 'b', 'c'],
      ['d', 'e', 'f'],
      ['g', 'h', 'i'],
    ])
    expect(g.isWriteQuorum(['a', 'd', 'g', 'b', 'c'])).toBe(true)
    const f = flexible(['a', 'b', 'c', 'd', 'e'], { phase1Size: 4, phase2Size: 2 })
    expect(verifyIntersection(f)).toEqual({ ok: true })
    expect(() => weighted({ votes: { a: 1, b: 1 }, readVotes: 1, writeVotes: 1 })).toThrow(
      new RangeError(
        'readVotes + writeVotes must exceed the total votes so reads see the latest write: 1 + 1 <= 2',
      ),
    )
  })

  it('linearizable register', async () => {
    const ids = ['a', 'b', 'c']
    const network = new MemoryNetwork<RegisterMessage>()
    const system = majority(ids)
    const registers = ids.map(
      (id) => new QuorumRegister({ transport: network.join(id), system, timeoutMs: 1_000 }),
    )
    const [a, b] = registers as [QuorumRegister, QuorumRegister]
    expect(await a.write('x', 'hello')).toEqual({ counter: 1, writer: 'a' })
    expect(await b.read('x')).toBe('hello')
    expect(await b.update('x', ({ value }) => ({ value: `${value}!` }))).toMatchObject({
      written: true,
      value: 'hello!',
    })
    await Promise.all(registers.map((r) => r.close()))
    await network.close()
  })

  it('Dynamo-style store', async () => {
    const members = ['n1', 'n2', 'n3', 'n4', 'n5']
    const network = new MemoryNetwork<DynamoMessage>()
    const nodes = members.map(
      (id) => new DynamoNode({ transport: network.join(id), members, n: 3, r: 2, w: 2 }),
    )
    const [n1, n2, n3] = nodes as [DynamoNode, DynamoNode, DynamoNode]
    expect(await n1.put('cart', 'apples')).toEqual({ clock: { n1: 1 }, hinted: 0 })
    let { siblings, context } = await n2.get('cart')
    expect(siblings).toEqual([{ value: 'apples', clock: { n1: 1 } }])
    await n2.put('cart', 'apples, pears', { context })
    ;({ siblings, context } = await n2.get('cart'))
    expect(siblings.map((s) => s.value)).toEqual(['apples, pears'])
    await Promise.all([n1.put('cart', 'milk', { context }), n3.put('cart', 'bread', { context })])
    ;({ siblings, context } = await n2.get('cart', { r: 3 }))
    expect(siblings.map((s) => s.value).sort()).toEqual(['bread', 'milk'])
    await n2.put('cart', 'milk, bread', { context })
    expect((await n1.get('cart', { r: 3 })).siblings.map((s) => s.value)).toEqual(['milk, bread'])
    await expect(n1.put('cart', 'x'.repeat(2_000_000))).rejects.toThrow(
      new RangeError('value: expected at most 1048576 bytes, got 2000000'),
    )
    await Promise.all(nodes.map((n) => n.close()))
    await network.close()
  })

  it('fencing tokens', async () => {
    const network = new MemoryNetwork<RegisterMessage>()
    const system = majority(['a', 'b', 'c'])
    const registers = ['a', 'b', 'c'].map((id) => new QuorumRegister({ transport: network.join(id), system }))
    const leases = new LeaseService({ register: registers[0] as QuorumRegister })
    const lease = await leases.acquire('leader', { holder: 'node-a', leaseMs: 2_000 })
    expect(lease.token).toEqual({ counter: 1, writer: 'a' })
    const storage = new FencedStore<string>()
    storage.write('config', 'v2', lease.token)
    expect(() => storage.write('config', 'v1', { counter: 0, writer: 'node-z' })).toThrow(StaleTokenError)
    expect(await leases.release('leader', lease.token)).toBe(true)
    await Promise.all(registers.map((r) => r.close()))
    await network.close()
  })
})
