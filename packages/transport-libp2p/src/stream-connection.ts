import type { Stream } from '@libp2p/interface'
import type { LinkConnection } from '@synod/transport/link'

/**
 * Wraps an outbound libp2p stream as the `LinkConnection` an `OutboundLink` writes frames
 * to: `stream.send` (which throws once the stream cannot take bytes) with `onDrain` for
 * backpressure, and the stream's `'close'` event.
 *
 * @example
 * ```ts
 * const connection = streamConnection(await libp2p.dialProtocol(peerId, protocol, { signal }))
 * ```
 */
export function streamConnection(stream: Stream): LinkConnection {
  return {
    // a stream that cannot take bytes says so by throwing from send, which the link handles
    writable: true,
    write: (bytes) => stream.send(bytes),
    onceDrained: (callback) => {
      stream.onDrain().then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      )
    },
    onClose: (callback) => {
      stream.addEventListener('close', (event) => callback(event.error), { once: true })
    },
    destroy: () => {
      stream.abort(new Error('transport closed'))
    },
  }
}
