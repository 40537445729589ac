/**
 * A deliberately broken toy replicated register, for the simulator's acceptance
 * test. The primary (`n1`) applies a write in memory, acks it at once, and only
 * then replicates it to the backups (no disk, no quorum). Depending on the
 * options it is wrong in two classic ways:
 *
 * - `readFrom: 'any'`: clients read from whichever replica they hit, so a read
 *   at a backup can miss an acknowledged write (a stale read);
 * - `readFrom: 'primary'` with crashes: the primary forgets acknowledged writes
 *   when it crashes (a lost write).
 *
 * With `readFrom: 'primary'` and no crashes it is linearizable: the control case.
 */
import {
  checkLinearizability,
  HistoryRecorder,
  type RegisterInput,
  type RegisterOutput,
  type RegisterValue,
  registerModel,
} from '../src/check.js'
import type { NemesisOptions } from '../src/nemesis.js'
import type { RunSimulationOptions } from '../src/run.js'
import type { NodeContext, Simulation } from '../src/simulation.js'

export type RegisterMessage =
  | { kind: 'write'; opId: number; value: RegisterValue }
  | { kind: 'read'; opId: number }
  | { kind: 'write-ok'; opId: number }
  | { kind: 'read-ok'; opId: number; value: RegisterValue }
  | { kind: 'replicate'; version: number; value: RegisterValue }

const replicas = ['n1', 'n2', 'n3']
const PRIMARY = 'n1'

export class Replica {
  value: RegisterValue = null
  version = 0

  constructor(context: NodeContext<RegisterMessage>) {
    const { transport } = context
    transport.onMessage((from, message) => {
      switch (message.kind) {
        case 'write':
          this.version++
          this.value = message.value
          transport.send(from, { kind: 'write-ok', opId: message.opId }) // acked before replication: the bug
          for (const backup of replicas)
            if (backup !== context.id)
              transport.send(backup, { kind: 'replicate', version: this.version, value: this.value })
          break
        case 'read':
          transport.send(from, { kind: 'read-ok', opId: message.opId, value: this.value })
          break
        case 'replicate':
          if (message.version > this.version) {
            this.version = message.version
            this.value = message.value
          }
          break
      }
    })
  }
}

export interface RegisterRun {
  history: HistoryRecorder<RegisterInput, RegisterOutput>
}

/** Three clients, each with one operation at a time, a 50 ms timeout (`info`), and random think time. */
function startClients(
  sim: Simulation<RegisterMessage, Replica>,
  readFrom: 'any' | 'primary',
  stopAtMs: number,
) {
  const history = new HistoryRecorder<RegisterInput, RegisterOutput>()
  const pending = new Set<number>()
  for (const name of ['c1', 'c2', 'c3']) {
    const transport = sim.network.join(name)
    const random = sim.random.split(`client:${name}`)
    let current: { opId: number; historyId: number; timer: { cancel(): boolean } } | undefined
    let opSeq = 0
    let written = 0
    const next = () => {
      if (sim.now >= stopAtMs) return
      const opId = ++opSeq
      const write = random.chance(0.4)
      const input: RegisterInput = write ? { type: 'write', value: `${name}-${++written}` } : { type: 'read' }
      const historyId = history.invoke(name, input, sim.now)
      pending.add(historyId)
      const to = write || readFrom === 'primary' ? PRIMARY : random.pick(replicas)
      transport.send(
        to,
        input.type === 'write' ? { kind: 'write', opId, value: input.value } : { kind: 'read', opId },
      )
      const timer = sim.schedule(50, () => {
        // no answer: the write may or may not have happened
        history.info(historyId, sim.now)
        pending.delete(historyId)
        current = undefined
        sim.schedule(random.int(0, 20), next)
      })
      current = { opId, historyId, timer }
    }
    transport.onMessage((_, message) => {
      if (current === undefined || !('opId' in message) || message.opId !== current.opId) return
      if (message.kind === 'write-ok') history.ok(current.historyId, undefined, sim.now)
      else if (message.kind === 'read-ok') history.ok(current.historyId, { value: message.value }, sim.now)
      else return
      pending.delete(current.historyId)
      current.timer.cancel()
      current = undefined
      sim.schedule(random.int(0, 20), next)
    })
    sim.schedule(random.int(0, 20), next)
  }
  return { history, pending }
}

/** The options of one run of the toy register. */
export function registerOptions(
  seed: number,
  readFrom: 'any' | 'primary',
  nemesis: NemesisOptions,
): RunSimulationOptions<RegisterMessage, Replica> {
  let clients: ReturnType<typeof startClients> | undefined
  const faultPhaseMs = 1_000
  const healPhaseMs = 500
  return {
    seed,
    nodeIds: replicas,
    node: (ctx) => new Replica(ctx),
    network: { delay: { kind: 'uniform', minMs: 1, maxMs: 15 } },
    nemesis,
    faultPhaseMs,
    healPhaseMs,
    setup(sim) {
      clients = startClients(sim, readFrom, faultPhaseMs + healPhaseMs - 100)
    },
    finalCheck(sim) {
      const { history, pending } = clients as NonNullable<typeof clients>
      for (const id of pending) history.info(id, sim.now)
      const verdict = checkLinearizability(history.operations(), registerModel, { timeBudgetMs: 10_000 })
      // (verdict.ms is wall-clock time: kept out of the message, which must replay exactly)
      if (verdict.result === 'illegal')
        return `the history of ${verdict.ops} operations is not linearizable (at most ${verdict.longestLinearized} of ${verdict.partitionOps} linearize)`
      if (verdict.result !== 'ok')
        return `the checker could not decide the history of ${verdict.ops} operations`
    },
  }
}
