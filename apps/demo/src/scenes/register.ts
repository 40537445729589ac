import { type Clock, majority, QuorumRegister, QuorumTimeoutError, type RegisterMessage } from '@synod/quorum'
import {
  checkLinearizability,
  HistoryRecorder,
  type KvInput,
  kvModel,
  type RegisterOutput,
  runSimulationAsync,
  type Simulation,
} from '@synod/sim'
import { ms, type Scene } from '../scene.js'

const replicas = ['r1', 'r2', 'r3', 'r4', 'r5']
const clients = ['alice', 'bob', 'carol']
const FAULT_PHASE_MS = 2_000
const CLIENTS_STOP_MS = 3_000

/** Virtual time for a client that lives outside the replicas. */
function simClock(sim: Simulation<RegisterMessage, QuorumRegister>): Clock {
  return {
    now: () => sim.now,
    every(intervalMs, callback) {
      let handle = sim.schedule(intervalMs, function fire() {
        handle = sim.schedule(intervalMs, fire)
        callback()
      })
      return () => handle.cancel()
    },
  }
}

export const registerScene: Scene = {
  title: 'A replicated register (ABD over majority quorums of 5) under partitions, loss and pauses',
  async run(seed) {
    const history = new HistoryRecorder<KvInput, RegisterOutput>()
    const open = new Set<number>()
    const counts = { ok: 0, definitelyFailed: 0, unknown: 0 }
    const system = majority(replicas)
    let verdict = ''
    const result = await runSimulationAsync<RegisterMessage, QuorumRegister>({
      seed,
      nodeIds: replicas,
      network: {
        delay: { kind: 'long-tail', minMs: 1, medianMs: 4, maxMs: 80 },
        lossRate: 0.03,
        duplicateRate: 0.02,
      },
      node: (ctx) =>
        new QuorumRegister({
          transport: ctx.transport,
          system,
          clock: {
            now: () => ctx.now(),
            every(intervalMs, callback) {
              const timer = ctx.every(intervalMs, callback)
              return () => timer.cancel()
            },
          },
          nonce: ctx.random.next(),
        }),
      nemesis: {
        kinds: ['partition', 'isolate', 'one-way', 'clog', 'degrade', 'pause'],
        intervalMs: { minMs: 100, maxMs: 400 },
      },
      faultPhaseMs: FAULT_PHASE_MS,
      healPhaseMs: 2_000,
      setup(sim) {
        for (const name of clients) {
          const register = new QuorumRegister({
            transport: sim.network.join(name),
            system,
            clock: simClock(sim),
            nonce: sim.random.split(`nonce:${name}`).next(),
          })
          const random = sim.random.split(`client:${name}`)
          let written = 0
          const next = () => {
            if (sim.now >= CLIENTS_STOP_MS) return
            const key = random.chance(0.5) ? 'x' : 'y'
            const input: KvInput = random.chance(0.5)
              ? { type: 'write', key, value: `${name}-${++written}` }
              : { type: 'read', key }
            const id = history.invoke(name, input, sim.now)
            open.add(id)
            const operation =
              input.type === 'write'
                ? register.write(key, input.value as string).then(() => undefined)
                : register.read(key).then((value) => ({ value: value as string | null }))
            operation.then(
              (output) => {
                history.ok(id, output, sim.now)
                open.delete(id)
                counts.ok++
                sim.schedule(random.int(0, 20), next)
              },
              (error: unknown) => {
                // a timeout in the query phase wrote nothing: definitely not applied
                if (QuorumTimeoutError.isInstance(error) && error.phase === 'query') {
                  history.fail(id, sim.now)
                  counts.definitelyFailed++
                } else {
                  history.info(id, sim.now)
                  counts.unknown++
                }
                open.delete(id)
                sim.schedule(random.int(0, 20), next)
              },
            )
          }
          sim.schedule(random.int(0, 20), next)
        }
      },
      liveness: (sim) => sim.now > CLIENTS_STOP_MS,
      livenessBoundMs: 3_000,
      finalCheck(sim) {
        for (const id of open) history.info(id, sim.now)
        const check = checkLinearizability(history.operations(), kvModel, { timeBudgetMs: 20_000 })
        verdict = check.result
        if (check.result !== 'ok') return `the history is ${check.result}`
      },
    })
    return [
      `${result.faults} faults during the first ${ms(FAULT_PHASE_MS)}; ${clients.length} clients wrote and read keys x and y`,
      `${counts.ok} operations acknowledged, ${counts.definitelyFailed} failed before writing anything, ${counts.unknown} timed out with an unknown outcome`,
      `synod-check on the ${history.operations().length}-operation history: ${verdict} (linearizable)`,
      `trace hash ${result.traceHash}`,
    ]
  },
}
