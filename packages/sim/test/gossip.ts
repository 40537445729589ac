/**
 * A toy gossip protocol for simulator tests: each node starts with one rumor,
 * pushes everything it knows to a random peer every `periodMs`, and keeps what
 * it learned in a synced file, so a restarted node remembers.
 */
import type { NodeContext } from '../src/simulation.js'

export type GossipMessage = { kind: 'rumors'; rumors: string[] }

export class GossipNode {
  readonly known = new Set<string>()
  private readonly context: NodeContext<GossipMessage>
  private readonly peers: readonly string[]

  constructor(context: NodeContext<GossipMessage>, peers: readonly string[], periodMs = 50) {
    this.context = context
    this.peers = peers.filter((p) => p !== context.id)
    const disk = context.disk
    if (disk.exists('rumors')) {
      for (const rumor of new TextDecoder().decode(disk.read('rumors')).split('\n'))
        if (rumor) this.known.add(rumor)
    }
    this.learn([`rumor-of-${context.id}`])
    context.transport.onMessage((_, message) => this.learn(message.rumors))
    context.every(periodMs, () => {
      if (this.peers.length === 0) return
      context.transport.send(context.random.pick(this.peers), { kind: 'rumors', rumors: [...this.known] })
    })
  }

  private learn(rumors: readonly string[]): void {
    const fresh = rumors.filter((r) => !this.known.has(r))
    if (fresh.length === 0) return
    for (const r of fresh) this.known.add(r)
    const disk = this.context.disk
    const isNew = !disk.exists('rumors')
    disk.append('rumors', new TextEncoder().encode(`${fresh.join('\n')}\n`))
    disk.sync('rumors')
    if (isNew) disk.syncDirectory()
  }
}
