import { checkDeterminismAsync, runSimulationAsync, sweepAsync } from '@synod/sim'
import { describe, expect, it } from 'vitest'
import { type ClusterConfig, clusterRun, coverage } from './harness.js'

const base: ClusterConfig = {
  nodeIds: ['n1', 'n2', 'n3', 'n4'],
  voters: 3,
  snapshotEveryEntries: 8,
  membershipChanges: true,
  clients: 3,
  keys: ['x', 'y', 'z'],
  faultPhaseMs: 3_000,
  livenessBoundMs: 8_000,
}

function delta(before: typeof coverage) {
  return {
    runs: coverage.runs - before.runs,
    transfers: coverage.transfers - before.transfers,
    leaderTerms: coverage.leaderTerms - before.leaderTerms,
    membershipChanges: coverage.membershipChanges - before.membershipChanges,
    snapshotChunksSent: coverage.snapshotChunksSent - before.snapshotChunksSent,
    acknowledged: coverage.acknowledged - before.acknowledged,
  }
}

describe('raft on the simulator', () => {
  it('stays safe and linearizable under faults, membership changes and snapshots, and recovers after the heal', async () => {
    const before = { ...coverage }
    const report = await sweepAsync({ seeds: 100, expect }, (seed) =>
      runSimulationAsync(clusterRun(seed, base)),
    )
    const done = delta(before)
    process.stderr.write(`raft sim (4 nodes, membership changes): ${JSON.stringify(done)}\n`)
    // the runs did what they claim: new leaders, membership changes, snapshot transfers, acknowledged writes
    expect(done.runs).toBe(report.seeds.length)
    expect(done.leaderTerms).toBeGreaterThan(done.runs)
    expect(done.membershipChanges).toBeGreaterThan(done.runs)
    expect(done.acknowledged).toBeGreaterThan(done.runs * 10)
    expect(done.transfers).toBeGreaterThan(0)
    if (done.runs >= 20) expect(done.snapshotChunksSent).toBeGreaterThan(0)
  }, 600_000)

  it('replays a seed exactly (same trace hash twice)', async () => {
    for (const seed of [3, 17, 42]) await checkDeterminismAsync(clusterRun(seed, base))
  }, 120_000)
})

describe('raft on the simulator, 5 voters', () => {
  it('stays safe with frequent snapshots and catch-ups by InstallSnapshot', async () => {
    const config: ClusterConfig = {
      ...base,
      nodeIds: ['n1', 'n2', 'n3', 'n4', 'n5'],
      voters: 5,
      snapshotEveryEntries: 4,
      membershipChanges: false,
    }
    const before = { ...coverage }
    const report = await sweepAsync({ seeds: 30, baseSeed: 10_000, expect }, (seed) =>
      runSimulationAsync(clusterRun(seed, config)),
    )
    const done = delta(before)
    process.stderr.write(`raft sim (5 voters, snapshots every 4 entries): ${JSON.stringify(done)}\n`)
    expect(done.runs).toBe(report.seeds.length)
    if (done.runs >= 20) expect(done.snapshotChunksSent).toBeGreaterThan(0)
  }, 600_000)
})

describe('raft on the simulator, commits piggybacked', () => {
  it('stays safe and live when followers hear of commits only with entries and heartbeats', async () => {
    const config: ClusterConfig = { ...base, tuning: { commitPropagation: 'piggyback' } }
    const before = { ...coverage }
    const report = await sweepAsync({ seeds: 30, baseSeed: 20_000, expect }, (seed) =>
      runSimulationAsync(clusterRun(seed, config)),
    )
    const done = delta(before)
    process.stderr.write(`raft sim (commits piggybacked): ${JSON.stringify(done)}\n`)
    expect(done.runs).toBe(report.seeds.length)
    expect(done.acknowledged).toBeGreaterThan(done.runs * 10)
  }, 600_000)
})
