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
import { bytesCodec, type Transport } from '@synod/transport'
import { type Libp2pCluster, startLibp2pCluster } from '@synod/transport-libp2p'
import { startTcpCluster, type TcpCluster } from '@synod/transport-tcp'
import type { BenchCase, BenchSuite } from '../harness.js'

const MESSAGE_BYTES = 256
/** Messages per sample with batching (many frames per write). */
const BATCHED_BURST = 100_000
/** Messages per sample with one frame per write. */
const UNBATCHED_BURST = 20_000
/** Round trips per sample with one message in flight. */
const PING_PONGS = 2_000

type Pair = [Transport<Uint8Array>, Transport<Uint8Array>]
const clusters: Array<TcpCluster<Uint8Array> | Libp2pCluster<Uint8Array>> = []

/** The libp2p transport's version, read from the package the workspace links. */
function libp2pVersion(): string {
  const entry = fileURLToPath(import.meta.resolve('@synod/transport-libp2p'))
  const file = join(dirname(entry), '..', 'package.json')
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

const shared = (maxFramesPerWrite?: number) => ({
  codec: bytesCodec(),
  // the whole burst is queued in one tick: the bound must hold it
  sendQueueLimit: BATCHED_BURST,
  ...(maxFramesPerWrite === undefined ? {} : { maxFramesPerWrite }),
})

async function tcpPair(maxFramesPerWrite?: number): Promise<Pair> {
  const cluster = await startTcpCluster(['a', 'b'], {
    ...shared(maxFramesPerWrite),
    onFull: 'throw',
    clusterId: 'bench',
  })
  clusters.push(cluster)
  const [a, b] = cluster.transports
  return [a as Transport<Uint8Array>, b as Transport<Uint8Array>]
}

async function libp2pPair(maxFramesPerWrite?: number): Promise<Pair> {
  const cluster = await startLibp2pCluster(['a', 'b'], { ...shared(maxFramesPerWrite), onFull: 'throw' })
  clusters.push(cluster)
  const [a, b] = cluster.transports
  return [a as Transport<Uint8Array>, b as Transport<Uint8Array>]
}

/** Sends `count` messages from a to b in one burst; resolves with messages/s once all arrived. */
function burst([a, b]: Pair, count: number): Promise<number> {
  const payload = new Uint8Array(MESSAGE_BYTES).fill(7)
  return new Promise((resolve) => {
    let received = 0
    const start = performance.now()
    const stop = b.onMessage(() => {
      if (++received === count) {
        stop()
        resolve(count / ((performance.now() - start) / 1000))
      }
    })
    for (let i = 0; i < count; i++) a.send('b', payload)
  })
}

/** One message in flight: b echoes, a sends the next on the echo. Resolves with messages/s (both ways). */
function pingPong([a, b]: Pair, count: number): Promise<number> {
  const payload = new Uint8Array(MESSAGE_BYTES)
  const stopEcho = b.onMessage((from, message) => b.send(from, message))
  return new Promise((resolve) => {
    let sent = 1
    const start = performance.now()
    const stop = a.onMessage(() => {
      if (sent === count) {
        stop()
        stopEcho()
        resolve((2 * count) / ((performance.now() - start) / 1000))
        return
      }
      sent++
      a.send('b', payload)
    })
    a.send('b', payload)
  })
}

const toMegabytes = (messagesPerSecond: number) => (messagesPerSecond * MESSAGE_BYTES) / 1e6

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
