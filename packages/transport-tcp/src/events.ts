import type { NodeId, SynodError } from '@synod/transport'
import type { LinkEvent, LinkStats } from '@synod/transport/link'
import { emptyLinkStats } from '@synod/transport/link'
import type { HandshakeRefusedError } from './errors.js'

/**
 * Everything the transport reports about its links and its trust boundary.
 * Events are noun-verb; none of them is thrown.
 *
 * - `peer-refused`: a handshake was refused, by this node as the listener (`inbound`) or as
 *   the dialer (`outbound`, when the listener's answer or proof is bad). `claimedId` is the id
 *   the other side gave, when it got that far; `remoteAddress` is `host:port`.
 * - `connection-accepted`: an inbound connection completed its handshake as `peer`.
 * - `frame-refused`: bytes from a member that announced an oversized frame
 *   (`FrameTooLargeError`), did not decode (`DecodeError`) or ended inside a frame
 *   (`TruncatedFrameError`). Nothing was delivered for it and that connection was closed.
 * - `message-dropped`: the send queue to `to` was full and a message was dropped
 *   (`drop-oldest` or `drop-newest`), or the transport closed with messages still queued.
 * - `link-opened` / `link-closed`: the outbound connection to a peer came up or went down.
 * - `dial-failed`: connecting or handshaking failed; the next try is in `retryInMs`.
 * - `handler-failed`: an `onMessage` handler threw; the other handlers still ran.
 *
 * @example
 * ```ts
 * transport.onEvent((event) => {
 *   if (event.type === 'peer-refused') console.warn(event.remoteAddress, event.error.reason)
 * })
 * ```
 */
export type TcpTransportEvent =
  | {
      type: 'peer-refused'
      direction: 'inbound' | 'outbound'
      claimedId: NodeId | undefined
      remoteAddress: string
      error: HandshakeRefusedError
    }
  | { type: 'connection-accepted'; peer: NodeId; remoteAddress: string }
  | { type: 'frame-refused'; from: NodeId; error: SynodError }
  | { type: 'handler-failed'; from: NodeId; error: unknown }
  | LinkEvent

/**
 * Receives transport events.
 *
 * @example
 * ```ts
 * const log: TcpTransportEventHandler = (event) => console.log(event.type)
 * transport.onEvent(log)
 * ```
 */
export type TcpTransportEventHandler = (event: TcpTransportEvent) => void

/**
 * Counters since the transport started. All are monotonic except `queuedMessages`. The
 * link counters (`messagesSent`, `writes`, `backpressureWaits`, `bytesSent`, …) count
 * `socket.write` calls for frames and the bytes handed to sockets (handshakes not counted).
 *
 * @example
 * ```ts
 * const { messagesSent, writes } = transport.stats()
 * console.log(`${(messagesSent / writes).toFixed(1)} frames per socket.write`)
 * ```
 */
export interface TcpTransportStats extends LinkStats {
  /** Messages accepted by `send` (including those to self). */
  messagesQueued: number
  /** Messages decoded from the wire (or sent to self) and given to the handlers. */
  messagesDelivered: number
  /** Frame bytes read from inbound connections after their handshake. */
  bytesReceived: number
  /** Frames refused at the trust boundary (oversized, undecodable, truncated). */
  framesRefused: number
  /** Handshakes refused, inbound or outbound. */
  peersRefused: number
  /** Inbound connections that completed their handshake. */
  connectionsAccepted: number
  /** `onMessage` handlers that threw. */
  handlerErrors: number
}

/** @internal a zeroed stats record */
export function emptyStats(): TcpTransportStats {
  return {
    ...emptyLinkStats(),
    messagesQueued: 0,
    messagesDelivered: 0,
    bytesReceived: 0,
    framesRefused: 0,
    peersRefused: 0,
    connectionsAccepted: 0,
    handlerErrors: 0,
  }
}
