// The example of README.md, but for the import path (and formatting): keep the two in sync.

import { expect, it } from 'vitest'
import { type NodeContext, runSimulation, sweep } from '../src/index.js'

type Gossip = { rumors: string[] }
const ids = ['n1', 'n2', 'n3', 'n4', 'n5']

class GossipNode {
  readonly known = new Set<string>()
  constructor(ctx: NodeContext<Gossip>) {
    // what a previous incarnation synced survives the crash
    if (ctx.disk.exists('rumors'))
      for (const r of new TextDecoder().decode(ctx.disk.read('rumors')).split('\n')) if (r) this.known.add(r)
    this.learn(ctx, [`rumor-of-${ctx.id}`])
    ctx.transport.onMessage((_, message) => this.learn(ctx, message.rumors))
    ctx.every(50, () =>
      ctx.transport.send(ctx.random.pick(ids.filter((id) => id !== ctx.id)), { rumors: [...this.known] }),
    )
  }
  private learn(ctx: NodeContext<Gossip>, rumors: string[]) {
    const fresh = rumors.filter((r) => !this.known.has(r))
    if (fresh.length === 0) return
    for (const r of fresh) this.known.add(r)
    const created = !ctx.disk.exists('rumors')
    ctx.disk.append('rumors', new TextEncoder().encode(`${fresh.join('\n')}\n`))
    ctx.disk.sync('rumors')
    if (created) ctx.disk.syncDirectory()
  }
}

it('gossip converges after any faults', () => {
  sweep({ seeds: 100, expect }, (seed) =>
    runSimulation<Gossip, GossipNode>({
      seed,
      nodeIds: ids,
      node: (ctx) => new GossipNode(ctx),
      network: { delay: { kind: 'long-tail', minMs: 1, medianMs: 5, maxMs: 300 }, lossRate: 0.05 },
      faultPhaseMs: 2_000, // random partitions, clogs, crashes, pauses, clock jumps…
      invariants: [(sim) => sim.upIds().every((id) => sim.node(id).known.size <= ids.length)],
      liveness: (sim) => ids.every((id) => sim.node(id).known.size === ids.length),
      livenessBoundMs: 5_000, // …then everything heals, and this must hold within 5 s
    }),
  )
})
