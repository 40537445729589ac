import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Random } from '../src/random.js'

const draws = (random: Random, n: number) => Array.from({ length: n }, () => random.next())

describe('Random', () => {
  it('is xoshiro128**: the reference outputs for state [1, 2, 3, 4]', () => {
    const random = new Random(0)
    // set the raw state, bypassing the seed mixer, to compare with the reference generator
    Object.assign(random, { s0: 1, s1: 2, s2: 3, s3: 4 })
    expect(draws(random, 10)).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ])
  })

  it('replays the same stream for the same seed, and numbers equal bigints of the same value', () => {
    expect(draws(new Random(42), 100)).toEqual(draws(new Random(42), 100))
    expect(draws(new Random(42), 10)).toEqual(draws(new Random(42n), 10))
    expect(draws(new Random(-1), 10)).toEqual(draws(new Random(2n ** 64n - 1n), 10))
    expect(draws(new Random('42'), 10)).not.toEqual(draws(new Random(42), 10))
    expect(draws(new Random(''), 3)).toEqual(draws(new Random(''), 3))
  })

  it('gives unrelated streams for neighbouring seeds', () => {
    const firsts = new Set(Array.from({ length: 10_000 }, (_, seed) => new Random(seed).next()))
    expect(firsts.size).toBeGreaterThan(9_990)
    // bits of the first outputs of seeds 0..9999 are balanced
    let ones = 0
    for (let seed = 0; seed < 10_000; seed++) {
      const x = new Random(seed).next()
      for (let bit = 0; bit < 32; bit++) ones += (x >>> bit) & 1
    }
    expect(ones / (10_000 * 32)).toBeGreaterThan(0.49)
    expect(ones / (10_000 * 32)).toBeLessThan(0.51)
  })

  it('split: deterministic, independent of parent draws, distinct per label and per parent', () => {
    const parent = new Random(7)
    const child = draws(parent.split('node:n1'), 20)
    draws(parent, 1000)
    expect(draws(parent.split('node:n1'), 20)).toEqual(child)
    expect(draws(new Random(7).split('node:n1'), 20)).toEqual(child)
    expect(draws(new Random(7).split('node:n2'), 20)).not.toEqual(child)
    expect(draws(new Random(8).split('node:n1'), 20)).not.toEqual(child)
    expect(draws(new Random(7).split('node:n1').split('x'), 5)).not.toEqual(
      draws(new Random(7).split('node:n1/x'), 5),
    )
    expect(new Random(7).split('a').split('b').path).toBe('a/b')
    expect(new Random(7).split('a').seed).toBe(7)
  })

  it('float is in [0, 1) and roughly uniform', () => {
    const random = new Random(3)
    const buckets = new Array(10).fill(0)
    let outside = 0
    for (let i = 0; i < 100_000; i++) {
      const x = random.float()
      if (!(x >= 0 && x < 1)) outside++
      buckets[Math.floor(x * 10)]++
    }
    expect(outside).toBe(0)
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500)
  })

  it('int stays in bounds (property) and is unbiased (chi-square on a die)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: -1e12, max: 1e12 }), fc.nat(2 ** 40), (seed, min, span) => {
        const random = new Random(seed)
        for (let i = 0; i < 20; i++) {
          const x = random.int(min, min + span)
          if (!Number.isSafeInteger(x) || x < min || x > min + span) return false
        }
        return true
      }),
      { numRuns: 300 },
    )
    const random = new Random(9)
    const counts = new Array(6).fill(0)
    const n = 60_000
    for (let i = 0; i < n; i++) counts[random.int(1, 6) - 1]++
    const chi = counts.reduce((sum, c) => sum + (c - n / 6) ** 2 / (n / 6), 0)
    expect(chi).toBeLessThan(20.5) // p ≈ 0.001 for 5 degrees of freedom
    expect(random.int(5, 5)).toBe(5)
    const wide = random.int(0, Number.MAX_SAFE_INTEGER)
    expect(Number.isSafeInteger(wide)).toBe(true)
  })

  it('chance(0) is never true, chance(1) always, chance(p) about p', () => {
    const random = new Random(4)
    let hits = 0
    let wrong = 0
    for (let i = 0; i < 10_000; i++) {
      if (random.chance(0) || !random.chance(1)) wrong++
      if (random.chance(0.25)) hits++
    }
    expect(wrong).toBe(0)
    expect(hits).toBeGreaterThan(2_300)
    expect(hits).toBeLessThan(2_700)
  })

  it('shuffle is a permutation (property) and pick returns an element', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer(), { maxLength: 50 }), (seed, array) => {
        const random = new Random(seed)
        const shuffled = random.shuffle([...array])
        expect([...shuffled].sort((a, b) => a - b)).toEqual([...array].sort((a, b) => a - b))
        if (array.length > 0) expect(array).toContain(random.pick(array))
      }),
      { numRuns: 200 },
    )
    const random = new Random(5)
    const positions = new Array(4).fill(0)
    for (let i = 0; i < 8_000; i++) positions[random.shuffle([0, 1, 2, 3]).indexOf(0)]++
    for (const count of positions) expect(Math.abs(count - 2_000)).toBeLessThan(200)
  })

  it('refuses bad inputs with exact errors', () => {
    const random = new Random(1)
    const table: Array<[() => unknown, ErrorConstructor, string]> = [
      [() => new Random(1.5), RangeError, 'seed: expected a safe integer, got 1.5'],
      [() => new Random(Number.NaN), RangeError, 'seed: expected a safe integer, got NaN'],
      [() => new Random(2 ** 53), RangeError, 'seed: expected a safe integer, got 9007199254740992'],
      [
        () => new Random(2n ** 64n),
        RangeError,
        'seed: expected a bigint from -2^63 to 2^64-1, got 18446744073709551616',
      ],
      [() => new Random(null as never), TypeError, 'seed: expected a number, bigint or string, got null'],
      [
        () => new Random('x'.repeat(5000)),
        RangeError,
        'seed: expected a string of at most 4096 characters, got length=5000',
      ],
      [() => random.split(1 as never), TypeError, 'label: expected a string, got 1'],
      [() => random.int(1.5, 3), RangeError, 'min: expected an integer >= -9007199254740991, got 1.5'],
      [() => random.int(3, 1), RangeError, 'maxInclusive: expected an integer >= min (3), got 1'],
      [() => random.int(0, '1' as never), TypeError, 'maxInclusive: expected an integer, got "1"'],
      [() => random.chance(Number.NaN), RangeError, 'p: expected a number from 0 to 1, got NaN'],
      [() => random.chance(-0.1), RangeError, 'p: expected a number from 0 to 1, got -0.1'],
      [() => random.pick([]), RangeError, 'array: expected a non-empty array, got length=0'],
      [() => random.pick('abc' as never), TypeError, 'array: expected an array, got "abc"'],
      [() => random.shuffle(undefined as never), TypeError, 'array: expected an array, got undefined'],
    ]
    for (const [call, type, message] of table) {
      expect(call).toThrow(type)
      expect(call).toThrow(message)
    }
  })
})
