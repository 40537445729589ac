import { describe, expect, it } from 'vitest'
import {
  ClockInvalidError,
  ClockRollbackError,
  ClockStalledError,
  defineLayout,
  layouts,
  SnowflakeError,
  SnowflakeGenerator,
  type SnowflakeGeneratorOptions,
  TimestampOverflowError,
} from '../src/index.js'
import { assertStrictlyIncreasing, countDuplicates, FakeClock } from './fake-clock.js'
import { T0, thrown } from './helpers.js'

describe('SnowflakeGenerator: construction', () => {
  const bad: [string, unknown, ErrorConstructor, string][] = [
    ['no options', undefined, TypeError, 'options: expected an object, got undefined'],
    [
      'no layout',
      { nodeId: 1 },
      TypeError,
      'layout: expected a layout from defineLayout() or layouts, got undefined',
    ],
    [
      'no node id',
      { layout: layouts.twitter },
      TypeError,
      'options: expected node (datacenter, worker), nodeId (0 to 1023) or lease, got none',
    ],
    [
      'nodeId 1024',
      { layout: layouts.twitter, nodeId: 1024 },
      RangeError,
      'nodeId: expected an integer from 0 to 1023, got 1024',
    ],
    [
      'nodeId -1',
      { layout: layouts.twitter, nodeId: -1 },
      RangeError,
      'nodeId: expected an integer from 0 to 1023, got -1',
    ],
    [
      'nodeId 1.5',
      { layout: layouts.twitter, nodeId: 1.5 },
      RangeError,
      'nodeId: expected an integer from 0 to 1023, got 1.5',
    ],
    [
      'nodeId string',
      { layout: layouts.twitter, nodeId: '7' },
      TypeError,
      'nodeId: expected a number, got string',
    ],
    [
      'worker 32',
      { layout: layouts.twitter, node: { datacenter: 0, worker: 32 } },
      RangeError,
      'node.worker: expected an integer from 0 to 31, got 32',
    ],
    [
      'datacenter missing',
      { layout: layouts.twitter, node: { worker: 3 } },
      RangeError,
      'node.datacenter: expected an integer from 0 to 31, got undefined',
    ],
    [
      'unknown node field',
      { layout: layouts.twitter, node: { datacenter: 0, worker: 3, shard: 1 } },
      RangeError,
      'node.shard: not a node field of the twitter layout (expected datacenter, worker)',
    ],
    [
      'shard 8192',
      { layout: layouts.instagram, node: { shard: 8192 } },
      RangeError,
      'node.shard: expected an integer from 0 to 8191, got 8192',
    ],
    [
      'machine 65536',
      { layout: layouts.sonyflake, nodeId: 65536 },
      RangeError,
      'nodeId: expected an integer from 0 to 65535, got 65536',
    ],
    [
      'node and nodeId',
      { layout: layouts.twitter, nodeId: 1, node: { datacenter: 0, worker: 1 } },
      TypeError,
      'options: expected one of node, nodeId or lease, got several',
    ],
    [
      'clock not a function',
      { layout: layouts.twitter, nodeId: 1, clock: 5 },
      TypeError,
      'clock: expected a function, got number',
    ],
    [
      'unknown policy',
      { layout: layouts.twitter, nodeId: 1, clockRollback: 'ignore' },
      RangeError,
      `clockRollback: expected 'continue', 'wait' or 'throw', got "ignore"`,
    ],
    [
      'negative tolerance',
      { layout: layouts.twitter, nodeId: 1, rollbackToleranceMs: -1 },
      RangeError,
      'rollbackToleranceMs: expected an integer from 0 to 86400000, got -1',
    ],
    [
      'epoch in the future',
      { layout: layouts.twitter, nodeId: 1, clock: () => 1_000 },
      RangeError,
      'layout.epochMs: expected an epoch not in the future, got 2010-11-04T01:42:54.657Z (the clock reads 1970-01-01T00:00:01.000Z)',
    ],
    [
      'bad layout spec',
      { layout: { epochMs: 0, fields: [] }, nodeId: 0 },
      RangeError,
      'layout.fields: expected from 2 to 16 fields, got 0',
    ],
  ]
  it.each(bad)('refuses %s', (_label, options, type, message) => {
    const error = thrown(() => new SnowflakeGenerator(options as SnowflakeGeneratorOptions))
    expect(error).toBeInstanceOf(type)
    expect(error.message).toBe(message)
  })

  it('refuses a clock already past the end of the layout', () => {
    const error = thrown(
      () => new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 1, clock: () => 4e12 }),
    )
    expect(error).toBeInstanceOf(TimestampOverflowError)
    expect(error.message).toBe(
      'timestamp: 2711165025343 ticks since the epoch do not fit in 41 bits; the layout ran out of time at 2080-07-10T17:30:30.209Z',
    )
  })

  it('accepts node, nodeId, and nothing for a layout without node fields', () => {
    const clock = () => T0
    const a = new SnowflakeGenerator({ layout: layouts.twitter, node: { datacenter: 1, worker: 2 }, clock })
    expect(a.nodeId).toBe(34)
    expect(a.node).toEqual({ datacenter: 1, worker: 2 })
    const b = new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 34, clock })
    expect(b.node).toEqual({ datacenter: 1, worker: 2 })
    const bare = defineLayout({
      epochMs: 0,
      fields: [
        { name: 'timestamp', bits: 50 },
        { name: 'sequence', bits: 13 },
      ],
    })
    expect(new SnowflakeGenerator({ layout: bare, clock }).nodeId).toBe(0)
  })
})

describe('SnowflakeGenerator: ids', () => {
  it('puts time, node and sequence where the layout says (twitter)', () => {
    const clock = new FakeClock(T0)
    const generator = new SnowflakeGenerator({
      layout: layouts.twitter,
      node: { datacenter: 3, worker: 5 },
      clock: clock.read,
    })
    const ticks = BigInt(T0 - layouts.twitter.epochMs)
    expect(generator.nextBigInt()).toBe((ticks << 22n) | (3n << 17n) | (5n << 12n))
    expect(generator.nextBigInt()).toBe((ticks << 22n) | (3n << 17n) | (5n << 12n) | 1n)
    expect(generator.nextString()).toBe(((ticks << 22n) | (3n << 17n) | (5n << 12n) | 2n).toString())
    clock.ms += 1
    expect(generator.nextBigInt()).toBe(((ticks + 1n) << 22n) | (3n << 17n) | (5n << 12n))
    expect(generator.lastTimestampMs).toBe(T0 + 1)
  })

  it('puts the sequence above the machine id (sonyflake) and counts 10 ms units', () => {
    const clock = new FakeClock(T0 + 7)
    const generator = new SnowflakeGenerator({ layout: layouts.sonyflake, nodeId: 0xbeef, clock: clock.read })
    const ticks = BigInt(Math.floor((T0 + 7 - layouts.sonyflake.epochMs) / 10))
    expect(generator.nextBigInt()).toBe((ticks << 24n) | 0xbeefn)
    expect(generator.nextString()).toBe(((ticks << 24n) | (1n << 16n) | 0xbeefn).toString())
    expect(generator.lastTimestampMs).toBe(T0)
    const decoded = generator.decode(generator.nextBigInt())
    expect(decoded).toMatchObject({ timestampMs: T0, sequence: 2, nodeId: 0xbeef, node: { machine: 0xbeef } })
  })

  it('decodes its own ids (every preset, bigint and string)', () => {
    const cases = [
      [layouts.twitter, { datacenter: 31, worker: 31 }],
      [layouts.discord, { worker: 4, process: 9 }],
      [layouts.sonyflake, { machine: 65535 }],
      [layouts.instagram, { shard: 8191 }],
    ] as const
    for (const [layout, node] of cases) {
      const generator = new SnowflakeGenerator({ layout, node } as SnowflakeGeneratorOptions)
      const before = Date.now()
      const id = generator.nextBigInt()
      const text = generator.nextString()
      const after = Date.now()
      for (const [value, sequence] of [
        [id, 0],
        [text, 1],
      ] as const) {
        const decoded = generator.decode(value)
        expect(decoded.node).toEqual(node)
        expect(decoded.timestampMs).toBeGreaterThan(before - layout.timeUnitMs)
        expect(decoded.timestampMs).toBeLessThanOrEqual(after)
        if (decoded.ticks === generator.decode(id).ticks) expect(decoded.sequence).toBe(sequence)
      }
    }
  })

  it('waits for the next tick when the sequence is used up (fake clock), never reusing a sequence', () => {
    const clock = new FakeClock(T0, { readsPerMs: 10_000 })
    const generator = new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 1, clock: clock.read })
    const ids = Array.from({ length: 4096 * 3 + 5 }, () => generator.nextBigInt())
    assertStrictlyIncreasing(ids)
    const decoded = ids.map((id) => generator.decode(id))
    // 4096 per millisecond, then the next millisecond
    expect(decoded.filter((entry) => entry.timestampMs === T0)).toHaveLength(4096)
    expect(decoded[4096]).toMatchObject({ timestampMs: T0 + 1, sequence: 0 })
    expect(decoded.every((entry) => entry.sequence <= 4095)).toBe(true)
  })

  it('issues sonyflake ids 256 per 10 ms', () => {
    const clock = new FakeClock(T0, { readsPerMs: 50 })
    const generator = new SnowflakeGenerator({ layout: layouts.sonyflake, nodeId: 1, clock: clock.read })
    const ids = generator.fill(new BigUint64Array(256 * 4))
    assertStrictlyIncreasing(ids)
    const ticks = new Set(Array.from(ids, (id) => generator.decode(id).ticks))
    expect(ticks.size).toBe(4)
  })

  it('fill and fillStrings write where asked and keep the order with next*', () => {
    const clock = new FakeClock(T0, { readsPerMs: 3 })
    const generator = new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 9, clock: clock.read })
    const big = generator.fill(new BigUint64Array(10), 4, 3)
    expect(Array.from(big.subarray(0, 3))).toEqual([0n, 0n, 0n])
    expect(Array.from(big.subarray(7))).toEqual([0n, 0n, 0n])
    const strings = generator.fillStrings(['x'], 3, 1)
    expect(strings[0]).toBe('x')
    const all = [
      ...big.subarray(3, 7),
      ...strings.slice(1).map(BigInt),
      generator.nextBigInt(),
      BigInt(generator.nextString()),
    ]
    expect(all).toHaveLength(9)
    assertStrictlyIncreasing(all)
    expect(generator.fill([], 0)).toEqual([])
    const error = thrown(() => generator.fill(new BigUint64Array(2), 3))
    expect(error).toBeInstanceOf(RangeError)
    expect(error.message).toBe('count: expected an integer from 0 to 2, got 3')
    const wrong = thrown(() => generator.fill(new BigInt64Array(2) as unknown as BigUint64Array))
    expect(wrong).toBeInstanceOf(TypeError)
    expect(wrong.message).toBe('target: expected an array or a BigUint64Array, got BigInt64Array')
  })

  it('throws TimestampOverflowError when the clock runs past the layout', () => {
    const layout = defineLayout({
      name: 'tiny',
      epochMs: T0,
      fields: [
        { name: 'timestamp', bits: 4 },
        { name: 'sequence', bits: 2 },
      ],
    })
    const clock = new FakeClock(T0 + 15)
    const generator = new SnowflakeGenerator({ layout, clock: clock.read })
    const last = [
      generator.nextBigInt(),
      generator.nextBigInt(),
      generator.nextBigInt(),
      generator.nextBigInt(),
    ]
    expect(last).toEqual([60n, 61n, 62n, 63n])
    clock.ms += 1
    const error = thrown(() => generator.nextBigInt())
    expect(error).toBeInstanceOf(TimestampOverflowError)
    expect(error.message).toBe(
      'timestamp: 16 ticks since the epoch do not fit in 4 bits; the layout ran out of time at 2024-01-01T00:00:00.016Z',
    )
    expect(SnowflakeError.isInstance(error)).toBe(true)
    expect((error as SnowflakeError).code).toBe('ERR_TIMESTAMP_OVERFLOW')
  })

  it('throws ClockInvalidError for NaN, non-numbers and times before the epoch', () => {
    for (const [value, shown] of [
      [Number.NaN, 'NaN'],
      ['soon', 'string'],
      [1e12, '1000000000000'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ] as const) {
      let reading: unknown = T0
      const generator = new SnowflakeGenerator({
        layout: layouts.twitter,
        nodeId: 1,
        clock: () => reading as number,
      })
      generator.nextBigInt()
      reading = value
      const error = thrown(() => generator.nextBigInt())
      expect(error).toBeInstanceOf(ClockInvalidError)
      expect(error.message).toBe(
        `clock: expected a finite number of ms at or after the epoch 1288834974657, got ${shown}`,
      )
    }
  })

  it('throws ClockStalledError when a frozen clock would make it wait forever', () => {
    const generator = new SnowflakeGenerator({ layout: layouts.instagram, nodeId: 1, clock: () => T0 })
    generator.fill([], 1024)
    const error = thrown(() => generator.nextBigInt())
    expect(error).toBeInstanceOf(ClockStalledError)
    expect(error.message).toBe(
      `clock: returned ${T0} for 33554432 reads in a row while waiting for the next tick; is it frozen?`,
    )
  })
})

describe('SnowflakeGenerator: clock rollback', () => {
  function setup(options: Partial<SnowflakeGeneratorOptions> = {}, readsPerMs = 0) {
    const clock = new FakeClock(T0 + 100, { readsPerMs })
    const generator = new SnowflakeGenerator({
      layout: layouts.twitter,
      nodeId: 1,
      clock: clock.read,
      ...options,
    })
    return { clock, generator }
  }

  it("'continue' (default) keeps the last timestamp and continues its sequence", () => {
    const { clock, generator } = setup()
    const first = generator.nextBigInt()
    clock.ms -= 50
    const during = [generator.nextBigInt(), generator.nextBigInt()]
    expect(during.map((id) => generator.decode(id))).toMatchObject([
      { timestampMs: T0 + 100, sequence: 1 },
      { timestampMs: T0 + 100, sequence: 2 },
    ])
    clock.ms += 51
    const after = generator.nextBigInt()
    expect(generator.decode(after)).toMatchObject({ timestampMs: T0 + 101, sequence: 0 })
    assertStrictlyIncreasing([first, ...during, after])
  })

  it("'continue' waits for the clock to pass the last timestamp when the sequence runs out", () => {
    const { clock, generator } = setup({}, 1_000)
    generator.nextBigInt()
    clock.ms -= 20
    const ids = generator.fill([], 4096 + 10)
    assertStrictlyIncreasing(ids)
    const decoded = ids.map((id) => generator.decode(id))
    expect(decoded[4094]).toMatchObject({ timestampMs: T0 + 100, sequence: 4095 })
    expect(decoded[4095]).toMatchObject({ timestampMs: T0 + 101, sequence: 0 })
    expect(clock.ms).toBeGreaterThanOrEqual(T0 + 101) // it did wait for the clock
  })

  it("'wait' busy-waits until the clock is back, then goes on", () => {
    const { clock, generator } = setup({ clockRollback: 'wait' }, 100)
    const first = generator.nextBigInt()
    clock.ms -= 30
    const readsBefore = clock.reads
    const next = generator.nextBigInt()
    expect(clock.reads - readsBefore).toBeGreaterThanOrEqual(30 * 100 - 100)
    expect(generator.decode(next).timestampMs).toBeGreaterThanOrEqual(T0 + 100)
    expect(next > first).toBe(true)
  })

  it("'throw' throws at once, issues nothing, and recovers when the clock is back", () => {
    const { clock, generator } = setup({ clockRollback: 'throw' })
    const first = generator.nextBigInt()
    clock.ms -= 5
    const error = thrown(() => generator.nextBigInt())
    expect(error).toBeInstanceOf(ClockRollbackError)
    expect(error.message).toBe("clock moved back by 5 ms and clockRollback is 'throw'")
    expect(error).toMatchObject({
      code: 'ERR_CLOCK_ROLLBACK',
      rollbackMs: 5,
      lastTimestampMs: T0 + 100,
      clockMs: T0 + 95,
    })
    clock.ms += 5
    const next = generator.nextBigInt()
    expect(generator.decode(next)).toMatchObject({ timestampMs: T0 + 100, sequence: 1 })
    expect(next > first).toBe(true)
  })

  it('throws beyond the tolerance with continue and wait, and then recovers', () => {
    for (const clockRollback of ['continue', 'wait'] as const) {
      // the clock moves 1 ms per read, so a wait ends
      const { clock, generator } = setup({ clockRollback, rollbackToleranceMs: 10 }, 1)
      generator.nextBigInt()
      const last = generator.lastTimestampMs!
      clock.ms = last - 10 // 10 ms behind: absorbed
      const absorbed = generator.decode(generator.nextBigInt())
      expect(absorbed).toMatchObject({ timestampMs: last, sequence: 1 })
      clock.ms = last - 11
      const error = thrown(() => generator.nextBigInt())
      expect(error).toBeInstanceOf(ClockRollbackError)
      expect(error.message).toBe('clock moved back by 11 ms, beyond the rollback tolerance of 10 ms')
      expect(error).toMatchObject({ rollbackMs: 11, lastTimestampMs: last, clockMs: last - 11 })
      const recovered = generator.decode(generator.nextBigInt()) // the clock now reads 10 ms behind
      expect(recovered).toMatchObject({ timestampMs: last, sequence: 2 })
    }
  })

  it('never issues a duplicate or a smaller id through repeated rollbacks (every policy)', () => {
    for (const clockRollback of ['continue', 'wait', 'throw'] as const) {
      // the clock steps forward 1 ms every 7 reads but jumps back 3 ms every 50 reads
      const script = Array.from({ length: 350 }, (_, index) =>
        index % 50 === 49 ? -3 : index % 7 === 6 ? 1 : 0,
      )
      const clock = new FakeClock(T0, { script })
      const generator = new SnowflakeGenerator({
        layout: layouts.instagram,
        nodeId: 3,
        clock: clock.read,
        clockRollback,
      })
      const ids: bigint[] = []
      for (let round = 0; round < 20_000; round++) {
        try {
          ids.push(round % 3 === 0 ? BigInt(generator.nextString()) : generator.nextBigInt())
        } catch (error) {
          expect(clockRollback).toBe('throw')
          expect(error).toBeInstanceOf(ClockRollbackError)
        }
      }
      expect(ids.length).toBeGreaterThan(1000)
      assertStrictlyIncreasing(ids, clockRollback)
      expect(countDuplicates(ids)).toBe(0)
    }
  })
})

describe('SnowflakeGenerator: bursts on the real clock', () => {
  it('1M bigint ids with nextBigInt: strictly increasing, hence no duplicate', () => {
    const generator = new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 1023 })
    const ids = new BigUint64Array(1_000_000)
    for (let index = 0; index < ids.length; index++) ids[index] = generator.nextBigInt()
    expect(assertStrictlyIncreasing(ids)).toBe(1_000_000)
    expect(generator.decode(ids[999_999]!).nodeId).toBe(1023)
  })

  it('1M bigint ids with fill: strictly increasing, at most 4096 per millisecond', () => {
    const generator = new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 5 })
    const ids = generator.fill(new BigUint64Array(1_000_000))
    assertStrictlyIncreasing(ids)
    const perMs = new Map<bigint, number>()
    for (const id of ids) perMs.set(id >> 22n, (perMs.get(id >> 22n) ?? 0) + 1)
    expect(Math.max(...perMs.values())).toBeLessThanOrEqual(4096)
    expect(perMs.size).toBeGreaterThanOrEqual(Math.ceil(1_000_000 / 4096))
  })

  it('1M string ids (nextString and fillStrings): canonical decimals in strictly increasing numeric order', () => {
    const generator = new SnowflakeGenerator({ layout: layouts.discord, node: { worker: 31, process: 31 } })
    const strings: string[] = []
    for (let index = 0; index < 500_000; index++) strings.push(generator.nextString())
    generator.fillStrings(strings, 500_000, 500_000)
    const ids = strings.map((text) => {
      const value = BigInt(text)
      if (value.toString() !== text) throw new Error(`not canonical: ${text}`)
      return value
    })
    expect(assertStrictlyIncreasing(ids)).toBe(1_000_000)
  })

  it('four generators with distinct workers, interleaved: 1M ids, zero duplicates', () => {
    const generators = [0, 1, 2, 3].map(
      (worker) => new SnowflakeGenerator({ layout: layouts.twitter, node: { datacenter: 1, worker } }),
    )
    const perGenerator = generators.map(() => [] as bigint[])
    const all = new BigUint64Array(1_000_000)
    for (let index = 0; index < all.length; index++) {
      const which = index & 3
      const id = index % 5 === 0 ? BigInt(generators[which]!.nextString()) : generators[which]!.nextBigInt()
      perGenerator[which]!.push(id)
      all[index] = id
    }
    perGenerator.forEach((ids, which) => assertStrictlyIncreasing(ids, `generator ${which}`))
    expect(countDuplicates(all)).toBe(0)
  })
})
