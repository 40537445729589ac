/**
 * Three `RaftNode`s in one process on a `MemoryNetwork` with `MemoryStorage`: the
 * driver's own cost (Promises, timers, the Ready loop, storage copies) on top of
 * the core, with no I/O.
 */
import { MemoryStorage, type RaftMessage, RaftNode, type StateMachine } from '@synod/raft'
import { MemoryNetwork } from '@synod/transport'

/** Counts the commands it applies; the benchmark measures Raft, not a map. */
class CountingStateMachine implements StateMachine {
  applied = 0
  apply(_command: Uint8Array, _index: number): number {
    return ++this.applied
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.applied))
  }
  restore(data: Uint8Array): void {
    this.applied = Number(new TextDecoder().decode(data))
  }
}

export interface MemoryCluster {
  leader: RaftNode
  close(): Promise<void>
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Starts three nodes and waits until one leads and has committed an entry of its term. */
export async function startMemoryCluster(): Promise<MemoryCluster> {
  const ids = ['a', 'b', 'c']
  const network = new MemoryNetwork<RaftMessage>({ members: ids })
  const nodes = await Promise.all(
    ids.map((id) =>
      RaftNode.start({
        id,
        members: ids,
        transport: network.join(id),
        storage: new MemoryStorage(),
        stateMachine: new CountingStateMachine(),
      }),
    ),
  )
  const close = async () => {
    await Promise.all(nodes.map((node) => node.stop()))
    await network.close()
  }
  for (let waited = 0; waited < 10_000; waited += 10) {
    const leader = nodes.find((node) => node.status().role === 'leader')
    if (leader) {
      await leader.propose(new Uint8Array(1)) // the cluster is warm once an entry commits
      return { leader, close }
    }
    await sleep(10)
  }
  await close()
  throw new Error('memory cluster: no leader after 10 s')
}

/**
 * Proposes `total` commands of `payloadBytes` in batches of `batchSize`, keeping
 * up to `windowBatches` batches in flight; entries/s once every batch resolved
 * (committed and applied on the leader).
 */
export async function batchedEntriesPerSecond(
  cluster: MemoryCluster,
  total: number,
  batchSize: number,
  windowBatches: number,
  payloadBytes: number,
): Promise<number> {
  const payload = new Uint8Array(payloadBytes).fill(1)
  const batch = Array.from({ length: batchSize }, () => payload)
  const batches = Math.ceil(total / batchSize)
  const start = performance.now()
  let next = 0
  const worker = async () => {
    while (next < batches) {
      next++
      await cluster.leader.proposeBatch(batch)
    }
  }
  await Promise.all(Array.from({ length: windowBatches }, worker))
  return (batches * batchSize) / ((performance.now() - start) / 1000)
}

/** One client, one `propose` awaited at a time; commands/s. */
export async function synchronousCommandsPerSecond(
  cluster: MemoryCluster,
  count: number,
  payloadBytes: number,
): Promise<number> {
  const payload = new Uint8Array(payloadBytes).fill(2)
  const start = performance.now()
  for (let i = 0; i < count; i++) await cluster.leader.propose(payload)
  return count / ((performance.now() - start) / 1000)
}
