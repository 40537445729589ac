/**
 * A Raft KV cluster on the simulator: RaftNode on SimDiskStorage, driven by the
 * node context's timers and random stream; clients record a history; global
 * invariants are checked after every event.
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
import type { NodeId, Transport } from '@synod/transport'
import {
  ConfigChangeRefusedError,
  decodeKvCommand,
  encodeKvCommand,
  type KvCommand,
  type KvResult,
  KvStateMachine,
  NotLeaderError,
  ProposalDroppedError,
  ProposalOverwrittenError,
  type RaftMessage,
  RaftNode,
  type RaftTuning,
  raftMessageCodec,
  SimDiskStorage,
  TransferRefusedError,
} from '../../src/index.js'

type Op = KvInput

const NEMESIS_KINDS: FaultKind[] = [
  'partition',
  'isolate',
  'one-way',
  'bridge',
  'clog',
  'degrade',
  'crash',
  'crash',
  'crash',
  'pause',
  'clock-skew',
]

/** What every node reports to the global checker. */
export class World {
  /** index -> command bytes, as first applied by any node. */
  readonly applied = new Map<number, Uint8Array>()
  /** term -> the node that led it. */
  readonly leaders = new Map<number, NodeId>()
  /** Acknowledged writes: index of the entry. */
  readonly acknowledged: { index: number; key: string; value: string }[] = []
  readonly history = new HistoryRecorder<Op, RegisterOutput>()
  readonly violations: string[] = []
  livenessIndex = 0
  fatal: unknown = undefined
  readonly stats = { snapshotChunksSent: 0, membershipChanges: 0, transfers: 0, crashRestarts: 0 }
}

/** Totals over every run of a sweep, to check the runs exercised what they claim to. */
export const coverage = {
  transfers: 0,
  snapshotChunksSent: 0,
  membershipChanges: 0,
  leaderTerms: 0,
  acknowledged: 0,
  runs: 0,
}

/** KvStateMachine that reports every apply to the world and returns the entry's index with the result. */
class RecordingKv extends KvStateMachine {
  constructor(
    private readonly world: World,
    private readonly id: NodeId,
  ) {
    super()
  }
  override apply(command: Uint8Array, index: number): KvResult {
    const seen = this.world.applied.get(index)
    if (seen === undefined) this.world.applied.set(index, command.slice())
    else if (!sameBytes(seen, command))
      this.world.violations.push(
        `state machine safety: ${this.id} applied a different command at index ${index}`,
      )
    const result = super.apply(command, index)
    return { ...result, index } as unknown as KvResult
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export interface ClusterConfig {
  /** All node ids; the first `voters` found the cluster, the others join empty. */
  nodeIds: NodeId[]
  voters: number
  snapshotEveryEntries: number
  /** Propose membership changes every so often during the fault phase. */
  membershipChanges: boolean
  clients: number
  keys: string[]
  faultPhaseMs: number
  livenessBoundMs: number
  /** Passed to every node's core (default: none). */
  tuning?: RaftTuning
}

export class Server {
  node: RaftNode | undefined
  readonly kv: RecordingKv
  constructor(ctx: NodeContext<RaftMessage>, world: World, config: ClusterConfig) {
    this.kv = new RecordingKv(world, ctx.id)
    const founders = config.nodeIds.slice(0, config.voters)
    if (ctx.incarnation > 0) world.stats.crashRestarts++
    const inner = ctx.transport
    const transport: Transport<RaftMessage> = {
      localId: inner.localId,
      send(to, message) {
        if (message.type === 'install-snapshot') world.stats.snapshotChunksSent++
        inner.send(to, message)
      },
      onMessage: (handler) => inner.onMessage(handler),
      close: () => inner.close(),
    }
    RaftNode.start({
      id: ctx.id,
      members: founders.includes(ctx.id) ? founders : [],
      transport,
      storage: new SimDiskStorage(ctx.disk, {
        syncLatency: () => new Promise<void>((resolve) => ctx.after(8, resolve)),
      }),
      stateMachine: this.kv,
      timers: ctx,
      random: () => ctx.random.float(),
      tickMs: 10,
      electionTicks: 10,
      heartbeatTicks: 2,
      snapshotEveryEntries: config.snapshotEveryEntries,
      requestTimeoutMs: 1_000,
      ...(config.tuning === undefined ? {} : { tuning: config.tuning }),
    }).then(
      (node) => {
        this.node = node
      },
      (error: unknown) => {
        world.fatal ??= error
      },
    )
  }
}

type Sim = Simulation<RaftMessage, Server>

function liveNodes(sim: Sim): { id: NodeId; node: RaftNode }[] {
  const out: { id: NodeId; node: RaftNode }[] = []
  for (const id of sim.upIds()) {
    const node = sim.node(id).node
    if (node !== undefined && !node.isStopped) out.push({ id, node })
  }
  return out
}

export function currentLeader(sim: Sim): { id: NodeId; node: RaftNode } | undefined {
  let best: { id: NodeId; node: RaftNode } | undefined
  let bestTerm = -1
  for (const n of liveNodes(sim)) {
    const s = n.node.status()
    if (s.role === 'leader' && s.term > bestTerm) {
      best = n
      bestTerm = s.term
    }
  }
  return best
}

const DEFINITE = (error: unknown) =>
  NotLeaderError.isInstance(error) ||
  ProposalDroppedError.isInstance(error) ||
  ProposalOverwrittenError.isInstance(error)

/** Builds the options of one seeded run. */
export function clusterRun(seed: number, config: ClusterConfig): RunSimulationOptions<RaftMessage, Server> {
  let world = new World()
  let stopClients = false
  return {
    seed,
    nodeIds: config.nodeIds,
    node: (ctx) => {
      // a new run of these options (checkDeterminism runs them twice): start from a fresh world
      if (ctx.id === config.nodeIds[0] && ctx.incarnation === 0) {
        world = new World()
        stopClients = false
      }
      return new Server(ctx, world, config)
    },
    codec: raftMessageCodec(),
    disk: { tornWrites: true },
    network: {
      delay: { kind: 'uniform', minMs: 1, maxMs: 8 },
      lossRate: 0.01,
      duplicateRate: 0.01,
      reorderRate: 0.02,
    },
    faultPhaseMs: config.faultPhaseMs,
    livenessBoundMs: config.livenessBoundMs,
    // every kind of fault, crashes (which lose unsynced writes) three times as often
    nemesis: { kinds: NEMESIS_KINDS, intervalMs: { minMs: 80, maxMs: 400 } },
    leader: (sim) => currentLeader(sim)?.id,
    setup(sim) {
      const random = sim.random.split('clients')
      let valueCounter = 0
      const pickNode = (): RaftNode | undefined => {
        const nodes = liveNodes(sim)
        if (nodes.length === 0) return undefined
        const leader = currentLeader(sim)
        if (leader !== undefined && random.chance(0.7)) return leader.node
        return random.pick(nodes).node
      }
      for (let c = 0; c < config.clients; c++) {
        const process = `client-${c}`
        const clientId = `${process}@${seed}`
        let sequence = 0
        const next = () => {
          if (stopClients) return
          sim.schedule(random.int(5, 40), run)
        }
        const run = () => {
          const node = pickNode()
          if (node === undefined) return next()
          const key = random.pick(config.keys)
          const roll = random.float()
          let settled = false
          const deadline = 1_200
          if (roll < 0.4) {
            const id = world.history.invoke(process, { type: 'read', key }, sim.now)
            const kv = sim.node(node.id).kv
            sim.schedule(deadline, () => {
              if (settled) return
              settled = true
              world.history.fail(id, sim.now) // a read changes nothing
              next()
            })
            node.read().then(
              () => {
                if (settled) return
                settled = true
                world.history.ok(id, { value: kv.get(key) }, sim.now)
                next()
              },
              () => {
                if (settled) return
                settled = true
                world.history.fail(id, sim.now)
                next()
              },
            )
            return
          }
          const value = `${c}.${++valueCounter}`
          let command: KvCommand
          let input: Op
          if (roll < 0.8) {
            command = { type: 'put', key, value }
            input = { type: 'write', key, value }
          } else {
            const from = random.chance(0.2)
              ? null
              : `${random.int(0, config.clients - 1)}.${random.int(1, Math.max(1, valueCounter))}`
            command = { type: 'cas', key, from, to: value }
            input = { type: 'cas', key, from, to: value }
          }
          const id = world.history.invoke(process, input, sim.now)
          const bytes = encodeKvCommand(command, { clientId, sequence: ++sequence })
          // retry the same (clientId, sequence) until a definite answer: the session makes it exactly-once
          let uncertain = false
          let attempt = 0
          const finish = (outcome: 'ok' | 'fail' | 'info', index?: number) => {
            if (settled) return
            settled = true
            if (outcome === 'ok') {
              world.history.ok(id, undefined, sim.now)
              if (index !== undefined) world.acknowledged.push({ index, key, value })
            } else if (outcome === 'fail') world.history.fail(id, sim.now)
            else world.history.info(id, sim.now)
            next()
          }
          let inFlight = false
          sim.schedule(deadline, () => finish(uncertain || inFlight ? 'info' : 'fail'))
          const tryOnce = () => {
            if (settled) return
            const mine = ++attempt
            const target = attempt === 1 ? node : pickNode()
            if (target === undefined) {
              sim.schedule(50, tryOnce)
              return
            }
            sim.schedule(300, () => {
              if (settled || attempt !== mine) return
              uncertain = true
              inFlight = false
              tryOnce()
            })
            inFlight = true
            target.propose(bytes, { timeoutMs: 250 }).then(
              (raw) => {
                if (settled || attempt !== mine) return
                inFlight = false
                const result = raw as KvResult & { index: number }
                if (result.ok) finish('ok', result.index)
                else if (result.reason === 'precondition-failed') finish('fail')
                else finish('info')
              },
              (error: unknown) => {
                if (settled || attempt !== mine) return
                inFlight = false
                // a definite error says nothing of earlier attempts: retry the same session either way
                if (!DEFINITE(error)) uncertain = true
                attempt++
                sim.schedule(20, tryOnce)
              },
            )
          }
          tryOnce()
        }
        sim.schedule(random.int(50, 200), run)
      }
      if (config.membershipChanges) {
        const change = () => {
          if (sim.now > config.faultPhaseMs) return
          sim.schedule(random.int(200, 600), change)
          const leader = currentLeader(sim)
          if (leader === undefined) return
          const m = leader.node.status().membership
          if (m.votersOutgoing.length > 0) return
          const outside = config.nodeIds.filter((id) => !m.voters.includes(id) && !m.learners.includes(id))
          let request: Parameters<RaftNode['changeMembership']>[0]
          if (m.learners.length > 0) request = [{ type: 'add-voter', nodeId: random.pick(m.learners) }]
          else if (m.voters.length > config.voters)
            request = [{ type: 'remove-node', nodeId: random.pick(m.voters) }]
          else if (outside.length > 0) request = [{ type: 'add-learner', nodeId: random.pick(outside) }]
          else return
          leader.node.changeMembership(request).then(
            () => {
              world.stats.membershipChanges++
            },
            (error: unknown) => {
              if (!SynodErrorLike(error)) world.fatal ??= error
            },
          )
        }
        sim.schedule(300, change)
      }
      // leadership transfers during the faults
      const transfers = sim.random.split('transfers')
      const transfer = () => {
        if (sim.now > config.faultPhaseMs) return
        sim.schedule(transfers.int(300, 900), transfer)
        const leader = currentLeader(sim)
        if (leader === undefined) return
        const voters = leader.node.status().membership.voters.filter((id) => id !== leader.id)
        if (voters.length === 0) return
        leader.node.transferLeadership(transfers.pick(voters), { timeoutMs: 500 }).then(
          () => {
            world.stats.transfers++
          },
          (error: unknown) => {
            if (!SynodErrorLike(error) && !TransferRefusedError.isInstance(error)) world.fatal ??= error
          },
        )
      }
      sim.schedule(500, transfer)
      // the liveness write, once the nemesis is done
      let livenessStarted = false
      const livenessWrite = () => {
        if (world.livenessIndex > 0) return
        sim.schedule(100, livenessWrite)
        const leader = currentLeader(sim)
        if (leader === undefined) return
        const id = world.history.invoke(
          'liveness',
          { type: 'write', key: config.keys[0] as string, value: 'live' },
          sim.now,
        )
        let settled = false
        sim.schedule(500, () => {
          if (!settled) {
            settled = true
            world.history.info(id, sim.now)
          }
        })
        leader.node
          .propose(encodeKvCommand({ type: 'put', key: config.keys[0] as string, value: 'live' }))
          .then(
            (raw) => {
              if (settled) return
              settled = true
              world.history.ok(id, undefined, sim.now)
              const index = (raw as { index: number }).index
              world.acknowledged.push({ index, key: config.keys[0] as string, value: 'live' })
              world.livenessIndex = index
              stopClients = true
            },
            (error: unknown) => {
              if (settled) return
              settled = true
              if (DEFINITE(error)) world.history.fail(id, sim.now)
              else world.history.info(id, sim.now)
            },
          )
      }
      sim.schedule(config.faultPhaseMs + 1, () => {
        if (!livenessStarted) {
          livenessStarted = true
          livenessWrite()
        }
      })
    },
    invariants: [
      function safety(sim) {
        if (world.fatal !== undefined) return `driver failure: ${String(world.fatal)}`
        if (world.violations.length > 0) return world.violations.join('; ')
        let leader: { id: NodeId; term: number; lastIndex: number } | undefined
        let highest = 0
        for (const id of sim.upIds()) {
          const node = sim.node(id).node
          if (node === undefined) continue
          if (node.failure !== undefined) return `${id} fail-stopped: ${String(node.failure)}`
          if (node.isStopped) continue
          const s = node.status()
          if (s.term > highest) highest = s.term
          if (s.role !== 'leader') continue
          // election safety: at most one leader per term, ever
          const known = world.leaders.get(s.term)
          if (known === undefined) world.leaders.set(s.term, id)
          else if (known !== id) return `two leaders in term ${s.term}: ${known} and ${id}`
          if (leader === undefined || s.term > leader.term)
            leader = { id, term: s.term, lastIndex: s.lastIndex }
        }
        // no acknowledged write lost: a leader of the highest term holds every acknowledged entry
        if (leader !== undefined && leader.term === highest)
          for (const w of world.acknowledged)
            if (w.index > leader.lastIndex)
              return `leader ${leader.id} (term ${leader.term}) lacks acknowledged entry ${w.index}`
        return true
      },
    ],
    liveness(sim) {
      if (world.livenessIndex === 0) return false
      const leader = currentLeader(sim)
      if (leader === undefined) return false
      const m = leader.node.status().membership
      for (const id of [...m.voters, ...m.learners]) {
        const node = sim.node(id).node
        if (
          sim.status(id) !== 'running' ||
          node === undefined ||
          node.status().appliedIndex < world.livenessIndex
        )
          return false
      }
      return true
    },
    finalCheck(sim) {
      const leader = currentLeader(sim)
      if (leader === undefined) return 'no leader at the end'
      const m = leader.node.status().membership
      const expected = JSON.stringify(sim.node(leader.id).kv.entries())
      // every member has applied the same state up to the liveness write: compare applied prefixes
      for (const id of [...m.voters, ...m.learners]) {
        const server = sim.node(id)
        if (server.node === undefined) return `${id} never started`
        if (server.node.status().appliedIndex !== leader.node.status().appliedIndex) continue
        if (JSON.stringify(server.kv.entries()) !== expected)
          return `${id} diverges from the leader ${leader.id}`
      }
      // every acknowledged write is in the committed log
      for (const w of world.acknowledged) {
        const bytes = world.applied.get(w.index)
        if (bytes === undefined) return `acknowledged write at ${w.index} was never applied`
        const { command } = decodeKvCommand(bytes)
        const written = command.type === 'put' ? command.value : command.type === 'cas' ? command.to : null
        if (command.key !== w.key || written !== w.value)
          return `acknowledged write ${w.key}=${w.value} is not the command committed at ${w.index}`
      }
      coverage.runs++
      coverage.transfers += world.stats.transfers
      coverage.snapshotChunksSent += world.stats.snapshotChunksSent
      coverage.membershipChanges += world.stats.membershipChanges
      coverage.leaderTerms += world.leaders.size
      coverage.acknowledged += world.acknowledged.length
      const verdict = checkLinearizability(world.history.operations(), kvModel, { timeBudgetMs: 10_000 })
      if (verdict.result !== 'ok')
        return `history is not linearizable: ${JSON.stringify(verdict).slice(0, 500)}`
      return true
    },
  }
}

function SynodErrorLike(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof (error as { code: unknown }).code === 'string' &&
    (ConfigChangeRefusedError.isInstance(error) ||
      String((error as { code: string }).code).startsWith('ERR_RAFT'))
  )
}
