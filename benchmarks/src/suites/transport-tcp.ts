/**
 * @synod/transport-tcp against @synod/transport-libp2p, side by side: the same workloads
 * as the transport-libp2p suite (a batched burst, a burst with one frame per write, one
 * message in flight), two nodes in one process on 127.0.0.1, 256-byte messages. The peer
 * column is the libp2p transport (TCP + Noise + Yamux), so the ratio is what plain TCP
 * saves over libp2p's per-message encryption and multiplexing, measured in the same run.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Libp2pCluster, startLibp2pCluster } from '@synod/transport-libp2p'
import { startTcpCluster, type TcpCluster } from '@synod/transport-tcp'
import type { BenchCase, BenchSuite } from '../harness.js'
import {
  BATCHED_BURST,
  burst,
  MESSAGE_BYTES,
  PING_PONGS,
  pairOf,
  pairOptions,
  pingPong,
  type TransportPair,
  toMegabytes,
  UNBATCHED_BURST,
} from '../transport-workloads.js'

const clusters: Array<TcpCluster<Uint8Array> | Libp2pCluster<Uint8Array>> = []

/** The libp2p transport's version, read from the package the workspace links. */
function libp2pVersion(): string {
  const entry = fileURLToPath(import.meta.resolve('@synod/transport-libp2p'))
  const file = join(dirname(entry), '..', 'package.json')
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

async function tcpPair(maxFramesPerWrite?: number): Promise<TransportPair> {
  const cluster = await startTcpCluster(['a', 'b'], { ...pairOptions(maxFramesPerWrite), clusterId: 'bench' })
  clusters.push(cluster)
  return pairOf(cluster.transports)
}

async function libp2pPair(maxFramesPerWrite?: number): Promise<TransportPair> {
  const cluster = await startLibp2pCluster(['a', 'b'], pairOptions(maxFramesPerWrite))
  clusters.push(cluster)
  return pairOf(cluster.transports)
}

const suite: BenchSuite = {
  core: 'transport-tcp',
  samples: 5,
  warmup: 1,
  async cases(): Promise<BenchCase[]> {
    const version = libp2pVersion()
    const peer = (run: () => Promise<number>) => ({ name: '@synod/transport-libp2p', version, run })
    const batched = await tcpPair()
    const unbatched = await tcpPair(1)
    const libp2pBatched = await libp2pPair()
    const libp2pUnbatched = await libp2pPair(1)
    return [
      {
        name: `tcp: ${MESSAGE_BYTES} B messages, burst of ${BATCHED_BURST / 1000}k (batched writes)`,
        unit: 'msg/s',
        run: () => burst(batched, BATCHED_BURST),
        peer: peer(() => burst(libp2pBatched, BATCHED_BURST)),
        note: 'two nodes in one process on 127.0.0.1, no secret; the peer is @synod/transport-libp2p (TCP + Noise + Yamux) on the same workload',
      },
      {
        name: `tcp: ${MESSAGE_BYTES} B messages, burst of ${BATCHED_BURST / 1000}k (batched writes)`,
        unit: 'MB/s',
        run: async () => toMegabytes(await burst(batched, BATCHED_BURST)),
        peer: peer(async () => toMegabytes(await burst(libp2pBatched, BATCHED_BURST))),
      },
      {
        name: `tcp: ${MESSAGE_BYTES} B messages, burst of ${UNBATCHED_BURST / 1000}k (one frame per write)`,
        unit: 'msg/s',
        run: () => burst(unbatched, UNBATCHED_BURST),
        peer: peer(() => burst(libp2pUnbatched, UNBATCHED_BURST)),
        note: 'maxFramesPerWrite: 1 on both: a socket.write per message against a Noise + Yamux stream.send per message',
      },
      {
        name: `tcp: ${MESSAGE_BYTES} B messages, burst of ${UNBATCHED_BURST / 1000}k (one frame per write)`,
        unit: 'MB/s',
        run: async () => toMegabytes(await burst(unbatched, UNBATCHED_BURST)),
        peer: peer(async () => toMegabytes(await burst(libp2pUnbatched, UNBATCHED_BURST))),
      },
      {
        name: `tcp: ${MESSAGE_BYTES} B messages, one in flight (round trips)`,
        unit: 'msg/s',
        run: () => pingPong(batched, PING_PONGS),
        peer: peer(() => pingPong(libp2pBatched, PING_PONGS)),
        note: 'each message waits for the previous echo: one loopback hop per message, nothing to batch',
      },
    ]
  },
  async teardown() {
    await Promise.all(clusters.splice(0).map((cluster) => cluster.close()))
  },
}

export default suite
