/**
 * Test helpers: a seeded PRNG and an in-memory cluster that plays the driver
 * (persist, then send, then apply, then advance) with drop / partition control.
 */
import {
  type HardState,
  type LogEntry,
  type Membership,
  membership,
  type RaftConfig,
  RaftCore,
  type RaftMessage,
  type Ready,
  type SnapshotMeta,
} from '../../src/index.js'

/** mulberry32: a small seeded PRNG returning [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const enc = (text: string): Uint8Array => new TextEncoder().encode(text)
export const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

/** What a node's disk holds. */
export interface Disk {
  hardState: HardState
  snapshot: SnapshotMeta | null
  snapshotData: Uint8Array
  entries: LogEntry[]
  // incoming snapshot being written
  writing: { meta: SnapshotMeta; chunks: Uint8Array[] } | null
}

/** The test state machine: the applied commands, in order. */
export interface Applied {
  index: number
  term: number
  data: string
}

export interface ClusterOptions {
  ids: string[]
  learners?: string[]
  seed?: number
  config?: Partial<RaftConfig>
}

export class Cluster {
  readonly nodes = new Map<string, RaftCore>()
  readonly disks = new Map<string, Disk>()
  readonly applied = new Map<string, Applied[]>()
  queue: RaftMessage[] = []
  /** Links `from->to` that drop everything. */
  readonly cut = new Set<string>()
  /** Probability of dropping a message (uses the cluster's PRNG). */
  dropRate = 0
  readonly random: () => number
  readonly config: Partial<RaftConfig>
  readonly initial: Membership
  /** Every message ever delivered, for assertions. */
  readonly delivered: RaftMessage[] = []
  readonly readyLog = new Map<string, Ready[]>()
  /** Called with every Ready after it is handled. */
  onReady: ((id: string, ready: Ready) => void) | null = null

  constructor(options: ClusterOptions) {
    this.random = prng(options.seed ?? 1)
    this.config = options.config ?? {}
    this.initial = membership(options.ids, options.learners ?? [])
    for (const id of [...options.ids, ...(options.learners ?? [])]) this.add(id, this.initial)
  }

  /** Adds a node (a fresh disk). `initialMembership` null: a joining node. */
  add(id: string, initialMembership: Membership | null): RaftCore {
    const disk: Disk = {
      hardState: { term: 0, votedFor: null, commit: 0 },
      snapshot: null,
      snapshotData: new Uint8Array(),
      entries: [],
      writing: null,
    }
    this.disks.set(id, disk)
    this.applied.set(id, [])
    return this.start(id, initialMembership)
  }

  private start(id: string, initialMembership: Membership | null): RaftCore {
    const disk = this.disks.get(id)!
    const node = new RaftCore({
      id,
      random: prng(Math.floor(this.random() * 2 ** 31)),
      ...(initialMembership ? { initialMembership } : {}),
      start: { hardState: { ...disk.hardState }, snapshot: disk.snapshot, entries: disk.entries.slice() },
      ...this.config,
    })
    this.nodes.set(id, node)
    // restore the state machine from the snapshot
    this.applied.set(id, disk.snapshot ? JSON.parse(dec(disk.snapshotData)) : [])
    return node
  }

  /** Crash and restart from disk (unsent messages to/from it are lost). */
  restart(id: string): RaftCore {
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id)
    return this.start(id, this.initial)
  }

  node(id: string): RaftCore {
    const node = this.nodes.get(id)
    if (!node) throw new Error(`no node ${id}`)
    return node
  }

  leader(): RaftCore | undefined {
    let best: RaftCore | undefined
    for (const node of this.nodes.values()) {
      const s = node.status()
      if (s.role === 'leader' && (!best || s.term > best.status().term)) best = node
    }
    return best
  }

  isolate(id: string): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue
      this.cut.add(`${id}->${other}`)
      this.cut.add(`${other}->${id}`)
    }
  }

  heal(): void {
    this.cut.clear()
  }

  /** Runs the driver loop for one node: persist, send (enqueue), apply, advance. */
  process(id: string): boolean {
    const node = this.node(id)
    if (!node.hasReady()) return false
    const ready = node.ready()
    if (ready.messages.length + ready.snapshotChunksToSend.length > 10_000)
      throw new Error(
        `${id}: runaway Ready: ${ready.messages.length} messages, ${ready.snapshotChunksToSend.length} chunks: ${JSON.stringify(node.status().progress ? [...node.status().progress] : null)} ${JSON.stringify(ready.snapshotChunksToSend.slice(0, 3).map((c) => ({ ...c.message, length: c.length })))}`,
      )
    let log = this.readyLog.get(id)
    if (!log) {
      log = []
      this.readyLog.set(id, log)
    }
    log.push(ready)
    if (log.length > 50) log.shift()
    const disk = this.disks.get(id)!
    if (ready.snapshotAborted) disk.writing = null
    for (const chunk of ready.snapshotChunksReceived) {
      if (chunk.first) disk.writing = { meta: chunk.meta, chunks: [] }
      if (!disk.writing) throw new Error('chunk without a writer')
      disk.writing.chunks.push(chunk.data)
    }
    if (ready.snapshot) {
      const writing = disk.writing
      if (!writing || writing.meta.index !== ready.snapshot.index)
        throw new Error('snapshot without its data')
      const data = concat(writing.chunks)
      if (data.length !== ready.snapshot.sizeBytes) throw new Error('snapshot size mismatch')
      disk.snapshot = ready.snapshot
      disk.snapshotData = data
      const keep = disk.entries.find((e) => e.index === ready.snapshot!.index)
      disk.entries =
        keep && keep.term === ready.snapshot.term
          ? disk.entries.filter((e) => e.index > ready.snapshot!.index)
          : []
      disk.writing = null
    }
    if (ready.hardState) disk.hardState = { ...ready.hardState }
    if (ready.entries.length > 0) {
      const first = (ready.entries[0] as LogEntry).index
      disk.entries = disk.entries.filter((e) => e.index < first).concat(ready.entries)
    }
    for (const m of ready.messages) this.queue.push(m)
    for (const chunk of ready.snapshotChunksToSend) {
      if (disk.snapshot?.index !== chunk.message.meta.index) continue
      const data = disk.snapshotData.slice(chunk.message.offset, chunk.message.offset + chunk.length)
      this.queue.push({ ...chunk.message, data })
    }
    const sm = this.applied.get(id)!
    if (ready.snapshot) this.applied.set(id, JSON.parse(dec(disk.snapshotData)))
    const target = this.applied.get(id)!
    void sm
    for (const entry of ready.committedEntries) {
      const last = target[target.length - 1]
      if (last && entry.index !== last.index + 1)
        throw new Error(`${id}: applying ${entry.index} after ${last.index}`)
      target.push({
        index: entry.index,
        term: entry.term,
        data: entry.kind === 'normal' ? dec(entry.data) : `<${entry.kind}>`,
      })
    }
    node.advance(ready)
    this.onReady?.(id, ready)
    return true
  }

  /** Processes every node's Ready once. */
  processAll(): boolean {
    let any = false
    for (const id of this.nodes.keys()) if (this.process(id)) any = true
    return any
  }

  /** Delivers every queued message once (those it produces wait for the next call). */
  deliverAll(): number {
    const batch = this.queue
    this.queue = []
    let count = 0
    for (const m of batch) {
      if (this.cut.has(`${m.from}->${m.to}`)) continue
      if (this.dropRate > 0 && this.random() < this.dropRate) continue
      const node = this.nodes.get(m.to)
      if (!node) continue
      this.delivered.push(m)
      node.step(m)
      count++
    }
    return count
  }

  /** Processes and delivers until nothing moves (bounded). */
  stabilize(maxRounds = 200): void {
    for (let i = 0; i < maxRounds; i++) {
      const processed = this.processAll()
      if (i === maxRounds - 1) {
        const sample = this.queue
          .slice(0, 8)
          .map((m) => JSON.stringify({ ...m, entries: undefined, data: undefined }))
        const states = [...this.nodes.values()].map((n) => {
          const s = n.status()
          return JSON.stringify({ ...s, progress: [...s.progress] })
        })
        throw new Error(`cluster did not stabilize:\n${states.join('\n')}\n${sample.join('\n')}`)
      }
      const delivered = this.deliverAll()
      if (!processed && delivered === 0 && this.queue.length === 0) return
    }
    throw new Error('cluster did not stabilize')
  }

  tickAll(times = 1): void {
    for (let t = 0; t < times; t++) {
      for (const node of this.nodes.values()) node.tick()
      this.stabilize()
    }
  }

  /** Campaigns on `id` and stabilizes; returns the node. */
  elect(id: string): RaftCore {
    this.node(id).campaign()
    this.stabilize()
    const node = this.node(id)
    if (node.status().role !== 'leader') throw new Error(`${id} did not win: ${node.status().role}`)
    return node
  }

  /**
   * `id` campaigns and the votes go out and come back (two rounds of messages):
   * it has won, but its no-op entry is not yet committed.
   */
  campaignTwoRounds(id: string): RaftCore {
    const node = this.node(id)
    node.campaign()
    for (let round = 0; round < 2; round++) {
      this.processAll()
      this.deliverAll()
    }
    return node
  }

  /** Processes node `id`, then snapshots it at its applied index; returns the snapshot's metadata. */
  compact(id: string): SnapshotMeta {
    this.process(id)
    return this.snapshotApplied(id)
  }

  /** Snapshots node `id` at its applied index, as a driver would, and returns the snapshot's metadata. */
  snapshotApplied(id: string): SnapshotMeta {
    const node = this.node(id)
    const { applied } = node.status()
    const data = enc(JSON.stringify(this.applied.get(id)!.filter((a) => a.index <= applied)))
    const meta = node.snapshotMeta(applied, data.length)
    const disk = this.disks.get(id)!
    disk.snapshot = meta
    disk.snapshotData = data
    disk.entries = disk.entries.filter((e) => e.index > applied)
    node.compact(meta)
    return meta
  }

  appliedData(id: string): string[] {
    return this.applied
      .get(id)!
      .filter((a) => !a.data.startsWith('<'))
      .map((a) => a.data)
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let size = 0
  for (const p of parts) size += p.length
  const out = new Uint8Array(size)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** A fresh single core and a helper to take its Ready (advancing it). */
export function single(id: string, voters: string[], config: Partial<RaftConfig> = {}, seed = 7): RaftCore {
  return new RaftCore({ id, random: prng(seed), initialMembership: membership(voters), ...config })
}

/** Takes the Ready, advances, returns it. */
export function drain(core: RaftCore): Ready {
  const ready = core.ready()
  core.advance(ready)
  return ready
}

export function entry(index: number, term: number, data = ''): LogEntry {
  return { index, term, kind: 'normal', data: enc(data) }
}
