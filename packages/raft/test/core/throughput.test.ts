/**
 * Throughput smoke measurement (opt-in: RAFT_THROUGHPUT=1): 3 in-process cores,
 * batched proposals, no storage. Prints entries/s; asserts nothing about speed.
 */
import { expect, it } from 'vitest'
import { membership, RaftCore, type RaftMessage } from '../../src/index.js'
import { prng } from './helpers.js'

it.skipIf(!process.env.RAFT_THROUGHPUT)('commits 1M batched entries across 3 in-process cores', () => {
  const ids = ['a', 'b', 'c']
  const nodes = new Map(
    ids.map((id, i) => [
      id,
      new RaftCore({ id, random: prng(i + 1), initialMembership: membership(ids), maxInflightMessages: 64 }),
    ]),
  )
  const a = nodes.get('a')!
  a.campaign()
  let queue: RaftMessage[] = []
  let applied = 0
  const pump = () => {
    for (const [id, node] of nodes) {
      if (!node.hasReady()) continue
      const r = node.ready()
      for (const m of r.messages) queue.push(m)
      if (id === 'c') applied += r.committedEntries.length
      node.advance(r)
    }
    const q = queue
    queue = []
    for (const m of q) nodes.get(m.to)!.step(m)
  }
  for (let i = 0; i < 10; i++) pump()
  const payload = new Uint8Array(16)
  const batch = Array.from({ length: 1000 }, () => payload)
  const total = Number(process.env.N ?? 1_000_000)
  const start = performance.now()
  let proposed = 0
  while (applied < total) {
    if (proposed < total) {
      if (process.env.SINGLE) for (const p of batch) a.propose(p)
      else a.proposeBatch(batch)
      proposed += batch.length
    }
    pump()
  }
  const ms = performance.now() - start
  expect(applied).toBeGreaterThanOrEqual(total)
  console.log(`${total} entries in ${ms.toFixed(0)} ms: ${((total / ms) * 1000).toFixed(0)} entries/s`)
})
