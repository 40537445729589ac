import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EmptyRingError, Maglev, murmur3 } from '../src/index.js'
import { slotOf } from '../src/maglev.js'
import { fixedKeys, nodeIds, shuffled } from './helpers.js'

/** The paper's population, written plainly for equal weights: nodes take turns in id order. */
function referenceTable(ids: string[], size: number): string[] {
  const order = [...ids].sort()
  const offsets = order.map((id) => murmur3(id, 1) % size)
  const skips = order.map((id) => (murmur3(id, 2) % (size - 1)) + 1)
  const next = order.map(() => 0)
  const table: (string | undefined)[] = new Array(size).fill(undefined)
  let filled = 0
  while (true) {
    for (let i = 0; i < order.length; i++) {
      let slot = (offsets[i]! + next[i]! * skips[i]!) % size
      while (table[slot] !== undefined) {
        next[i]!++
        slot = (offsets[i]! + next[i]! * skips[i]!) % size
      }
      table[slot] = order[i]
      next[i]!++
      if (++filled === size) return table as string[]
    }
  }
}

describe('Maglev', () => {
  it('fills the table exactly as the paper’s population (equal weights)', () => {
    const ids = nodeIds(13)
    const maglev = new Maglev(ids, { tableSize: 1009 })
    const table = referenceTable(ids, 1009)
    for (const key of fixedKeys(5000)) expect(maglev.get(key)).toBe(table[murmur3(key) % 1009])
  })

  it('gives every node M/N entries to within one, and weighted nodes their share', () => {
    const counts = new Maglev(nodeIds(100)).entryCounts()
    for (const count of counts.values()) expect(count === 655 || count === 656).toBe(true)
    const weighted = new Maglev([
      ...nodeIds(10).map((id) => ({ id, weight: 1 })),
      { id: 'heavy', weight: 5 },
    ]).entryCounts()
    const light = [...weighted.entries()].filter(([id]) => id !== 'heavy').map(([, count]) => count)
    for (const count of light) expect(Math.abs(count / (65_537 / 15) - 1)).toBeLessThan(0.01)
    expect(Math.abs(weighted.get('heavy')! / ((5 * 65_537) / 15) - 1)).toBeLessThan(0.01)
  })

  it('does not depend on insertion order', () => {
    const ids = nodeIds(40)
    const a = new Maglev(ids)
    const b = new Maglev(shuffled(ids, 11))
    for (const key of fixedKeys(20_000)) expect(b.get(key)).toBe(a.get(key))
  })

  it('moves few keys when a node is added (under 2× the ideal 1/101 at M = 65537)', () => {
    // Maglev trades some extra movement for perfect balance; the paper reports the same.
    const ids = nodeIds(100)
    const keys = fixedKeys(100_000)
    const base = new Maglev(ids)
    const grown = new Maglev(ids).add('node-100')
    let moved = 0
    let toNewcomer = 0
    for (const key of keys) {
      const after = grown.get(key)
      if (after !== base.get(key)) {
        moved++
        if (after === 'node-100') toNewcomer++
      }
    }
    expect(Math.abs(toNewcomer / keys.length - 1 / 101) / (1 / 101)).toBeLessThan(0.1)
    expect(moved / keys.length).toBeLessThan(2 / 101)
  })

  it('tracks add, remove and reweight like a fresh table', () => {
    const maglev = new Maglev(['a', 'b', 'c'], { tableSize: 251 })
    maglev.get('warm')
    maglev.add('d').remove('b').reweight('a', 2)
    const fresh = new Maglev([{ id: 'a', weight: 2 }, 'c', 'd'], { tableSize: 251 })
    for (const key of fixedKeys(2000)) expect(maglev.get(key)).toBe(fresh.get(key))
    expect(maglev.size).toBe(3)
    expect(maglev.has('b')).toBe(false)
    expect(maglev.byteLength).toBe(502)
    expect(maglev.nodes().map((node) => node.id)).toEqual(['a', 'c', 'd'])
  })

  it('refuses bad input', () => {
    const bad: [() => unknown, Error][] = [
      [() => new Maglev().get('k'), new EmptyRingError('get')],
      [() => new Maglev([], { tableSize: 65_536 }), new RangeError('tableSize: expected a prime, got 65536')],
      [
        () => new Maglev([], { tableSize: 1 }),
        new RangeError('tableSize: expected an integer in [2, 16777213], got 1'),
      ],
      [
        () => new Maglev([], { tableSize: 2 ** 24 + 1 }),
        new RangeError('tableSize: expected an integer in [2, 16777213], got 16777217'),
      ],
      [
        () => new Maglev([], { tableSize: '7' as unknown as number }),
        new TypeError('tableSize: expected a number, got string'),
      ],
      [
        () => new Maglev(['a', 'b', 'c'], { tableSize: 2 }),
        new RangeError('node: a table of 2 entries holds at most 2 nodes'),
      ],
      [
        () => new Maglev(['a']).get(1 as unknown as string),
        new TypeError('key: expected a string, got number'),
      ],
      [
        () => new Maglev([{ id: 'a', weight: Number.NaN }]),
        new RangeError('node.weight: expected a finite number > 0, got NaN'),
      ],
      [
        () => new Maglev(['a']).reweight('a', 0),
        new RangeError('weight: expected a finite number > 0, got 0'),
      ],
      [() => new Maglev(['a']).add('a'), new RangeError('node: "a" is already a node here')],
      [() => new Maglev(['a', 'a']), new RangeError('nodes: duplicate node "a"')],
      [() => new Maglev(['a']).remove('z'), new RangeError('id: "z" is not a node here')],
    ]
    for (const [run, error] of bad) {
      expect(run).toThrow(error.message)
      expect(run).toThrow(error.constructor as new () => Error)
    }
  })
})

describe('Maglev slot arithmetic', () => {
  it('takes hash mod M exactly for any 32-bit hash and table size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 2, max: 16_777_213 }),
        (hash, size) => {
          expect(slotOf(hash, size)).toBe(hash % size)
        },
      ),
      { numRuns: 20_000 },
    )
    for (const size of [2, 3, 65_537, 16_777_213]) {
      for (const hash of [0, 1, size - 1, size, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]) {
        expect(slotOf(hash, size)).toBe(hash % size)
      }
    }
  })
})

describe('Maglev documentation example', () => {
  it('splits a table of 7 between two nodes 4 / 3, the first id taking the first turn', () => {
    expect(new Maglev(['b', 'a'], { tableSize: 7 }).entryCounts()).toEqual(
      new Map([
        ['b', 3],
        ['a', 4],
      ]),
    )
  })
})
