import { describe, expect, it } from 'vitest'
import { runScenario, type ScenarioStats } from './scenario.js'

const file = 'test/simulation.test.ts'
const replaySeed = process.env.SYNOD_SEED
const seeds =
  replaySeed !== undefined
    ? [Number(replaySeed)]
    : Array.from({ length: process.env.SYNOD_SLOW ? 1000 : 100 }, (_, i) => i + 1)

describe('seeded simulation sweep: loss, duplication, reordering, partitions, crashes, Byzantine replicas', () => {
  it(`${seeds.length} seed(s) stay safe, and live after the heal`, () => {
    const failures: string[] = []
    const totals: Record<keyof ScenarioStats, number> = {
      crashes: 0,
      viewChanges: 0,
      newViews: 0,
      stateTransfers: 0,
      equivocations: 0,
      rejected: 0,
      byzantine: 0,
    }
    for (const seed of seeds) {
      const result = runScenario(seed)
      if (result.failure !== undefined) {
        failures.push(
          `seed ${seed} (${result.description}) failed: ${result.failure}\n  replay: SYNOD_SEED=${seed} pnpm --filter @synod/pbft exec vitest run ${file}`,
        )
        continue
      }
      for (const key of Object.keys(totals) as (keyof ScenarioStats)[]) totals[key] += result.stats![key]
    }
    if (failures.length > 0) console.error(failures.join('\n'))
    expect(failures.slice(0, 5).join('\n')).toBe('')
    if (replaySeed === undefined) {
      // the sweep is not vacuous: every kind of fault happened and was survived
      for (const [key, total] of Object.entries(totals)) expect(total, key).toBeGreaterThan(0)
      console.log(`pbft sweep over ${seeds.length} seeds:`, totals)
    }
  }, 600_000)
})

describe('determinism', () => {
  it('one seed replays exactly (same ticks, same faults survived, same outcome)', () => {
    for (const seed of [3, 42]) {
      const first = runScenario(seed)
      const second = runScenario(seed)
      expect(second.failure).toBe(first.failure)
      expect(second.ticks).toBe(first.ticks)
      expect(second.executed).toBe(first.executed)
      expect(second.stats).toEqual(first.stats)
    }
  })
})
