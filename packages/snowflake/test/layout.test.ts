import { describe, expect, it } from 'vitest'
import { defineLayout, type LayoutSpec, layouts } from '../src/index.js'

describe('preset layouts', () => {
  it('twitter: 41-bit ms since 2010-11-04T01:42:54.657Z, 5+5 node bits, 12-bit sequence, 63 bits', () => {
    const layout = layouts.twitter
    expect(layout.epochMs).toBe(1288834974657)
    expect(layout.timeUnitMs).toBe(1)
    expect(layout.fields.map(({ name, bits, shift }) => [name, bits, shift])).toEqual([
      ['timestamp', 41, 22],
      ['datacenter', 5, 17],
      ['worker', 5, 12],
      ['sequence', 12, 0],
    ])
    expect(layout.totalBits).toBe(63)
    expect(layout.maxId).toBe(2n ** 63n - 1n)
    expect(layout.nodeIdMax).toBe(1023)
    expect(layout.idsPerSecondMax).toBe(4_096_000)
    expect(new Date(layout.endMs).toISOString()).toBe('2080-07-10T17:30:30.209Z')
  })

  it('discord: 42-bit ms since 2015, worker 5, process 5, increment 12, 64 bits', () => {
    const layout = layouts.discord
    expect(layout.epochMs).toBe(Date.UTC(2015, 0, 1))
    expect(layout.fields.map(({ name, bits, shift }) => [name, bits, shift])).toEqual([
      ['timestamp', 42, 22],
      ['worker', 5, 17],
      ['process', 5, 12],
      ['sequence', 12, 0],
    ])
    expect(layout.totalBits).toBe(64)
    expect(layout.maxId).toBe(2n ** 64n - 1n)
  })

  it('sonyflake: 39 bits of 10 ms since 2014-09-01, then sequence 8, then machine 16', () => {
    const layout = layouts.sonyflake
    expect(layout.epochMs).toBe(Date.UTC(2014, 8, 1))
    expect(layout.timeUnitMs).toBe(10)
    expect(layout.fields.map(({ name, bits, shift }) => [name, bits, shift])).toEqual([
      ['timestamp', 39, 24],
      ['sequence', 8, 16],
      ['machine', 16, 0],
    ])
    expect(layout.totalBits).toBe(63)
    expect(layout.idsPerSecondMax).toBe(25_600)
    expect(new Date(layout.endMs).toISOString()).toBe('2188-11-16T03:28:58.880Z')
  })

  it('instagram: 41-bit ms since their 2011 epoch, 13-bit shard, 10-bit sequence, 64 bits', () => {
    const layout = layouts.instagram
    expect(layout.epochMs).toBe(1314220021721)
    expect(layout.fields.map(({ name, bits, shift }) => [name, bits, shift])).toEqual([
      ['timestamp', 41, 23],
      ['shard', 13, 10],
      ['sequence', 10, 0],
    ])
    expect(layout.nodeIdMax).toBe(8191)
    expect(layout.totalBits).toBe(64)
  })

  it('matches a known Discord id (the Discord developer documentation example)', async () => {
    // 175928847299117063: 2016-04-30T11:18:25.796Z, worker 1, process 0, increment 7
    const { decodeSnowflake } = await import('../src/index.js')
    const decoded = decodeSnowflake(175928847299117063n, layouts.discord)
    expect(new Date(decoded.timestampMs).toISOString()).toBe('2016-04-30T11:18:25.796Z')
    expect(decoded.node).toEqual({ worker: 1, process: 0 })
    expect(decoded.sequence).toBe(7)
  })

  it('presets are frozen', () => {
    expect(Object.isFrozen(layouts)).toBe(true)
    expect(Object.isFrozen(layouts.twitter)).toBe(true)
    expect(Object.isFrozen(layouts.twitter.fields)).toBe(true)
  })
})

describe('defineLayout', () => {
  const fields = [
    { name: 'timestamp', bits: 41 },
    { name: 'worker', bits: 10 },
    { name: 'sequence', bits: 12 },
  ] as const

  it('computes shifts, limits and the end of time', () => {
    const layout = defineLayout({ name: 'x', epochMs: 1_000, timeUnitMs: 5, fields })
    expect(layout.totalBits).toBe(63)
    expect(layout.timestamp).toEqual({ name: 'timestamp', bits: 41, shift: 22, max: 2 ** 41 - 1 })
    expect(layout.sequence).toEqual({ name: 'sequence', bits: 12, shift: 0, max: 4095 })
    expect(layout.nodeFields.map((field) => field.name)).toEqual(['worker'])
    expect(layout.endMs).toBe(1_000 + 2 ** 41 * 5)
    expect(layout.idsPerSecondMax).toBe(4096 * 200)
  })

  it('accepts a layout without node fields and one of 64 bits', () => {
    expect(
      defineLayout({
        epochMs: 0,
        fields: [
          { name: 'timestamp', bits: 1 },
          { name: 'sequence', bits: 1 },
        ],
      }).nodeBits,
    ).toBe(0)
    expect(
      defineLayout({
        epochMs: 0,
        fields: [
          { name: 'timestamp', bits: 40 },
          { name: 'a', bits: 12 },
          { name: 'sequence', bits: 12 },
        ],
      }).maxId,
    ).toBe(2n ** 64n - 1n)
  })

  const bad: [string, unknown, ErrorConstructor, string][] = [
    ['not an object', 5, TypeError, 'layout: expected an object, got number'],
    ['null', null, TypeError, 'layout: expected an object, got null'],
    ['epoch string', { epochMs: '0', fields }, TypeError, 'layout.epochMs: expected a number, got string'],
    [
      'negative epoch',
      { epochMs: -1, fields },
      RangeError,
      'layout.epochMs: expected an integer from 0 to 8640000000000000, got -1',
    ],
    [
      'fractional epoch',
      { epochMs: 1.5, fields },
      RangeError,
      'layout.epochMs: expected an integer from 0 to 8640000000000000, got 1.5',
    ],
    [
      'time unit 0',
      { epochMs: 0, timeUnitMs: 0, fields },
      RangeError,
      'layout.timeUnitMs: expected an integer from 1 to 60000, got 0',
    ],
    [
      'time unit 2.5',
      { epochMs: 0, timeUnitMs: 2.5, fields },
      RangeError,
      'layout.timeUnitMs: expected an integer from 1 to 60000, got 2.5',
    ],
    ['fields missing', { epochMs: 0 }, TypeError, 'layout.fields: expected an array, got undefined'],
    [
      'one field',
      { epochMs: 0, fields: [{ name: 'timestamp', bits: 41 }] },
      RangeError,
      'layout.fields: expected from 2 to 16 fields, got 1',
    ],
    [
      'timestamp not first',
      { epochMs: 0, fields: [fields[1], fields[0], fields[2]] },
      RangeError,
      'layout.fields[0].name: expected "timestamp" first (the most significant field), got "worker"',
    ],
    [
      'no sequence',
      { epochMs: 0, fields: [fields[0], fields[1]] },
      RangeError,
      'layout.fields: expected a "sequence" field, got none',
    ],
    [
      'width 0',
      { epochMs: 0, fields: [fields[0], { name: 'worker', bits: 0 }, fields[2]] },
      RangeError,
      'layout.fields[1].bits: expected an integer from 1 to 53, got 0',
    ],
    [
      'width as string',
      { epochMs: 0, fields: [fields[0], { name: 'worker', bits: '10' }, fields[2]] },
      TypeError,
      'layout.fields[1].bits: expected a number, got string',
    ],
    [
      'width 54',
      { epochMs: 0, fields: [{ name: 'timestamp', bits: 54 }, fields[2]] },
      RangeError,
      'layout.fields[0].bits: expected an integer from 1 to 53, got 54',
    ],
    [
      '65 bits',
      { epochMs: 0, fields: [{ name: 'timestamp', bits: 42 }, { name: 'worker', bits: 11 }, fields[2]] },
      RangeError,
      'layout.fields: expected the widths to sum to at most 64 bits, got 65',
    ],
    [
      'duplicate field',
      { epochMs: 0, fields: [fields[0], fields[1], fields[1], fields[2]] },
      RangeError,
      'layout.fields[2].name: duplicate field "worker"',
    ],
    [
      'bad name',
      { epochMs: 0, fields: [fields[0], { name: 'Worker', bits: 3 }, fields[2]] },
      RangeError,
      'layout.fields[1].name: expected a name matching /^[a-z][A-Za-z0-9]*$/, got "Worker"',
    ],
    [
      'field not an object',
      { epochMs: 0, fields: [fields[0], 7, fields[2]] },
      TypeError,
      'layout.fields[1]: expected an object, got number',
    ],
  ]
  it.each(bad)('refuses %s', (_label, spec, type, message) => {
    const call = () => defineLayout(spec as LayoutSpec)
    expect(call).toThrow(type)
    expect(call).toThrow(message)
    try {
      call()
    } catch (error) {
      expect((error as Error).message).toBe(message)
    }
  })
})
