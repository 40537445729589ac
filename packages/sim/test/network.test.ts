import { jsonCodec, SynodError, TransportClosedError, UnknownPeerError } from '@synod/transport'
import { type ComplianceMessage, complianceCodec, transportCompliance } from '@synod/transport/compliance'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type LinkOptions, SimNetwork } from '../src/network.js'
import { Random } from '../src/random.js'
import { Scheduler } from '../src/scheduler.js'
import { Trace } from '../src/trace.js'

transportCompliance({
  name: 'SimNetwork',
  async setup(ids) {
    const scheduler = new Scheduler()
    const network = new SimNetwork({ scheduler, random: new Random(1), codec: complianceCodec })
    return {
      transports: ids.map((id) => network.join(id)),
      settle: () => {
        scheduler.runUntilIdle({ maxEvents: 1_000_000 })
      },
      teardown: () => network.close(),
    }
  },
})

transportCompliance({
  name: 'SimNetwork with long-tail delays, no codec',
  async setup(ids) {
    const scheduler = new Scheduler()
    const link: LinkOptions = { delay: { kind: 'long-tail', minMs: 1, medianMs: 5, maxMs: 2_000 } }
    const network = new SimNetwork<ComplianceMessage>({ scheduler, random: new Random(2), link })
    return { transports: ids.map((id) => network.join(id)), settle: () => void scheduler.runUntilIdle() }
  },
})

interface Setup {
  scheduler: Scheduler
  network: SimNetwork<number>
  inbox: Map<string, Array<{ from: string; message: number; atMs: number }>>
}

function setup(ids: string[], link: LinkOptions = {}, seed = 1, trace?: Trace): Setup {
  const scheduler = new Scheduler()
  const network = new SimNetwork<number>({
    scheduler,
    random: new Random(seed),
    link,
    ...(trace ? { trace } : {}),
  })
  const inbox = new Map<string, Array<{ from: string; message: number; atMs: number }>>()
  for (const id of ids) {
    const received: Array<{ from: string; message: number; atMs: number }> = []
    inbox.set(id, received)
    network.join(id).onMessage((from, message) => received.push({ from, message, atMs: scheduler.now }))
  }
  return { scheduler, network, inbox }
}

function sender(network: SimNetwork<number>, id: string) {
  // a second transport cannot join under the same id, so senders are separate ids
  return network.join(id)
}

describe('SimNetwork delays', () => {
  it('delivers within the uniform bounds, and a constant delay exactly', () => {
    const { scheduler, network, inbox } = setup(['b'], { delay: { kind: 'uniform', minMs: 5, maxMs: 7 } })
    const a = sender(network, 'a')
    for (let i = 0; i < 1000; i++) a.send('b', i)
    scheduler.runUntilIdle()
    const times = inbox.get('b')!.map((r) => r.atMs)
    expect(times).toHaveLength(1000)
    expect(Math.min(...times)).toBeGreaterThanOrEqual(5)
    expect(Math.max(...times)).toBeLessThanOrEqual(7)
    network.setLink('a', 'b', { delay: { kind: 'constant', ms: 42 } })
    const before = scheduler.now
    a.send('b', -1)
    scheduler.runUntilIdle()
    expect(inbox.get('b')!.at(-1)!.atMs).toBe(before + 42)
  })

  it('long-tail: the median is near medianMs, the cap holds, and the tail is long', () => {
    const { scheduler, network, inbox } = setup(['b'], {
      delay: { kind: 'long-tail', minMs: 2, medianMs: 10, maxMs: 1_000, alpha: 1.2 },
      reorderRate: 1,
    })
    const a = sender(network, 'a')
    for (let i = 0; i < 20_000; i++) a.send('b', i)
    scheduler.runUntilIdle()
    const delays = inbox
      .get('b')!
      .map((r) => r.atMs)
      .sort((x, y) => x - y)
    const median = delays[delays.length >> 1]!
    expect(median).toBeGreaterThan(9)
    expect(median).toBeLessThan(11)
    expect(delays[0]).toBeGreaterThanOrEqual(2)
    expect(delays.at(-1)).toBeLessThanOrEqual(1_000)
    const p99 = delays[Math.floor(delays.length * 0.99)]!
    expect(p99).toBeGreaterThan(10 * median) // heavy tail: far beyond a uniform's spread
  })

  it('is FIFO per link without reordering, even with random delays', () => {
    const { scheduler, network, inbox } = setup(['b'], { delay: { kind: 'uniform', minMs: 1, maxMs: 100 } })
    const a = sender(network, 'a')
    for (let i = 0; i < 2000; i++) {
      a.send('b', i)
      if (i % 10 === 0) scheduler.runUntil(scheduler.now + 3)
    }
    scheduler.runUntilIdle()
    expect(inbox.get('b')!.map((r) => r.message)).toEqual(Array.from({ length: 2000 }, (_, i) => i))
  })

  it('reorders when reorderRate > 0, and still delivers every message exactly once', () => {
    const { scheduler, network, inbox } = setup(['b'], {
      delay: { kind: 'uniform', minMs: 1, maxMs: 100 },
      reorderRate: 0.5,
    })
    const a = sender(network, 'a')
    for (let i = 0; i < 2000; i++) a.send('b', i)
    scheduler.runUntilIdle()
    const got = inbox.get('b')!.map((r) => r.message)
    expect(got).not.toEqual(Array.from({ length: 2000 }, (_, i) => i))
    expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 2000 }, (_, i) => i))
  })
})

describe('SimNetwork loss and duplication', () => {
  it('loses about lossRate of the messages and counts them', () => {
    const { scheduler, network, inbox } = setup(['b'], { lossRate: 0.3 })
    const a = sender(network, 'a')
    for (let i = 0; i < 10_000; i++) a.send('b', i)
    scheduler.runUntilIdle()
    const delivered = inbox.get('b')!.length
    expect(delivered).toBeGreaterThan(6_700)
    expect(delivered).toBeLessThan(7_300)
    const stats = network.stats
    expect(stats.sent).toBe(10_000)
    expect(stats.delivered).toBe(delivered)
    expect(stats.droppedByReason.loss).toBe(10_000 - delivered)
    expect(stats.dropped).toBe(10_000 - delivered)
  })

  it('duplicates about duplicateRate of the messages', () => {
    const { scheduler, network, inbox } = setup(['b'], { duplicateRate: 0.2 })
    const a = sender(network, 'a')
    for (let i = 0; i < 10_000; i++) a.send('b', i)
    scheduler.runUntilIdle()
    const got = inbox.get('b')!.map((r) => r.message)
    const extra = got.length - 10_000
    expect(extra).toBe(network.stats.duplicated)
    expect(extra).toBeGreaterThan(1_700)
    expect(extra).toBeLessThan(2_300)
    expect(new Set(got).size).toBe(10_000)
  })

  it('degrade() adds loss until heal()', () => {
    const { scheduler, network, inbox } = setup(['b'])
    const a = sender(network, 'a')
    network.degrade({ lossRate: 1 })
    for (let i = 0; i < 100; i++) a.send('b', i)
    scheduler.runUntilIdle()
    expect(inbox.get('b')).toEqual([])
    network.heal()
    a.send('b', 1)
    scheduler.runUntilIdle()
    expect(inbox.get('b')!.map((r) => r.message)).toEqual([1])
  })

  it('traffic on one link does not change the fate of messages on another', () => {
    const run = (extraTraffic: boolean) => {
      const { scheduler, network, inbox } = setup(['b', 'c'], { lossRate: 0.5, reorderRate: 0.5 })
      const a = sender(network, 'a')
      for (let i = 0; i < 200; i++) {
        a.send('b', i)
        if (extraTraffic) a.send('c', i)
      }
      scheduler.runUntilIdle()
      return inbox.get('b')!
    }
    expect(run(true)).toEqual(run(false))
  })
})

describe('SimNetwork partitions', () => {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5']
  function matrix(groupsOrAction: (network: SimNetwork<string>) => void) {
    const scheduler = new Scheduler()
    const network = new SimNetwork<string>({ scheduler, random: new Random(3) })
    const transports = ids.map((id) => network.join(id))
    const arrived = new Set<string>()
    transports.forEach((t) => t.onMessage((from) => arrived.add(`${from}->${t.localId}`)))
    groupsOrAction(network)
    for (const t of transports) for (const to of ids) if (to !== t.localId) t.send(to, 'x')
    scheduler.runUntilIdle()
    return { arrived, network, scheduler, transports }
  }

  it('symmetric groups: only links inside a group work', () => {
    const { arrived } = matrix((n) =>
      n.partition([
        ['n1', 'n2'],
        ['n3', 'n4', 'n5'],
      ]),
    )
    for (const a of ids)
      for (const b of ids) {
        if (a === b) continue
        const same = ['n1', 'n2'].includes(a) === ['n1', 'n2'].includes(b)
        expect(arrived.has(`${a}->${b}`), `${a}->${b}`).toBe(same)
      }
  })

  it('nodes named in no group are not affected', () => {
    const { arrived } = matrix((n) => n.partition([['n1'], ['n2']]))
    expect(arrived.has('n1->n2')).toBe(false)
    expect(arrived.has('n2->n1')).toBe(false)
    expect(arrived.has('n1->n3')).toBe(true)
    expect(arrived.has('n3->n2')).toBe(true)
    expect(arrived.size).toBe(20 - 2)
  })

  it('one-way block: n1 cannot reach n2, n2 still reaches n1', () => {
    const { arrived } = matrix((n) => n.blockLink('n1', 'n2'))
    expect(arrived.has('n1->n2')).toBe(false)
    expect(arrived.has('n2->n1')).toBe(true)
    expect(arrived.size).toBe(19)
  })

  it('isolate cuts one node off both ways', () => {
    const { arrived } = matrix((n) => n.isolate('n3'))
    for (const id of ids) {
      if (id === 'n3') continue
      expect(arrived.has(`n3->${id}`)).toBe(false)
      expect(arrived.has(`${id}->n3`)).toBe(false)
    }
    expect(arrived.size).toBe(12)
  })

  it('bridge: the halves only talk through the bridge node', () => {
    const { arrived } = matrix((n) => n.bridge(['n1', 'n2'], 'n3', ['n4', 'n5']))
    expect(arrived.has('n1->n4')).toBe(false)
    expect(arrived.has('n5->n2')).toBe(false)
    expect(arrived.has('n1->n3')).toBe(true)
    expect(arrived.has('n3->n5')).toBe(true)
    expect(arrived.has('n1->n2')).toBe(true)
    expect(arrived.size).toBe(20 - 8)
  })

  it('drops messages already in flight when a partition starts, and heal restores every link', () => {
    const scheduler = new Scheduler()
    const network = new SimNetwork<number>({ scheduler, random: new Random(4) })
    const a = network.join('a')
    const b = network.join('b')
    const got: number[] = []
    b.onMessage((_, m) => got.push(m))
    a.send('b', 1)
    network.partition([['a'], ['b']])
    a.send('b', 2)
    scheduler.runUntilIdle()
    expect(got).toEqual([])
    expect(network.stats.droppedByReason.partition).toBe(2)
    expect(network.canReach('a', 'b')).toBe(false)
    network.heal()
    expect(network.canReach('a', 'b')).toBe(true)
    a.send('b', 3)
    scheduler.runUntilIdle()
    expect(got).toEqual([3])
  })

  it('clog holds messages, then unclog releases them in order', () => {
    const scheduler = new Scheduler()
    const network = new SimNetwork<number>({ scheduler, random: new Random(5) })
    const a = network.join('a')
    const b = network.join('b')
    const got: number[] = []
    const back: number[] = []
    b.onMessage((_, m) => got.push(m))
    a.onMessage((_, m) => back.push(m))
    network.clog('a', 'b')
    for (let i = 0; i < 10; i++) a.send('b', i)
    b.send('a', 99)
    scheduler.runUntil(1_000)
    expect(got).toEqual([])
    expect(back).toEqual([99])
    expect(network.stats.held).toBe(10)
    network.unclog('a', 'b')
    scheduler.runUntilIdle()
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(network.stats.held).toBe(0)
    expect(network.stats.dropped).toBe(0)
  })

  it('pause holds deliveries to a node until resume', () => {
    const scheduler = new Scheduler()
    const network = new SimNetwork<number>({ scheduler, random: new Random(6) })
    const a = network.join('a')
    const b = network.join('b')
    const got: number[] = []
    b.onMessage((_, m) => got.push(m))
    network.pause('b')
    a.send('b', 1)
    a.send('b', 2)
    scheduler.runUntil(500)
    expect(got).toEqual([])
    network.resume('b')
    scheduler.runUntilIdle()
    expect(got).toEqual([1, 2])
  })
})

describe('SimNetwork endpoints', () => {
  it('drops messages to closed nodes, and a rejoined node receives again', async () => {
    const scheduler = new Scheduler()
    const network = new SimNetwork<number>({ scheduler, random: new Random(7) })
    const a = network.join('a')
    const b = network.join('b')
    a.send('b', 1)
    await b.close()
    scheduler.runUntilIdle()
    expect(network.stats.droppedByReason.closed).toBe(1)
    expect(() => network.join('a')).toThrow('id: node "a" already joined this network')
    const b2 = network.join('b')
    const got: number[] = []
    b2.onMessage((_, m) => got.push(m))
    a.send('b', 2)
    scheduler.runUntilIdle()
    expect(got).toEqual([2])
    expect(() => b.send('a', 1)).toThrow(TransportClosedError)
  })

  it('with members, refuses strangers with UnknownPeerError; without, drops them', () => {
    const scheduler = new Scheduler()
    const closed = new SimNetwork<number>({ scheduler, random: new Random(1), members: ['a', 'b'] })
    expect(() => closed.join('z')).toThrow(UnknownPeerError)
    const a = closed.join('a')
    expect(() => a.send('z', 1)).toThrow(UnknownPeerError)
    const open = new SimNetwork<number>({ scheduler, random: new Random(1) })
    open.join('a').send('z', 1)
    expect(open.stats.droppedByReason['unknown-peer']).toBe(1)
  })

  it('with a codec, the receiver never shares an object with the sender, nor with a duplicate', () => {
    const scheduler = new Scheduler()
    const network = new SimNetwork<{ list: number[] }>({
      scheduler,
      random: new Random(8),
      codec: jsonCodec(),
      link: { duplicateRate: 1 },
    })
    const a = network.join('a')
    const b = network.join('b')
    const got: Array<{ list: number[] }> = []
    b.onMessage((_, m) => got.push(m))
    const message = { list: [1, 2] }
    a.send('b', message)
    message.list.push(3) // a sender mutating after send must not change what arrives
    scheduler.runUntilIdle()
    expect(got).toEqual([{ list: [1, 2] }, { list: [1, 2] }])
    expect(got[0]).not.toBe(got[1])
  })

  it('refuses bad options with exact errors', () => {
    const scheduler = new Scheduler()
    const random = new Random(1)
    const make = (link: unknown) => () => new SimNetwork({ scheduler, random, link: link as LinkOptions })
    expect(make({ lossRate: Number.NaN })).toThrow('link.lossRate: expected a number from 0 to 1, got NaN')
    expect(make({ lossRate: 1.5 })).toThrow(RangeError)
    expect(make({ duplicateRate: '0.1' })).toThrow(TypeError)
    expect(make({ delay: { kind: 'uniform', minMs: 5, maxMs: 1 } })).toThrow(
      'link.delay.maxMs: expected a number from 5 to 8796093022208, got 1',
    )
    expect(make({ delay: { kind: 'gaussian' } })).toThrow(
      "link.delay.kind: expected 'constant', 'uniform' or 'long-tail', got \"gaussian\"",
    )
    expect(make({ delay: { kind: 'long-tail', minMs: 1, medianMs: 0.5, maxMs: 9 } })).toThrow(RangeError)
    expect(() => new SimNetwork({ scheduler: {} as Scheduler, random })).toThrow(TypeError)
    const network = new SimNetwork<number>({ scheduler, random })
    expect(() => network.join('')).toThrow(RangeError)
    expect(() => network.partition([['a', 'b'], ['b']])).toThrow(
      'groups: node "b" appears in more than one group',
    )
    expect(() => network.bridge(['a'], 'a', ['b'])).toThrow(RangeError)
    const t = network.join('a')
    expect(() => t.onMessage('x' as never)).toThrow(TypeError)
    try {
      network.join('a')
    } catch (error) {
      expect(error).toBeInstanceOf(RangeError)
      expect(SynodError.isInstance(error)).toBe(false)
    }
  })
})

describe('SimNetwork determinism and speed', () => {
  function chatter(seed: number, count: number) {
    const trace = new Trace()
    const { scheduler, network } = setup(
      ['n1', 'n2', 'n3', 'n4', 'n5'],
      { lossRate: 0.05, duplicateRate: 0.05, reorderRate: 0.1 },
      seed,
      trace,
    )
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5']
    const senders = ids.map((id) => network.join(`${id}-client`))
    const random = new Random(seed).split('driver')
    for (let i = 0; i < count; i++) {
      random.pick(senders).send(random.pick(ids), i)
      if (i % 64 === 0) scheduler.runUntil(scheduler.now + 1)
    }
    scheduler.runUntilIdle()
    return { hash: trace.hash, stats: network.stats }
  }

  it('the same seed gives the same trace; another seed another', () => {
    const a = chatter(11, 5_000)
    expect(chatter(11, 5_000)).toEqual(a)
    expect(chatter(12, 5_000).hash).not.toBe(a.hash)
  })

  it('carries 100k messages between 5 nodes quickly', () => {
    const scheduler = new Scheduler()
    const network = new SimNetwork<number>({ scheduler, random: new Random(1), trace: new Trace() })
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5']
    const transports = ids.map((id) => network.join(id))
    let delivered = 0
    // every delivery triggers a reply until 100k messages have been sent
    let budget = 100_000
    transports.forEach((t, i) =>
      t.onMessage((_, m) => {
        delivered++
        if (budget-- > 0) t.send(ids[(i + m) % 5]!, m + 1)
      }),
    )
    const start = performance.now()
    for (let i = 0; i < 50; i++) transports[i % 5]!.send(ids[(i + 1) % 5]!, i)
    scheduler.runUntilIdle()
    const ms = performance.now() - start
    expect(delivered).toBe(100_050)
    console.log(`SimNetwork: 100k messages in ${ms.toFixed(0)} ms`)
    expect(ms).toBeLessThan(3_000)
  })
})

describe('SimNetwork properties', () => {
  const nodes = ['a', 'b', 'c', 'd']
  const node = fc.constantFrom(...nodes)
  const op = fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('send' as const),
        from: node,
        to: fc.constantFrom(...nodes, 'stranger'),
        count: fc.integer({ min: 1, max: 5 }),
      }),
      weight: 8,
    },
    {
      arbitrary: fc.record({ kind: fc.constant('run' as const), ms: fc.integer({ min: 0, max: 30 }) }),
      weight: 4,
    },
    {
      arbitrary: fc.record({ kind: fc.constant('partition' as const), cut: fc.integer({ min: 1, max: 3 }) }),
      weight: 1,
    },
    { arbitrary: fc.record({ kind: fc.constant('block' as const), from: node, to: node }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('clog' as const), from: node, to: node }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('unclog' as const), from: node, to: node }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('pause' as const), node }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('resume' as const), node }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('restart' as const), node }), weight: 1 },
    {
      arbitrary: fc.record({
        kind: fc.constant('degrade' as const),
        lossRate: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      weight: 1,
    },
    { arbitrary: fc.record({ kind: fc.constant('heal' as const) }), weight: 1 },
  )

  it('conserves messages and keeps FIFO per link under any mix of faults (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(op, { minLength: 5, maxLength: 60, size: 'max' }), (seed, ops) => {
        const scheduler = new Scheduler()
        const network = new SimNetwork<number>({
          scheduler,
          random: new Random(seed),
          link: { delay: { kind: 'uniform', minMs: 0, maxMs: 20 }, lossRate: 0.1 },
        })
        const lastSeq = new Map<string, number>()
        let fifoBroken = ''
        let seq = 0
        const transports = new Map<string, ReturnType<typeof network.join>>()
        const open = (id: string) => {
          const t = network.join(id)
          t.onMessage((from, n) => {
            const key = `${from}->${id}`
            if ((lastSeq.get(key) ?? -1) >= n) fifoBroken = `${key}: ${n} after ${lastSeq.get(key)}`
            lastSeq.set(key, n)
          })
          transports.set(id, t)
        }
        nodes.forEach(open)
        for (const o of ops) {
          switch (o.kind) {
            case 'send':
              for (let i = 0; i < o.count; i++) transports.get(o.from)!.send(o.to, seq++)
              break
            case 'run':
              scheduler.runUntil(scheduler.now + o.ms)
              break
            case 'partition':
              network.partition([nodes.slice(0, o.cut), nodes.slice(o.cut)])
              break
            case 'block':
              network.blockLink(o.from, o.to)
              break
            case 'clog':
              network.clog(o.from, o.to)
              break
            case 'unclog':
              network.unclog(o.from, o.to)
              break
            case 'pause':
              network.pause(o.node)
              break
            case 'resume':
              network.resume(o.node)
              break
            case 'restart':
              void transports.get(o.node)!.close()
              open(o.node)
              break
            case 'degrade':
              network.degrade({ lossRate: o.lossRate })
              break
            case 'heal':
              network.heal()
              break
          }
        }
        scheduler.runUntilIdle()
        const stats = network.stats
        const reasons = Object.values(stats.droppedByReason).reduce((a, b) => a + b, 0)
        expect(reasons).toBe(stats.dropped)
        expect(stats.sent + stats.duplicated).toBe(stats.delivered + stats.dropped + stats.held)
        expect(fifoBroken).toBe('')
        network.heal()
        for (const id of nodes) network.resume(id)
        scheduler.runUntilIdle()
        expect(network.stats.held).toBe(0)
        expect(network.stats.sent + network.stats.duplicated).toBe(
          network.stats.delivered + network.stats.dropped,
        )
      }),
      { numRuns: process.env.SYNOD_SLOW === '1' ? 3_000 : 300 },
    )
  })
})
