import type { Socket } from 'node:net'
import { HandshakeRefusedError } from './errors.js'

/**
 * Reads exact byte counts from a socket during the handshake, buffering at most
 * `limitBytes`. `detach` hands back whatever arrived after the handshake (the first
 * frames) and stops listening, so the caller can attach its frame decoder without
 * losing a byte.
 *
 * @example
 * ```ts
 * const reader = new SocketReader(socket, 4096)
 * const header = await reader.read(2)
 * const rest = reader.detach()
 * ```
 */
export class SocketReader {
  private readonly socket: Socket
  private readonly limitBytes: number
  private buffer = new Uint8Array(0)
  private pending:
    | { count: number; resolve: (bytes: Uint8Array) => void; reject: (error: Error) => void }
    | undefined
  private failure: Error | undefined
  private socketError: Error | undefined
  private detached = false
  private readonly onData = (chunk: Uint8Array) => this.push(chunk)
  private readonly onEnd = () => this.fail(this.closedError('the connection ended'))
  private readonly onClose = () => this.fail(this.closedError('the connection closed'))
  private readonly onError = (error: Error) => {
    this.socketError ??= error
  }

  constructor(socket: Socket, limitBytes: number) {
    this.socket = socket
    this.limitBytes = limitBytes
    socket.on('data', this.onData)
    socket.on('end', this.onEnd)
    socket.on('close', this.onClose)
    socket.on('error', this.onError)
  }

  /** The first error the socket reported, if any (such as `ECONNREFUSED`). */
  get error(): Error | undefined {
    return this.socketError
  }

  /**
   * Resolves with exactly `count` bytes, once they have arrived.
   * @throws {HandshakeRefusedError} (rejects) when the connection ends first, or after `fail`
   */
  read(count: number): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.pending) return Promise.reject(new Error('SocketReader: one read at a time'))
    if (this.buffer.length >= count) return Promise.resolve(this.take(count))
    return new Promise((resolve, reject) => {
      this.pending = { count, resolve, reject }
    })
  }

  /** Fails the pending read and every later one with `error`. The first failure wins. */
  fail(error: Error): void {
    if (this.failure || this.detached) return
    this.failure = error
    const pending = this.pending
    this.pending = undefined
    pending?.reject(error)
  }

  /** Stops listening and returns the bytes received but not read. */
  detach(): Uint8Array {
    this.detached = true
    this.socket.off('data', this.onData)
    this.socket.off('end', this.onEnd)
    this.socket.off('close', this.onClose)
    this.socket.off('error', this.onError)
    const rest = this.buffer
    this.buffer = new Uint8Array(0)
    return rest
  }

  private push(chunk: Uint8Array): void {
    if (this.failure) return
    if (this.buffer.length + chunk.length > this.limitBytes) {
      this.fail(
        new HandshakeRefusedError(
          'oversize',
          `more than ${this.limitBytes} bytes arrived before the handshake completed`,
        ),
      )
      this.socket.destroy()
      return
    }
    const joined = new Uint8Array(this.buffer.length + chunk.length)
    joined.set(this.buffer)
    joined.set(chunk, this.buffer.length)
    this.buffer = joined
    const pending = this.pending
    if (pending && this.buffer.length >= pending.count) {
      this.pending = undefined
      pending.resolve(this.take(pending.count))
    }
  }

  private take(count: number): Uint8Array {
    const out = this.buffer.slice(0, count)
    this.buffer = this.buffer.slice(count)
    return out
  }

  private closedError(what: string): HandshakeRefusedError {
    const cause = this.socketError ? ` (${this.socketError.message})` : ''
    return new HandshakeRefusedError('incomplete', `${what} during the handshake${cause}`)
  }
}
