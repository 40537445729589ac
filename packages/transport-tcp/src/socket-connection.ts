import type { Socket } from 'node:net'
import type { LinkConnection } from '@synod/transport/link'

/**
 * Wraps a socket whose handshake is done as the `LinkConnection` an `OutboundLink` writes
 * frames to: `socket.write` with `'drain'` for backpressure, and `'close'` reporting the
 * first error the socket had.
 *
 * @example
 * ```ts
 * const connection = socketConnection(await dial(peer, signal))
 * ```
 */
export function socketConnection(socket: Socket): LinkConnection {
  let socketError: Error | undefined
  socket.on('error', (error) => {
    socketError ??= error
  })
  return {
    get writable() {
      return !socket.destroyed && socket.writable
    },
    write: (bytes) => socket.write(bytes),
    onceDrained: (callback) => {
      socket.once('drain', () => callback())
    },
    onClose: (callback) => {
      socket.once('close', () => callback(socketError))
    },
    destroy: () => {
      socket.destroy()
    },
  }
}
