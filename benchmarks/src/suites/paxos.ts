/**
 * @synod/paxos: Multi-Paxos throughput in one process.
 *
 * - The bare cores (no driver, no I/O): three `PaxosCore`s with every message
 *   delivered synchronously and records folded into `MemoryStorage`; commands
 *   proposed in bursts of 1,000 (batched into `accept` messages by the leader),
 *   then one at a time (each chosen before the next is proposed).
 * - Three `PaxosNode`s on a `MemoryNetwork` with `MemoryStorage` (the driver's
 *   Promises, timers and delivery on top of the cores): 256 proposals in flight,
 *   then one synchronous client.
 *
 * The npm package `paxos` (15.x, github.com/bigeasy/paxos, "A Multi-Paxos
 * implementation in pure JavaScript") is the one candidate peer found; it is not
 * wired up here yet (its API has not been mapped to this workload), so no case
 * has a peer.
 */
import { MemoryStorage, PaxosCore, type PaxosMessage, PaxosNode } from '@synod/paxos'
import { MemoryNetwork } from '@synod/transport'
import type { BenchCase, BenchSuite } from '../harness.js'

const NO_PEER =
  'no peer yet: the npm package `paxos` (15.x, bigeasy/paxos) is a candidate not wired up to this workload'
const MEMBERS = ['a', 'b', 'c']
const PAYLOAD = new Uint8Array(16).fill(1)
const CORE_BATCHED_COMMANDS = 200_000
const BURST = 1_000
const CORE_UNBATCHED_COMMANDS = 20_000
const DRIVER_COMMANDS = 100_000
const DRIVER_WINDOW = 256
const DRIVER_SYNCHRONOUS_COMMANDS = 5_000

/** Park–Miller: a seeded PRNG for the election jitter. */
function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 16807) % 2147483647
    return (state - 1) / 2147483646
  }
}

interface CoreCluster {
  leader: PaxosCore
  /** Runs every Ready and delivers every message until nothing moves; returns the leader's applied count. */
  settle(): number
}

function coreCluster(): CoreCluster {
  const cores = new Map(
    MEMBERS.map((id, i) => [
      id,
      new PaxosCore({ id, members: MEMBERS, random: seeded(i + 1), maxPendingProposals: 1_000_000 }),
    ]),
  )
  const storages = new Map(MEMBERS.map((id) => [id, new MemoryStorage()]))
  const leader = cores.get('a') as PaxosCore
  let applied = 0
  const settle = (): number => {
    for (let moved = true; moved; ) {
      moved = false
      const queue: { from: string; to: string; message: PaxosMessage }[] = []
      for (const [id, core] of cores) {
        while (core.hasReady()) {
          const ready = core.ready()
          storages.get(id)?.append(ready.records)
          for (const { to, message } of ready.messages) queue.push({ from: id, to, message })
          if (core === leader) applied += ready.chosen.length
          moved = true
        }
      }
      for (const { from, to, message } of queue) cores.get(to)?.step(from, message)
    }
    return applied
  }
  leader.campaign()
  settle()
  if (leader.status().role !== 'leader') throw new Error('the benchmark core cluster elected no leader')
  return { leader, settle }
}

/** Commands proposed in bursts: the leader batches each burst into a few accept messages. */
function coreBatched(): number {
  const cluster = coreCluster()
  const start = performance.now()
  for (let done = 0; done < CORE_BATCHED_COMMANDS; done += BURST) {
    for (let i = 0; i < BURST; i++) cluster.leader.propose(PAYLOAD)
    cluster.settle()
  }
  const elapsed = performance.now() - start
  if (cluster.leader.status().chosenIndex !== CORE_BATCHED_COMMANDS)
    throw new Error('not every command was chosen')
  return CORE_BATCHED_COMMANDS / (elapsed / 1000)
}

/** One command at a time: propose, then deliver until it is chosen. */
function coreUnbatched(): number {
  const cluster = coreCluster()
  const start = performance.now()
  for (let i = 0; i < CORE_UNBATCHED_COMMANDS; i++) {
    cluster.leader.propose(PAYLOAD)
    cluster.settle()
  }
  const elapsed = performance.now() - start
  if (cluster.leader.status().chosenIndex !== CORE_UNBATCHED_COMMANDS)
    throw new Error('not every command was chosen')
  return CORE_UNBATCHED_COMMANDS / (elapsed / 1000)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Three drivers on a MemoryNetwork; `window` proposals in flight; commands/s once all resolved. */
async function driverCase(total: number, window: number): Promise<number> {
  const network = new MemoryNetwork<PaxosMessage>({ members: MEMBERS })
  const nodes = MEMBERS.map(
    (id) =>
      new PaxosNode({
        id,
        members: MEMBERS,
        transport: network.join(id),
        storage: new MemoryStorage(),
        stateMachine: { apply: () => 0 },
        maxPendingProposals: 100_000,
      }),
  )
  try {
    const leader = nodes[0] as PaxosNode
    leader.campaign()
    for (let waited = 0; leader.status().role !== 'leader'; waited += 5) {
      if (waited > 10_000) throw new Error('the benchmark driver cluster elected no leader')
      await sleep(5)
    }
    let next = 0
    const start = performance.now()
    const worker = async () => {
      while (next < total) {
        next++
        await leader.propose(PAYLOAD)
      }
    }
    await Promise.all(Array.from({ length: window }, worker))
    return total / ((performance.now() - start) / 1000)
  } finally {
    await Promise.all(nodes.map((node) => node.close()))
    await network.close()
  }
}

const suite: BenchSuite = {
  core: 'paxos',
  samples: 7,
  warmup: 2,
  cases(): BenchCase[] {
    return [
      {
        name: `cores alone, 3 replicas, bursts of ${BURST} proposals (batched), synchronous delivery`,
        unit: 'commands/s',
        run: coreBatched,
        note: NO_PEER,
      },
      {
        name: 'cores alone, 3 replicas, one proposal at a time (unbatched), synchronous delivery',
        unit: 'commands/s',
        run: coreUnbatched,
        note: NO_PEER,
      },
      {
        name: `3 PaxosNodes, MemoryNetwork, MemoryStorage: ${DRIVER_WINDOW} proposals in flight`,
        unit: 'commands/s',
        run: () => driverCase(DRIVER_COMMANDS, DRIVER_WINDOW),
        note: NO_PEER,
      },
      {
        name: '3 PaxosNodes, MemoryNetwork, MemoryStorage: one synchronous client',
        unit: 'commands/s',
        run: () => driverCase(DRIVER_SYNCHRONOUS_COMMANDS, 1),
        note: NO_PEER,
      },
    ]
  },
}

export default suite
