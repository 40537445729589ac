/**
 * @synod/snapshot: the reliable FIFO channel of the pure core (no network: wire
 * messages handed from one core to the other in the same loop), and
 * Chandy–Lamport snapshot latency with application traffic running, in ticks
 * (core, 5% loss) and in wall time (SnapshotNode over the in-process
 * MemoryNetwork). No npm package offers Chandy–Lamport snapshots or reliable
 * channels over a pluggable transport, so no case has a peer.
 */
import { Random } from '@synod/sim'
import { SnapshotCore, type SnapshotMessage, SnapshotNode } from '@synod/snapshot'
import { MemoryNetwork } from '@synod/transport'
import type { BenchCase, BenchSuite } from '../harness.js'

const NO_PEER =
  'no npm peer: no published package offers Chandy–Lamport snapshots or reliable FIFO channels over a pluggable transport'
const PAYLOAD = new Uint8Array(64)

interface Wire {
  from: string
  to: string
  message: SnapshotMessage
}

/** Cores for `ids`, each counting what it was delivered. */
function cores(ids: readonly string[], onComplete: (initiator: string) => void = () => {}) {
  const delivered = { count: 0 }
  const map = new Map<string, SnapshotCore>()
  for (const id of ids)
    map.set(
      id,
      new SnapshotCore({
        id,
        members: ids,
        captureState: () => Uint8Array.of(delivered.count & 0xff),
        deliver: () => {
          delivered.count++
        },
        maxQueuedFrames: 1 << 20,
        maxInFlightFrames: 1_024,
        maxReorderFrames: 1_024,
      }),
    )
  const collect = (wire: Wire[]) => {
    for (const [from, core] of map)
      while (core.hasReady()) {
        const ready = core.ready()
        for (const { to, message } of ready.messages) wire.push({ from, to, message })
        for (const _ of ready.completed) onComplete(from)
      }
  }
  return { map, delivered, collect }
}

/** Application messages per second from a to b through both channel ends, every 64 sends flushed. */
function channelThroughput(lossRate: number): number {
  const count = 100_000
  const { map, delivered, collect } = cores(['a', 'b'])
  const a = map.get('a') as SnapshotCore
  const random = new Random(1)
  const wire: Wire[] = []
  const pump = () => {
    collect(wire)
    const batch = wire.splice(0)
    for (const { from, to, message } of batch)
      if (lossRate === 0 || !random.chance(lossRate)) map.get(to)?.step(from, message)
  }
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    a.send('b', PAYLOAD)
    if (i % 64 === 63) pump()
  }
  for (let rounds = 0; delivered.count < count; rounds++) {
    if (rounds > 100_000) throw new Error('the channel did not drain')
    pump()
    for (const core of map.values()) core.tick()
  }
  return count / ((performance.now() - start) / 1000)
}

/** Ticks from startSnapshot to completion, with every process sending a transfer per tick and 5% loss. */
function snapshotTicks(processes: number): number {
  const ids = Array.from({ length: processes }, (_, i) => `p${i}`)
  let done = false
  const { map, collect } = cores(ids, () => {
    done = true
  })
  const random = new Random(processes)
  const wire: Wire[] = []
  let ticks = 0
  for (let round = 0; round < 10_000 && !done; round++) {
    for (const id of ids) map.get(id)?.send(random.pick(ids.filter((other) => other !== id)), PAYLOAD)
    if (round === 20) (map.get('p0') as SnapshotCore).startSnapshot('bench')
    collect(wire)
    for (const { from, to, message } of wire.splice(0))
      if (!random.chance(0.05)) map.get(to)?.step(from, message)
    for (const core of map.values()) core.tick()
    if (round >= 20) ticks++
  }
  if (!done) throw new Error('the snapshot did not complete')
  return ticks
}

/** Wall milliseconds of `snapshot()` on a MemoryNetwork cluster whose processes keep sending. */
async function snapshotWallMs(processes: number): Promise<number> {
  const ids = Array.from({ length: processes }, (_, i) => `p${i}`)
  const network = new MemoryNetwork<SnapshotMessage>()
  const nodes = ids.map(
    (id) =>
      new SnapshotNode({
        transport: network.join(id),
        members: ids,
        tickMs: 5,
        captureState: () => new Uint8Array(1_024),
        onDeliver: () => {},
      }),
  )
  let sending = true
  const traffic = setInterval(() => {
    if (!sending) return
    for (const [i, node] of nodes.entries())
      for (let k = 1; k <= 4; k++) node.send(ids[(i + k) % ids.length] as string, PAYLOAD)
  }, 1)
  await new Promise((resolve) => setTimeout(resolve, 20))
  const start = performance.now()
  await (nodes[0] as SnapshotNode).snapshot({ timeoutMs: 10_000 })
  const elapsedMs = performance.now() - start
  sending = false
  clearInterval(traffic)
  await Promise.all(nodes.map((node) => node.close()))
  await network.close()
  return elapsedMs
}

const suite: BenchSuite = {
  core: 'snapshot',
  samples: 7,
  warmup: 2,
  cases(): BenchCase[] {
    return [
      {
        name: 'reliable channel, core alone, 64 B messages',
        unit: 'msg/s',
        run: () => channelThroughput(0),
        note: NO_PEER,
      },
      {
        name: 'reliable channel, core alone, 64 B messages, 10% loss',
        unit: 'msg/s',
        run: () => channelThroughput(0.1),
      },
      ...[5, 10].flatMap((processes): BenchCase[] => [
        {
          name: `snapshot latency, ${processes} processes, core, traffic + 5% loss`,
          unit: 'ticks',
          lowerIsBetter: true,
          run: () => snapshotTicks(processes),
        },
        {
          name: `snapshot latency, ${processes} processes, SnapshotNode over MemoryNetwork with traffic`,
          unit: 'ms',
          lowerIsBetter: true,
          run: () => snapshotWallMs(processes),
        },
      ]),
    ]
  },
}

export default suite
