/**
 * The replica and client on @synod/sim: its faulty network (every message
 * through the binary codec), its nemesis (partitions, one-way links, clogs,
 * crashes and restarts, pauses, clock skew) and its seed sweep.
 *
 * Persisted hard state lives in a map outside the simulation and is written
 * synchronously before any message of the same Ready is sent: the same as an
 * fsync before send.
 */
import { type NodeContext, runSimulation, sweep } from '@synod/sim'
import { expect, it } from 'vitest'
import {
  decodeHardState,
  encodeHardState,
  PbftClient,
  type PbftMessage,
  PbftNode,
  type PbftReplica,
  pbftCodec,
  toHex,
} from '../src/index.js'
import { LogApplication, makeIdentity } from './helpers.js'

const replicaIds = ['r0', 'r1', 'r2', 'r3']
const identities = replicaIds.map((id) => makeIdentity(id, 'fast'))
const replicas = identities.map(({ id, publicKey }) => ({ id, publicKey }))
const clientIdentity = makeIdentity('sim-client', 'fast')
const clientId = toHex(clientIdentity.publicKey)
const operations = 12
const tickMs = 10

interface World {
  readonly executed: Map<string, Map<number, string>>
  clientNextTimestamp: number
  completed: number
  viewChanges: number
}

class ReplicaNode {
  readonly node: PbftNode
  get replica(): PbftReplica {
    return this.node.replica
  }
  constructor(ctx: NodeContext<PbftMessage>, world: World) {
    const index = replicaIds.indexOf(ctx.id)
    const path = 'pbft-hard-state'
    const executed = world.executed.get(ctx.id) ?? new Map<number, string>()
    world.executed.set(ctx.id, executed)
    this.node = new PbftNode({
      id: ctx.id,
      replicas,
      crypto: identities[index]!.crypto,
      application: new LogApplication(),
      clients: { kind: 'any-key' },
      checkpointInterval: 4,
      transport: ctx.transport,
      // the hard state on the simulated disk: only what was synced survives a crash
      store: {
        load: () => (ctx.disk.exists(path) ? decodeHardState(ctx.disk.read(path)) : undefined),
        save: (state) => {
          const created = !ctx.disk.exists(path)
          ctx.disk.write(path, encodeHardState(state))
          ctx.disk.sync(path)
          if (created) ctx.disk.syncDirectory()
        },
      },
      every: (ms, callback) => {
        const handle = ctx.every(ms, callback)
        return () => handle.cancel()
      },
      tickMs,
      onExecuted: (batch) => executed.set(batch.sequence, toHex(batch.certificate.prePrepare.digest)),
      onEvent: (event) => {
        if (event.type === 'new-view-install') world.viewChanges++
      },
    })
  }
}

class ClientNode {
  readonly client: PbftClient
  constructor(
    private readonly ctx: NodeContext<PbftMessage>,
    private readonly world: World,
  ) {
    // a restarted client starts above every timestamp it used before
    this.client = new PbftClient({
      id: clientId,
      publicKey: clientIdentity.publicKey,
      crypto: clientIdentity.crypto,
      replicas,
      firstTimestamp: world.clientNextTimestamp,
    })
    ctx.transport.onMessage((from, message) => {
      this.client.step(from, message)
      this.drain()
    })
    ctx.every(tickMs, () => {
      this.client.tick()
      if (this.client.outstanding === undefined && this.world.completed < operations) {
        this.client.request(new TextEncoder().encode(`op${this.world.completed}`))
        this.world.clientNextTimestamp = (this.client.outstanding ?? 0) + 1
      }
      this.drain()
    })
  }

  private drain(): void {
    if (!this.client.hasReady()) return
    const ready = this.client.ready()
    for (const { to, message } of ready.messages) this.ctx.transport.send(to, message)
    this.world.completed += ready.results.length
    this.client.advance()
  }
}

type SimNode = ReplicaNode | ClientNode

it('PBFT on @synod/sim: safe under the nemesis, live after the heal', () => {
  const report = sweep({ seeds: 20, slowSeeds: 200, expect }, (seed) => {
    const world: World = {
      executed: new Map(),
      clientNextTimestamp: 1,
      completed: 0,
      viewChanges: 0,
    }
    const result = runSimulation<PbftMessage, SimNode>({
      seed,
      nodeIds: [...replicaIds, clientId],
      node: (ctx) => (ctx.id === clientId ? new ClientNode(ctx, world) : new ReplicaNode(ctx, world)),
      codec: pbftCodec(),
      network: {
        delay: { kind: 'uniform', minMs: 1, maxMs: 20 },
        lossRate: 0.05,
        duplicateRate: 0.02,
        reorderRate: 0.1,
      },
      faultPhaseMs: 3_000,
      nemesis: { maxDown: 1 },
      invariants: [
        () => {
          const bySequence = new Map<number, string>()
          for (const [replica, executed] of world.executed)
            for (const [sequence, digest] of executed) {
              const other = bySequence.get(sequence)
              if (other !== undefined && other !== digest)
                return `${replica} executed another batch at ${sequence}`
              bySequence.set(sequence, digest)
            }
          return true
        },
      ],
      liveness: (sim) => {
        if (world.completed < operations) return false
        const executed = replicaIds.map((id) =>
          sim.status(id) === 'running' ? (sim.node(id) as ReplicaNode).replica.lastExecuted : -1,
        )
        return executed.every((e) => e === executed[0] && e > 0)
      },
      livenessBoundMs: 60_000,
    })
    return { world, result }
  })
  // not vacuous: faults happened and forced view changes somewhere in the sweep
  expect(report.results.reduce((sum, { result }) => sum + result.faults, 0)).toBeGreaterThan(0)
  expect(report.results.reduce((sum, { world }) => sum + world.viewChanges, 0)).toBeGreaterThan(0)
})
