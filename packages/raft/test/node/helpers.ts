import { MemoryNetwork, type NodeId, type Transport } from '@synod/transport'
import {
  encodeKvCommand,
  type KvCommand,
  type KvSession,
  KvStateMachine,
  MemoryStorage,
  type RaftMessage,
  RaftNode,
  type RaftNodeOptions,
  type RaftStorage,
} from '../../src/index.js'

/** A transport wrapper: drops messages on blocked links, counts what is sent. */
export class FilteredTransport implements Transport<RaftMessage> {
  readonly sent: RaftMessage[] = []
  /** Drops outgoing messages for which this returns true. */
  dropOutgoing: (message: RaftMessage) => boolean = () => false
  constructor(
    private readonly inner: Transport<RaftMessage>,
    private readonly cluster: TestCluster,
  ) {}
  get localId(): NodeId {
    return this.inner.localId
  }
  send(to: NodeId, message: RaftMessage): void {
    this.sent.push(message)
    if (this.cluster.blocked(this.localId, to) || this.dropOutgoing(message)) return
    this.inner.send(to, message)
  }
  onMessage(handler: (from: NodeId, message: RaftMessage) => void): () => void {
    return this.inner.onMessage((from, message) => {
      if (!this.cluster.blocked(from, this.localId)) handler(from, message)
    })
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}

export interface Member {
  id: NodeId
  node: RaftNode
  kv: KvStateMachine
  storage: RaftStorage
  transport: FilteredTransport
}

export const FAST = { tickMs: 5, electionTicks: 10, heartbeatTicks: 1, requestTimeoutMs: 3_000 }

export class TestCluster {
  readonly network = new MemoryNetwork<RaftMessage>()
  readonly members = new Map<NodeId, Member>()
  private readonly cuts = new Set<string>()

  blocked(from: NodeId, to: NodeId): boolean {
    return this.cuts.has(`${from}>${to}`)
  }
  /** Cuts `id` off from every other node, both ways. */
  isolate(id: NodeId): void {
    for (const other of this.members.keys()) {
      if (other === id) continue
      this.cuts.add(`${id}>${other}`)
      this.cuts.add(`${other}>${id}`)
    }
  }
  heal(): void {
    this.cuts.clear()
  }

  async start(
    id: NodeId,
    members: NodeId[],
    options: Partial<RaftNodeOptions> = {},
    storage: RaftStorage = new MemoryStorage(),
  ): Promise<Member> {
    const kv = new KvStateMachine()
    const transport = new FilteredTransport(this.network.join(id), this)
    const node = await RaftNode.start({
      id,
      members,
      transport,
      storage,
      stateMachine: kv,
      ...FAST,
      ...options,
    })
    const member = { id, node, kv, storage, transport }
    this.members.set(id, member)
    return member
  }

  static async create(ids: NodeId[], options: Partial<RaftNodeOptions> = {}): Promise<TestCluster> {
    const cluster = new TestCluster()
    for (const id of ids) await cluster.start(id, ids, options)
    return cluster
  }

  /** Stops a node and closes its transport (its storage is kept for a restart). */
  async stop(id: NodeId): Promise<Member> {
    const member = this.get(id)
    await member.node.stop()
    await member.transport.close()
    this.members.delete(id)
    return member
  }

  get(id: NodeId): Member {
    const member = this.members.get(id)
    if (member === undefined) throw new Error(`no member ${id}`)
    return member
  }

  running(): Member[] {
    return [...this.members.values()].filter((m) => !m.node.isStopped)
  }

  async leader(timeoutMs = 5_000): Promise<Member> {
    let found: Member | undefined
    await waitFor(() => {
      const leaders = this.running().filter((m) => m.node.status().role === 'leader')
      // a leader that every other running node follows
      found = leaders.find((l) => {
        const term = l.node.status().term
        return leaders.every((o) => o === l || o.node.status().term < term)
      })
      return found !== undefined
    }, timeoutMs)
    return found as Member
  }

  async close(): Promise<void> {
    for (const m of this.members.values()) await m.node.stop()
    await this.network.close()
  }
}

export function put(key: string, value: string, session?: KvSession): Uint8Array {
  return encodeKvCommand({ type: 'put', key, value }, session)
}

export function command(c: KvCommand, session?: KvSession): Uint8Array {
  return encodeKvCommand(c, session)
}

export async function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
