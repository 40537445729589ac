import { MemoryNetwork } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import type { RegisterMessage } from '../src/core/register.js'
import { LeaseHeldError, StaleTokenError } from '../src/errors.js'
import { compareTokens, FencedStore, LeaseService } from '../src/fencing.js'
import type { Clock } from '../src/node/clock.js'
import { QuorumRegister } from '../src/node/register.js'
import { majority } from '../src/systems.js'

/** A clock the test moves by hand; ticks still come from real timers so MemoryNetwork runs. */
function manualClock(): Clock & { set(ms: number): void } {
  let now = 0
  return {
    now: () => now,
    every(ms, callback) {
      const timer = setInterval(callback, ms)
      return () => clearInterval(timer)
    },
    set(ms) {
      now = ms
    },
  }
}

async function cluster() {
  const ids = ['r1', 'r2', 'r3', 'a', 'b']
  const network = new MemoryNetwork<RegisterMessage>()
  const system = majority(['r1', 'r2', 'r3'])
  const registers = new Map(
    ids.map((id) => [id, new QuorumRegister({ transport: network.join(id), system, tickMs: 5 })]),
  )
  const clock = manualClock()
  const service = (id: string) => new LeaseService({ register: registers.get(id) as QuorumRegister, clock })
  return {
    clock,
    service,
    close: async () => {
      await Promise.all([...registers.values()].map((r) => r.close()))
      await network.close()
    },
  }
}

describe('FencedStore', () => {
  it('accepts equal and higher tokens and refuses lower ones', () => {
    const store = new FencedStore<string>()
    store.write('x', 'a1', { counter: 1, writer: 'a' })
    store.write('x', 'a2', { counter: 1, writer: 'a' })
    store.write('x', 'b1', { counter: 2, writer: 'b' })
    expect(() => store.write('x', 'a3', { counter: 1, writer: 'a' })).toThrow(
      new StaleTokenError({ counter: 1, writer: 'a' }, { counter: 2, writer: 'b' }),
    )
    expect(() => store.write('y', 'a3', { counter: 2, writer: 'a' })).toThrow(
      'stale fencing token 2/a: the resource has seen 2/b',
    )
    expect(store.read('x')).toBe('b1')
    expect(store.read('y')).toBeUndefined()
    expect(store.rejectedWrites).toBe(2)
    expect(store.highestToken).toEqual({ counter: 2, writer: 'b' })
    expect(() => store.write('x', 'z', { counter: -1, writer: 'a' })).toThrow(
      new TypeError('token: expected a fencing token { counter, writer }, got object'),
    )
    expect(() => store.write('x', 'z', 5 as never)).toThrow(
      new TypeError('token: expected a fencing token { counter, writer }, got 5'),
    )
  })

  it('orders tokens by counter, then writer', () => {
    expect(compareTokens({ counter: 2, writer: 'a' }, { counter: 1, writer: 'z' })).toBe(1)
    expect(compareTokens({ counter: 2, writer: 'a' }, { counter: 2, writer: 'b' })).toBe(-1)
    expect(compareTokens({ counter: 2, writer: 'a' }, { counter: 2, writer: 'a' })).toBe(0)
  })
})

describe('LeaseService over MemoryNetwork', () => {
  it('grants strictly increasing tokens; refuses a live lease to another holder; renews for the same holder', async () => {
    const { clock, service, close } = await cluster()
    const a = service('a')
    const b = service('b')
    const first = await a.acquire('leader', { holder: 'a', leaseMs: 100 })
    expect(first).toMatchObject({ name: 'leader', holder: 'a', expiresAtMs: 100 })
    const error = await b.acquire('leader', { holder: 'b', leaseMs: 100 }).catch((e: unknown) => e)
    expect(LeaseHeldError.isInstance(error)).toBe(true)
    expect((error as Error).message).toBe('lease "leader" is held by "a" until 100')
    clock.set(50)
    const renewed = await a.acquire('leader', { holder: 'a', leaseMs: 100 })
    expect(compareTokens(renewed.token, first.token)).toBeGreaterThan(0)
    clock.set(151)
    const second = await b.acquire('leader', { holder: 'b', leaseMs: 100 })
    expect(second.token.counter).toBeGreaterThan(renewed.token.counter)
    expect(await b.release('leader', first.token)).toBe(false) // not the latest grant
    expect(await b.release('leader', second.token)).toBe(true)
    const third = await a.acquire('leader', { holder: 'a', leaseMs: 100 }) // released: free at once
    expect(third.token.counter).toBeGreaterThan(second.token.counter)
    await close()
  })

  it('refuses bad input with exact errors', async () => {
    const { service, close } = await cluster()
    const a = service('a')
    await expect(a.acquire('', { holder: 'a', leaseMs: 1 })).rejects.toThrow(
      new RangeError('key: expected 1 to 1000 UTF-8 bytes, got 0'),
    )
    await expect(a.acquire('l', { holder: '', leaseMs: 1 })).rejects.toThrow(
      new RangeError('holder: expected a non-empty string, got ""'),
    )
    await expect(a.acquire('l', { holder: 7 as never, leaseMs: 1 })).rejects.toThrow(
      new TypeError('holder: expected a string, got 7'),
    )
    await expect(a.acquire('l', { holder: 'a', leaseMs: 0 })).rejects.toThrow(
      new RangeError('leaseMs: expected an integer from 1 to 86400000, got 0'),
    )
    await expect(a.release('l', {} as never)).rejects.toThrow(
      new TypeError('token: expected a fencing token { counter, writer }, got object'),
    )
    expect(() => new LeaseService({ register: {} as never })).toThrow(
      new TypeError('register: expected a QuorumRegister, got object'),
    )
    await close()
  })
})
