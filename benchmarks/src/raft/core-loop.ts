/**
 * The bare core, with no driver: three `RaftCore`s in one loop that plays the
 * driver synchronously (take a Ready, queue its messages, advance, deliver).
 * No storage, no transport, no Promises: the ceiling the driver is measured against.
 */
import { membership, RaftCore, type RaftMessage } from '@synod/raft'

/** mulberry32: a small seeded PRNG returning [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Commits `total` entries of `payloadBytes` proposed in batches of `batchSize` on a
 * 3-core cluster; returns entries/s, counted when the last follower applies them.
 */
export function coreLoopEntriesPerSecond(total: number, batchSize: number, payloadBytes: number): number {
  const ids = ['a', 'b', 'c']
  const nodes = new Map(
    ids.map((id, i) => [
      id,
      new RaftCore({
        id,
        random: seededRandom(i + 1),
        initialMembership: membership(ids),
        maxInflightMessages: 64,
      }),
    ]),
  )
  const leader = nodes.get('a')!
  leader.campaign()
  let queue: RaftMessage[] = []
  let applied = 0
  const pump = () => {
    for (const [id, node] of nodes) {
      if (!node.hasReady()) continue
      const ready = node.ready()
      for (const message of ready.messages) queue.push(message)
      if (id === 'c') applied += ready.committedEntries.length
      node.advance(ready)
    }
    const delivering = queue
    queue = []
    for (const message of delivering) nodes.get(message.to)!.step(message)
  }
  for (let i = 0; i < 10 && leader.status().role !== 'leader'; i++) pump()
  if (leader.status().role !== 'leader') throw new Error('core loop: node a did not become leader')
  for (let i = 0; i < 10; i++) pump() // the leader's first entry commits everywhere
  applied = 0
  const payload = new Uint8Array(payloadBytes).fill(1)
  const batch = Array.from({ length: batchSize }, () => payload)
  const start = performance.now()
  let proposed = 0
  // bounded: every round proposes at most one batch and delivers everything sent
  for (let rounds = 0; applied < total; rounds++) {
    if (rounds > (total / batchSize) * 20 + 1000) throw new Error(`core loop: stalled at ${applied}/${total}`)
    if (proposed < total) {
      leader.proposeBatch(batch)
      proposed += batch.length
    }
    pump()
  }
  return applied / ((performance.now() - start) / 1000)
}
