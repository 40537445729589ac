import { FrameTooLargeError, TruncatedFrameError } from './errors.js'

/** Bytes in a frame header: the payload length as an unsigned 32-bit big-endian integer. */
export const FRAME_HEADER_BYTES = 4

/** The default largest payload a frame may carry: 4 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024

/** The largest payload the 32-bit header can describe. */
const HEADER_LIMIT_BYTES = 0xffff_ffff

export interface FrameOptions {
  /** The largest payload accepted, in bytes (default 4 MiB). */
  maxFrameBytes?: number
}

function checkMaxFrameBytes(maxFrameBytes: number): number {
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 0 || maxFrameBytes > HEADER_LIMIT_BYTES) {
    throw new RangeError(
      `maxFrameBytes: expected an integer from 0 to ${HEADER_LIMIT_BYTES}, got ${String(maxFrameBytes)}`,
    )
  }
  return maxFrameBytes
}

function checkBytes(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name}: expected Uint8Array, got ${value === null ? 'null' : typeof value}`)
  }
}

/**
 * Prefixes `payload` with its length.
 *
 * @param payload - the bytes to frame
 * @returns a new array: 4 length bytes, then the payload
 * @throws {TypeError} when `payload` is not a Uint8Array
 * @throws {FrameTooLargeError} when the payload exceeds `maxFrameBytes`
 * @example
 * ```ts
 * encodeFrame(Uint8Array.of(7, 8)) // Uint8Array [0, 0, 0, 2, 7, 8]
 * ```
 */
export function encodeFrame(payload: Uint8Array, options: FrameOptions = {}): Uint8Array {
  return encodeFrames([payload], options)
}

/**
 * Frames several payloads into one buffer, so a transport can hand the wire one
 * write for a whole batch.
 *
 * @throws {TypeError} when a payload is not a Uint8Array
 * @throws {FrameTooLargeError} when a payload exceeds `maxFrameBytes`
 * @example
 * ```ts
 * encodeFrames([Uint8Array.of(1), Uint8Array.of(2)]) // [0,0,0,1,1, 0,0,0,1,2]
 * ```
 */
export function encodeFrames(payloads: readonly Uint8Array[], options: FrameOptions = {}): Uint8Array {
  const maxFrameBytes = checkMaxFrameBytes(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)
  let total = 0
  for (const [index, payload] of payloads.entries()) {
    checkBytes(`payloads[${index}]`, payload)
    if (payload.length > maxFrameBytes) throw new FrameTooLargeError(payload.length, maxFrameBytes)
    total += FRAME_HEADER_BYTES + payload.length
  }
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  let offset = 0
  for (const payload of payloads) {
    view.setUint32(offset, payload.length, false)
    out.set(payload, offset + FRAME_HEADER_BYTES)
    offset += FRAME_HEADER_BYTES + payload.length
  }
  return out
}

/**
 * Splits a byte stream, delivered in arbitrary chunks, back into frames.
 *
 * A frame whose header announces more than `maxFrameBytes` is refused with
 * `FrameTooLargeError` before any of its payload is buffered. After an error the
 * decoder stays failed (the stream is out of step and cannot be trusted), and
 * every later call throws the same error.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder({ maxFrameBytes: 1024 })
 * for await (const chunk of stream) {
 *   for (const frame of decoder.push(chunk)) handle(frame)
 * }
 * decoder.finish() // throws TruncatedFrameError if the stream stopped mid-frame
 * ```
 */
export class FrameDecoder {
  readonly maxFrameBytes: number
  private buffer: Uint8Array = new Uint8Array(0)
  private offset = 0
  private failure: Error | undefined

  constructor(options: FrameOptions = {}) {
    this.maxFrameBytes = checkMaxFrameBytes(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)
  }

  /** Bytes received but not yet returned as a whole frame. */
  get bufferedBytes(): number {
    return this.buffer.length - this.offset
  }

  /**
   * Adds a chunk and returns every frame it completes (possibly none).
   * The returned frames are copies, safe to keep.
   * @throws {TypeError} when `chunk` is not a Uint8Array
   * @throws {FrameTooLargeError} when a header announces an oversized frame
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure) throw this.failure
    checkBytes('chunk', chunk)
    if (this.bufferedBytes === 0) {
      this.buffer = chunk
      this.offset = 0
    } else if (chunk.length > 0) {
      const joined = new Uint8Array(this.bufferedBytes + chunk.length)
      joined.set(this.buffer.subarray(this.offset))
      joined.set(chunk, this.bufferedBytes)
      this.buffer = joined
      this.offset = 0
    }
    const frames: Uint8Array[] = []
    const buffer = this.buffer
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    while (buffer.length - this.offset >= FRAME_HEADER_BYTES) {
      const length = view.getUint32(this.offset, false)
      if (length > this.maxFrameBytes) {
        this.failure = new FrameTooLargeError(length, this.maxFrameBytes)
        this.buffer = new Uint8Array(0)
        this.offset = 0
        throw this.failure
      }
      const end = this.offset + FRAME_HEADER_BYTES + length
      if (end > buffer.length) break
      frames.push(buffer.slice(this.offset + FRAME_HEADER_BYTES, end))
      this.offset = end
    }
    if (this.offset === buffer.length) {
      this.buffer = new Uint8Array(0)
      this.offset = 0
    }
    return frames
  }

  /**
   * Declares the end of the stream.
   * @throws {TruncatedFrameError} when the stream stopped inside a frame
   */
  finish(): void {
    if (this.failure) throw this.failure
    const buffered = this.bufferedBytes
    if (buffered === 0) return
    const expected =
      buffered >= FRAME_HEADER_BYTES
        ? FRAME_HEADER_BYTES +
          new DataView(this.buffer.buffer, this.buffer.byteOffset + this.offset).getUint32(0, false)
        : FRAME_HEADER_BYTES
    this.failure = new TruncatedFrameError(expected, buffered)
    throw this.failure
  }
}
