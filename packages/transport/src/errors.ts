/**
 * Typed errors shared by every Synod package. Each carries a stable `code`, and a
 * `Symbol.for` marker so `isInstance` works across two copies of the package.
 */

const synodErrorMarker = Symbol.for('@synod/error')

/** Stable error codes raised by transports, framing and codecs. */
export type TransportErrorCode =
  | 'ERR_TRANSPORT_CLOSED'
  | 'ERR_UNKNOWN_PEER'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_TRUNCATED_FRAME'
  | 'ERR_MALFORMED_FRAME'
  | 'ERR_DECODE'
  | 'ERR_SEND_QUEUE_FULL'

/**
 * The base class of every error Synod throws on purpose.
 *
 * @example
 * ```ts
 * try { transport.send('b', message) } catch (error) {
 *   if (SynodError.isInstance(error)) console.log(error.code)
 * }
 * ```
 */
export class SynodError extends Error {
  /** A stable machine-readable code such as `ERR_UNKNOWN_PEER`. */
  readonly code: string
  /** @internal marks Synod errors across package copies */
  readonly [synodErrorMarker] = true

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }

  /** True for any Synod error, even one thrown by another copy of the package. */
  static isInstance(error: unknown): error is SynodError {
    return typeof error === 'object' && error !== null && synodErrorMarker in error
  }
}

function hasCode(error: unknown, code: string): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * Thrown by `send` on a transport that was closed.
 *
 * @example
 * ```ts
 * await transport.close()
 * transport.send('b', message) // throws TransportClosedError
 * ```
 */
export class TransportClosedError extends SynodError {
  /** The transport's own id. */
  readonly localId: string
  constructor(localId: string) {
    super('ERR_TRANSPORT_CLOSED', `transport "${localId}" is closed`)
    this.localId = localId
  }
  static override isInstance(error: unknown): error is TransportClosedError {
    return hasCode(error, 'ERR_TRANSPORT_CLOSED')
  }
}

/**
 * Thrown when a node outside the configured membership tries to join, send, or be sent to.
 *
 * @example
 * ```ts
 * const network = new MemoryNetwork({ members: ['a', 'b'] })
 * network.join('z') // throws UnknownPeerError: peer "z" is not a member
 * ```
 */
export class UnknownPeerError extends SynodError {
  /** The peer that is not a member. */
  readonly peer: string
  constructor(peer: string, detail = 'is not a member') {
    super('ERR_UNKNOWN_PEER', `peer "${peer}" ${detail}`)
    this.peer = peer
  }
  static override isInstance(error: unknown): error is UnknownPeerError {
    return hasCode(error, 'ERR_UNKNOWN_PEER')
  }
}

/**
 * A frame (or message) larger than the configured limit. Raised before the
 * payload is buffered, so an oversized length prefix costs no memory.
 *
 * @example
 * ```ts
 * encodeFrame(new Uint8Array(10), { maxFrameBytes: 4 }) // throws FrameTooLargeError
 * ```
 */
export class FrameTooLargeError extends SynodError {
  readonly sizeBytes: number
  readonly maxBytes: number
  constructor(sizeBytes: number, maxBytes: number) {
    super('ERR_FRAME_TOO_LARGE', `frame of ${sizeBytes} bytes exceeds the limit of ${maxBytes} bytes`)
    this.sizeBytes = sizeBytes
    this.maxBytes = maxBytes
  }
  static override isInstance(error: unknown): error is FrameTooLargeError {
    return hasCode(error, 'ERR_FRAME_TOO_LARGE')
  }
}

/**
 * The byte stream ended inside a frame.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder()
 * decoder.push(Uint8Array.of(0, 0, 0, 9, 1))
 * decoder.finish() // throws TruncatedFrameError
 * ```
 */
export class TruncatedFrameError extends SynodError {
  readonly expectedBytes: number
  readonly receivedBytes: number
  constructor(expectedBytes: number, receivedBytes: number) {
    super(
      'ERR_TRUNCATED_FRAME',
      `stream ended inside a frame: expected ${expectedBytes} bytes, received ${receivedBytes}`,
    )
    this.expectedBytes = expectedBytes
    this.receivedBytes = receivedBytes
  }
  static override isInstance(error: unknown): error is TruncatedFrameError {
    return hasCode(error, 'ERR_TRUNCATED_FRAME')
  }
}

/**
 * A frame whose bytes are not a valid frame of the expected kind (a bad header,
 * a wrong version, a frame the receiver cannot attribute to a sender).
 *
 * @example
 * ```ts
 * throw new MalformedFrameError('unknown frame version 7')
 * ```
 */
export class MalformedFrameError extends SynodError {
  constructor(reason: string) {
    super('ERR_MALFORMED_FRAME', `malformed frame: ${reason}`)
  }
  static override isInstance(error: unknown): error is MalformedFrameError {
    return hasCode(error, 'ERR_MALFORMED_FRAME')
  }
}

/**
 * A payload that a `Codec` could not turn into a message. Decoders throw this
 * and nothing else, and never return a half-built message.
 *
 * @example
 * ```ts
 * jsonCodec().decode(new TextEncoder().encode('{"a":')) // throws DecodeError
 * ```
 */
export class DecodeError extends SynodError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('ERR_DECODE', `cannot decode message: ${reason}`, options)
  }
  static override isInstance(error: unknown): error is DecodeError {
    return hasCode(error, 'ERR_DECODE')
  }
}

/**
 * A bounded send queue is full and the transport's policy is to refuse rather than drop.
 *
 * @example
 * ```ts
 * if (SendQueueFullError.isInstance(error)) backOff()
 * ```
 */
export class SendQueueFullError extends SynodError {
  readonly peer: string
  readonly limit: number
  constructor(peer: string, limit: number) {
    super('ERR_SEND_QUEUE_FULL', `send queue to "${peer}" is full (${limit} messages)`)
    this.peer = peer
    this.limit = limit
  }
  static override isInstance(error: unknown): error is SendQueueFullError {
    return hasCode(error, 'ERR_SEND_QUEUE_FULL')
  }
}
