import { DecodeError, FrameTooLargeError } from './errors.js'
import { describeValue } from './link/options.js'
import type { Codec } from './types.js'

/** The default largest encoded message a codec accepts: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024

export interface JsonCodecOptions<M> {
  /** Largest encoded message accepted by `decode` (and produced by `encode`), in bytes. Default 1 MiB. */
  maxBytes?: number
  /**
   * Checks a parsed value and returns it as a message, or throws. Anything it
   * throws is wrapped in `DecodeError`. Without it, any JSON value is accepted.
   */
  validate?: (value: unknown) => M
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * A JSON codec with a size limit and an optional validator.
 *
 * @throws {RangeError} when `maxBytes` is not a positive integer
 * @example
 * ```ts
 * const codec = jsonCodec<{ kind: 'ping'; n: number }>({
 *   maxBytes: 4096,
 *   validate: (value) => {
 *     if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'ping')
 *       throw new Error('expected a ping')
 *     return value as { kind: 'ping'; n: number }
 *   },
 * })
 * codec.decode(codec.encode({ kind: 'ping', n: 1 }))
 * ```
 */
export function jsonCodec<M>(options: JsonCodecOptions<M> = {}): Codec<M> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new RangeError(`maxBytes: expected a positive integer, got ${String(maxBytes)}`)
  }
  const validate = options.validate
  return {
    encode(message: M): Uint8Array {
      const text = JSON.stringify(message)
      if (text === undefined)
        throw new TypeError('message: expected a JSON-serializable value, got undefined')
      const bytes = encoder.encode(text)
      if (bytes.length > maxBytes) throw new FrameTooLargeError(bytes.length, maxBytes)
      return bytes
    },
    decode(bytes: Uint8Array): M {
      if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected Uint8Array, got ${typeof bytes}`)
      if (bytes.length > maxBytes)
        throw new DecodeError(`${bytes.length} bytes exceeds the limit of ${maxBytes}`)
      let value: unknown
      try {
        value = JSON.parse(decoder.decode(bytes))
      } catch (cause) {
        throw new DecodeError(`invalid JSON: ${(cause as Error).message}`, { cause })
      }
      if (!validate) return value as M
      try {
        return validate(value)
      } catch (cause) {
        if (DecodeError.isInstance(cause)) throw cause
        throw new DecodeError((cause as Error).message ?? String(cause), { cause })
      }
    },
  }
}

/**
 * The identity codec for transports whose messages already are bytes; it copies
 * on decode so callers can keep the result.
 *
 * @example
 * ```ts
 * bytesCodec().decode(Uint8Array.of(1, 2)) // Uint8Array [1, 2]
 * ```
 */
export function bytesCodec(options: { maxBytes?: number } = {}): Codec<Uint8Array> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new RangeError(`maxBytes: expected a positive integer, got ${String(maxBytes)}`)
  }
  return {
    encode(message) {
      if (!(message instanceof Uint8Array))
        throw new TypeError(`message: expected Uint8Array, got ${typeof message}`)
      if (message.length > maxBytes) throw new FrameTooLargeError(message.length, maxBytes)
      return message
    },
    decode(bytes) {
      if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected Uint8Array, got ${typeof bytes}`)
      if (bytes.length > maxBytes)
        throw new DecodeError(`${bytes.length} bytes exceeds the limit of ${maxBytes}`)
      return bytes.slice()
    },
  }
}

/**
 * Checks that `value` is a codec: an object with `encode` and `decode` functions.
 *
 * @param name - the option's name, for the message
 * @param value - the value to check
 * @throws {TypeError} when it is not an object with both functions
 * @example
 * ```ts
 * assertCodec('codec', jsonCodec()) // ok
 * assertCodec('codec', undefined) // TypeError: codec: expected an object with encode and decode functions, got undefined
 * ```
 */
export function assertCodec(name: string, value: unknown): asserts value is Codec<unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Codec<unknown>).encode !== 'function' ||
    typeof (value as Codec<unknown>).decode !== 'function'
  ) {
    throw new TypeError(
      `${name}: expected an object with encode and decode functions, got ${describeValue(value)}`,
    )
  }
}
