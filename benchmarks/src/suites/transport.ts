import { bytesCodec, MemoryNetwork, type Transport } from '@synod/transport'
import type { BenchCase, BenchSuite } from '../harness.js'

const MESSAGE_BYTES = 256
const BURST = 200_000
const PING_PONGS = 20_000

/** Sends a burst from a to b and resolves with messages/s once all arrived. */
function burst(network: MemoryNetwork<Uint8Array>, count: number): Promise<number> {
  const a = network.join('a')
  const b = network.join('b')
  const payload = new Uint8Array(MESSAGE_BYTES).fill(7)
  return new Promise((resolve) => {
    let received = 0
    const start = performance.now()
    b.onMessage(() => {
      if (++received === count) {
        const seconds = (performance.now() - start) / 1000
        void Promise.all([a.close(), b.close()]).then(() => resolve(count / seconds))
      }
    })
    for (let i = 0; i < count; i++) a.send('b', payload)
  })
}

/** One message in flight at a time: b echoes, a sends the next on the echo. */
function pingPong(count: number): Promise<number> {
  const network = new MemoryNetwork<Uint8Array>()
  const a: Transport<Uint8Array> = network.join('a')
  const b: Transport<Uint8Array> = network.join('b')
  const payload = new Uint8Array(MESSAGE_BYTES)
  b.onMessage((from, message) => b.send(from, message))
  return new Promise((resolve) => {
    let sent = 1
    const start = performance.now()
    a.onMessage(() => {
      if (sent === count) {
        const seconds = (performance.now() - start) / 1000
        void network.close().then(() => resolve((2 * count) / seconds))
        return
      }
      sent++
      a.send('b', payload)
    })
    a.send('b', payload)
  })
}

const suite: BenchSuite = {
  core: 'transport',
  samples: 7,
  warmup: 2,
  cases(): BenchCase[] {
    return [
      {
        name: `memory: ${MESSAGE_BYTES} B messages, burst of ${BURST / 1000}k (batched delivery)`,
        unit: 'msg/s',
        run: () => burst(new MemoryNetwork<Uint8Array>(), BURST),
      },
      {
        name: `memory: ${MESSAGE_BYTES} B messages, burst (batched delivery)`,
        unit: 'MB/s',
        run: async () => ((await burst(new MemoryNetwork<Uint8Array>(), BURST)) * MESSAGE_BYTES) / 1e6,
      },
      {
        name: `memory + bytes codec (a copy per message): ${MESSAGE_BYTES} B burst`,
        unit: 'msg/s',
        run: () => burst(new MemoryNetwork<Uint8Array>({ codec: bytesCodec() }), BURST),
      },
      {
        name: `memory: ${MESSAGE_BYTES} B messages, one in flight (no batching)`,
        unit: 'msg/s',
        run: () => pingPong(PING_PONGS),
        note: 'each message waits for the previous echo: the cost of one asynchronous hop, with nothing to batch',
      },
    ]
  },
}

export default suite
