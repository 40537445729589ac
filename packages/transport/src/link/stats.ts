import type { NodeId } from '../types.js'

/**
 * The events an `OutboundLink` reports; every transport built on it includes them in
 * its own event union. None of them is thrown.
 *
 * - `message-dropped`: the send queue to `to` was full and a message was dropped
 *   (`drop-oldest` or `drop-newest`), or the link closed with messages still queued.
 * - `link-opened` / `link-closed`: the outbound connection to a peer came up or went down.
 * - `dial-failed`: opening the connection failed; the next try is in `retryInMs`.
 *
 * @example
 * ```ts
 * const onLinkEvent = (event: LinkEvent) => {
 *   if (event.type === 'dial-failed') console.warn(event.peer, event.error.message, event.retryInMs)
 * }
 * ```
 */
export type LinkEvent =
  | { type: 'message-dropped'; to: NodeId; reason: 'queue-full' | 'transport-closed'; count: number }
  | { type: 'link-opened'; peer: NodeId }
  | { type: 'link-closed'; peer: NodeId; error: Error | undefined }
  | { type: 'dial-failed'; peer: NodeId; error: Error; retryInMs: number }

/**
 * The counters an `OutboundLink` keeps; every transport built on it includes them in
 * its own stats. All are monotonic except `queuedMessages`.
 *
 * @example
 * ```ts
 * const { messagesSent, writes } = transport.stats()
 * console.log(`${(messagesSent / writes).toFixed(1)} frames per write`)
 * ```
 */
export interface LinkStats {
  /** Messages handed to a connection. */
  messagesSent: number
  /** Messages dropped by the queue-full policy or by `close`. */
  messagesDropped: number
  /** Messages waiting in the send queues now. */
  queuedMessages: number
  /** Writes of frames to a connection (each carries one or more frames). */
  writes: number
  /** Times a write was not accepted in full and the link waited for the connection to drain. */
  backpressureWaits: number
  /** Frame bytes handed to connections, headers included. */
  bytesSent: number
  /** Outbound connections opened (the first one and every reconnect). */
  linksOpened: number
  /** Outbound connection opens that failed. */
  dialsFailed: number
}

/**
 * A zeroed `LinkStats` record, to spread into a transport's own stats.
 *
 * @example
 * ```ts
 * const counters = { ...emptyLinkStats(), messagesDelivered: 0 }
 * ```
 */
export function emptyLinkStats(): LinkStats {
  return {
    messagesSent: 0,
    messagesDropped: 0,
    queuedMessages: 0,
    writes: 0,
    backpressureWaits: 0,
    bytesSent: 0,
    linksOpened: 0,
    dialsFailed: 0,
  }
}
