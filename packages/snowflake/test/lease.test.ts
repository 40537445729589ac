import { describe, expect, it } from 'vitest'
import {
  LeaseExpiredError,
  layouts,
  MemoryWorkerIdRegistry,
  SnowflakeGenerator,
  type SnowflakeLayout,
} from '../src/index.js'
import { countDuplicates, FakeClock } from './fake-clock.js'
import { T0, thrown } from './helpers.js'

describe('MemoryWorkerIdRegistry', () => {
  function setup(layout: SnowflakeLayout = layouts.twitter) {
    const clock = new FakeClock(T0)
    const registry = new MemoryWorkerIdRegistry({
      layout,
      leaseMs: 1_000,
      maxClockDriftMs: 100,
      clock: clock.read,
    })
    return { clock, registry }
  }

  it('hands out the lowest free id with increasing fencing tokens', () => {
    const { registry } = setup()
    const a = registry.acquire('a')
    const b = registry.acquire('b')
    expect(a).toMatchObject({ nodeId: 0, fencingToken: 1n, expiresAtMs: T0 + 1_000 })
    expect(b).toMatchObject({ nodeId: 1, fencingToken: 2n })
  })

  it('renews a live lease, refuses an expired one', () => {
    const { clock, registry } = setup()
    const lease = registry.acquire('a')
    clock.ms += 999
    expect(registry.renew(lease).expiresAtMs).toBe(T0 + 999 + 1_000)
    clock.ms += 1_000
    const error = thrown(() => registry.renew(lease))
    expect(error).toBeInstanceOf(LeaseExpiredError)
    expect(error.message).toBe(
      `lease: node id 0 (fencing token 1) expired at ${T0 + 1_999}, clock reads ${T0 + 1_999}`,
    )
  })

  it('never reuses an id before its lease plus the maximum drift', () => {
    const { clock, registry } = setup()
    const old = registry.acquire('old')
    clock.ms = old.expiresAtMs + 100 // expired, but inside the drift quarantine
    expect(registry.acquire('new').nodeId).toBe(1)
    clock.ms = old.expiresAtMs + 101
    const taken = registry.acquire('newer')
    expect(taken).toMatchObject({ nodeId: 0, fencingToken: 3n })
    // the old holder's renewal is refused: its token is stale
    expect(() => registry.renew(old)).toThrow(LeaseExpiredError)
    // releasing a stale lease does not touch the new one
    registry.release(old)
    expect(taken.expiresAtMs).toBe(clock.ms + 1_000)
  })

  it('release cuts the lease to now + drift + one time unit, then quarantines', () => {
    const { clock, registry } = setup(layouts.sonyflake)
    const lease = registry.acquire('a')
    clock.ms += 10
    registry.release(lease)
    expect(lease.expiresAtMs).toBe(T0 + 10 + 100 + 10)
    clock.ms = lease.expiresAtMs + 100
    expect(registry.acquire('b').nodeId).toBe(1)
    clock.ms += 1
    expect(registry.acquire('c').nodeId).toBe(0)
  })

  it('refuses when every id is taken, with an exact message', () => {
    const { registry } = setup(layouts.sonyflake)
    const tiny = new MemoryWorkerIdRegistry({
      layout: { ...layouts.twitter, nodeIdMax: 1 },
      leaseMs: 10,
      maxClockDriftMs: 0,
      clock: () => T0,
    })
    tiny.acquire('a')
    tiny.acquire('b')
    const error = thrown(() => tiny.acquire('c'))
    expect(error).toBeInstanceOf(RangeError)
    expect(error.message).toBe('acquire: all 2 node ids are leased or in their drift quarantine')
    expect(() => registry.acquire(5 as unknown as string)).toThrow('holder: expected a string, got number')
    expect(
      () => new MemoryWorkerIdRegistry({ layout: layouts.twitter, leaseMs: 0, maxClockDriftMs: 0 }),
    ).toThrow('leaseMs: expected an integer from 1 to 86400000, got 0')
  })
})

describe('SnowflakeGenerator with a lease', () => {
  it('stops at the lease expiry and goes on after a renewal', () => {
    const clock = new FakeClock(T0)
    const registry = new MemoryWorkerIdRegistry({
      layout: layouts.twitter,
      leaseMs: 50,
      maxClockDriftMs: 10,
      clock: clock.read,
    })
    const lease = registry.acquire('a')
    const generator = new SnowflakeGenerator({ layout: layouts.twitter, lease, clock: clock.read })
    expect(generator.nodeId).toBe(lease.nodeId)
    generator.nextBigInt()
    clock.ms = T0 + 49 // the tick [49, 50) ends by the expiry
    expect(generator.decode(generator.nextBigInt()).timestampMs).toBe(T0 + 49)
    clock.ms = T0 + 50
    const error = thrown(() => generator.nextBigInt())
    expect(error).toBeInstanceOf(LeaseExpiredError)
    expect(error.message).toBe(
      `lease: node id 0 (fencing token 1) expired at ${T0 + 50}, clock reads ${T0 + 50}`,
    )
    // renewing before the registry's expiry (its clock is the same here) keeps the generator going
    clock.ms = T0 + 49
    registry.renew(lease)
    clock.ms = T0 + 60
    expect(generator.decode(generator.nextBigInt()).timestampMs).toBe(T0 + 60)
  })

  it('only uses ticks that end by the expiry (10 ms units)', () => {
    let now = T0
    const lease = { nodeId: 3, fencingToken: 1n, expiresAtMs: T0 + 25 }
    const generator = new SnowflakeGenerator({ layout: layouts.sonyflake, lease, clock: () => now })
    expect(generator.decode(generator.nextBigInt()).timestampMs).toBe(T0)
    now = T0 + 15 // tick [10, 20) ends by 25
    expect(generator.decode(generator.nextBigInt()).timestampMs).toBe(T0 + 10)
    now = T0 + 21 // tick [20, 30) would end after 25
    expect(() => generator.nextBigInt()).toThrow(LeaseExpiredError)
  })

  it('a handover between two holders whose clocks differ by the maximum drift issues no duplicate', () => {
    const driftMs = 20
    const clock = new FakeClock(T0, { readsPerMs: 200 })
    const registry = new MemoryWorkerIdRegistry({
      layout: layouts.instagram,
      leaseMs: 100,
      maxClockDriftMs: driftMs,
      clock: clock.read,
    })
    const ids: bigint[] = []
    // the old holder's clock runs `driftMs` behind the registry's, the new one's `driftMs` ahead... and the reverse
    for (const [oldSkew, newSkew] of [
      [-driftMs, 0],
      [0, -driftMs],
      [driftMs, 0],
      [0, 0],
    ] as const) {
      const old = registry.acquire('old')
      const oldGenerator = new SnowflakeGenerator({
        layout: layouts.instagram,
        lease: old,
        clock: () => clock.read() + oldSkew,
      })
      for (;;) {
        try {
          ids.push(...oldGenerator.fill([], 64))
        } catch (error) {
          if (LeaseExpiredError.isInstance(error)) break
          throw error
        }
      }
      // wait until the registry hands the same id out again
      let next = registry.acquire('probe')
      while (next.nodeId !== old.nodeId) {
        registry.release(next)
        clock.ms += 1
        next = registry.acquire('probe')
      }
      const newGenerator = new SnowflakeGenerator({
        layout: layouts.instagram,
        lease: next,
        clock: () => clock.read() + newSkew,
      })
      ids.push(...newGenerator.fill([], 5_000))
      registry.release(next)
      clock.ms += 1_000
    }
    expect(ids.length).toBeGreaterThan(20_000)
    expect(countDuplicates(ids)).toBe(0)
  })
})
