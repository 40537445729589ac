import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  type DecodedSnowflake,
  defineLayout,
  layouts,
  type NodeFieldOf,
  SnowflakeGenerator,
} from '../src/index.js'

describe('types', () => {
  it('node field names come from the layout', () => {
    const orders = defineLayout({
      epochMs: Date.UTC(2024, 0, 1),
      fields: [
        { name: 'timestamp', bits: 42 },
        { name: 'region', bits: 3 },
        { name: 'worker', bits: 6 },
        { name: 'sequence', bits: 12 },
      ],
    })
    expectTypeOf<NodeFieldOf<typeof orders>>().toEqualTypeOf<'region' | 'worker'>()
    expectTypeOf<NodeFieldOf<typeof layouts.twitter>>().toEqualTypeOf<'datacenter' | 'worker'>()
    const generator = new SnowflakeGenerator({
      layout: orders,
      node: { region: 2, worker: 40 },
      clock: () => Date.UTC(2024, 1, 1),
    })
    expectTypeOf(generator.decode(1n)).toEqualTypeOf<DecodedSnowflake<'region' | 'worker'>>()
    expectTypeOf(generator.decode(1n).node.region).toEqualTypeOf<number>()
    const wrongNode = { datacenter: 1, shard: 2 }
    // @ts-expect-error: 'shard' is not a node field of this layout (and at run time, a RangeError)
    const make = () => new SnowflakeGenerator({ layout: layouts.twitter, node: wrongNode })
    expect(make).toThrow(RangeError)
  })
})
