import { describe, expect, it } from 'vitest'
import { HashRing, ketamaDigestCounts, md5 } from '../src/index.js'
import { ketamaPointKey } from '../src/ketama.js'
import { fixedKeys } from './helpers.js'

describe('ketama arithmetic', () => {
  it('gives 40 digests (160 points) per equal server where float rounding matters (7, 98, 103)', () => {
    for (const count of [3, 7, 10, 98, 103]) {
      const weights = new Array<number>(count).fill(1)
      expect(ketamaDigestCounts(weights, 'libketama')).toEqual(new Array(count).fill(40))
      expect(ketamaDigestCounts(weights, 'libmemcached')).toEqual(new Array(count).fill(40))
    }
    // In double precision the same formula gives 39 for 7 servers: the reason a port must round to float.
    expect(Math.floor((1 / 7) * 40 * 7)).toBe(39)
  })

  it('splits weighted servers as each library does', () => {
    expect(ketamaDigestCounts([1, 2, 3, 4, 5], 'libketama')).toEqual([13, 26, 40, 53, 66])
    expect(ketamaDigestCounts([200, 200, 3200], 'libmemcached')).toEqual([6, 6, 106])
    const ring = new HashRing(
      [
        { id: 'a', weight: 1 },
        { id: 'b', weight: 3 },
      ],
      { mode: 'libketama' },
    )
    expect(ring.pointsOf('a')).toBe(80)
    expect(ring.pointsOf('b')).toBe(240)
    expect(ring.pointCount).toBe(320)
  })

  it('names points as each library does', () => {
    expect(ketamaPointKey('10.0.0.1:11212', 3, 'libketama')).toBe('10.0.0.1:11212-3')
    expect(ketamaPointKey('10.0.0.1:11211', 3, 'libketama')).toBe('10.0.0.1:11211-3')
    expect(ketamaPointKey('10.0.0.1:11211', 0, 'libmemcached')).toBe('10.0.0.1-0')
    expect(ketamaPointKey('10.0.0.1', 0, 'libmemcached')).toBe('10.0.0.1-0')
    expect(ketamaPointKey('10.0.0.1:11212', 7, 'libmemcached')).toBe('10.0.0.1:11212-7')
    expect(ketamaPointKey('cache.example:11212', 7, 'libmemcached')).toBe('cache.example:11212-7')
    expect(ketamaPointKey('[::1]:11212', 1, 'libmemcached')).toBe('::1:11212-1')
    expect(ketamaPointKey('[::1]', 1, 'libmemcached')).toBe('::1-1')
  })

  it('hashes keys with the first four MD5 bytes, little-endian', () => {
    const ring = new HashRing(['a'], { mode: 'libmemcached' })
    for (const key of ['0', 'user:1', 'ключ']) {
      const digest = md5(key)
      expect(ring.hashOf(key)).toBe(
        (digest[0]! | (digest[1]! << 8) | (digest[2]! << 16) | (digest[3]! << 24)) >>> 0,
      )
    }
  })

  it('serves getN in ring order in the ketama modes', () => {
    const ids = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211', '10.0.0.4:11211']
    const ring = new HashRing(ids, { mode: 'libketama' })
    for (const key of fixedKeys(1000)) {
      const replicas = ring.getN(key, 4)
      expect(replicas[0]).toBe(ring.get(key))
      expect([...replicas].sort()).toEqual(ids)
    }
  })

  it('refuses weights that are not positive integers', () => {
    expect(() => ketamaDigestCounts([1, 0], 'libketama')).toThrow(
      new RangeError('weight: expected an integer in [1, 4294967295], got 0'),
    )
    expect(() => ketamaDigestCounts([2.5], 'libmemcached')).toThrow(
      new RangeError('weight: expected an integer in [1, 4294967295], got 2.5'),
    )
    expect(() => new HashRing(['a'], { mode: 'libketama' }).reweight('a', 0.5)).toThrow(
      new RangeError('weight: expected an integer in [1, 4294967295] in libketama mode, got 0.5'),
    )
  })
})

describe('ketama modes when a server joins', () => {
  it('libketama, 100 → 101 equal servers: keys move only to the newcomer, about 1/101 of them', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `10.0.${i >> 8}.${i & 255}:11211`)
    const keys = fixedKeys(50_000)
    const ring = new HashRing(ids, { mode: 'libketama' })
    const before = keys.map((key) => ring.get(key))
    let moved = 0
    // Three newcomers, averaged, so that one server's share does not decide the test.
    for (const newcomer of ['10.0.9.1:11211', '10.0.9.2:11211', '10.0.9.3:11211']) {
      ring.add(newcomer)
      keys.forEach((key, i) => {
        const after = ring.get(key)
        if (after !== before[i]) {
          expect(after).toBe(newcomer)
          moved++
        }
      })
      ring.remove(newcomer)
    }
    expect(Math.abs(moved / (3 * keys.length) - 1 / 101) / (1 / 101)).toBeLessThan(0.1)
  })

  it('libmemcached, 99 → 100 equal servers: every server drops from 160 to 156 points, as the library computes', () => {
    expect(ketamaDigestCounts(new Array<number>(99).fill(1), 'libmemcached')[0]).toBe(40)
    expect(ketamaDigestCounts(new Array<number>(100).fill(1), 'libmemcached')[0]).toBe(39)
  })
})
