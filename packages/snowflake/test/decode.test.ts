import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  composeSnowflake,
  decodeSnowflake,
  layouts,
  parseId,
  SnowflakeGenerator,
  type SnowflakeLayout,
} from '../src/index.js'
import { arbitraryLayout, thrown } from './helpers.js'

describe('decodeSnowflake', () => {
  it('takes a Twitter id apart', () => {
    const id = (123_456_789n << 22n) | (17n << 17n) | (9n << 12n) | 4000n
    expect(decodeSnowflake(id, layouts.twitter)).toEqual({
      id,
      timestampMs: layouts.twitter.epochMs + 123_456_789,
      ticks: 123_456_789,
      sequence: 4000,
      node: { datacenter: 17, worker: 9 },
      nodeId: (17 << 5) | 9,
    })
    expect(decodeSnowflake(id.toString(), layouts.twitter).id).toBe(id)
  })

  it('reads the largest 64-bit Discord id', () => {
    const decoded = decodeSnowflake('18446744073709551615', layouts.discord)
    expect(decoded).toMatchObject({ sequence: 4095, node: { worker: 31, process: 31 }, ticks: 2 ** 42 - 1 })
  })

  const bad: [string, unknown, SnowflakeLayout, ErrorConstructor, string][] = [
    ['a number', 5, layouts.twitter, TypeError, 'id: expected a bigint or a decimal string, got number'],
    ['null', null, layouts.twitter, TypeError, 'id: expected a bigint or a decimal string, got null'],
    ['negative bigint', -1n, layouts.twitter, RangeError, 'id: expected a non-negative id, got -1'],
    [
      'negative string',
      '-1',
      layouts.twitter,
      RangeError,
      'id: expected a canonical decimal string (digits only, no sign, no leading zero), got "-1"',
    ],
    [
      'empty string',
      '',
      layouts.twitter,
      RangeError,
      'id: expected a canonical decimal string (digits only, no sign, no leading zero), got ""',
    ],
    [
      'leading zero',
      '0123',
      layouts.twitter,
      RangeError,
      'id: expected a canonical decimal string (digits only, no sign, no leading zero), got "0123"',
    ],
    [
      'hex',
      '0x1f',
      layouts.twitter,
      RangeError,
      'id: expected a canonical decimal string (digits only, no sign, no leading zero), got "0x1f"',
    ],
    [
      'spaces',
      ' 12',
      layouts.twitter,
      RangeError,
      'id: expected a canonical decimal string (digits only, no sign, no leading zero), got " 12"',
    ],
    [
      'plus sign',
      '+12',
      layouts.twitter,
      RangeError,
      'id: expected a canonical decimal string (digits only, no sign, no leading zero), got "+12"',
    ],
    [
      'exponent',
      '1e18',
      layouts.twitter,
      RangeError,
      'id: expected a canonical decimal string (digits only, no sign, no leading zero), got "1e18"',
    ],
    [
      '21 digits',
      '100000000000000000000',
      layouts.discord,
      RangeError,
      'id: expected a canonical decimal string (digits only, no sign, no leading zero), got "100000000000000000000"',
    ],
    [
      'a huge string',
      '9'.repeat(100_000),
      layouts.discord,
      RangeError,
      `id: expected a canonical decimal string (digits only, no sign, no leading zero), got "${'9'.repeat(40)}"… (length=100000)`,
    ],
    [
      '2^63 for a 63-bit layout',
      2n ** 63n,
      layouts.twitter,
      RangeError,
      'id: expected at most 9223372036854775807 (63 bits, the twitter layout), got 9223372036854775808',
    ],
    [
      '2^64 for a 64-bit layout',
      '18446744073709551616',
      layouts.discord,
      RangeError,
      'id: expected at most 18446744073709551615 (64 bits, the discord layout), got 18446744073709551616',
    ],
  ]
  it.each(bad)('refuses %s', (_label, id, layout, type, message) => {
    const error = thrown(() => decodeSnowflake(id as string, layout))
    expect(error).toBeInstanceOf(type)
    expect(error.message).toBe(message)
  })

  it('refuses ids from another layout when they land in the future', () => {
    // a Twitter id of 2024 read as Sonyflake: its time bits say the 22nd century
    const twitterId = composeSnowflake(layouts.twitter, { timestampMs: Date.UTC(2024, 0, 1), nodeId: 5 })
    const sonyflake = new SnowflakeGenerator({
      layout: layouts.sonyflake,
      nodeId: 1,
      clock: () => Date.UTC(2024, 0, 1),
    })
    const error = thrown(() => sonyflake.decode(twitterId))
    expect(error).toBeInstanceOf(RangeError)
    expect(error.message).toMatch(
      /^id: timestamp 2\d{3}-.*Z is after 2024-01-01T00:01:00.000Z; not an id of the sonyflake layout, or made by a clock far ahead$/,
    )
    // a 64-bit Discord id of today is too wide for Twitter's 63 bits
    const discordId = composeSnowflake(layouts.discord, { timestampMs: Date.UTC(2090, 0, 1) })
    const twitter = new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 1 })
    expect(thrown(() => twitter.decode(discordId)).message).toBe(
      `id: expected at most 9223372036854775807 (63 bits, the twitter layout), got ${discordId}`,
    )
    // and an id from the future of the same layout
    const future = composeSnowflake(layouts.twitter, { timestampMs: Date.now() + 3_600_000 })
    expect(() => twitter.decode(future)).toThrow(RangeError)
    expect(
      twitter.decode(composeSnowflake(layouts.twitter, { timestampMs: Date.now() + 30_000 })).sequence,
    ).toBe(0)
  })

  it('parseId accepts 0 and the maximum', () => {
    expect(parseId('0', layouts.twitter)).toBe(0n)
    expect(parseId('9223372036854775807', layouts.twitter)).toBe(2n ** 63n - 1n)
  })
})

describe('composeSnowflake', () => {
  it('refuses parts out of range with exact messages', () => {
    const cases: [unknown, ErrorConstructor, string][] = [
      [
        { timestampMs: 0 },
        RangeError,
        'timestampMs: expected an integer from 1288834974657 to 3487858230208, got 0',
      ],
      [
        { timestampMs: Date.UTC(2024, 0, 1), sequence: 4096 },
        RangeError,
        'sequence: expected an integer from 0 to 4095, got 4096',
      ],
      [
        { timestampMs: Date.UTC(2024, 0, 1), nodeId: 1024 },
        RangeError,
        'nodeId: expected an integer from 0 to 1023, got 1024',
      ],
      [{ timestampMs: '2024' }, TypeError, 'timestampMs: expected a number, got string'],
    ]
    for (const [parts, type, message] of cases) {
      const error = thrown(() => composeSnowflake(layouts.twitter, parts as { timestampMs: number }))
      expect(error).toBeInstanceOf(type)
      expect(error.message).toBe(message)
    }
  })

  const randomLayout = arbitraryLayout({
    epochMs: fc.integer({ min: 0, max: Date.UTC(2030, 0, 1) }),
    timeUnitMs: { min: 1, max: 1000 },
    timestampBits: { min: 1, max: 53 },
    sequenceBits: { min: 1, max: 20 },
    nodeBits: { min: 1, max: 16 },
    nodeFieldsMax: 3,
  })

  it('decode(compose(parts)) gives the parts back, for random layouts (property)', () => {
    fc.assert(
      fc.property(
        randomLayout.chain((layout) =>
          fc.tuple(
            fc.constant(layout),
            fc.integer({
              min: 0,
              max: Math.min(
                layout.timestamp.max,
                Math.floor((8.64e15 - layout.epochMs) / layout.timeUnitMs) - 1,
              ),
            }),
            fc.integer({ min: 0, max: layout.sequence.max }),
            fc.integer({ min: 0, max: layout.nodeIdMax }),
          ),
        ),
        ([layout, ticks, sequence, nodeId]) => {
          const timestampMs = layout.epochMs + ticks * layout.timeUnitMs
          const id = composeSnowflake(layout, { timestampMs, sequence, nodeId })
          expect(id <= layout.maxId).toBe(true)
          const decoded = decodeSnowflake(id.toString(), layout)
          expect(decoded).toMatchObject({ id, ticks, timestampMs, sequence, nodeId })
        },
      ),
      { numRuns: 2_000 },
    )
  })
})

describe('decode options', () => {
  it('refuses a NaN or non-number notAfterMs', () => {
    expect(() => decodeSnowflake(1n, layouts.twitter, { notAfterMs: Number.NaN })).toThrow(
      new RangeError('options.notAfterMs: expected a number of Unix ms, got NaN'),
    )
    expect(() => decodeSnowflake(1n, layouts.twitter, { notAfterMs: '1' as unknown as number })).toThrow(
      new TypeError('options.notAfterMs: expected a number, got string'),
    )
  })

  it('generator.decode falls back on the last timestamp when the clock is broken', () => {
    let reading = Date.UTC(2024, 0, 1)
    const generator = new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 1, clock: () => reading })
    const id = generator.nextBigInt()
    reading = Number.NaN
    expect(generator.decode(id).timestampMs).toBe(Date.UTC(2024, 0, 1))
  })
})
