import { MemoryNetwork } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import { RegisterCore, type RegisterMessage } from '../src/core/register.js'
import { QuorumClosedError, QuorumTimeoutError, TooManyPendingError } from '../src/errors.js'
import { QuorumRegister } from '../src/node/register.js'
import { grid, majority, weighted } from '../src/systems.js'

/** Delivers every message between cores at once (no faults), ticking never. */
function deliverAll(cores: Map<string, RegisterCore>, limit = 100_000) {
  const queue: { from: string; to: string; message: RegisterMessage }[] = []
  const completions = []
  for (let i = 0; i < limit; i++) {
    for (const [id, core] of cores) {
      const ready = core.ready()
      for (const { to, message } of ready.messages) queue.push({ from: id, to, message })
      completions.push(...ready.completions)
    }
    const next = queue.shift()
    if (next === undefined) return completions
    cores.get(next.to)?.step(next.from, next.message)
  }
  throw new Error('did not settle')
}

describe('RegisterCore', () => {
  it('writes then reads through a majority, with versions (counter, writer)', () => {
    const ids = ['a', 'b', 'c']
    const system = majority(ids)
    const cores = new Map(ids.map((id) => [id, new RegisterCore({ id, system })]))
    const a = cores.get('a') as RegisterCore
    const b = cores.get('b') as RegisterCore
    const w = a.write('x', 'one')
    const [done] = deliverAll(cores)
    expect(done).toMatchObject({ opId: w, result: 'ok', version: { counter: 1, writer: 'a' }, value: 'one' })
    b.write('x', 'two')
    expect(deliverAll(cores)[0]).toMatchObject({ result: 'ok', version: { counter: 2, writer: 'b' } })
    const r = a.read('x')
    expect(deliverAll(cores)[0]).toMatchObject({ opId: r, result: 'ok', value: 'two' })
    // every replica holds the latest version after the writes reached all of them
    for (const core of cores.values()) expect(core.local('x')?.value).toBe('two')
  })

  it('a read writes back a value that only a minority holds before returning it', () => {
    const ids = ['a', 'b', 'c']
    const system = majority(ids)
    const c = new RegisterCore({
      id: 'c',
      system,
      initialRecords: [{ key: 'x', version: { counter: 5, writer: 'z' }, value: 'partial' }],
    })
    const cores = new Map([
      ['a', new RegisterCore({ id: 'a', system })],
      ['b', new RegisterCore({ id: 'b', system })],
      ['c', c],
    ])
    const reader = cores.get('a') as RegisterCore
    reader.read('x')
    const first = reader.ready()
    expect(first.messages.map((m) => m.message.kind)).toEqual(['query', 'query'])
    // deliver only c's reply: a (itself) + c is a read quorum holding "partial" on one replica only
    c.step('a', first.messages.find((m) => m.to === 'c')?.message as RegisterMessage)
    const reply = c.ready().messages[0]
    reader.step('c', reply?.message as RegisterMessage)
    const second = reader.ready()
    expect(second.completions).toEqual([])
    expect(second.messages.map((m) => m.message.kind)).toEqual(['store', 'store'])
    expect(reader.local('x')?.value).toBe('partial') // written back locally already
  })

  it('skips the write-back when the replicas holding the latest version are a write quorum', () => {
    const ids = ['a', 'b', 'c']
    const system = majority(ids)
    const cores = new Map(ids.map((id) => [id, new RegisterCore({ id, system })]))
    ;(cores.get('a') as RegisterCore).write('x', 'v')
    deliverAll(cores)
    const reader = cores.get('b') as RegisterCore
    reader.read('x')
    let stores = 0
    for (let i = 0; i < 100; i++) {
      let moved = false
      for (const [id, core] of cores) {
        for (const { to, message } of core.ready().messages) {
          if (message.kind === 'store') stores++
          cores.get(to)?.step(id, message)
          moved = true
        }
      }
      if (!moved) break
    }
    expect(stores).toBe(0)
  })

  it('times out without a quorum and reports the phase; resends on retry ticks', () => {
    const system = majority(['a', 'b', 'c'])
    const core = new RegisterCore({ id: 'a', system, retryTicks: 2, timeoutTicks: 5 })
    const op = core.write('x', 'v')
    expect(core.ready().messages).toHaveLength(2)
    core.tick()
    expect(core.ready().messages).toHaveLength(0)
    core.tick()
    expect(core.ready().messages).toHaveLength(2) // resent to both silent replicas
    core.tick()
    core.tick()
    core.tick()
    expect(core.ready().completions).toEqual([
      { opId: op, kind: 'write', key: 'x', result: 'timeout', phase: 'query', replies: 1 },
    ])
    expect(core.pendingOperations).toBe(0)
  })

  it('ignores replies of another incarnation, from non-members, and malformed messages', () => {
    const system = majority(['a', 'b', 'c'])
    const core = new RegisterCore({ id: 'a', system, nonce: 9 })
    const op = core.read('x')
    core.ready()
    const reply = {
      kind: 'query-reply',
      nonce: 8,
      opId: op,
      key: 'x',
      version: { counter: 1, writer: 'b' },
      value: 'old',
    } as const
    core.step('b', reply)
    core.step('z', { ...reply, nonce: 9 })
    core.step('b', { kind: 'query-reply', nonce: 9, opId: op } as unknown as RegisterMessage)
    core.step('b', null as unknown as RegisterMessage)
    expect(core.ready()).toEqual({ persist: [], messages: [], completions: [] })
    expect(core.ignoredMessages).toBe(3)
  })

  it('update can decline after reading, and a throwing decide aborts instead of crashing', () => {
    const ids = ['a', 'b', 'c']
    const system = majority(ids)
    const cores = new Map(ids.map((id) => [id, new RegisterCore({ id, system })]))
    const a = cores.get('a') as RegisterCore
    a.update('x', (current) => (current.value === null ? { value: 'first' } : { abort: 'taken' }))
    expect(deliverAll(cores)[0]).toMatchObject({ result: 'ok', value: 'first' })
    a.update('x', (current) => (current.value === null ? { value: 'second' } : { abort: 'taken' }))
    expect(deliverAll(cores)[0]).toMatchObject({ result: 'aborted', reason: 'taken', value: 'first' })
    a.update('x', () => {
      throw new Error('boom')
    })
    expect(deliverAll(cores)[0]).toMatchObject({ result: 'aborted', reason: 'decide threw: boom' })
  })

  it('works over weighted and grid systems (a coordinator that is no replica too)', () => {
    for (const system of [
      weighted({ votes: { a: 2, b: 1, c: 1 }, readVotes: 2, writeVotes: 3 }),
      grid([
        ['a', 'b'],
        ['c', 'd'],
      ]),
    ]) {
      const cores = new Map([...system.members, 'client'].map((id) => [id, new RegisterCore({ id, system })]))
      const client = cores.get('client') as RegisterCore
      client.write('k', 'v')
      expect(deliverAll(cores)[0]).toMatchObject({ result: 'ok' })
      client.read('k')
      expect(deliverAll(cores)[0]).toMatchObject({ result: 'ok', value: 'v' })
      expect(client.local('k')).toBeUndefined()
    }
  })

  it('refuses bad input with exact errors', () => {
    const system = majority(['a', 'b', 'c'])
    expect(() => new RegisterCore(null as never)).toThrow(
      new TypeError('options: expected an object, got null'),
    )
    expect(() => new RegisterCore({ id: '', system })).toThrow(
      new TypeError('id: expected a non-empty string, got ""'),
    )
    expect(() => new RegisterCore({ id: 'a', system: {} as never })).toThrow(
      new TypeError('system: expected a QuorumSystem, got object'),
    )
    const broken = {
      ...majority(['a', 'b', 'c', 'd']),
      isReadQuorum: (r: Iterable<string>) => [...r].length >= 2,
      isWriteQuorum: (r: Iterable<string>) => [...r].length >= 2,
    }
    expect(() => new RegisterCore({ id: 'a', system: broken as never })).toThrow(
      new RangeError(
        'system: expected every read quorum to meet every write quorum, but [a, b] and [c, d] are disjoint',
      ),
    )
    expect(() => new RegisterCore({ id: 'a', system, retryTicks: 0 })).toThrow(
      new RangeError('retryTicks: expected an integer from 1 to 1000000, got 0'),
    )
    expect(() => new RegisterCore({ id: 'a', system, timeoutTicks: 1.5 })).toThrow(
      new RangeError('timeoutTicks: expected an integer from 1 to 1000000000, got 1.5'),
    )
    expect(() => new RegisterCore({ id: 'a', system, nonce: '1' as never })).toThrow(
      new TypeError('nonce: expected an integer, got string'),
    )
    const core = new RegisterCore({
      id: 'a',
      system,
      maxKeyBytes: 4,
      maxValueBytes: 3,
      maxPendingOperations: 1,
    })
    expect(() => core.read('')).toThrow(new RangeError('key: expected 1 to 4 UTF-8 bytes, got 0'))
    expect(() => core.read('ééé')).toThrow(new RangeError('key: expected 1 to 4 UTF-8 bytes, got 6'))
    expect(() => core.read(7 as never)).toThrow(new TypeError('key: expected a string, got 7'))
    expect(() => core.write('k', 'four')).toThrow(new RangeError('value: expected at most 3 bytes, got 4'))
    expect(() => core.write('k', new Uint8Array(4))).toThrow(
      new RangeError('value: expected at most 3 bytes, got 4'),
    )
    expect(() => core.write('k', 5 as never)).toThrow(
      new TypeError('value: expected a string or a Uint8Array, got 5'),
    )
    expect(() => core.write('k', null as never)).toThrow(
      new TypeError('value: expected a string or a Uint8Array, got null'),
    )
    expect(() => core.update('k', 'x' as never)).toThrow(
      new TypeError('decide: expected a function, got "x"'),
    )
    core.read('k')
    expect(() => core.read('k')).toThrow(new TooManyPendingError(1))
    expect(() => core.read('k')).toThrow('too many pending operations: the limit is 1')
  })
})

describe('QuorumRegister over MemoryNetwork', () => {
  it('reads what was written, from any node', async () => {
    const ids = ['a', 'b', 'c']
    const network = new MemoryNetwork<RegisterMessage>()
    const system = majority(ids)
    const registers = ids.map((id) => new QuorumRegister({ transport: network.join(id), system }))
    const [a, b, c] = registers as [QuorumRegister, QuorumRegister, QuorumRegister]
    expect(await a.read('x')).toBeNull()
    expect(await a.write('x', 'hello')).toEqual({ counter: 1, writer: 'a' })
    expect(await b.read('x')).toBe('hello')
    expect(await c.write('x', 'world')).toEqual({ counter: 2, writer: 'c' })
    expect(await a.read('x')).toBe('world')
    const outcome = await b.update('x', ({ value }) => ({ value: `${value}!` }))
    expect(outcome).toEqual({ written: true, version: { counter: 3, writer: 'b' }, value: 'world!' })
    await Promise.all(registers.map((r) => r.close()))
    await network.close()
  })

  it('times out with QuorumTimeoutError when a majority is gone, and rejects after close', async () => {
    const network = new MemoryNetwork<RegisterMessage>()
    const system = majority(['a', 'b', 'c'])
    const a = new QuorumRegister({ transport: network.join('a'), system, timeoutMs: 50, tickMs: 5 })
    const error = await a.write('x', 'v').catch((e: unknown) => e)
    expect(QuorumTimeoutError.isInstance(error)).toBe(true)
    expect((error as Error).message).toBe('write "x" timed out in the query phase with 1 reply')
    const pending = a.read('x')
    await a.close()
    await expect(pending).rejects.toThrow(new QuorumClosedError('register'))
    await expect(a.read('x')).rejects.toThrow('register is closed')
    const b = new QuorumRegister({ transport: network.join('b'), system })
    await expect(b.read('')).rejects.toThrow(new RangeError('key: expected 1 to 1024 UTF-8 bytes, got 0'))
    await b.close()
    await network.close()
  })

  it('refuses bad options with exact errors', () => {
    const network = new MemoryNetwork<RegisterMessage>()
    const system = majority(['a'])
    expect(() => new QuorumRegister({ transport: {} as never, system })).toThrow(
      new TypeError('transport: expected a Transport'),
    )
    const transport = network.join('a')
    expect(() => new QuorumRegister({ transport, system, clock: {} as never })).toThrow(
      new TypeError('clock: expected an object with now() and every(intervalMs, callback)'),
    )
    expect(() => new QuorumRegister({ transport, system, tickMs: 0 })).toThrow(
      new RangeError('tickMs: expected an integer from 1 to 3600000, got 0'),
    )
    expect(() => new QuorumRegister({ transport, system, timeoutMs: -1 })).toThrow(
      new RangeError('timeoutMs: expected an integer from 1 to 86400000, got -1'),
    )
  })
})

describe('version issuance across restarts', () => {
  it('a replica restarted with its records resumes after the highest counter it issued', () => {
    const ids = ['a', 'b', 'c']
    const system = majority(ids)
    // a's previous incarnation issued counters up to 5 (recorded on its disk under key z); b and c hold y at (3, b)
    const held = { key: 'y', version: { counter: 3, writer: 'b' }, value: 'b3' }
    const cores = new Map([
      [
        'a',
        new RegisterCore({
          id: 'a',
          system,
          nonce: 2,
          initialRecords: [{ key: 'z', version: { counter: 5, writer: 'a' }, value: 'z5' }],
        }),
      ],
      ['b', new RegisterCore({ id: 'b', system, initialRecords: [held] })],
      ['c', new RegisterCore({ id: 'c', system, initialRecords: [held] })],
    ])
    ;(cores.get('a') as RegisterCore).write('y', 'new')
    const done = deliverAll(cores)
    expect(done[0]).toMatchObject({ result: 'ok', version: { counter: 6, writer: 'a' } })
  })

  it('a client coordinator writes as <id>#<nonce>, so a restarted client never reissues a version', async () => {
    const network = new MemoryNetwork<RegisterMessage>()
    const system = majority(['a', 'b', 'c'])
    const registers = ['a', 'b', 'c'].map((id) => new QuorumRegister({ transport: network.join(id), system }))
    const client = new QuorumRegister({ transport: network.join('client'), system, nonce: 35 })
    expect(await client.write('x', 'v')).toEqual({ counter: 1, writer: 'client#z' })
    expect(() => new RegisterCore({ id: 'a', system, writerId: '' })).toThrow(
      new TypeError('writerId: expected a non-empty string, got ""'),
    )
    await Promise.all([...registers, client].map((r) => r.close()))
    await network.close()
  })
})
