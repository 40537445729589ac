/** Shared test helpers: a thrown-error probe, a start time and an arbitrary of random layouts. */
import fc from 'fast-check'
import { defineLayout, type SnowflakeLayout } from '../src/index.js'

/** The error `call` throws; fails the test when it returns. */
export function thrown(call: () => unknown): Error {
  try {
    call()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a throw')
}

/** Where fake clocks start: 2024-01-01T00:00:00.000Z. */
export const T0 = Date.UTC(2024, 0, 1)

interface Range {
  min: number
  max: number
}

/** What `arbitraryLayout` draws from (ranges are inclusive). */
export interface LayoutSpace {
  epochMs: fc.Arbitrary<number>
  timeUnitMs: Range
  timestampBits: Range
  sequenceBits: Range
  /** The width of each node field. */
  nodeBits: Range
  /** How many node fields, at most. */
  nodeFieldsMax: number
}

/**
 * Random layouts of at most 64 bits: the timestamp first, then node fields `node0`,
 * `node1`, … with the sequence at a random place among them.
 */
export function arbitraryLayout(space: LayoutSpace): fc.Arbitrary<SnowflakeLayout> {
  return fc
    .record({
      epochMs: space.epochMs,
      timeUnitMs: fc.integer(space.timeUnitMs),
      timestampBits: fc.integer(space.timestampBits),
      sequenceBits: fc.integer(space.sequenceBits),
      nodes: fc.array(fc.integer(space.nodeBits), { maxLength: space.nodeFieldsMax }),
      sequenceAt: fc.nat(),
    })
    .filter((spec) => spec.timestampBits + spec.sequenceBits + spec.nodes.reduce((a, b) => a + b, 0) <= 64)
    .map((spec) => {
      const rest = spec.nodes.map((bits, index) => ({ name: `node${index}`, bits }))
      rest.splice(spec.sequenceAt % (rest.length + 1), 0, { name: 'sequence', bits: spec.sequenceBits })
      return defineLayout({
        epochMs: spec.epochMs,
        timeUnitMs: spec.timeUnitMs,
        fields: [{ name: 'timestamp', bits: spec.timestampBits }, ...rest],
      })
    })
}
