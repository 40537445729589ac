/**
 * Multi-Paxos under faults: five replicas serve a KV store while the network
 * loses, duplicates, reorders, partitions and clogs messages, clocks skew, and
 * replicas pause and crash (keeping only what they synced, torn tails
 * included) and restart. After every event: no two replicas apply different
 * commands at one slot, and a chosen command never changes. After the heal: a
 * write completes and every replica applies it (liveness), and the client
 * history is linearizable. Two deliberately broken variants must be caught.
 */
import { checkDeterminismAsync, runSimulationAsync, SimulationFailure, sweepAsync } from '@synod/sim'
import { describe, expect, it } from 'vitest'
import { type ClusterConfig, clusterRun } from './harness.js'

const base: ClusterConfig = {
  nodeIds: ['n1', 'n2', 'n3', 'n4', 'n5'],
  clients: 3,
  keys: ['x', 'y'],
  faultPhaseMs: 2_000,
  livenessBoundMs: 6_000,
}

describe('paxos on the simulator', () => {
  it('stays safe and linearizable under faults and crashes, and recovers after the heal', async () => {
    const totals = {
      runs: 0,
      leaders: 0,
      restarts: 0,
      faults: 0,
      acknowledged: 0,
      slots: 0,
      snapshotsRestored: 0,
    }
    const report = await sweepAsync({ seeds: 100, expect, packageName: '@synod/paxos' }, async (seed) => {
      const options = clusterRun(seed, base)
      const result = await runSimulationAsync(options)
      const world = options.world()
      totals.runs++
      totals.leaders += world.leaders.size
      totals.restarts += world.restarts
      totals.faults += result.faults
      totals.acknowledged += world.acknowledged
      totals.slots += world.applied.size
      totals.snapshotsRestored += world.snapshotsRestored
      return result
    })
    process.stderr.write(`paxos sim: ${JSON.stringify(totals)}\n`)
    // the runs did what they claim: leader changes, crash-restarts, faults, acknowledged writes
    expect(totals.runs).toBe(report.seeds.length)
    expect(totals.leaders).toBeGreaterThan(totals.runs * 2)
    expect(totals.restarts).toBeGreaterThan(totals.runs)
    expect(totals.acknowledged).toBeGreaterThan(totals.runs * 10)
    // compaction every 24 slots: restarted and lagging replicas come back through snapshots
    expect(totals.snapshotsRestored).toBeGreaterThan(totals.runs)
  }, 600_000)

  it('replays a seed exactly (same trace hash twice)', async () => {
    for (const seed of [3, 17]) await checkDeterminismAsync(clusterRun(seed, base))
  }, 120_000)

  it('negative control: a leader that ignores the values in promises is caught on some seed', async () => {
    const failure = await firstFailure({ ignorePromisedValues: true })
    expect(['invariant', 'check']).toContain(failure.reason)
    expect(failure.message).toContain(`SYNOD_SEED=${failure.seed} pnpm --filter @synod/paxos exec vitest run`)
  }, 600_000)

  it('negative control: an acceptor that answers without persisting what it accepted is caught on some seed', async () => {
    const failure = await firstFailure({ skipAcceptRecords: true })
    expect(failure.message).toContain(`seed=${failure.seed}`)
  }, 600_000)
})

/**
 * Sweeps a broken variant under frequent crashes and returns its first failure;
 * then runs the same seed unbroken, which must pass (the broken part is what matters).
 */
async function firstFailure(unsafe: ClusterConfig['unsafe']): Promise<SimulationFailure> {
  const config: ClusterConfig = {
    ...base,
    nodeIds: ['n1', 'n2', 'n3'],
    nemesisIntervalMs: { minMs: 40, maxMs: 150 },
  }
  let failure: SimulationFailure | undefined
  try {
    await sweepAsync({ seeds: 100, expect, env: {}, packageName: '@synod/paxos' }, (seed) =>
      runSimulationAsync(clusterRun(seed, { ...config, unsafe })),
    )
  } catch (error) {
    if (!SimulationFailure.isInstance(error)) throw error
    failure = error
  }
  if (failure === undefined) throw new Error(`the broken variant ${JSON.stringify(unsafe)} passed every seed`)
  await runSimulationAsync(clusterRun(Number(failure.seed), config))
  process.stderr.write(
    `negative control ${JSON.stringify(unsafe)} caught: ${failure.message.split('\n')[0]}\n`,
  )
  return failure
}
