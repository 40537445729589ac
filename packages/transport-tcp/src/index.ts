/**
 * `@synod/transport-tcp`: a Synod `Transport` over plain TCP sockets (`node:net`) for a
 * fixed membership, with a handshake on every connection and optional pre-shared-secret
 * authentication. No encryption: for trusted networks and benchmarks.
 *
 * @example
 * ```ts
 * import { jsonCodec } from '@synod/transport'
 * import { startTcpCluster } from '@synod/transport-tcp'
 *
 * const cluster = await startTcpCluster(['a', 'b', 'c'], { codec: jsonCodec<string>() })
 * const [a, b, c] = cluster.transports
 * c.onMessage((from, text) => console.log(`${from}: ${text}`)) // a: hello
 * a.send('c', 'hello')
 * ```
 * @packageDocumentation
 */

export { startTcpCluster, type TcpCluster, type TcpClusterOptions } from './cluster.js'
export { type HandshakeRefusalReason, HandshakeRefusedError } from './errors.js'
export type { TcpTransportEvent, TcpTransportEventHandler, TcpTransportStats } from './events.js'
export { HANDSHAKE_MAGIC, MAX_HANDSHAKE_BYTES, PROTOCOL_VERSION } from './handshake.js'
export {
  DEFAULT_CLUSTER_ID,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_BYTES_PER_WRITE,
  DEFAULT_MAX_FRAMES_PER_WRITE,
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_SEND_QUEUE_LIMIT,
  MAX_CLUSTER_ID_BYTES,
  MAX_ID_BYTES,
  MAX_MEMBERS,
  MIN_SECRET_BYTES,
  type QueueFullPolicy,
  type ReconnectOptions,
  type TcpAddress,
  type TcpMember,
  type TcpTransportOptions,
} from './options.js'
export {
  createTcpTransport,
  MAX_INBOUND_PER_PEER,
  MAX_PENDING_HANDSHAKES,
  TcpTransport,
} from './tcp-transport.js'
