/**
 * A Multi-Paxos KV cluster on the simulator: PaxosNode on DiskStorage over each
 * node's SimDisk (a crash keeps only what was synced, torn tails included),
 * driven by the node context's timers and random stream. Clients record a
 * history for the linearizability checker; safety is checked after every event.
 */
import {
  checkLinearizability,
  type FaultKind,
  HistoryRecorder,
  type KvInput,
  kvModel,
  type NodeContext,
  type RegisterOutput,
  type RunSimulationOptions,
  type Simulation,
} from '@synod/sim'
import type { NodeId } from '@synod/transport'
import { paxosMessageCodec } from '../../src/codec.js'
import type { PaxosCoreOptions } from '../../src/core/options.js'
import type { PaxosMessage } from '../../src/core/types.js'
import { NotLeaderError, ProposalDroppedError, ProposalQueueFullError } from '../../src/errors.js'
import { PaxosNode } from '../../src/node/paxos-node.js'
import { DiskStorage } from '../../src/storage/disk-storage.js'

/** Every kind of fault the nemesis knows, crashes (which lose unsynced writes) three times as often. */
const NEMESIS_KINDS: FaultKind[] = [
  'partition',
  'isolate',
  'one-way',
  'bridge',
  'clog',
  'degrade',
  'pause',
  'clock-skew',
]
NEMESIS_KINDS.push('crash', 'crash', 'crash')

/** A KV command: read, write or compare-and-set, with a unique id so that no two commands have the same bytes. */
type KvCommand =
  | { op: 'read'; key: string; id: string }
  | { op: 'write'; key: string; value: string; id: string }
  | { op: 'cas'; key: string; from: string | null; to: string; id: string }
type KvResult = { value: string | null } | { ok: boolean }

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** What every node reports to the global checker. */
export class World {
  /** slot -> the command text first applied there by any replica. */
  readonly applied = new Map<number, string>()
  readonly history = new HistoryRecorder<KvInput, RegisterOutput>()
  readonly violations: string[] = []
  readonly leaders = new Set<string>()
  livenessIndex = 0
  restarts = 0
  acknowledged = 0
  snapshotsRestored = 0
}

/** A KV state machine that reports each apply to the world (state machine safety). */
class RecordingKv {
  readonly data = new Map<string, string>()
  constructor(
    private readonly world: World,
    private readonly id: NodeId,
  ) {}
  apply(command: Uint8Array, slot: number): KvResult {
    const text = decoder.decode(command)
    const seen = this.world.applied.get(slot)
    if (seen === undefined) this.world.applied.set(slot, text)
    else if (seen !== text)
      this.world.violations.push(
        `safety: ${this.id} applied ${text} at slot ${slot}, where ${seen} was chosen`,
      )
    const c = JSON.parse(text) as KvCommand
    if (c.op === 'read') return { value: this.data.get(c.key) ?? null }
    if (c.op === 'write') {
      this.data.set(c.key, c.value)
      return { ok: true }
    }
    if ((this.data.get(c.key) ?? null) !== c.from) return { ok: false }
    this.data.set(c.key, c.to)
    return { ok: true }
  }
  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify([...this.data]))
  }
  restore(data: Uint8Array): void {
    this.data.clear()
    for (const [key, value] of JSON.parse(decoder.decode(data)) as [string, string][])
      this.data.set(key, value)
    this.world.snapshotsRestored++
  }
}

export interface ClusterConfig {
  nodeIds: NodeId[]
  clients: number
  keys: string[]
  faultPhaseMs: number
  livenessBoundMs: number
  /** Passed to every core (negative controls). */
  unsafe?: PaxosCoreOptions['unsafe']
  /** Crashes more often (negative controls). */
  nemesisIntervalMs?: { minMs: number; maxMs: number }
}

export class Server {
  readonly node: PaxosNode<KvResult>
  readonly kv: RecordingKv
  constructor(ctx: NodeContext<PaxosMessage>, world: World, config: ClusterConfig) {
    if (ctx.incarnation > 0) world.restarts++
    this.kv = new RecordingKv(world, ctx.id)
    this.node = new PaxosNode<KvResult>({
      id: ctx.id,
      members: config.nodeIds,
      transport: ctx.transport,
      storage: new DiskStorage(ctx.disk),
      stateMachine: this.kv,
      timers: ctx,
      random: () => ctx.random.float(),
      tickMs: 10,
      electionTicks: 10,
      heartbeatTicks: 2,
      maxBatchEntries: 16,
      snapshotEverySlots: 24,
      requestTimeoutMs: 1_000,
      ...(config.unsafe === undefined ? {} : { unsafe: config.unsafe }),
    })
  }
}

type Sim = Simulation<PaxosMessage, Server>

function live(sim: Sim): Server[] {
  return sim.upIds().map((id) => sim.node(id))
}

export function currentLeader(sim: Sim): Server | undefined {
  let best: Server | undefined
  for (const server of live(sim)) {
    const s = server.node.status()
    if (s.role !== 'leader' || server.node.isClosed) continue
    if (best === undefined || s.ballot.round > best.node.status().ballot.round) best = server
  }
  return best
}

/** A definite failure: the command was not chosen and never will be. */
const DEFINITE = (error: unknown) =>
  NotLeaderError.isInstance(error) ||
  ProposalQueueFullError.isInstance(error) ||
  ProposalDroppedError.isInstance(error)

/** Builds the options of one seeded run. */
export function clusterRun(
  seed: number,
  config: ClusterConfig,
): RunSimulationOptions<PaxosMessage, Server> & { world: () => World } {
  let world = new World()
  let stopClients = false
  return {
    world: () => world,
    seed,
    nodeIds: config.nodeIds,
    node: (ctx) => {
      // checkDeterminism builds the cluster twice from one options object: the first node of a new run resets the world
      if (ctx.id === config.nodeIds[0] && ctx.incarnation === 0) {
        world = new World()
        stopClients = false
      }
      return new Server(ctx, world, config)
    },
    codec: paxosMessageCodec({ maxBatchEntries: 16 }),
    disk: { tornWrites: true },
    network: {
      delay: { kind: 'uniform', minMs: 1, maxMs: 8 },
      lossRate: 0.02,
      duplicateRate: 0.02,
      reorderRate: 0.05,
    },
    faultPhaseMs: config.faultPhaseMs,
    livenessBoundMs: config.livenessBoundMs,
    nemesis: { kinds: NEMESIS_KINDS, intervalMs: config.nemesisIntervalMs ?? { minMs: 80, maxMs: 400 } },
    leader: (sim) => currentLeader(sim)?.node.id,
    setup(sim) {
      const random = sim.random.split('clients')
      let counter = 0
      const pick = (): Server | undefined => {
        const servers = live(sim)
        if (servers.length === 0) return undefined
        const leader = currentLeader(sim)
        if (leader !== undefined && random.chance(0.8)) return leader
        return random.pick(servers)
      }
      for (let c = 0; c < config.clients; c++) {
        const process = `client-${c}`
        const next = () => {
          if (!stopClients) sim.schedule(random.int(5, 30), run)
        }
        const run = () => {
          const server = pick()
          if (server === undefined) return next()
          const key = random.pick(config.keys)
          const id = `${c}.${++counter}`
          const roll = random.float()
          let input: KvInput
          let command: KvCommand
          if (roll < 0.35) {
            input = { type: 'read', key }
            command = { op: 'read', key, id }
          } else if (roll < 0.8) {
            input = { type: 'write', key, value: id }
            command = { op: 'write', key, value: id, id }
          } else {
            const from = random.chance(0.3)
              ? null
              : `${random.int(0, config.clients - 1)}.${random.int(1, Math.max(1, counter))}`
            input = { type: 'cas', key, from, to: id }
            command = { op: 'cas', key, from, to: id, id }
          }
          const op = world.history.invoke(process, input, sim.now)
          let settled = false
          const settle = (outcome: 'ok' | 'fail' | 'info', output?: RegisterOutput) => {
            if (settled) return
            settled = true
            if (outcome === 'ok') world.history.ok(op, output, sim.now)
            else if (outcome === 'fail') world.history.fail(op, sim.now)
            else world.history.info(op, sim.now)
            next()
          }
          // a crash never settles the promise: give up (unknown outcome) after a deadline
          sim.schedule(1_200, () => settle('info'))
          server.node.propose(encoder.encode(JSON.stringify(command)), { timeoutMs: 1_000 }).then(
            ({ result }) => {
              if ('value' in result) settle('ok', { value: result.value })
              else if (result.ok) {
                world.acknowledged++
                settle('ok')
              } else settle('fail')
            },
            (error: unknown) => settle(DEFINITE(error) ? 'fail' : 'info'),
          )
        }
        sim.schedule(random.int(50, 200), run)
      }
      // the liveness write, once the nemesis is done
      const livenessWrite = () => {
        if (world.livenessIndex > 0) return
        sim.schedule(100, livenessWrite)
        const leader = currentLeader(sim)
        if (leader === undefined) return
        const key = config.keys[0] as string
        const op = world.history.invoke('liveness', { type: 'write', key, value: 'live' }, sim.now)
        let settled = false
        sim.schedule(500, () => {
          if (!settled) {
            settled = true
            world.history.info(op, sim.now)
          }
        })
        const command: KvCommand = { op: 'write', key, value: 'live', id: `live.${sim.now}` }
        leader.node.propose(encoder.encode(JSON.stringify(command)), { timeoutMs: 400 }).then(
          ({ index }) => {
            if (settled) return
            settled = true
            world.history.ok(op, undefined, sim.now)
            world.livenessIndex = index
            stopClients = true
          },
          (error: unknown) => {
            if (settled) return
            settled = true
            if (DEFINITE(error)) world.history.fail(op, sim.now)
            else world.history.info(op, sim.now)
          },
        )
      }
      sim.schedule(config.faultPhaseMs + 1, livenessWrite)
    },
    invariants: [
      function safety(sim) {
        if (world.violations.length > 0) return world.violations.join('; ')
        for (const id of sim.upIds()) {
          const server = sim.node(id)
          if (server.node.failure !== undefined) return `${id} stopped: ${String(server.node.failure)}`
          const s = server.node.status()
          if (s.role === 'leader') world.leaders.add(`${s.ballot.round}/${s.ballot.nodeId}`)
        }
        return true
      },
    ],
    liveness(sim) {
      if (world.livenessIndex === 0) return false
      for (const id of sim.nodeIds) {
        if (sim.status(id) !== 'running') return false
        if (sim.node(id).node.status().appliedIndex < world.livenessIndex) return false
      }
      return true
    },
    finalCheck(sim) {
      // every replica applied the same commands: same state where they applied as far
      const states = sim.nodeIds.map((id) => ({
        applied: sim.node(id).node.status().appliedIndex,
        data: JSON.stringify([...sim.node(id).kv.data].sort()),
      }))
      for (const a of states)
        for (const b of states) if (a.applied === b.applied && a.data !== b.data) return 'replicas diverge'
      const verdict = checkLinearizability(world.history.operations(), kvModel, { timeBudgetMs: 10_000 })
      if (verdict.result !== 'ok')
        return `history is not linearizable: ${JSON.stringify(verdict).slice(0, 500)}`
      return true
    },
  }
}
