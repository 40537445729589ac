import { type NodeContext, runSimulation } from '@synod/sim'
import { ms, type Scene } from '../scene.js'

type Rumors = { rumors: string[] }
const ids = ['n1', 'n2', 'n3', 'n4', 'n5']

/** Each node gossips what it knows to a random peer, and syncs what it learns to disk. */
class GossipNode {
  readonly known = new Set<string>()
  constructor(private readonly ctx: NodeContext<Rumors>) {
    if (ctx.disk.exists('rumors')) {
      for (const rumor of new TextDecoder().decode(ctx.disk.read('rumors')).split('\n')) {
        if (rumor) this.known.add(rumor)
      }
    }
    this.learn([`rumor-of-${ctx.id}`])
    ctx.transport.onMessage((_, message) => this.learn(message.rumors))
    ctx.every(50, () => {
      const peer = ctx.random.pick(ids.filter((id) => id !== ctx.id))
      ctx.transport.send(peer, { rumors: [...this.known] })
    })
  }

  private learn(rumors: string[]) {
    const fresh = rumors.filter((rumor) => !this.known.has(rumor))
    if (fresh.length === 0) return
    for (const rumor of fresh) this.known.add(rumor)
    const created = !this.ctx.disk.exists('rumors')
    this.ctx.disk.append('rumors', new TextEncoder().encode(`${fresh.join('\n')}\n`))
    this.ctx.disk.sync('rumors')
    if (created) this.ctx.disk.syncDirectory()
  }
}

export const gossipScene: Scene = {
  title: 'The simulator: 5 nodes gossip through 2 s of partitions, crashes, pauses and clock jumps',
  run(seed) {
    const result = runSimulation<Rumors, GossipNode>({
      seed,
      nodeIds: ids,
      node: (ctx) => new GossipNode(ctx),
      network: { delay: { kind: 'long-tail', minMs: 1, medianMs: 5, maxMs: 300 }, lossRate: 0.05 },
      nemesis: { intervalMs: { minMs: 100, maxMs: 400 } },
      faultPhaseMs: 2_000,
      invariants: [(sim) => sim.upIds().every((id) => sim.node(id).known.size <= ids.length)],
      liveness: (sim) =>
        sim.upIds().length === ids.length && ids.every((id) => sim.node(id).known.size === ids.length),
      livenessBoundMs: 5_000,
    })
    const stats = result.network
    return [
      `${result.faults} faults injected by the nemesis, then everything healed at ${ms(2_000)}`,
      `network: ${stats.sent} sent, ${stats.delivered} delivered, ${stats.dropped} dropped`,
      `every node knew all ${ids.length} rumors at ${ms(result.livenessAtMs ?? Number.NaN)} (bound: heal + 5000 ms)`,
      `${result.events} events, trace hash ${result.traceHash}: the same seed gives the same hash`,
    ]
  },
}
