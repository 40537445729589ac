import { DecodeError, FrameTooLargeError, SynodError } from '../errors.js'
import type { Codec } from '../types.js'

/**
 * Encodes a message a transport is about to send, and checks that the codec returned
 * bytes that fit in one frame. Call it in `send`, before queueing, so a bad message is
 * refused to the caller rather than on the wire.
 *
 * @param codec - the transport's codec
 * @param message - the message to send
 * @param maxFrameBytes - the largest frame payload, in bytes
 * @returns the encoded message
 * @throws {TypeError} when the codec does not return a `Uint8Array`
 * @throws {FrameTooLargeError} when the encoded message exceeds `maxFrameBytes`
 * @example
 * ```ts
 * const bytes = encodeOutboundMessage(jsonCodec<string>(), 'hello', 1024)
 * link.enqueue(bytes)
 * ```
 */
export function encodeOutboundMessage<M>(codec: Codec<M>, message: M, maxFrameBytes: number): Uint8Array {
  const bytes = codec.encode(message)
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`codec.encode: expected Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`)
  }
  if (bytes.length > maxFrameBytes) throw new FrameTooLargeError(bytes.length, maxFrameBytes)
  return bytes
}

/**
 * The typed error a transport reports for an inbound frame it refused: a `SynodError` as
 * it is (`FrameTooLargeError`, `TruncatedFrameError`, `DecodeError`), anything else a
 * codec threw wrapped in a `DecodeError` whose cause is the original.
 *
 * @param error - what the frame decoder or the codec threw
 * @returns the error to put in a `frame-refused` event
 * @example
 * ```ts
 * try {
 *   message = codec.decode(frame)
 * } catch (error) {
 *   emit({ type: 'frame-refused', from, error: frameRefusal(error) })
 * }
 * ```
 */
export function frameRefusal(error: unknown): SynodError {
  if (SynodError.isInstance(error)) return error
  return new DecodeError(error instanceof Error ? error.message : String(error), { cause: error })
}
