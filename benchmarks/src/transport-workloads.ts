/**
 * The workloads the networked transport suites share (transport-tcp, transport-libp2p):
 * two started transports `a` and `b`, 256-byte messages, a burst from a to b and one
 * message in flight at a time.
 */
import { bytesCodec, type Transport } from '@synod/transport'

/** The size of every message, in bytes. */
export const MESSAGE_BYTES = 256
/** Messages per sample with batching (many frames per write). */
export const BATCHED_BURST = 100_000
/** Messages per sample with one frame per write (about 1 s each over libp2p on Node 20). */
export const UNBATCHED_BURST = 20_000
/** Round trips per sample with one message in flight. */
export const PING_PONGS = 2_000

/** Two started transports: `a` sends to `b`. */
export type TransportPair = [Transport<Uint8Array>, Transport<Uint8Array>]

/** The first two transports of a started cluster, as the pair the workloads run on. */
export function pairOf(transports: readonly Transport<Uint8Array>[]): TransportPair {
  const [a, b] = transports
  if (a === undefined || b === undefined) throw new Error(`expected two transports, got ${transports.length}`)
  return [a, b]
}

/**
 * The options both transports start with: raw bytes, a send queue that holds a whole
 * burst (it is queued in one tick), and `maxFramesPerWrite` when given.
 */
export function pairOptions(maxFramesPerWrite?: number) {
  return {
    codec: bytesCodec(),
    sendQueueLimit: BATCHED_BURST,
    onFull: 'throw' as const,
    ...(maxFramesPerWrite === undefined ? {} : { maxFramesPerWrite }),
  }
}

/** Sends `count` messages from a to b in one burst; resolves with messages/s once all arrived. */
export function burst([a, b]: TransportPair, count: number): Promise<number> {
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
export function pingPong([a, b]: TransportPair, count: number): Promise<number> {
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

/** Converts messages/s of `MESSAGE_BYTES` messages to MB/s. */
export const toMegabytes = (messagesPerSecond: number) => (messagesPerSecond * MESSAGE_BYTES) / 1e6
