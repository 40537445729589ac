import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ClockRollbackError,
  type ClockRollbackPolicy,
  defineLayout,
  layouts,
  SnowflakeGenerator,
} from '../src/index.js'
import { assertStrictlyIncreasing, countDuplicates, FakeClock } from './fake-clock.js'
import { arbitraryLayout, T0 } from './helpers.js'

/** A clock script: steps of -40..+3 ms per read, shifted so that every cycle gains >= 1 ms (waits end). */
const arbitraryScript = fc
  .array(
    fc.oneof(
      { weight: 12, arbitrary: fc.constant(0) },
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) },
      { weight: 1, arbitrary: fc.integer({ min: -40, max: -1 }) },
    ),
    {
      minLength: 1,
      maxLength: 60,
    },
  )
  .map((steps) => {
    const sum = steps.reduce((a, b) => a + b, 0)
    return sum >= 1 ? steps : [...steps, 1 - sum]
  })

const arbitraryPolicy = fc.constantFrom<ClockRollbackPolicy>('continue', 'wait', 'throw')

type Operation =
  | { kind: 'big' }
  | { kind: 'string' }
  | { kind: 'fill'; count: number }
  | { kind: 'fill-strings'; count: number }
const arbitraryOperations = fc.array(
  fc.oneof(
    fc.constant<Operation>({ kind: 'big' }),
    fc.constant<Operation>({ kind: 'string' }),
    fc.integer({ min: 0, max: 700 }).map((count): Operation => ({ kind: 'fill', count })),
    fc.integer({ min: 0, max: 700 }).map((count): Operation => ({ kind: 'fill-strings', count })),
  ),
  { minLength: 1, maxLength: 60 },
)

/** Runs operations, returns every id issued (in order), as bigints; rollback errors are allowed and skipped. */
function run(generator: SnowflakeGenerator, operations: readonly Operation[]): bigint[] {
  const ids: bigint[] = []
  for (const operation of operations) {
    try {
      switch (operation.kind) {
        case 'big':
          ids.push(generator.nextBigInt())
          break
        case 'string':
          ids.push(canonical(generator.nextString()))
          break
        case 'fill':
          ids.push(...generator.fill([], operation.count))
          break
        case 'fill-strings': {
          const strings = generator.fillStrings([], operation.count)
          for (const text of strings) ids.push(canonical(text))
          break
        }
      }
    } catch (error) {
      if (!ClockRollbackError.isInstance(error)) throw error
      // a fill that threw midway wrote nothing we can see here: the ids it issued are lost, never reused
    }
  }
  return ids
}

function canonical(text: string): bigint {
  const value = BigInt(text)
  if (value.toString() !== text) throw new Error(`not a canonical decimal: ${text}`)
  return value
}

describe('properties of one generator under any clock', () => {
  it('strictly increasing ids, decoded to its node, never stamped later than the clock has read (twitter)', () => {
    fc.assert(
      fc.property(
        arbitraryScript,
        arbitraryPolicy,
        fc.integer({ min: 0, max: 1023 }),
        arbitraryOperations,
        (script, clockRollback, nodeId, operations) => {
          const clock = new FakeClock(T0, { script })
          let maxReadMs = Number.NEGATIVE_INFINITY
          const read = () => {
            const value = clock.read()
            maxReadMs = Math.max(maxReadMs, value)
            return value
          }
          const generator = new SnowflakeGenerator({
            layout: layouts.twitter,
            nodeId,
            clock: read,
            clockRollback,
            rollbackToleranceMs: 25,
          })
          const ids = run(generator, operations)
          assertStrictlyIncreasing(ids)
          const maxTick = BigInt(maxReadMs - layouts.twitter.epochMs)
          for (const id of ids) {
            // node bits and "never stamped later than the clock read", by hand (decode is checked elsewhere)
            if (((id >> 12n) & 1023n) !== BigInt(nodeId) || id >> 22n > maxTick) {
              expect(generator.decode(id)).toMatchObject({
                nodeId,
                timestampMs: Math.min(maxReadMs, generator.decode(id).timestampMs),
              })
            }
          }
          if (ids.length > 0) {
            const last = generator.decode(ids[ids.length - 1]!)
            expect(last.nodeId).toBe(nodeId)
            expect(last.timestampMs).toBeLessThanOrEqual(maxReadMs)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  const randomLayout = arbitraryLayout({
    epochMs: fc.constant(T0 - 2 ** 35),
    timeUnitMs: { min: 1, max: 20 },
    timestampBits: { min: 36, max: 45 },
    sequenceBits: { min: 1, max: 14 },
    nodeBits: { min: 1, max: 6 },
    nodeFieldsMax: 2,
  })

  it('the same for random layouts: string ids equal the bigint ids a twin generator issues', () => {
    fc.assert(
      fc.property(
        randomLayout,
        arbitraryScript,
        arbitraryPolicy,
        fc.nat(),
        arbitraryOperations,
        (layout, script, clockRollback, seed, operations) => {
          const nodeId = seed % (layout.nodeIdMax + 1)
          const make = () =>
            new SnowflakeGenerator({
              layout,
              nodeId,
              clock: new FakeClock(T0, { script }).read,
              clockRollback,
              rollbackToleranceMs: 25,
            })
          const ids = run(make(), operations)
          assertStrictlyIncreasing(ids)
          // the twin runs the same clock and the same operations, all as bigints
          const twin = run(
            make(),
            operations.map((operation): Operation => {
              if (operation.kind === 'string') return { kind: 'big' }
              if (operation.kind === 'fill-strings') return { kind: 'fill', count: operation.count }
              return operation
            }),
          )
          expect(twin).toEqual(ids)
          const perTick = new Map<bigint, number>()
          for (const id of ids) {
            const tick = id >> BigInt(layout.timestamp.shift)
            perTick.set(tick, (perTick.get(tick) ?? 0) + 1)
          }
          for (const count of perTick.values()) expect(count).toBeLessThanOrEqual(layout.sequence.max + 1)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('the decimal fast path is exact across carries and new powers of ten', () => {
    // no node bits and a 12-bit sequence: the base of tick t is t * 4096
    const layout = defineLayout({
      epochMs: T0,
      fields: [
        { name: 'timestamp', bits: 40 },
        { name: 'sequence', bits: 12 },
      ],
    })
    // 0..: below 10,000 (no prefix); 2: crosses 9,999 -> 10,000; 4: carries the prefix 1 -> 2;
    // 2441: 9,998,336 crosses 10^7; 24414: 99,999,744 crosses 10^8; and a tick near 2^40
    for (const tick of [0, 1, 2, 3, 4, 5, 2441, 24414, 2 ** 40 - 1]) {
      for (const fill of [false, true]) {
        const generator = new SnowflakeGenerator({ layout, clock: () => T0 + tick })
        const strings = fill
          ? generator.fillStrings([], 4096)
          : Array.from({ length: 4096 }, () => generator.nextString())
        const base = BigInt(tick) * 4096n
        strings.forEach((text, index) => {
          if (text !== (base + BigInt(index)).toString()) expect(text).toBe((base + BigInt(index)).toString())
        })
      }
    }
  })

  it('the decimal fast path matches BigInt#toString for Discord ids of many ticks and nodes', () => {
    let carries = 0
    for (let tickOffset = 0; tickOffset < 120; tickOffset++) {
      const generator = new SnowflakeGenerator({
        layout: layouts.discord,
        nodeId: (tickOffset * 37) % 1024,
        clock: () => T0 + tickOffset,
      })
      const strings = generator.fillStrings([], 4096)
      const first = BigInt(strings[0]!)
      if (first % 10_000n > 10_000n - 4096n) carries++
      strings.forEach((text, index) => {
        if (text !== (first + BigInt(index)).toString()) expect(text).toBe((first + BigInt(index)).toString())
      })
    }
    expect(carries).toBeGreaterThan(10)
  })
})

describe('properties of several generators', () => {
  it('distinct node ids on a shared skewed clock never collide', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 8191 }), { minLength: 2, maxLength: 6 }),
        arbitraryScript,
        fc.array(fc.nat(), { minLength: 50, maxLength: 400 }),
        (nodeIds, script, picks) => {
          const clock = new FakeClock(T0, { script })
          const generators = nodeIds.map(
            (nodeId) =>
              new SnowflakeGenerator({
                layout: layouts.instagram,
                nodeId,
                clock: clock.read,
                // the script may step back up to 60 × 40 ms in a row before it moves on
                // (a cycle sums to ≥ 1 ms): within that, a generator never throws here
                rollbackToleranceMs: 2_400,
              }),
          )
          const all: bigint[] = []
          const perGenerator = generators.map(() => [] as bigint[])
          for (const pick of picks) {
            const which = pick % generators.length
            const batch = generators[which]!.fill([], pick % 300)
            perGenerator[which]!.push(...batch)
            all.push(...batch)
          }
          perGenerator.forEach((ids) => assertStrictlyIncreasing(ids))
          expect(countDuplicates(all)).toBe(0)
        },
      ),
      { numRuns: 200 },
    )
  })
})
