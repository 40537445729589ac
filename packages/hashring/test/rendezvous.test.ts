import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EmptyRingError, murmur3, Rendezvous } from '../src/index.js'
import { fixedKeys, loads, nodeIds, shuffled } from './helpers.js'

/** MurmurHash3 x86_32 over raw bytes (seed 0), for the documented pair hash. */
function murmur3Bytes(bytes: Uint8Array): number {
  let h = 0
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  h ^= bytes.length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The documented rule, the slow way: rank nodes by weight / -ln((hash + 0.5) / 2^32), ties to the smaller id. */
function referenceRanking(key: string, nodes: { id: string; weight: number }[]): string[] {
  const keyHash = murmur3(key)
  const scored = nodes.map(({ id, weight }) => {
    const bytes = new Uint8Array(12)
    const view = new DataView(bytes.buffer)
    view.setUint32(0, keyHash, true)
    view.setUint32(4, murmur3(id, 0), true)
    view.setUint32(8, murmur3(id, 1), true)
    const u = (murmur3Bytes(bytes) + 0.5) / 2 ** 32
    return { id, score: weight / -Math.log(u) }
  })
  scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
  return scored.map((s) => s.id)
}

describe('Rendezvous', () => {
  it('picks the highest weight / -ln(u) score, ties to the smaller id', () => {
    // Check against a brute-force ranking computed from the public pieces.
    const nodes = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 2 },
      { id: 'c', weight: 0.5 },
      { id: 'd', weight: 1 },
    ]
    const hrw = new Rendezvous(nodes)
    const equal = new Rendezvous(nodes.map(({ id }) => id))
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (key) => {
        const ranking = referenceRanking(key, nodes)
        expect(hrw.getN(key, 4)).toEqual(ranking)
        expect(hrw.get(key)).toBe(ranking[0])
        const equalRanking = referenceRanking(
          key,
          nodes.map(({ id }) => ({ id, weight: 1 })),
        )
        expect(equal.getN(key, 4)).toEqual(equalRanking)
        expect(equal.get(key)).toBe(equalRanking[0])
      }),
      { numRuns: 1000 },
    )
  })

  it('gives each node its share of the weight', () => {
    const nodes = [...nodeIds(8).map((id) => ({ id, weight: 1 })), { id: 'heavy', weight: 4 }]
    const hrw = new Rendezvous(nodes)
    const counts = loads(fixedKeys(120_000), (key) => hrw.get(key))
    for (const id of nodeIds(8)) expect(Math.abs(counts.get(id)! / 10_000 - 1)).toBeLessThan(0.05)
    expect(Math.abs(counts.get('heavy')! / 40_000 - 1)).toBeLessThan(0.05)
  })

  it('moves keys only to an added node (about 1/101), and only from a removed one', () => {
    const ids = nodeIds(100)
    const keys = fixedKeys(100_000)
    const base = new Rendezvous(ids)
    const grown = new Rendezvous(ids).add('node-100')
    let moved = 0
    for (const key of keys) {
      const before = base.get(key)
      const after = grown.get(key)
      if (before !== after) {
        expect(after).toBe('node-100')
        moved++
      }
    }
    expect(Math.abs(moved / keys.length - 1 / 101) / (1 / 101)).toBeLessThan(0.1)
    grown.remove('node-100')
    for (const key of keys.slice(0, 10_000)) expect(grown.get(key)).toBe(base.get(key))
  })

  it('moves keys only to or from a reweighted node', () => {
    const keys = fixedKeys(20_000)
    const hrw = new Rendezvous(nodeIds(10))
    const before = keys.map((key) => hrw.get(key))
    hrw.reweight('node-4', 3)
    keys.forEach((key, i) => {
      const after = hrw.get(key)
      if (after !== before[i]) expect(after).toBe('node-4')
    })
  })

  it('does not depend on insertion order', () => {
    const nodes = nodeIds(30).map((id, i) => ({ id, weight: 1 + (i % 3) }))
    const a = new Rendezvous(nodes)
    const b = new Rendezvous(shuffled(nodes, 3))
    for (const key of fixedKeys(20_000)) expect(b.getN(key, 3)).toEqual(a.getN(key, 3))
  })

  it('maps fixed keys to fixed nodes', () => {
    const hrw = new Rendezvous(['alpha', 'beta', 'gamma', { id: 'delta', weight: 2 }])
    expect(['0', '1', 'user:42', 'session/abc'].map((key) => hrw.get(key))).toMatchInlineSnapshot(`
      [
        "delta",
        "alpha",
        "beta",
        "delta",
      ]
    `)
  })

  it('refuses bad input', () => {
    const bad: [() => unknown, Error][] = [
      [() => new Rendezvous().get('k'), new EmptyRingError('get')],
      [() => new Rendezvous().getN('k', 1), new EmptyRingError('getN')],
      [
        () => new Rendezvous(['a']).get(5 as unknown as string),
        new TypeError('key: expected a string, got number'),
      ],
      [() => new Rendezvous(['a']).getN('k', 2), new RangeError('n: expected an integer in [1, 1], got 2')],
      [
        () => new Rendezvous([{ id: 'a', weight: -1 }]),
        new RangeError('node.weight: expected a finite number > 0, got -1'),
      ],
      [
        () => new Rendezvous(['a']).reweight('a', Infinity),
        new RangeError('weight: expected a finite number > 0, got Infinity'),
      ],
      [() => new Rendezvous(['a', 'a']), new RangeError('nodes: duplicate node "a"')],
      [() => new Rendezvous(['a']).add('a'), new RangeError('node: "a" is already a node here')],
      [() => new Rendezvous(['a']).remove('b'), new RangeError('id: "b" is not a node here')],
    ]
    for (const [run, error] of bad) {
      expect(run).toThrow(error.message)
      expect(run).toThrow(error.constructor as new () => Error)
    }
  })
})
