import { describe, expect, it } from 'vitest'
import { SimulationFailure } from '../src/errors.js'
import { runSimulation } from '../src/run.js'
import { sweep } from '../src/sweep.js'
import { registerOptions } from './register.js'

function sweepFailure(run: () => unknown): SimulationFailure {
  try {
    run()
  } catch (error) {
    if (SimulationFailure.isInstance(error)) return error
    throw error
  }
  throw new Error('expected the sweep to fail')
}

describe('a broken toy register is caught by the checker, with the seed that replays it', () => {
  it('stale reads from backups: the sweep fails, names the seed, and the seed replays exactly', () => {
    const options = (seed: number) =>
      registerOptions(seed, 'any', { kinds: ['degrade', 'clog', 'partition'] })
    const failure = sweepFailure(() =>
      sweep({ seeds: 50, expect, env: {}, packageName: '@synod/sim' }, (seed) =>
        runSimulation(options(seed)),
      ),
    )
    expect(failure.reason).toBe('check')
    expect(failure.detail).toContain('not linearizable')
    expect(failure.message).toContain(`seed=${failure.seed}`)
    expect(failure.replayCommand).toBe(
      `SYNOD_SEED=${failure.seed} pnpm --filter @synod/sim exec vitest run test/broken-register.test.ts -t "a broken toy register is caught by the checker, with the seed that replays it stale reads from backups: the sweep fails, names the seed, and the seed replays exactly"`,
    )
    console.log(failure.message.split('\n').slice(0, 2).join('\n'))
    // replaying that one seed (as SYNOD_SEED would) fails the same way, at the same point of the same trace
    const replay = sweepFailure(() =>
      sweep({ env: { SYNOD_SEED: String(failure.seed) } }, (seed) => runSimulation(options(seed))),
    )
    expect(replay.seed).toBe(failure.seed)
    expect(replay.traceHash).toBe(failure.traceHash)
    expect(replay.events).toBe(failure.events)
    expect(replay.detail).toBe(failure.detail)
  })

  it('acks before replicating, then crashes: the lost write is caught', () => {
    const failure = sweepFailure(() =>
      sweep({ seeds: 50, env: {} }, (seed) =>
        runSimulation(registerOptions(seed, 'primary', { kinds: ['crash'], maxDown: 1 })),
      ),
    )
    expect(failure.reason).toBe('check')
    expect(failure.detail).toContain('not linearizable')
  })

  it('control: reads at the primary without crashes are linearizable for every seed', () => {
    const report = sweep({ seeds: 20, env: {} }, (seed) =>
      runSimulation(registerOptions(seed, 'primary', { kinds: ['degrade', 'clog', 'partition', 'pause'] })),
    )
    expect(report.seeds).toHaveLength(20)
    expect(report.results.every((r) => r.network.delivered > 100)).toBe(true)
  })
})
