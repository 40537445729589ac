/** A cluster of cores in one test, with messages delivered by hand. */
import type { NodeId } from '@synod/transport'
import type { PaxosCoreOptions } from '../../src/core/options.js'
import { PaxosCore } from '../../src/core/paxos.js'
import type { ChosenEntry, DroppedProposal } from '../../src/core/ready.js'
import type { PaxosMessage } from '../../src/core/types.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'

export interface Envelope {
  from: NodeId
  to: NodeId
  message: PaxosMessage
}

/** A seeded PRNG (Park–Miller) for the cores' election jitter. */
export function seeded(seed: number): () => number {
  let state = seed % 2147483647 || 1
  return () => {
    state = (state * 16807) % 2147483647
    return (state - 1) / 2147483646
  }
}

export const encode = (text: string) => new TextEncoder().encode(text)
export const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

export class CoreCluster {
  readonly cores = new Map<NodeId, PaxosCore>()
  readonly storages = new Map<NodeId, MemoryStorage>()
  readonly applied = new Map<NodeId, ChosenEntry[]>()
  readonly dropped = new Map<NodeId, DroppedProposal[]>()
  /** The snapshots each node installed from a peer, as `slot:text`. */
  readonly installed = new Map<NodeId, string[]>()
  queue: Envelope[] = []
  /** Nodes whose outgoing and incoming messages are discarded. */
  readonly isolated = new Set<NodeId>()

  constructor(
    readonly ids: NodeId[],
    private readonly options: Partial<PaxosCoreOptions> = {},
  ) {
    for (const [i, id] of ids.entries()) {
      this.storages.set(id, new MemoryStorage())
      this.start(id, i + 1)
    }
  }

  private start(id: NodeId, seed: number): void {
    const storage = this.storages.get(id) as MemoryStorage
    this.cores.set(
      id,
      new PaxosCore({
        leaderStickiness: false,
        ...this.options,
        id,
        members: this.ids,
        random: seeded(seed),
        state: storage.load(),
      }),
    )
    this.applied.set(id, [])
    this.dropped.set(id, [])
    this.installed.set(id, [])
  }

  core(id: NodeId): PaxosCore {
    return this.cores.get(id) as PaxosCore
  }

  /** Takes every node's Ready: persists, queues messages, records chosen values. */
  collect(): void {
    for (const [id, core] of this.cores) {
      while (core.hasReady()) {
        const ready = core.ready()
        const storage = this.storages.get(id) as MemoryStorage
        if (ready.snapshot !== null) {
          storage.saveSnapshot(ready.snapshot.slot, ready.snapshot.data)
          this.installed.get(id)?.push(`${ready.snapshot.slot}:${decode(ready.snapshot.data)}`)
        }
        storage.append(ready.records)
        for (const { to, message } of ready.messages) this.queue.push({ from: id, to, message })
        const stored = storage.loadSnapshot()
        if (stored !== null)
          for (const to of ready.snapshotsToSend)
            this.queue.push({
              from: id,
              to,
              message: {
                type: 'snapshot',
                ballot: core.status().promised,
                slot: stored.slot,
                data: stored.data,
              },
            })
        this.applied.get(id)?.push(...ready.chosen)
        this.dropped.get(id)?.push(...ready.dropped)
      }
    }
  }

  /** Takes the queued messages (after collecting). */
  take(filter: (e: Envelope) => boolean = () => true): Envelope[] {
    this.collect()
    const taken = this.queue.filter(filter)
    this.queue = this.queue.filter((e) => !filter(e))
    return taken
  }

  deliver(envelopes: readonly Envelope[]): void {
    for (const e of envelopes) {
      if (this.isolated.has(e.from) || this.isolated.has(e.to)) continue
      this.core(e.to).step(e.from, e.message)
    }
    this.collect()
  }

  /** Delivers messages until none are left (at most `rounds` rounds). */
  stabilize(rounds = 100): void {
    for (let i = 0; i < rounds; i++) {
      const batch = this.take()
      if (batch.length === 0) return
      this.deliver(batch)
    }
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const core of this.cores.values()) core.tick()
      this.stabilize()
    }
  }

  /** A crash: the core is rebuilt from what its storage persisted; its queued messages are lost. */
  restart(id: NodeId, seed = 99): void {
    this.collect()
    this.queue = this.queue.filter((e) => e.from !== id && e.to !== id)
    this.start(id, seed)
  }

  /** What a driver does to compact: a durable snapshot (here the text `state@<slot>`), then the core. */
  compact(id: NodeId, slot: number): void {
    this.collect()
    this.storages.get(id)?.saveSnapshot(slot, encode(`state@${slot}`))
    this.core(id).compact(slot)
  }

  elect(id: NodeId): void {
    this.core(id).campaign()
    this.stabilize()
  }

  /** The applied command texts of a node, with no-ops as '-'. */
  log(id: NodeId): string[] {
    return (this.applied.get(id) ?? []).map((e) => (e.value.kind === 'noop' ? '-' : decode(e.value.data)))
  }
}
