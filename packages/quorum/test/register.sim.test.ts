/**
 * The ABD register under faults, checked for linearizability: replicas crash
 * (a minority at a time, keeping what they synced), pause, get partitioned,
 * lose, duplicate and reorder messages, while clients write and read two keys.
 * Every history must be linearizable; with the write-back disabled, some seed
 * must be caught.
 */

import type { Simulation } from '@synod/sim'
import {
  checkLinearizability,
  HistoryRecorder,
  type KvInput,
  kvModel,
  type NemesisOptions,
  type RegisterOutput,
  type RunSimulationOptions,
  runSimulationAsync,
  SimulationFailure,
  sweepAsync,
} from '@synod/sim'
import { describe, expect, it } from 'vitest'
import type { RegisterMessage } from '../src/core/register.js'
import { QuorumTimeoutError } from '../src/errors.js'
import { QuorumRegister } from '../src/node/register.js'
import { grid, majority, type QuorumSystem, weighted } from '../src/systems.js'
import { diskStorage, driverClock, expectReplays, nodeClock } from './support/sim.js'

const FAULT_PHASE_MS = 1_500
const CLIENTS_STOP_MS = 2_400

interface Scenario {
  name: string
  system: QuorumSystem
}

/** The quorum system of a seed: majorities of 3 and 5, a weighted and a grid system in turn. */
function scenarioOf(seed: number): Scenario {
  switch (seed % 4) {
    case 0:
      return { name: 'majority of 3', system: majority(['n1', 'n2', 'n3']) }
    case 1:
      return { name: 'majority of 5', system: majority(['n1', 'n2', 'n3', 'n4', 'n5']) }
    case 2:
      return {
        name: 'weighted 2-1-1-1',
        system: weighted({ votes: { n1: 2, n2: 1, n3: 1, n4: 1 }, readVotes: 3, writeVotes: 3 }),
      }
    default:
      return {
        name: 'grid 2×2',
        system: grid([
          ['n1', 'n2'],
          ['n3', 'n4'],
        ]),
      }
  }
}

interface ClientState {
  history: HistoryRecorder<KvInput, RegisterOutput>
  open: Set<number>
  okAfterHeal: Map<string, number>
}

function startClient(
  sim: Simulation<RegisterMessage, QuorumRegister>,
  state: ClientState,
  process: string,
  register: QuorumRegister,
  isStopped: () => boolean,
) {
  const random = sim.random.split(`client:${process}`)
  let written = 0
  const next = () => {
    if (sim.now >= CLIENTS_STOP_MS || isStopped()) return
    const key = random.chance(0.5) ? 'x' : 'y'
    const isWrite = random.chance(0.45)
    const value = `${process}-${++written}`
    const input: KvInput = isWrite ? { type: 'write', key, value } : { type: 'read', key }
    const id = state.history.invoke(process, input, sim.now)
    state.open.add(id)
    const operation = isWrite
      ? register.write(key, value).then(() => undefined)
      : register.read(key).then((value) => ({ value: value as string | null }))
    operation.then(
      (output) => {
        if (isStopped()) return
        state.history.ok(id, output, sim.now)
        state.open.delete(id)
        if (sim.now > FAULT_PHASE_MS)
          state.okAfterHeal.set(process, (state.okAfterHeal.get(process) ?? 0) + 1)
        sim.schedule(random.int(0, 15), next)
      },
      (error: unknown) => {
        if (isStopped()) return
        // a query-phase timeout wrote nothing: the operation definitely did not happen
        if (QuorumTimeoutError.isInstance(error) && error.phase === 'query') state.history.fail(id, sim.now)
        else state.history.info(id, sim.now)
        state.open.delete(id)
        sim.schedule(random.int(0, 15), next)
      },
    )
  }
  sim.schedule(random.int(0, 15), next)
}

function registerRun(
  seed: number,
  options: { unsafeSkipWriteBack?: boolean; nemesis?: NemesisOptions } = {},
): RunSimulationOptions<RegisterMessage, QuorumRegister> {
  const { system } = scenarioOf(seed)
  const clients = ['c1', 'c2', 'c3']
  const state: ClientState = { history: new HistoryRecorder(), open: new Set(), okAfterHeal: new Map() }
  const config = { tickMs: 10, retryMs: 30, timeoutMs: 300 }
  // node factories run inside the Simulation constructor, before `setup` hands over the simulation:
  // the first replica's client loops wait here until then
  let simulation: Simulation<RegisterMessage, QuorumRegister> | undefined
  const pendingClients: ((sim: Simulation<RegisterMessage, QuorumRegister>) => void)[] = []
  const startPendingClients = () => {
    if (simulation === undefined) return
    for (const start of pendingClients.splice(0)) start(simulation)
  }
  return {
    seed,
    nodeIds: system.members,
    network: {
      delay: { kind: 'long-tail', minMs: 1, medianMs: 4, maxMs: 80 },
      lossRate: 0.03,
      duplicateRate: 0.03,
      reorderRate: 0.1,
    },
    node(ctx) {
      const register = new QuorumRegister({
        transport: ctx.transport,
        system,
        clock: nodeClock(ctx),
        nonce: ctx.random.next(),
        storage: diskStorage(ctx.disk),
        ...config,
      })
      if (ctx.incarnation > 0) restarts++
      // the first replica is also a client; each incarnation is a new process of the history
      if (ctx.id === system.members[0]) {
        const incarnation = ctx.incarnation
        pendingClients.push((sim) =>
          startClient(
            sim,
            state,
            `${ctx.id}#${incarnation}`,
            register,
            () => sim.incarnation(ctx.id) !== incarnation || sim.status(ctx.id) === 'crashed',
          ),
        )
        startPendingClients()
      }
      return register
    },
    nemesis: options.nemesis ?? {
      kinds: ['partition', 'isolate', 'one-way', 'clog', 'degrade', 'crash', 'pause'],
      intervalMs: { minMs: 100, maxMs: 400 },
    },
    faultPhaseMs: FAULT_PHASE_MS,
    livenessBoundMs: 2_000,
    setup(sim) {
      simulation = sim
      startPendingClients()
      for (const name of clients) {
        const register = new QuorumRegister({
          transport: sim.network.join(name),
          system,
          clock: driverClock(sim),
          nonce: sim.random.split(`nonce:${name}`).next(),
          ...config,
          unsafeSkipWriteBack: options.unsafeSkipWriteBack === true,
        })
        startClient(sim, state, name, register, () => false)
      }
    },
    liveness: () => clients.every((c) => (state.okAfterHeal.get(c) ?? 0) >= 2),
    healPhaseMs: 1_500,
    finalCheck(sim) {
      for (const id of state.open) state.history.info(id, sim.now)
      state.open.clear()
      const verdict = checkLinearizability(state.history.operations(), kvModel, { timeBudgetMs: 20_000 })
      if (verdict.result === 'illegal')
        return `the history of ${verdict.ops} operations is not linearizable (key ${String(verdict.partition)}: at most ${verdict.longestLinearized} of ${verdict.partitionOps} linearize)`
      if (verdict.result !== 'ok')
        return `the checker could not decide (${verdict.reason}) on ${verdict.ops} operations`
      const ops = state.history.operations()
      const ok = ops.filter((op) => op.outcome.type === 'ok').length
      if (ok < 20) return `too few operations completed: ${ok} of ${ops.length}`
      completed.push(ok)
    },
  }
}
let restarts = 0
const controlNemesis: NemesisOptions = {
  kinds: ['partition', 'isolate', 'clog', 'degrade'],
  intervalMs: { minMs: 50, maxMs: 200 },
}
const completed: number[] = []

describe('ABD register under faults', () => {
  it('is linearizable for every seed (majority, weighted and grid systems; crashes, partitions, loss, duplicates, reordering)', async () => {
    const report = await sweepAsync({ seeds: 60, expect }, async (seed) => {
      return runSimulationAsync(registerRun(seed))
    })
    const total = completed.reduce((a, b) => a + b, 0)
    console.log(
      `${report.seeds.length} seeds, ${total} operations completed and checked, ${restarts} replica restarts`,
    )
    expect(report.results.every((r) => r.faults > 0)).toBe(true)
    expect(restarts).toBeGreaterThan(5) // replicas did crash and recover from their disks
  })

  it('replays exactly: two runs of one seed give the same trace', async () => {
    await expectReplays(() => registerRun(5))
  })

  it('negative control: without the write-back, reads are caught non-linearizable on some seed', async () => {
    let failure: SimulationFailure | undefined
    try {
      await sweepAsync({ seeds: 60, expect, env: {} }, async (seed) => {
        return runSimulationAsync(
          registerRun(seed, {
            unsafeSkipWriteBack: true,
            nemesis: {
              kinds: ['partition', 'isolate', 'clog', 'degrade'],
              intervalMs: { minMs: 50, maxMs: 200 },
            },
          }),
        )
      })
    } catch (error) {
      if (!SimulationFailure.isInstance(error)) throw error
      failure = error
    }
    expect(failure, 'the broken register passed every seed').toBeDefined()
    // the same seeds and faults with the write-back in place are linearizable: the write-back is what matters
    await sweepAsync({ seeds: Number(failure?.seed), env: {} }, (seed) =>
      runSimulationAsync(registerRun(seed, { nemesis: controlNemesis })),
    )
    expect(failure?.reason).toBe('check')
    expect(failure?.detail).toContain('not linearizable')
    expect(failure?.message).toContain(`seed=${failure?.seed}`)
    expect(failure?.message).toContain(`SYNOD_SEED=${failure?.seed} pnpm --filter`)
    console.log(`negative control caught at ${failure?.message.split('\n')[0]}`)
  })
})
