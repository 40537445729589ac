/**
 * @synod/quorum: the ABD register and the Dynamo-style store over the in-process
 * MemoryNetwork (so the numbers are the protocol's cost plus in-process delivery,
 * no I/O), the pure register core with synchronous delivery, and exact
 * availability for big quorum systems. No npm package implements a quorum
 * register, a Dynamo-style store or quorum availability over the same Transport
 * interface, so no case has a peer.
 */
import {
  type DynamoMessage,
  DynamoNode,
  grid,
  majority,
  QuorumRegister,
  type QuorumSystem,
  RegisterCore,
  type RegisterMessage,
  weighted,
} from '@synod/quorum'
import { MemoryNetwork } from '@synod/transport'
import type { BenchCase, BenchSuite } from '../harness.js'

const OPERATIONS = 4_000
const CONCURRENCY = 32
const NO_PEER =
  'no npm peer: no published package offers an ABD register / Dynamo-style store over a pluggable transport'

/** Runs `count` operations, `concurrency` at a time, and returns operations per second. */
async function throughput(
  count: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0
  const start = performance.now()
  const worker = async () => {
    while (next < count) await op(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return count / ((performance.now() - start) / 1000)
}

async function registerCase(replicas: number, kind: 'write' | 'read'): Promise<number> {
  const ids = Array.from({ length: replicas }, (_, i) => `r${i}`)
  const network = new MemoryNetwork<RegisterMessage>()
  const system = majority(ids)
  const registers = ids.map((id) => new QuorumRegister({ transport: network.join(id), system, nonce: 1 }))
  const client = registers[0] as QuorumRegister
  const keys = Array.from({ length: 64 }, (_, i) => `key-${i}`)
  for (const key of keys) await client.write(key, 'initial')
  const result = await throughput(OPERATIONS, CONCURRENCY, (i) =>
    kind === 'write'
      ? client.write(keys[i % keys.length] as string, `v${i}`)
      : client.read(keys[i % keys.length] as string),
  )
  await Promise.all(registers.map((r) => r.close()))
  await network.close()
  return result
}

async function dynamoCase(kind: 'put' | 'get'): Promise<number> {
  const members = ['n1', 'n2', 'n3', 'n4', 'n5']
  const network = new MemoryNetwork<DynamoMessage>()
  const nodes = members.map(
    (id) => new DynamoNode({ transport: network.join(id), members, n: 3, r: 2, w: 2, nonce: 1 }),
  )
  const keys = Array.from({ length: 256 }, (_, i) => `key-${i}`)
  const coordinator = nodes[0] as DynamoNode
  for (const key of keys) await coordinator.put(key, 'initial')
  const result = await throughput(OPERATIONS, CONCURRENCY, (i) => {
    const key = keys[i % keys.length] as string
    return kind === 'put' ? coordinator.put(key, `v${i}`) : coordinator.get(key)
  })
  await Promise.all(nodes.map((n) => n.close()))
  await network.close()
  return result
}

/** The pure core alone: writes and reads with every message delivered synchronously. */
function coreCase(replicas: number): number {
  const ids = Array.from({ length: replicas }, (_, i) => `r${i}`)
  const system = majority(ids)
  const cores = new Map(ids.map((id) => [id, new RegisterCore({ id, system })]))
  const client = cores.get('r0') as RegisterCore
  const count = 20_000
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) client.write(`k${i % 64}`, `v${i}`)
    else client.read(`k${i % 64}`)
    for (let moved = true; moved; ) {
      moved = false
      for (const [from, core] of cores) {
        for (const { to, message } of core.ready().messages) {
          cores.get(to)?.step(from, message)
          moved = true
        }
      }
    }
  }
  return count / ((performance.now() - start) / 1000)
}

function timeMs(fn: () => void, repeat: number): number {
  const start = performance.now()
  for (let i = 0; i < repeat; i++) fn()
  return (performance.now() - start) / repeat
}

function availabilityCase(system: QuorumSystem): () => number {
  return () => timeMs(() => system.availability(0.05), 5)
}

const bigWeighted = weighted({
  votes: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`w${i}`, 1 + (i % 5)])),
  readVotes: 751,
  writeVotes: 751,
})
const bigGrid = grid(Array.from({ length: 40 }, (_, r) => Array.from({ length: 40 }, (_, c) => `g${r}-${c}`)))
const bigMajority = majority(Array.from({ length: 1_001 }, (_, i) => `m${i}`))

const suite: BenchSuite = {
  core: 'quorum',
  samples: 7,
  // the first runs of each workload are several times slower (JIT warm-up)
  warmup: 3,
  cases(): BenchCase[] {
    return [
      {
        name: `ABD write, 3 replicas, ${CONCURRENCY} in flight (MemoryNetwork)`,
        unit: 'ops/s',
        run: () => registerCase(3, 'write'),
        note: NO_PEER,
      },
      {
        name: `ABD read, 3 replicas, ${CONCURRENCY} in flight (MemoryNetwork)`,
        unit: 'ops/s',
        run: () => registerCase(3, 'read'),
        note: NO_PEER,
      },
      {
        name: `ABD write, 5 replicas, ${CONCURRENCY} in flight (MemoryNetwork)`,
        unit: 'ops/s',
        run: () => registerCase(5, 'write'),
        note: NO_PEER,
      },
      {
        name: `ABD read, 5 replicas, ${CONCURRENCY} in flight (MemoryNetwork)`,
        unit: 'ops/s',
        run: () => registerCase(5, 'read'),
        note: NO_PEER,
      },
      {
        name: 'ABD core alone, 5 replicas, synchronous delivery (50% writes)',
        unit: 'ops/s',
        run: () => coreCase(5),
      },
      {
        name: `Dynamo put, N=3 R=2 W=2 of 5 nodes, ${CONCURRENCY} in flight (MemoryNetwork)`,
        unit: 'ops/s',
        run: () => dynamoCase('put'),
        note: NO_PEER,
      },
      {
        name: `Dynamo get, N=3 R=2 W=2 of 5 nodes, ${CONCURRENCY} in flight (MemoryNetwork)`,
        unit: 'ops/s',
        run: () => dynamoCase('get'),
        note: NO_PEER,
      },
      {
        name: 'availability: majority of 1,001 replicas',
        unit: 'ms',
        lowerIsBetter: true,
        run: availabilityCase(bigMajority),
      },
      {
        name: 'availability: weighted, 500 replicas, 1,500 votes',
        unit: 'ms',
        lowerIsBetter: true,
        run: availabilityCase(bigWeighted),
      },
      { name: 'availability: grid 40 × 40', unit: 'ms', lowerIsBetter: true, run: availabilityCase(bigGrid) },
    ]
  },
}

export default suite
