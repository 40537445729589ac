import { type Libp2pCluster, startLibp2pCluster } from '@synod/transport-libp2p'
import type { BenchCase, BenchSuite } from '../harness.js'
import * as workload from '../transport-workloads.js'

const clusters: Array<Libp2pCluster<Uint8Array>> = []

async function pair(maxFramesPerWrite?: number): Promise<workload.TransportPair> {
  const cluster = await startLibp2pCluster(['a', 'b'], workload.pairOptions(maxFramesPerWrite))
  clusters.push(cluster)
  return workload.pairOf(cluster.transports)
}

const suite: BenchSuite = {
  core: 'transport-libp2p',
  samples: 5,
  warmup: 1,
  async cases(): Promise<BenchCase[]> {
    const batched = await pair()
    const unbatched = await pair(1)
    const note =
      'two nodes in one process on 127.0.0.1 (TCP + Noise + Yamux); no npm peer offers a Transport over libp2p'
    return [
      {
        name: `libp2p: ${workload.MESSAGE_BYTES} B messages, burst of ${workload.BATCHED_BURST / 1000}k (batched writes)`,
        unit: 'msg/s',
        run: () => workload.burst(batched, workload.BATCHED_BURST),
        note,
      },
      {
        name: `libp2p: ${workload.MESSAGE_BYTES} B messages, burst of ${workload.BATCHED_BURST / 1000}k (batched writes)`,
        unit: 'MB/s',
        run: async () => workload.toMegabytes(await workload.burst(batched, workload.BATCHED_BURST)),
      },
      {
        name: `libp2p: ${workload.MESSAGE_BYTES} B messages, burst of ${workload.UNBATCHED_BURST / 1000}k (one frame per stream.send)`,
        unit: 'msg/s',
        run: () => workload.burst(unbatched, workload.UNBATCHED_BURST),
        note: 'maxFramesPerWrite: 1, the cost of a libp2p write per message',
      },
      {
        name: `libp2p: ${workload.MESSAGE_BYTES} B messages, burst of ${workload.UNBATCHED_BURST / 1000}k (one frame per stream.send)`,
        unit: 'MB/s',
        run: async () => workload.toMegabytes(await workload.burst(unbatched, workload.UNBATCHED_BURST)),
      },
      {
        name: `libp2p: ${workload.MESSAGE_BYTES} B messages, one in flight (round trips)`,
        unit: 'msg/s',
        run: () => workload.pingPong(batched, workload.PING_PONGS),
        note: 'each message waits for the previous echo: one loopback hop per message, nothing to batch',
      },
    ]
  },
  async teardown() {
    await Promise.all(clusters.splice(0).map((cluster) => cluster.close()))
  },
}

export default suite
