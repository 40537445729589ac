import { jsonCodec } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import { NodeStateError, SimulationFailure } from '../src/errors.js'
import { Nemesis } from '../src/nemesis.js'
import { checkDeterminism, type RunSimulationOptions, runSimulation } from '../src/run.js'
import { type NodeContext, Simulation } from '../src/simulation.js'
import { replayCommand, sweep } from '../src/sweep.js'
import { type GossipMessage, GossipNode } from './gossip.js'

const ids = ['n1', 'n2', 'n3', 'n4', 'n5']

function gossipOptions(seed: number): RunSimulationOptions<GossipMessage, GossipNode> {
  return {
    seed,
    nodeIds: ids,
    node: (ctx) => new GossipNode(ctx, ids),
    network: { delay: { kind: 'long-tail', minMs: 1, medianMs: 5, maxMs: 300 }, lossRate: 0.05 },
    clock: { maxSkewMs: 100, maxDriftPpm: 1_000 },
    disk: { tornWrites: true },
    faultPhaseMs: 2_000,
    nemesis: { intervalMs: { minMs: 100, maxMs: 400 } },
    invariants: [
      function noFabricatedRumor(sim) {
        for (const id of sim.upIds())
          for (const rumor of sim.node(id).known)
            if (!ids.some((origin) => rumor === `rumor-of-${origin}`)) return `${id} knows ${rumor}`
      },
    ],
    liveness: (sim) => sim.nodeIds.every((id) => sim.node(id).known.size === ids.length),
    livenessBoundMs: 5_000,
  }
}

describe('Simulation: determinism', () => {
  it('100 seeds of gossip under a random nemesis: each replays to the same trace hash', () => {
    const start = performance.now()
    // 100 seeds, 1000 under test:slow, one with SYNOD_SEED=<n>
    const { seeds, results } = sweep({ seeds: 100, expect }, (seed) => checkDeterminism(gossipOptions(seed)))
    const ms = performance.now() - start
    const faults = results.reduce((sum, r) => sum + r.faults, 0)
    console.log(`determinism: ${seeds.length} seeds run twice in ${ms.toFixed(0)} ms, ${faults} faults`)
    expect(new Set(results.map((r) => r.traceHash)).size).toBe(seeds.length) // every seed is a different run
    expect(results.every((r) => r.livenessAtMs !== undefined)).toBe(true)
    expect(faults).toBeGreaterThan(seeds.length * 3)
  })

  it('a leak of unseeded randomness is caught as nondeterminism', () => {
    const options = gossipOptions(1)
    let calls = 0
    const leaky: RunSimulationOptions<GossipMessage, GossipNode> = {
      ...options,
      node: (ctx) => {
        const node = new GossipNode(ctx, ids)
        // a different first delay on every run: stands in for Math.random() or Date.now()
        ctx.after(1 + (calls++ % 7), () => ctx.transport.send('n1', { kind: 'rumors', rumors: [] }))
        return node
      },
    }
    const error = (() => {
      try {
        checkDeterminism(leaky)
      } catch (e) {
        return e
      }
    })()
    expect(SimulationFailure.isInstance(error) && error.reason).toBe('nondeterminism')
    expect(String((error as Error).message)).toContain('seed=1')
  })
})

describe('Simulation: nodes', () => {
  type Probe = { ticks: number; received: string[]; ctx: NodeContext<string> }
  function probeSim(
    seed = 1,
    extra: Partial<ConstructorParameters<typeof Simulation<string, Probe>>[0]> = {},
  ) {
    return new Simulation<string, Probe>({
      seed,
      nodeIds: ['a', 'b'],
      node(ctx) {
        const probe: Probe = { ticks: 0, received: [], ctx }
        ctx.transport.onMessage((from, message) =>
          probe.received.push(`${from}:${message}@${ctx.incarnation}`),
        )
        ctx.every(10, () => probe.ticks++)
        return probe
      },
      network: { delay: { kind: 'constant', ms: 5 } },
      ...extra,
    })
  }

  it('crash cancels timers, closes the transport and loses unsynced data; restart rebuilds from disk', () => {
    const sim = probeSim()
    sim.runUntil(100)
    expect(sim.node('a').ticks).toBe(10)
    const disk = sim.disk('a')
    disk.write('kept', Uint8Array.of(1))
    disk.sync('kept')
    disk.syncDirectory()
    disk.append('kept', Uint8Array.of(2))
    disk.write('lost', Uint8Array.of(3))
    const old = sim.node('a')
    sim.node('b').ctx.transport.send('a', 'in-flight')
    sim.crash('a')
    expect(sim.status('a')).toBe('crashed')
    expect(() => sim.crash('a')).toThrow(NodeStateError)
    expect(() => old.ctx.transport.send('b', 'x')).toThrow('transport "a" is closed')
    sim.runUntil(200)
    expect(old.ticks).toBe(10)
    expect(old.received).toEqual([])
    expect(sim.network.stats.droppedByReason.closed).toBe(1)
    // a stale context schedules nothing
    expect(old.ctx.after(1, () => {}).cancel()).toBe(false)
    sim.restart('a')
    expect(sim.incarnation('a')).toBe(1)
    expect(sim.node('a')).not.toBe(old)
    expect([...sim.disk('a').read('kept')]).toEqual([1])
    expect(sim.disk('a').exists('lost')).toBe(false)
    sim.node('b').ctx.transport.send('a', 'hello')
    sim.runUntil(300)
    expect(sim.node('a').ticks).toBe(10)
    expect(sim.node('a').received).toEqual(['b:hello@1'])
    expect(() => sim.restart('a')).toThrow('node "a" is running, not crashed')
  })

  it('pause defers timers and deliveries until resume, then runs them in order', () => {
    const sim = probeSim()
    sim.runUntil(50)
    sim.pause('a')
    sim.node('b').ctx.transport.send('a', 'one')
    sim.node('b').ctx.transport.send('a', 'two')
    sim.runUntil(500)
    expect(sim.node('a').ticks).toBe(5)
    expect(sim.node('a').received).toEqual([])
    expect(sim.status('a')).toBe('paused')
    sim.resume('a')
    sim.runUntil(500)
    expect(sim.node('a').received).toEqual(['b:one@0', 'b:two@0'])
    expect(sim.node('a').ticks).toBe(6) // one catch-up tick, not 45
    sim.runUntil(600)
    expect(sim.node('a').ticks).toBe(16)
    expect(() => sim.resume('a')).toThrow(NodeStateError)
  })

  it('a cancelled timer never fires, even when it was deferred by a pause', () => {
    const sim = probeSim()
    let fired = 0
    const timer = sim.node('a').ctx.after(10, () => fired++)
    sim.pause('a')
    sim.runUntil(50)
    expect(timer.cancel()).toBe(true)
    sim.resume('a')
    sim.runUntil(100)
    expect(fired).toBe(0)
  })

  it('clocks: skew and drift per node, drawn from the seed; timers run at the drifted rate', () => {
    const sim = probeSim(3, { clock: { maxSkewMs: 1_000, maxDriftPpm: 50_000 } })
    const a = sim.node('a').ctx
    const b = sim.node('b').ctx
    expect(a.now()).not.toBe(b.now())
    expect(Math.abs(a.now())).toBeLessThanOrEqual(1_000)
    const localStart = a.now()
    let firedAtLocal = 0
    a.after(1_000, () => {
      firedAtLocal = a.now()
    })
    sim.runUntil(2_000)
    expect(firedAtLocal - localStart).toBeCloseTo(1_000, 6)
    sim.setClockOffset('a', sim.clockOffset('a') - 10_000)
    expect(a.now()).toBeLessThan(localStart) // a clock can jump backwards
    sim.heal()
    expect(sim.clock('a')).toBeGreaterThan(localStart)
    const again = probeSim(3, { clock: { maxSkewMs: 1_000, maxDriftPpm: 50_000 } })
    expect(again.node('a').ctx.now()).toBe(localStart)
  })

  it('a codec catches aliasing between nodes', () => {
    type Box = { items: number[] }
    const sim = new Simulation<Box, { got: Box[]; ctx: NodeContext<Box> }>({
      seed: 1,
      nodeIds: ['a', 'b'],
      codec: jsonCodec<Box>(),
      node(ctx) {
        const state = { got: [] as Box[], ctx }
        ctx.transport.onMessage((_, box) => state.got.push(box))
        return state
      },
    })
    const box = { items: [1] }
    sim.node('a').ctx.transport.send('b', box)
    box.items.push(2)
    sim.runUntil(100)
    expect(sim.node('b').got).toEqual([{ items: [1] }])
  })

  it('refuses bad options with exact errors', () => {
    const node = () => ({})
    expect(() => new Simulation({ seed: 1, nodeIds: [], node })).toThrow(
      'nodeIds: expected 1 to 1024 node ids, got length=0',
    )
    expect(() => new Simulation({ seed: 1, nodeIds: ['a', 'a'], node })).toThrow(
      'nodeIds: expected distinct node ids',
    )
    expect(() => new Simulation({ seed: 1.5, nodeIds: ['a'], node })).toThrow(
      'seed: expected a safe integer, got 1.5',
    )
    expect(() => new Simulation({ seed: 1, nodeIds: ['a'], node: 1 as never })).toThrow(
      'node: expected a function, got 1',
    )
    expect(() => new Simulation({ seed: 1, nodeIds: ['a'], node, clock: { maxDriftPpm: -1 } })).toThrow(
      'clock.maxDriftPpm: expected a number from 0 to 100000, got -1',
    )
    const sim = new Simulation({ seed: 1, nodeIds: ['a'], node: (ctx) => ctx })
    expect(() => sim.node('a').every(0, () => {})).toThrow('ms: expected a period > 0 for every(), got 0')
    expect(() => sim.node('a').after(-1, () => {})).toThrow(
      'ms: expected a number from 0 to 8796093022208, got -1',
    )
    expect(() => sim.node('a').after(1, 'x' as never)).toThrow('callback: expected a function, got "x"')
    expect(() => sim.crash('zz')).toThrow('node "zz" is not a node of this simulation')
    expect(() => sim.node('a') && sim.pause('a')).not.toThrow()
    expect(() => sim.crash('a')).not.toThrow()
    expect(() => sim.pause('a')).toThrow('node "a" is crashed, not running')
  })
})

describe('Simulation: nemesis', () => {
  it('scripted faults happen at their times, and stop() heals everything', () => {
    const sim = new Simulation<GossipMessage, GossipNode>({
      seed: 5,
      nodeIds: ids,
      node: (ctx) => new GossipNode(ctx, ids),
    })
    const nemesis = new Nemesis(sim, { leader: () => 'n3' })
    nemesis.script([
      { atMs: 100, fault: { kind: 'isolate', node: 'leader' } },
      { atMs: 200, fault: { kind: 'crash', node: 'n1', restartAfterMs: 1_000 } },
      { atMs: 300, fault: { kind: 'pause', node: 'n2', resumeAfterMs: 10_000 } },
    ])
    sim.runUntil(150)
    expect(sim.network.canReach('n3', 'n4')).toBe(false)
    expect(sim.network.canReach('n4', 'n5')).toBe(true)
    sim.runUntil(350)
    expect(sim.status('n1')).toBe('crashed')
    expect(sim.status('n2')).toBe('paused')
    sim.runUntil(1_250)
    expect(sim.status('n1')).toBe('running')
    nemesis.stop()
    expect(sim.status('n2')).toBe('running')
    expect(sim.network.canReach('n3', 'n4')).toBe(true)
    expect(() => nemesis.script([{ atMs: 0, fault: { kind: 'explode' as never } }])).toThrow(RangeError)
  })

  it('the random nemesis keeps crashed and paused nodes to a minority by default', () => {
    const sim = new Simulation<GossipMessage, GossipNode>({
      seed: 9,
      nodeIds: ids,
      node: (ctx) => new GossipNode(ctx, ids),
    })
    const nemesis = new Nemesis(sim)
    nemesis.random({ kinds: ['crash', 'pause'], intervalMs: { minMs: 10, maxMs: 50 } }, 5_000)
    let maxDown = 0
    while (sim.now < 5_000 && sim.step())
      maxDown = Math.max(
        maxDown,
        ids.length - sim.upIds().length + ids.filter((id) => sim.status(id) === 'paused').length,
      )
    expect(nemesis.faults).toBeGreaterThan(50)
    expect(maxDown).toBe(2)
  })
})

describe('Simulation: speed', () => {
  it('5 nodes exchange 100k messages, with an invariant checked after every event, well under a second', () => {
    type Echo = { received: number }
    let budget = 100_000
    const start = performance.now()
    const result = runSimulation<number, Echo>({
      seed: 1,
      nodeIds: ids,
      node(ctx) {
        const state = { received: 0 }
        ctx.transport.onMessage((_, hop) => {
          state.received++
          if (budget-- > 0) ctx.transport.send(ctx.random.pick(ids), hop + 1)
        })
        ctx.after(1, () => {
          for (let i = 0; i < 10; i++) ctx.transport.send(ctx.random.pick(ids), 0)
        })
        return state
      },
      nemesis: false,
      faultPhaseMs: 0,
      healPhaseMs: 1_000_000,
      invariants: [(sim) => sim.node('n1').received >= 0],
    })
    const ms = performance.now() - start
    console.log(
      `runSimulation: ${result.network.delivered} messages, ${result.events} events in ${ms.toFixed(0)} ms`,
    )
    expect(result.network.sent).toBe(100_050)
    expect(result.network.delivered).toBe(100_050)
    expect(ms).toBeLessThan(3_000)
  })
})

describe('runSimulation failures', () => {
  const options = gossipOptions(4)

  it('a broken invariant throws SimulationFailure naming the seed', () => {
    const error = catchError(() =>
      runSimulation({
        ...options,
        replayCommand: 'SYNOD_SEED=4 pnpm test',
        trace: { textLines: 10 },
        invariants: [(sim) => (sim.now < 300 ? undefined : 'time is up')],
      }),
    )
    expect(SimulationFailure.isInstance(error)).toBe(true)
    const failure = error as SimulationFailure
    expect(failure.reason).toBe('invariant')
    expect(failure.seed).toBe(4)
    expect(failure.message).toContain('simulation failed at seed=4')
    expect(failure.message).toContain('invariants[0] failed in the fault phase: time is up')
    expect(failure.message).toContain('replay: SYNOD_SEED=4 pnpm test')
    expect(failure.traceTail).toHaveLength(10)
    expect(failure.atMs).toBeGreaterThanOrEqual(300)
  })

  it('missed liveness, thrown errors and runaway runs are failures too', () => {
    const noGossip = catchError(() =>
      runSimulation({ ...options, node: (ctx) => new GossipNode(ctx, [ctx.id]), livenessBoundMs: 1_000 }),
    ) as SimulationFailure
    expect(noGossip.reason).toBe('liveness')
    expect(noGossip.detail).toContain('liveness did not hold within livenessBoundMs=1000')
    const throws = catchError(() =>
      runSimulation({
        ...options,
        setup: (sim) => void sim.schedule(10, () => JSON.parse('{')),
      }),
    ) as SimulationFailure
    expect(throws.reason).toBe('error')
    expect(throws.detail).toContain('node or driver code threw in the fault phase: SyntaxError')
    expect(throws.atMs).toBe(10)
    const runaway = catchError(() => runSimulation({ ...options, maxEvents: 100 })) as SimulationFailure
    expect(runaway.reason).toBe('limit')
    expect(runaway.events).toBe(100)
  })

  it('a final check runs at the end', () => {
    const failure = catchError(() =>
      runSimulation({ ...options, finalCheck: (sim) => sim.network.stats.sent < 10 }),
    ) as SimulationFailure
    expect(failure.reason).toBe('check')
    expect(failure.detail).toBe('finalCheck failed in the final phase: returned false')
  })

  it('sweep stops at the first failing seed and prints the command that replays it', () => {
    const failing = (seed: number) =>
      runSimulation({ ...gossipOptions(seed), invariants: [(sim) => !(seed % 7 === 3 && sim.now > 500)] })
    const error = catchError(() => sweep({ seeds: 20, expect, env: {}, packageName: '@synod/sim' }, failing))
    const failure = error as SimulationFailure
    expect(failure.seed).toBe(3)
    expect(failure.replayCommand).toBe(
      'SYNOD_SEED=3 pnpm --filter @synod/sim exec vitest run test/simulation.test.ts -t "runSimulation failures sweep stops at the first failing seed and prints the command that replays it"',
    )
    expect(failure.message).toContain(`replay: ${failure.replayCommand}`)
    // the replay: the same seed, the same failure, the same trace
    const replay = catchError(() => sweep({ env: { SYNOD_SEED: '3' } }, failing)) as SimulationFailure
    expect(replay.seed).toBe(3)
    expect(replay.traceHash).toBe(failure.traceHash)
    expect(replay.atMs).toBe(failure.atMs)
    const report = sweep({ env: { SYNOD_SEED: '4' } }, failing)
    expect(report.seeds).toEqual([4])
    expect(() => sweep({ env: { SYNOD_SEED: 'x' } }, failing)).toThrow(
      'SYNOD_SEED: expected a safe integer, got "x"',
    )
    expect(sweep({ seeds: 3, baseSeed: 10, env: { SYNOD_SLOW: '1' } }, (seed) => seed).seeds).toHaveLength(30)
  })
})

describe('sweep', () => {
  it('wraps any other error thrown by a run into a SimulationFailure of that seed, with the replay command', () => {
    const failure = catchError(() =>
      sweep({ seeds: 5, env: {}, packageName: 'p', testFile: 'f.test.ts', testName: 'n' }, (seed) => {
        expect(seed).toBeLessThan(3)
      }),
    ) as SimulationFailure
    expect(SimulationFailure.isInstance(failure)).toBe(true)
    expect(failure.seed).toBe(3)
    expect(failure.reason).toBe('error')
    expect(failure.detail).toContain('AssertionError: expected 3 to be less than 3')
    expect(failure.replayCommand).toBe('SYNOD_SEED=3 pnpm --filter p exec vitest run f.test.ts -t "n"')
  })

  it('escapes the test name for the regular expression and the shell', () => {
    expect(
      replayCommand({
        seed: 1,
        packageName: '@a/b',
        testFile: 't.ts',
        testName: 'suite > costs $5 (or "more")?',
      }),
    ).toBe(
      'SYNOD_SEED=1 pnpm --filter @a/b exec vitest run t.ts -t "suite costs \\\\\\$5 \\\\(or \\"more\\"\\\\)\\\\?"',
    )
  })

  it('refuses bad options with exact errors', () => {
    expect(() => sweep({ seeds: 0 }, () => 0)).toThrow('seeds: expected an integer from 1 to 10000000, got 0')
    expect(() => sweep({ testName: '' }, () => 0)).toThrow('testName: expected a non-empty string, got ""')
    expect(() => sweep({}, 1 as never)).toThrow('run: expected a function, got 1')
    expect(() => sweep({ expect: {} as never }, () => 0)).toThrow(
      "expect: expected vitest's expect, got object",
    )
  })
})

function catchError(f: () => unknown): unknown {
  try {
    f()
  } catch (error) {
    return error
  }
  throw new Error('expected a failure')
}
