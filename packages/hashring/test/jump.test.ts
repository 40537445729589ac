import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EmptyRingError, JumpHash, jumpHash, murmur3 } from '../src/index.js'
import { fixedKeys, loads, nodeIds } from './helpers.js'

/** The paper's C++ JumpConsistentHash transcribed with BigInt, as the reference. */
function referenceJump(key: bigint, buckets: number): number {
  let k = key
  let b = -1n
  let j = 0n
  while (j < BigInt(buckets)) {
    b = j
    k = (k * 2862933555777941757n + 1n) & 0xffffffffffffffffn
    j = BigInt(Math.trunc(Number(b + 1n) * (Number(1n << 31n) / Number((k >> 33n) + 1n))))
  }
  return Number(b)
}

describe('jumpHash', () => {
  it('equals the paper’s algorithm on any 64-bit key and bucket count', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (key, buckets) => {
          expect(jumpHash(key, buckets)).toBe(referenceJump(key, buckets))
        },
      ),
      { numRuns: 3000 },
    )
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 1, max: 1000 }), (key, buckets) => {
        expect(jumpHash(key, buckets)).toBe(referenceJump(BigInt(key), buckets))
      }),
      { numRuns: 2000 },
    )
  })

  it('hashes a string key with murmur3 first', () => {
    for (const key of fixedKeys(200)) expect(jumpHash(key, 37)).toBe(referenceJump(BigInt(murmur3(key)), 37))
    expect([0, 1, 2, 3].map((key) => jumpHash(key, 1))).toEqual([0, 0, 0, 0])
  })

  it('moves exactly the keys that land in a new bucket, about 1/(n+1) of them', () => {
    const keys = fixedKeys(100_000)
    let moved = 0
    for (const key of keys) {
      const before = jumpHash(key, 100)
      const after = jumpHash(key, 101)
      if (before !== after) {
        expect(after).toBe(100)
        moved++
      }
    }
    expect(Math.abs(moved / keys.length - 1 / 101) / (1 / 101)).toBeLessThan(0.1)
  })

  it('refuses bad keys and bucket counts', () => {
    const bad: [() => unknown, Error][] = [
      [() => jumpHash('k', 0), new RangeError('buckets: expected an integer in [1, 2147483647], got 0')],
      [
        () => jumpHash('k', 2 ** 31),
        new RangeError('buckets: expected an integer in [1, 2147483647], got 2147483648'),
      ],
      [
        () => jumpHash('k', Number.NaN),
        new RangeError('buckets: expected an integer in [1, 2147483647], got NaN'),
      ],
      [
        () => jumpHash('k', '3' as unknown as number),
        new TypeError('buckets: expected a number, got string'),
      ],
      [() => jumpHash(-1, 3), new RangeError('key: expected a safe integer ≥ 0, got -1')],
      [() => jumpHash(1.5, 3), new RangeError('key: expected a safe integer ≥ 0, got 1.5')],
      [() => jumpHash(2 ** 53, 3), new RangeError('key: expected a safe integer ≥ 0, got 9007199254740992')],
      [
        () => jumpHash(2n ** 64n, 3),
        new RangeError('key: expected a bigint in [0, 2^64 - 1], got 18446744073709551616n'),
      ],
      [() => jumpHash(-1n, 3), new RangeError('key: expected a bigint in [0, 2^64 - 1], got -1n')],
      [
        () => jumpHash(null as unknown as string, 3),
        new TypeError('key: expected a string, number or bigint, got null'),
      ],
    ]
    for (const [run, error] of bad) expect(run).toThrow(error)
  })
})

describe('JumpHash', () => {
  it('maps keys to node ids by bucket, evenly', () => {
    const ids = nodeIds(10)
    const jump = new JumpHash(ids)
    const keys = fixedKeys(50_000)
    for (const key of keys.slice(0, 500)) expect(jump.get(key)).toBe(ids[jumpHash(key, 10)])
    expect(jump.get(12345n)).toBe(ids[jumpHash(12345n, 10)])
    const counts = loads(keys, (key) => jump.get(key))
    for (const id of ids) expect(Math.abs(counts.get(id)! / 5000 - 1)).toBeLessThan(0.05)
  })

  it('adds at the end and removes only the last node', () => {
    const jump = new JumpHash(['a', 'b'])
    jump.add('c')
    expect(jump.nodes()).toEqual(['a', 'b', 'c'])
    expect(jump.size).toBe(3)
    expect(jump.has('b')).toBe(true)
    expect(() => jump.remove('a')).toThrow(
      new RangeError('id: jump hash removes only the last node ("c"), got "a"'),
    )
    expect(() => jump.remove('z')).toThrow(new RangeError('id: "z" is not a node here'))
    jump.remove('c')
    expect(jump.nodes()).toEqual(['a', 'b'])
  })

  it('refuses bad input', () => {
    expect(() => new JumpHash().get('k')).toThrow(EmptyRingError)
    expect(() => new JumpHash().get(5)).toThrow('get: there are no nodes')
    expect(() => new JumpHash(['a', 'a'])).toThrow(new RangeError('id: "a" is already a node here'))
    expect(() => new JumpHash([''])).toThrow(new RangeError('id: expected a non-empty string, got ""'))
    expect(() => new JumpHash([3 as unknown as string])).toThrow(
      new TypeError('id: expected a string, got number'),
    )
    expect(() => new JumpHash(3 as unknown as string[])).toThrow(
      new TypeError('nodes: expected an iterable of node ids, got number'),
    )
    expect(() => new JumpHash(['a']).get({} as unknown as string)).toThrow(
      new TypeError('key: expected a string, number or bigint, got object'),
    )
  })
})
