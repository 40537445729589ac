/**
 * `@synod/transport-libp2p`: a Synod `Transport` over js-libp2p 3 (TCP + Noise +
 * Yamux) for a fixed membership of Ed25519 identities.
 *
 * @example
 * ```ts
 * import { jsonCodec } from '@synod/transport'
 * import { startLibp2pCluster } from '@synod/transport-libp2p'
 *
 * const cluster = await startLibp2pCluster(['a', 'b', 'c'], { codec: jsonCodec<string>() })
 * const [a, b, c] = cluster.transports
 * c.onMessage((from, text) => console.log(`${from}: ${text}`)) // a: hello
 * a.send('c', 'hello')
 * ```
 * @packageDocumentation
 */

// libp2p 3 calls Promise.withResolvers, which Node 20 lacks: install it once, only when missing.
// This is the package's only side effect, and the only place it happens.
{
  const promise = Promise as unknown as { withResolvers?: unknown }
  if (typeof promise.withResolvers !== 'function') {
    Object.defineProperty(Promise, 'withResolvers', {
      configurable: true,
      writable: true,
      value: function withResolvers<T>() {
        let resolve!: (value: T | PromiseLike<T>) => void
        let reject!: (reason?: unknown) => void
        const promise = new Promise<T>((res, rej) => {
          resolve = res
          reject = rej
        })
        return { promise, resolve, reject }
      },
    })
  }
}

export { type Libp2pCluster, type Libp2pClusterOptions, startLibp2pCluster } from './cluster.js'
export type {
  Libp2pTransportEvent,
  Libp2pTransportEventHandler,
  Libp2pTransportStats,
} from './events.js'
export { assertEd25519PeerId, ED25519_SEED_BYTES, peerIdFromSeed, toEd25519PrivateKey } from './identity.js'
export { createLibp2pTransport, Libp2pTransport } from './libp2p-transport.js'
export {
  DEFAULT_MAX_BYTES_PER_WRITE,
  DEFAULT_MAX_FRAMES_PER_WRITE,
  DEFAULT_PROTOCOL,
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_SEND_QUEUE_LIMIT,
  type Libp2pMember,
  type Libp2pTransportOptions,
  MAX_MEMBERS,
  type QueueFullPolicy,
  type ReconnectOptions,
} from './options.js'
