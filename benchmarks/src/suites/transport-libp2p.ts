import { bytesCodec } from '@synod/transport'
import { type Libp2pCluster, startLibp2pCluster } from '@synod/transport-libp2p'
import type { BenchCase, BenchSuite } from '../harness.js'

const MESSAGE_BYTES = 256
/** Messages per sample with batching (many frames per stream.send). */
const BATCHED_BURST = 100_000
/** Messages per sample with one frame per stream.send (about 1 s each on Node 20). */
const UNBATCHED_BURST = 20_000
/** Round trips per sample with one message in flight. */
const PING_PONGS = 2_000

type Cluster = Libp2pCluster<Uint8Array>
const clusters: Cluster[] = []

async function pair(maxFramesPerWrite?: number): Promise<Cluster> {
  const cluster = await startLibp2pCluster(['a', 'b'], {
    codec: bytesCodec(),
    // the whole burst is queued in one tick: the bound must hold it
    sendQueueLimit: BATCHED_BURST,
    onFull: 'throw',
    ...(maxFramesPerWrite === undefined ? {} : { maxFramesPerWrite }),
  })
  clusters.push(cluster)
  return cluster
}

/** Sends `count` messages from a to b in one burst; resolves with messages/s once all arrived. */
function burst(cluster: Cluster, count: number): Promise<number> {
  const [a, b] = cluster.transports as [Cluster['transports'][0], Cluster['transports'][0]]
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
function pingPong(cluster: Cluster, count: number): Promise<number> {
  const [a, b] = cluster.transports as [Cluster['transports'][0], Cluster['transports'][0]]
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
        name: `libp2p: ${MESSAGE_BYTES} B messages, burst of ${BATCHED_BURST / 1000}k (batched writes)`,
        unit: 'msg/s',
        run: () => burst(batched, BATCHED_BURST),
        note,
      },
      {
        name: `libp2p: ${MESSAGE_BYTES} B messages, burst of ${BATCHED_BURST / 1000}k (batched writes)`,
        unit: 'MB/s',
        run: async () => toMegabytes(await burst(batched, BATCHED_BURST)),
      },
      {
        name: `libp2p: ${MESSAGE_BYTES} B messages, burst of ${UNBATCHED_BURST / 1000}k (one frame per stream.send)`,
        unit: 'msg/s',
        run: () => burst(unbatched, UNBATCHED_BURST),
        note: 'maxFramesPerWrite: 1, the cost of a libp2p write per message',
      },
      {
        name: `libp2p: ${MESSAGE_BYTES} B messages, burst of ${UNBATCHED_BURST / 1000}k (one frame per stream.send)`,
        unit: 'MB/s',
        run: async () => toMegabytes(await burst(unbatched, UNBATCHED_BURST)),
      },
      {
        name: `libp2p: ${MESSAGE_BYTES} B messages, one in flight (round trips)`,
        unit: 'msg/s',
        run: () => pingPong(batched, PING_PONGS),
        note: 'each message waits for the previous echo: one loopback hop per message, nothing to batch',
      },
    ]
  },
  async teardown() {
    await Promise.all(clusters.splice(0).map((cluster) => cluster.close()))
  },
}

export default suite
