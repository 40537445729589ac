import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { flexible, grid, majority, type QuorumSystem, verifyIntersection, weighted } from '../src/systems.js'

/** Availability by brute force over every up/down combination: the "dumb" reference. */
function bruteAvailability(system: QuorumSystem, down: number[]): { read: number; write: number } {
  const n = system.members.length
  let read = 0
  let write = 0
  for (let mask = 0; mask < 1 << n; mask++) {
    let p = 1
    const live: string[] = []
    system.members.forEach((id, i) => {
      const up = (mask >> i) & 1
      p *= up ? 1 - down[i]! : down[i]!
      if (up) live.push(id)
    })
    if (system.isReadQuorum(live)) read += p
    if (system.isWriteQuorum(live)) write += p
  }
  return { read, write }
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`)

describe('majority', () => {
  it('accepts exactly the strict majorities', () => {
    const q = majority(ids(4))
    expect(q.size).toBe(3)
    expect(q.isQuorum(['r0', 'r1', 'r2'])).toBe(true)
    expect(q.isQuorum(['r0', 'r1'])).toBe(false)
    expect(q.isQuorum(['r0', 'r1', 'x', 'y'])).toBe(false)
  })

  it('computes availability like the binomial formula', () => {
    // 3 replicas at p = 0.1: P(at least 2 up) = 0.9^3 + 3·0.9^2·0.1 = 0.972
    expect(majority(ids(3)).availability(0.1).write).toBeCloseTo(0.972, 12)
  })
})

describe('every system keeps its intersection promise and matches brute-force availability', () => {
  const systems = fc.oneof(
    fc.integer({ min: 1, max: 9 }).map((n) => majority(ids(n))),
    fc
      .integer({ min: 2, max: 9 })
      .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n })))
      .map(([n, q2]) => flexible(ids(n), { phase1Size: n - q2 + 1, phase2Size: q2 })),
    fc
      .array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 8 })
      .filter((votes) => votes.some((v) => v > 0))
      .chain((votes) => {
        const total = votes.reduce((a, b) => a + b, 0)
        const minWrite = Math.floor(total / 2) + 1
        return fc.integer({ min: minWrite, max: total }).chain((w) =>
          fc.integer({ min: total - w + 1, max: total }).map((r) =>
            weighted({
              votes: Object.fromEntries(votes.map((v, i) => [`r${i}`, v])),
              readVotes: r,
              writeVotes: w,
            }),
          ),
        )
      }),
    fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }))
      .map(([rows, cols]) =>
        grid(Array.from({ length: rows }, (_, r) => ids(cols).map((id) => `${id}c${r}`))),
      ),
  )

  it('never has disjoint quorums it promised to intersect', () => {
    fc.assert(
      fc.property(systems, (system) => {
        expect(verifyIntersection(system)).toEqual({ ok: true })
      }),
    )
  })

  it('computes the exact availability', () => {
    fc.assert(
      fc.property(
        systems,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
        (system, ps) => {
          const down = system.members.map((_, i) => ps[i]!)
          const failure = Object.fromEntries(system.members.map((id, i) => [id, down[i]!]))
          const exact = system.availability(failure)
          const brute = bruteAvailability(system, down)
          expect(exact.read).toBeCloseTo(brute.read, 9)
          expect(exact.write).toBeCloseTo(brute.write, 9)
        },
      ),
    )
  })
})

describe('verifyIntersection finds counterexamples', () => {
  it('in a hand-built system whose reads and writes can miss each other', () => {
    const broken: QuorumSystem = {
      ...majority(ids(4)),
      kind: 'majority',
      members: ids(4),
      guarantees: { readWrite: true, writeWrite: true },
      isReadQuorum: (set) => [...set].length >= 2,
      isWriteQuorum: (set) => [...set].length >= 2,
      isQuorum: (set) => [...set].length >= 2,
      availability: () => ({ read: 0, write: 0 }),
    }
    const result = verifyIntersection(broken)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.first.some((id) => result.second.includes(id))).toBe(false)
  })

  it('but not for flexible quorums, whose phase-2 quorums may be disjoint by design', () => {
    const q = flexible(ids(5), { phase1Size: 4, phase2Size: 2 })
    expect(q.isWriteQuorum(['r0', 'r1']) && q.isWriteQuorum(['r2', 'r3'])).toBe(true)
    expect(verifyIntersection(q)).toEqual({ ok: true })
  })
})

describe('grid', () => {
  const q = grid([
    ['a', 'b', 'c'],
    ['d', 'e', 'f'],
  ])
  it('reads need one replica per column, writes also one whole column', () => {
    expect(q.isReadQuorum(['a', 'e', 'c'])).toBe(true)
    expect(q.isReadQuorum(['a', 'b'])).toBe(false)
    expect(q.isWriteQuorum(['a', 'e', 'c'])).toBe(false)
    expect(q.isWriteQuorum(['a', 'd', 'e', 'c'])).toBe(true)
  })
})

describe('bad input is refused with exact errors', () => {
  it.each([
    [
      'majority of nothing',
      () => majority([]),
      RangeError,
      'members: expected at least one replica, got array of length 0',
    ],
    [
      'duplicate members',
      () => majority(['a', 'a']),
      RangeError,
      'members[1]: expected distinct replica ids, got "a"',
    ],
    [
      'an empty id',
      () => majority(['a', '']),
      RangeError,
      'members[1]: expected a non-empty replica id, got ""',
    ],
    [
      'a numeric id',
      () => majority([1 as unknown as string]),
      TypeError,
      'members[0]: expected a string, got number',
    ],
    [
      'members that are not an array',
      () => majority('abc' as unknown as string[]),
      TypeError,
      'members: expected an array of replica ids, got string',
    ],
    [
      'NaN votes',
      () => weighted({ votes: { a: Number.NaN, b: 1 }, readVotes: 1, writeVotes: 1 }),
      RangeError,
      'votes["a"]: expected a non-negative integer, got NaN',
    ],
    [
      'negative votes',
      () => weighted({ votes: { a: -1, b: 1 }, readVotes: 1, writeVotes: 1 }),
      RangeError,
      'votes["a"]: expected a non-negative integer, got -1',
    ],
    [
      'all-zero votes',
      () => weighted({ votes: { a: 0 }, readVotes: 1, writeVotes: 1 }),
      RangeError,
      'votes: expected at least one replica with a positive vote count, got 0',
    ],
    [
      'Vr + Vw <= V',
      () => weighted({ votes: { a: 1, b: 1, c: 1, d: 1 }, readVotes: 1, writeVotes: 3 }),
      RangeError,
      'readVotes + writeVotes must exceed the total votes so reads see the latest write: 1 + 3 <= 4',
    ],
    [
      '2·Vw <= V',
      () => weighted({ votes: { a: 1, b: 1, c: 1, d: 1 }, readVotes: 4, writeVotes: 2 }),
      RangeError,
      '2 × writeVotes must exceed the total votes so two writes cannot both succeed apart: 2 × 2 <= 4',
    ],
    [
      'writeVotes above V',
      () => weighted({ votes: { a: 1 }, readVotes: 1, writeVotes: 2 }),
      RangeError,
      'writeVotes: expected an integer from 1 to 1 (the total votes), got 2',
    ],
    [
      'Q1 + Q2 <= N',
      () => flexible(ids(5), { phase1Size: 3, phase2Size: 2 }),
      RangeError,
      'phase1Size + phase2Size must exceed the number of replicas so every election sees every write: 3 + 2 <= 5',
    ],
    [
      'Q2 of 0',
      () => flexible(ids(3), { phase1Size: 3, phase2Size: 0 }),
      RangeError,
      'phase2Size: expected an integer from 1 to 3, got 0',
    ],
    [
      'a ragged grid',
      () => grid([['a', 'b'], ['c']]),
      RangeError,
      'rows[1]: expected 2 replicas like rows[0], got array of length 1',
    ],
    ['an empty grid', () => grid([]), RangeError, 'rows: expected at least one row, got array of length 0'],
    [
      'a probability above 1',
      () => majority(['a']).availability(1.5),
      RangeError,
      'failure: expected a probability from 0 to 1, got 1.5',
    ],
    [
      'a missing probability',
      () => majority(['a', 'b']).availability({ a: 0.1 }),
      RangeError,
      'failure["b"]: expected a probability for every member, got undefined',
    ],
    [
      'a non-iterable set',
      () => majority(['a']).isQuorum(null as unknown as string[]),
      TypeError,
      'replicas: expected an iterable of replica ids, got null',
    ],
    [
      'enumerating 17 replicas',
      () => verifyIntersection(majority(ids(17))),
      RangeError,
      'system.members: expected at most 16 replicas to enumerate, got 17',
    ],
  ])('%s', (_, call, type, message) => {
    expect(call).toThrow(type)
    expect(call).toThrow(message)
  })
})
