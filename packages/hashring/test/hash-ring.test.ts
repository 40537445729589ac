import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EmptyRingError, HashRing, murmur3 } from '../src/index.js'
import { fixedKeys, loads, nodeIds, shuffled } from './helpers.js'

/** A dumb fast-mode ring built from the documented rule alone: points murmur3("<id>#<i>"). */
function referenceRing(nodes: { id: string; weight: number }[], pointsPerNode = 160) {
  const points: { value: number; id: string }[] = []
  for (const { id, weight } of nodes) {
    const count = Math.max(1, Math.round(weight * pointsPerNode))
    for (let i = 0; i < count; i++) points.push({ value: murmur3(`${id}#${i}`), id })
  }
  points.sort((a, b) => a.value - b.value || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const walk = (key: string, limit = Number.POSITIVE_INFINITY): string[] => {
    const hash = murmur3(key)
    let start = points.findIndex((point) => point.value >= hash)
    if (start < 0) start = 0
    const order: string[] = []
    for (let step = 0; step < points.length && order.length < limit; step++) {
      const id = points[(start + step) % points.length]!.id
      if (!order.includes(id)) order.push(id)
    }
    return order
  }
  return { walk }
}

describe('HashRing (fast mode)', () => {
  it('maps fixed keys to fixed nodes (a change of hash or point rule fails here)', () => {
    const ring = new HashRing(['alpha', 'beta', 'gamma', 'delta'])
    const golden = Object.fromEntries(
      ['0', '1', 'user:42', 'session/abc', 'ключ', '🔑'].map((key) => [key, ring.get(key)]),
    )
    expect(golden).toMatchInlineSnapshot(`
      {
        "0": "alpha",
        "1": "delta",
        "session/abc": "delta",
        "user:42": "gamma",
        "ключ": "beta",
        "🔑": "alpha",
      }
    `)
    expect(ring.hashOf('user:42')).toBe(murmur3('user:42'))
    expect(ring.pointCount).toBe(640)
  })

  it('agrees with a dumb reference ring on get and getN', () => {
    const nodes = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 0.5 },
      { id: 'c', weight: 2 },
      { id: 'd', weight: 1 },
      { id: 'e', weight: 0.01 },
    ]
    const ring = new HashRing(nodes, { pointsPerNode: 40 })
    const reference = referenceRing(nodes, 40)
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.integer({ min: 1, max: 5 }), (key, n) => {
        const order = reference.walk(key)
        expect(ring.get(key)).toBe(order[0])
        expect(ring.getN(key, n)).toEqual(order.slice(0, n))
      }),
      { numRuns: 2000 },
    )
  })

  it('agrees with the reference on a ring of more than 65536 points (wide bucket index)', () => {
    const nodes = nodeIds(420).map((id) => ({ id, weight: 1 }))
    const ring = new HashRing(nodes)
    expect(ring.pointCount).toBe(67_200)
    const reference = referenceRing(nodes)
    for (const key of fixedKeys(60)) expect(ring.getN(key, 2)).toEqual(reference.walk(key, 2))
  })

  it('maps 100k keys identically whatever the insertion order', () => {
    const ids = nodeIds(100)
    const keys = fixedKeys(100_000)
    const forward = new HashRing(ids)
    const backward = new HashRing([...ids].reverse())
    const incremental = new HashRing()
    for (const id of shuffled(ids, 7)) incremental.add(id)
    let different = 0
    for (const key of keys) {
      const node = forward.get(key)
      if (backward.get(key) !== node || incremental.get(key) !== node) different++
    }
    expect(different).toBe(0)
  })

  it('moves keys only to an added node, about 1/101 of them', () => {
    const ids = nodeIds(100)
    const keys = fixedKeys(100_000)
    const base = new HashRing(ids)
    const before = keys.map((key) => base.get(key))
    // Average over ten different newcomers so one node's luck does not decide the test.
    let movedTotal = 0
    for (let trial = 0; trial < 10; trial++) {
      const newcomer = `newcomer-${trial}`
      const grown = new HashRing(ids).add(newcomer)
      keys.forEach((key, i) => {
        const after = grown.get(key)
        if (after !== before[i]) {
          expect(after).toBe(newcomer)
          movedTotal++
        }
      })
    }
    const movedFraction = movedTotal / (10 * keys.length)
    expect(Math.abs(movedFraction - 1 / 101) / (1 / 101)).toBeLessThan(0.1)
  })

  it('moves only the keys of a removed node, and only keys to or from a reweighted node', () => {
    const ids = nodeIds(20)
    const keys = fixedKeys(20_000)
    const ring = new HashRing(ids)
    const before = keys.map((key) => ring.get(key))
    ring.remove('node-3')
    keys.forEach((key, i) => {
      if (before[i] !== 'node-3') expect(ring.get(key)).toBe(before[i])
      else expect(ring.get(key)).not.toBe('node-3')
    })
    const middle = keys.map((key) => ring.get(key))
    ring.reweight('node-5', 2)
    keys.forEach((key, i) => {
      const after = ring.get(key)
      if (after !== middle[i]) expect(after).toBe('node-5')
    })
    ring.reweight('node-5', 0.5)
    keys.forEach((key, i) => {
      const after = ring.get(key)
      if (after !== middle[i]) expect(middle[i]).toBe('node-5')
    })
  })

  it('gives a node keys in proportion to its weight', () => {
    const ring = new HashRing([...nodeIds(9).map((id) => ({ id, weight: 1 })), { id: 'heavy', weight: 3 }])
    const counts = loads(fixedKeys(120_000), (key) => ring.get(key))
    const light = nodeIds(9).reduce((sum, id) => sum + counts.get(id)!, 0) / 9
    const ratio = counts.get('heavy')! / light
    expect(ratio).toBeGreaterThan(2.6)
    expect(ratio).toBeLessThan(3.4)
    expect(ring.pointsOf('heavy')).toBe(480)
  })

  it('returns n distinct nodes in ring order from getN, the first being get()', () => {
    const ring = new HashRing(nodeIds(7), { mode: 'fast' })
    for (const key of fixedKeys(2000)) {
      const replicas = ring.getN(key, 7)
      expect(new Set(replicas).size).toBe(7)
      expect(replicas[0]).toBe(ring.get(key))
      expect(ring.getN(key, 3)).toEqual(replicas.slice(0, 3))
    }
  })

  it('rebuilds after changes exactly as a fresh ring would', () => {
    const keys = fixedKeys(5000)
    for (const mode of ['fast', 'libketama', 'libmemcached'] as const) {
      const ring = new HashRing(['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211'], { mode })
      ring.get('warm')
      ring.add({ id: '10.0.0.4:11211', weight: 2 }).remove('10.0.0.2:11211').reweight('10.0.0.1:11211', 3)
      const fresh = new HashRing(
        [
          { id: '10.0.0.1:11211', weight: 3 },
          { id: '10.0.0.3:11211', weight: 1 },
          { id: '10.0.0.4:11211', weight: 2 },
        ],
        { mode },
      )
      for (const key of keys) expect(ring.getN(key, 3)).toEqual(fresh.getN(key, 3))
      expect(ring.nodes()).toEqual(fresh.nodes())
    }
  })

  it('reports its nodes, size and memory', () => {
    const ring = new HashRing(['a', { id: 'b', weight: 2 }])
    expect(ring.size).toBe(2)
    expect(ring.has('a')).toBe(true)
    expect(ring.has('z')).toBe(false)
    expect(ring.nodes()).toEqual([
      { id: 'a', weight: 1 },
      { id: 'b', weight: 2 },
    ])
    expect(ring.pointCount).toBe(480)
    expect(ring.byteLength).toBeGreaterThan(480 * 6)
    expect(new HashRing().byteLength).toBe(0)
  })
})

describe('HashRing errors', () => {
  it('refuses lookups on an empty ring', () => {
    const ring = new HashRing()
    expect(() => ring.get('k')).toThrow(EmptyRingError)
    expect(() => ring.get('k')).toThrow('get: there are no nodes')
    expect(() => ring.getN('k', 1)).toThrow('getN: there are no nodes')
    ring.add('a').remove('a')
    try {
      ring.get('k')
      expect.unreachable()
    } catch (error) {
      expect(EmptyRingError.isInstance(error)).toBe(true)
      expect((error as EmptyRingError).code).toBe('ERR_EMPTY_RING')
    }
    expect(EmptyRingError.isInstance(new Error('x'))).toBe(false)
  })

  it('refuses bad weights, ids, duplicates, keys, n and options with exact messages', () => {
    const bad: [() => unknown, Error][] = [
      [
        () => new HashRing([{ id: 'a', weight: Number.NaN }]),
        new RangeError('node.weight: expected a finite number > 0, got NaN'),
      ],
      [
        () => new HashRing([{ id: 'a', weight: -1 }]),
        new RangeError('node.weight: expected a finite number > 0, got -1'),
      ],
      [
        () => new HashRing([{ id: 'a', weight: 0 }]),
        new RangeError('node.weight: expected a finite number > 0, got 0'),
      ],
      [
        () => new HashRing([{ id: 'a', weight: Infinity }]),
        new RangeError('node.weight: expected a finite number > 0, got Infinity'),
      ],
      [
        () => new HashRing([{ id: 'a', weight: '2' as unknown as number }]),
        new TypeError('node.weight: expected a number, got string'),
      ],
      [() => new HashRing(['a', 'a']), new RangeError('nodes: duplicate node "a"')],
      [() => new HashRing(['']), new RangeError('node: expected a non-empty string, got ""')],
      [
        () => new HashRing(['x'.repeat(257)]),
        new RangeError('node: expected at most 256 characters, got length=257'),
      ],
      [
        () => new HashRing([7 as unknown as string]),
        new TypeError('node: expected a string or { id, weight }, got number'),
      ],
      [
        () => new HashRing([{ id: 7 } as unknown as string]),
        new TypeError('node.id: expected a string, got number'),
      ],
      [
        () => new HashRing(5 as unknown as string[]),
        new TypeError('nodes: expected an iterable of nodes, got number'),
      ],
      [() => new HashRing(['a']).add('a'), new RangeError('node: "a" is already on the ring')],
      [() => new HashRing(['a']).remove('b'), new RangeError('id: "b" is not a node here')],
      [
        () => new HashRing(['a']).remove(1 as unknown as string),
        new TypeError('id: expected a string, got number'),
      ],
      [
        () => new HashRing(['a']).reweight('a', Number.NaN),
        new RangeError('weight: expected a finite number > 0, got NaN'),
      ],
      [
        () => new HashRing(['a']).reweight('a', -2),
        new RangeError('weight: expected a finite number > 0, got -2'),
      ],
      [
        () => new HashRing(['a']).get(1 as unknown as string),
        new TypeError('key: expected a string, got number'),
      ],
      [
        () => new HashRing(['a']).get(null as unknown as string),
        new TypeError('key: expected a string, got null'),
      ],
      [
        () => new HashRing(['a']).getN(undefined as unknown as string, 1),
        new TypeError('key: expected a string, got undefined'),
      ],
      [
        () => new HashRing(['a', 'b']).getN('k', 3),
        new RangeError('n: expected an integer in [1, 2], got 3'),
      ],
      [
        () => new HashRing(['a', 'b']).getN('k', 0),
        new RangeError('n: expected an integer in [1, 2], got 0'),
      ],
      [
        () => new HashRing(['a', 'b']).getN('k', 1.5),
        new RangeError('n: expected an integer in [1, 2], got 1.5'),
      ],
      [
        () => new HashRing(['a', 'b']).getN('k', '1' as unknown as number),
        new TypeError('n: expected a number, got string'),
      ],
      [
        () => new HashRing([], { mode: 'md5' as 'fast' }),
        new RangeError(`mode: expected 'fast', 'libketama' or 'libmemcached', got "md5"`),
      ],
      [
        () => new HashRing([], { mode: 3 as unknown as 'fast' }),
        new TypeError('mode: expected a string, got number'),
      ],
      [
        () => new HashRing([], { pointsPerNode: 0 }),
        new RangeError('pointsPerNode: expected an integer in [1, 65536], got 0'),
      ],
      [
        () => new HashRing([], { mode: 'libketama', pointsPerNode: 100 }),
        new RangeError('pointsPerNode: fixed by the library in libketama mode, got 100'),
      ],
      [
        () => new HashRing([], null as unknown as object),
        new TypeError('options: expected an object, got null'),
      ],
      [
        () => new HashRing([{ id: 'a', weight: 1.5 }], { mode: 'libketama' }),
        new RangeError('weight: expected an integer in [1, 4294967295] in libketama mode, got 1.5'),
      ],
      [
        () => new HashRing([{ id: 'a', weight: 2 ** 32 }], { mode: 'libmemcached' }),
        new RangeError('weight: expected an integer in [1, 4294967295] in libmemcached mode, got 4294967296'),
      ],
      [
        () => new HashRing([{ id: 'a', weight: 10_000 }]),
        new RangeError('weight: 10000 × 160 points exceeds 1048576 points per node'),
      ],
    ]
    for (const [run, error] of bad) {
      expect(run).toThrow(error)
      try {
        run()
      } catch (caught) {
        expect((caught as Error).constructor).toBe(error.constructor)
      }
    }
  })

  it('refuses a ring of more than 2^24 points', () => {
    const ring = new HashRing([], { pointsPerNode: 65_536 })
    for (let i = 0; i < 256; i++) ring.add(`n${i}`)
    expect(() => ring.add('one-more')).toThrow(
      new RangeError('node: the ring would hold 16842752 points, more than 16777216'),
    )
    expect(ring.size).toBe(256)
  })
})
