import { describe, expect, it } from 'vitest'
import { SimulationFailure } from '../src/errors.js'
import {
  checkDeterminismAsync,
  type RunSimulationOptions,
  runSimulation,
  runSimulationAsync,
} from '../src/run.js'
import type { NodeContext } from '../src/simulation.js'
import { sweepAsync } from '../src/sweep.js'

const ids = ['n1', 'n2', 'n3']
type Msg = { kind: 'value'; value: number }

/** A node whose handlers go through Promises, as a driver with an async storage API would. */
class AsyncNode {
  persisted = 0
  inMemory = 0
  constructor(ctx: NodeContext<Msg>) {
    const store = async (value: number) => {
      await Promise.resolve()
      await Promise.resolve()
      ctx.disk.write('v', Uint8Array.of(value))
      ctx.disk.sync('v')
      this.persisted = value
    }
    ctx.transport.onMessage(async (_, message) => {
      if (message.value <= this.inMemory) return
      this.inMemory = message.value
      await store(message.value)
      // persist before send: peers only hear of a value once it is on disk here
      for (const peer of ids) if (peer !== ctx.id) ctx.transport.send(peer, message)
    })
    if (ctx.id === 'n1')
      ctx.every(100, () => {
        const value = (this.inMemory + 1) % 250
        this.inMemory = value
        void store(value).then(() => {
          for (const peer of ids) if (peer !== ctx.id) ctx.transport.send(peer, { kind: 'value', value })
        })
      })
  }
}

function options(seed: number): RunSimulationOptions<Msg, AsyncNode> {
  return {
    seed,
    nodeIds: ids,
    node: (ctx) => new AsyncNode(ctx),
    faultPhaseMs: 1_000,
    nemesis: { kinds: ['partition', 'degrade', 'pause'] },
    healPhaseMs: 300,
    invariants: [
      // after each event and its microtasks, what a node holds in memory is on its disk
      (sim) => sim.upIds().every((id) => sim.node(id).persisted === sim.node(id).inMemory || id === 'n1'),
    ],
  }
}

describe('runSimulationAsync', () => {
  it('runs Promise-based node code to completion after every event, deterministically', async () => {
    const report = await sweepAsync({ seeds: 10, expect }, (seed) => checkDeterminismAsync(options(seed)))
    expect(new Set(report.results.map((r) => r.traceHash)).size).toBe(report.seeds.length)
    expect(report.results.every((r) => r.network.delivered > 20)).toBe(true)
  })

  it('the synchronous loop never runs the microtasks: the Promise-chained sends do not happen', () => {
    expect(runSimulation(options(1)).network.sent).toBe(0)
  })

  it('failures carry the seed', async () => {
    const error = await runSimulationAsync({ ...options(2), invariants: [(sim) => sim.now < 200] }).catch(
      (e) => e,
    )
    expect(SimulationFailure.isInstance(error) && error.seed).toBe(2)
    expect(String(error.message)).toContain('seed=2')
  })
})
