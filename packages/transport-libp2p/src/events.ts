import type { NodeId, SynodError, UnknownPeerError } from '@synod/transport'
import type { LinkEvent, LinkStats } from '@synod/transport/link'
import { emptyLinkStats } from '@synod/transport/link'

/**
 * Everything the transport reports about its links and its trust boundary.
 * Events are noun-verb; none of them is thrown.
 *
 * - `peer-refused`: a libp2p peer outside the membership tried to connect (or be dialed),
 *   or opened a stream; the connection or stream was refused.
 * - `frame-refused`: bytes from a member that did not decode (`DecodeError`), announced an
 *   oversized frame (`FrameTooLargeError`, the stream is then closed) or ended inside a
 *   frame (`TruncatedFrameError`). Nothing was delivered for it.
 * - `message-dropped`: the send queue to `to` was full and a message was dropped
 *   (`drop-oldest` or `drop-newest`), or the transport closed with messages still queued.
 * - `link-opened` / `link-closed`: the outbound stream to a peer came up or went down.
 * - `dial-failed`: opening the outbound stream failed; the next try is in `retryInMs`.
 * - `handler-failed`: an `onMessage` handler threw; the other handlers still ran.
 *
 * @example
 * ```ts
 * transport.onEvent((event) => {
 *   if (event.type === 'frame-refused') console.warn(event.from, event.error.code)
 * })
 * ```
 */
export type Libp2pTransportEvent =
  | { type: 'peer-refused'; peerId: string; direction: 'inbound' | 'outbound'; error: UnknownPeerError }
  | { type: 'frame-refused'; from: NodeId; peerId: string; error: SynodError }
  | { type: 'handler-failed'; from: NodeId; error: unknown }
  | LinkEvent

/**
 * Receives transport events.
 *
 * @example
 * ```ts
 * const log: Libp2pTransportEventHandler = (event) => console.log(event.type)
 * transport.onEvent(log)
 * ```
 */
export type Libp2pTransportEventHandler = (event: Libp2pTransportEvent) => void

/**
 * Counters since the transport started. All are monotonic except `queuedMessages`. The
 * link counters (`messagesSent`, `writes`, `backpressureWaits`, `bytesSent`, …) count
 * `stream.send` calls and the frame bytes handed to libp2p streams.
 *
 * @example
 * ```ts
 * const { messagesSent, writes } = transport.stats()
 * console.log(`${(messagesSent / writes).toFixed(1)} frames per stream.send`)
 * ```
 */
export interface Libp2pTransportStats extends LinkStats {
  /** Messages accepted by `send` (including those to self). */
  messagesQueued: number
  /** Messages decoded from the wire (or sent to self) and given to the handlers. */
  messagesDelivered: number
  /** Bytes read from inbound streams. */
  bytesReceived: number
  /** Frames refused at the trust boundary (bad payload, oversized, truncated). */
  framesRefused: number
  /** Connections, dials and streams refused because the peer is not a member. */
  peersRefused: number
  /** `onMessage` handlers that threw. */
  handlerErrors: number
}

/** @internal a zeroed stats record */
export function emptyStats(): Libp2pTransportStats {
  return {
    ...emptyLinkStats(),
    messagesQueued: 0,
    messagesDelivered: 0,
    bytesReceived: 0,
    framesRefused: 0,
    peersRefused: 0,
    handlerErrors: 0,
  }
}
