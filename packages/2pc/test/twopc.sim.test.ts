/**
 * Two-phase commit under faults: two coordinators run concurrent transactions
 * over four participants while the network loses, duplicates, reorders and
 * partitions messages and nodes crash (keeping only what they synced), pause and
 * restart. After every event: atomicity (no two nodes decide a transaction
 * differently, a commit only when every participant voted yes or read-only, no
 * decision ever changes). After the heal: termination (nobody uncertain, every
 * yes or no voter decided, every coordinator idle). A coordinator that skips its
 * commit record, and a participant that skips its prepared record, must each be
 * caught on some seed.
 */
import {
  type NemesisOptions,
  type RunSimulationOptions,
  runSimulation,
  type Simulation,
  SimulationFailure,
  sweep,
} from '@synod/sim'
import { describe, expect, it } from 'vitest'
import { twoPhaseCodec } from '../src/codec.js'
import type { Decision, TwoPhaseMessage, Vote } from '../src/core/types.js'
import { TwoPhaseCoordinator } from '../src/node/coordinator.js'
import { TwoPhaseParticipant } from '../src/node/participant.js'
import { diskStorage, nodeTicker } from './support/sim.js'

const COORDINATORS = ['c1', 'c2']
const PARTICIPANTS = ['p1', 'p2', 'p3', 'p4']
const FAULT_PHASE_MS = 2_000
const TIMING = { tickMs: 10, voteTimeoutTicks: 30, retryTicks: 5 }

type SimNode = { coordinator?: TwoPhaseCoordinator; participant?: TwoPhaseParticipant }

/** A vote fixed by (seed, transaction, participant): asked again after a restart, a participant answers the same. */
function voteOf(seed: number, txId: string, participant: string): Vote {
  let h = 2166136261 ^ seed
  for (const ch of `${txId}/${participant}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619)
  const x = (h >>> 0) % 100
  return x < 75 ? 'yes' : x < 85 ? 'no' : 'read-only'
}

interface Observed {
  started: Map<string, readonly string[]>
  votes: Map<string, Map<string, Vote>>
  decisions: Map<string, Map<string, Decision>>
  violations: string[]
  restarts: number
}

function decide(state: Observed, node: string, txId: string, decision: Decision): void {
  const byNode = state.decisions.get(txId) ?? new Map<string, Decision>()
  state.decisions.set(txId, byNode)
  const before = byNode.get(node)
  if (before !== undefined && before !== decision)
    state.violations.push(`${node} changed its decision on ${txId} from ${before} to ${decision}`)
  for (const [other, theirs] of byNode)
    if (other !== node && theirs !== decision)
      state.violations.push(
        `atomicity: ${other} decided ${theirs} and ${node} decided ${decision} on ${txId}`,
      )
  byNode.set(node, decision)
  if (decision !== 'commit') return
  const votes = state.votes.get(txId)
  for (const p of state.started.get(txId) ?? [])
    if (votes?.get(p) === undefined || votes.get(p) === 'no')
      state.violations.push(`${txId} committed at ${node} but ${p} voted ${votes?.get(p) ?? 'nothing'}`)
}

function scenario(
  seed: number,
  options: {
    unsafeSkipCommitRecord?: boolean
    unsafeSkipPreparedRecord?: boolean
    nemesis?: NemesisOptions
  } = {},
): RunSimulationOptions<TwoPhaseMessage, SimNode> & { state: Observed } {
  const state: Observed = {
    started: new Map(),
    votes: new Map(),
    decisions: new Map(),
    violations: [],
    restarts: 0,
  }
  let simulation: Simulation<TwoPhaseMessage, SimNode> | undefined
  return {
    state,
    seed,
    nodeIds: [...COORDINATORS, ...PARTICIPANTS],
    codec: twoPhaseCodec(),
    network: {
      delay: { kind: 'long-tail', minMs: 1, medianMs: 4, maxMs: 80 },
      lossRate: 0.05,
      duplicateRate: 0.05,
      reorderRate: 0.1,
    },
    node(ctx) {
      if (ctx.incarnation > 0) state.restarts++
      const parts = {
        transport: ctx.transport,
        storage: diskStorage(ctx.disk),
        ticker: nodeTicker(ctx),
        ...TIMING,
      }
      if (PARTICIPANTS.includes(ctx.id)) {
        const participant = new TwoPhaseParticipant({
          ...parts,
          decisionRequestTicks: 10,
          unsafeSkipPreparedRecord: options.unsafeSkipPreparedRecord === true,
          resource: {
            prepare(txId) {
              const vote = voteOf(seed, txId, ctx.id)
              const votes = state.votes.get(txId) ?? new Map<string, Vote>()
              state.votes.set(txId, votes)
              const before = votes.get(ctx.id)
              if (before !== undefined && before !== vote)
                state.violations.push(`${ctx.id} asked to vote twice on ${txId}`)
              votes.set(ctx.id, vote)
              return vote
            },
            finish: (txId, decision) => decide(state, ctx.id, txId, decision),
          },
        })
        return { participant }
      }
      const coordinator = new TwoPhaseCoordinator({
        ...parts,
        unsafeSkipCommitRecord: options.unsafeSkipCommitRecord === true,
        onDecision: ({ txId, decision }) => decide(state, ctx.id, txId, decision),
      })
      let count = 0
      ctx.every(25, () => {
        if (simulation === undefined || simulation.now >= FAULT_PHASE_MS || !ctx.random.chance(0.6)) return
        const txId = `${ctx.id}.${ctx.incarnation}.${++count}`
        const participants = ctx.random
          .shuffle([...PARTICIPANTS])
          .slice(0, ctx.random.int(1, PARTICIPANTS.length))
        state.started.set(txId, participants)
        const payloads = Object.fromEntries(participants.map((p) => [p, Uint8Array.of(count & 0xff)]))
        coordinator.run(txId, participants, payloads).catch(() => {}) // a crash closes nothing: the promise just never settles
      })
      return { coordinator }
    },
    nemesis: options.nemesis ?? {
      kinds: ['partition', 'isolate', 'one-way', 'clog', 'degrade', 'crash', 'pause'],
      intervalMs: { minMs: 100, maxMs: 400 },
    },
    faultPhaseMs: FAULT_PHASE_MS,
    livenessBoundMs: 3_000,
    setup(sim) {
      simulation = sim
    },
    invariants: [() => state.violations[0] ?? true],
    liveness(sim) {
      for (const id of sim.nodeIds) {
        if (sim.status(id) !== 'running') return false
        const node = sim.node(id)
        if ((node.participant?.inDoubt().length ?? 0) > 0 || (node.coordinator?.inFlight ?? 0) > 0)
          return false
      }
      for (const [txId, votes] of state.votes)
        for (const [p, vote] of votes)
          if (vote !== 'read-only' && state.decisions.get(txId)?.get(p) === undefined) return false
      return true
    },
  }
}

describe('two-phase commit under faults', () => {
  it('keeps atomicity every step and terminates after the heal (loss, duplicates, reordering, partitions, crashes, pauses)', () => {
    const totals = { transactions: 0, commits: 0, aborts: 0, restarts: 0, faults: 0 }
    const report = sweep({ seeds: 100, expect, packageName: '@synod/2pc' }, (seed) => {
      const options = scenario(seed)
      const result = runSimulation(options)
      totals.transactions += options.state.started.size
      for (const byNode of options.state.decisions.values()) {
        const decision = [...byNode.values()][0]
        if (decision === 'commit') totals.commits++
        else if (decision === 'abort') totals.aborts++
      }
      totals.restarts += options.state.restarts
      totals.faults += result.faults
      return result
    })
    console.log(
      `${report.seeds.length} seeds: ${totals.transactions} transactions (${totals.commits} committed, ${totals.aborts} aborted), ${totals.faults} faults, ${totals.restarts} restarts`,
    )
    expect(totals.commits).toBeGreaterThan(report.seeds.length * 5)
    expect(totals.aborts).toBeGreaterThan(report.seeds.length)
    expect(totals.restarts).toBeGreaterThan(report.seeds.length / 2)
  })

  it('replays exactly: two runs of one seed give the same trace', () => {
    const first = runSimulation(scenario(7))
    const second = runSimulation(scenario(7))
    expect(first.events).toBeGreaterThan(1_000)
    expect(second.traceHash).toBe(first.traceHash)
  })

  it('negative control: a coordinator that does not write its commit record is caught on some seed', () => {
    const failure = firstFailure({ unsafeSkipCommitRecord: true })
    expect(failure.reason).toBe('invariant')
    expect(failure.detail).toMatch(/atomicity|committed at/)
    expect(failure.message).toContain(`seed=${failure.seed}`)
    expect(failure.message).toContain(`SYNOD_SEED=${failure.seed} pnpm --filter @synod/2pc exec vitest run`)
  })

  it('negative control: a participant that votes yes without writing its prepared record is caught on some seed', () => {
    const failure = firstFailure({ unsafeSkipPreparedRecord: true })
    // it forgets its promise: a yes voter that never learns a decision, or one that decides against the others
    expect(['liveness', 'invariant']).toContain(failure.reason)
  })
})

/**
 * Sweeps a broken variant under frequent crashes and returns its first failure;
 * then runs the same seed and faults unbroken, which must pass (the broken part is what matters).
 */
function firstFailure(broken: {
  unsafeSkipCommitRecord?: boolean
  unsafeSkipPreparedRecord?: boolean
}): SimulationFailure {
  const crashes: NemesisOptions = {
    kinds: ['crash', 'partition', 'degrade'],
    intervalMs: { minMs: 50, maxMs: 200 },
  }
  let failure: SimulationFailure | undefined
  try {
    sweep({ seeds: 100, expect, env: {}, packageName: '@synod/2pc' }, (seed) =>
      runSimulation(scenario(seed, { ...broken, nemesis: crashes })),
    )
  } catch (error) {
    if (!SimulationFailure.isInstance(error)) throw error
    failure = error
  }
  if (failure === undefined) throw new Error(`the broken variant ${JSON.stringify(broken)} passed every seed`)
  runSimulation(scenario(Number(failure.seed), { nemesis: crashes }))
  console.log(`negative control caught: ${failure.message.split('\n')[0]}`)
  return failure
}
