/**
 * `@synod/transport/link`: the outbound link every networked Synod transport sends
 * through (a bounded per-peer queue with a queue-full policy, batched writes,
 * backpressure, reconnect with backoff), with the options, counters and events it
 * shares. A transport supplies a `LinkHost` that opens `LinkConnection`s.
 *
 * @example
 * ```ts
 * import { emptyLinkStats, type LinkEvent, OutboundLink, resolveLinkOptions } from '@synod/transport/link'
 *
 * const host = {
 *   ...resolveLinkOptions({ onFull: 'drop-newest' }),
 *   stats: emptyLinkStats(),
 *   open: (peer: string, signal: AbortSignal) => openConnection(peer, signal),
 *   emit: (event: LinkEvent) => console.log(event),
 * }
 * const link = new OutboundLink('b', host)
 * link.enqueue(new TextEncoder().encode('hello'))
 * ```
 * @packageDocumentation
 */

export {
  DEFAULT_MAX_BYTES_PER_WRITE,
  DEFAULT_MAX_FRAMES_PER_WRITE,
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_SEND_QUEUE_LIMIT,
  describeValue,
  type LinkOptions,
  type LinkSettings,
  pickLinkSettings,
  positiveIntegerOption,
  type QueueFullPolicy,
  queueFullPolicyOption,
  type ReconnectOptions,
  reconnectOption,
  resolveLinkOptions,
} from './link/options.js'
export { type LinkConnection, type LinkHost, type LinkState, OutboundLink } from './link/outbound-link.js'
export { emptyLinkStats, type LinkEvent, type LinkStats } from './link/stats.js'
export { encodeOutboundMessage, frameRefusal } from './link/wire.js'
