import { DEFAULT_MAX_FRAME_BYTES } from '../framing.js'

/**
 * The default bound of each peer's send queue, in messages.
 *
 * @example
 * ```ts
 * createTcpTransport({ ...options, sendQueueLimit: 4 * DEFAULT_SEND_QUEUE_LIMIT })
 * ```
 */
export const DEFAULT_SEND_QUEUE_LIMIT = 10_000
/**
 * The default largest number of frames coalesced into one write.
 *
 * @example
 * ```ts
 * createTcpTransport({ ...options, maxFramesPerWrite: DEFAULT_MAX_FRAMES_PER_WRITE / 4 })
 * ```
 */
export const DEFAULT_MAX_FRAMES_PER_WRITE = 1024
/**
 * The default largest number of bytes coalesced into one write (a single larger frame still goes alone).
 *
 * @example
 * ```ts
 * createTcpTransport({ ...options, maxBytesPerWrite: DEFAULT_MAX_BYTES_PER_WRITE / 4 })
 * ```
 */
export const DEFAULT_MAX_BYTES_PER_WRITE = 1024 * 1024
/**
 * The default first reconnect delay, in milliseconds.
 *
 * @example
 * ```ts
 * createTcpTransport({ ...options, reconnect: { initialDelayMs: DEFAULT_RECONNECT_INITIAL_DELAY_MS / 2 } })
 * ```
 */
export const DEFAULT_RECONNECT_INITIAL_DELAY_MS = 100
/**
 * The default longest reconnect delay, in milliseconds.
 *
 * @example
 * ```ts
 * createTcpTransport({ ...options, reconnect: { maxDelayMs: DEFAULT_RECONNECT_MAX_DELAY_MS * 2 } })
 * ```
 */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 5_000
/** The largest frame payload the 4-byte length prefix can announce. */
const MAX_FRAME_BYTES_LIMIT = 0xffff_ffff

/**
 * What `send` does when a peer's queue is full: drop the oldest queued message, drop the
 * new one, or throw `SendQueueFullError`. Drops are counted and reported as `message-dropped`.
 *
 * @example
 * ```ts
 * const policy: QueueFullPolicy = 'throw'
 * ```
 */
export type QueueFullPolicy = 'drop-oldest' | 'drop-newest' | 'throw'

/**
 * Reconnect backoff: the delay doubles from `initialDelayMs` up to `maxDelayMs`; each wait
 * is half that delay plus a random share of the other half.
 *
 * @example
 * ```ts
 * const reconnect: ReconnectOptions = { initialDelayMs: 50, maxDelayMs: 2000 }
 * ```
 */
export interface ReconnectOptions {
  /** The first delay, in milliseconds (default 100). */
  initialDelayMs?: number
  /** The longest delay, in milliseconds (default 5000). */
  maxDelayMs?: number
}

/**
 * The options of a transport that shape its outbound links, as the user gives them; a
 * transport's options extend these. A write is one `socket.write` or `stream.send`.
 *
 * @example
 * ```ts
 * const options: LinkOptions = { sendQueueLimit: 1000, onFull: 'throw', reconnect: { maxDelayMs: 2000 } }
 * ```
 */
export interface LinkOptions {
  /** The largest frame payload sent or accepted, in bytes (default 4 MiB). */
  maxFrameBytes?: number
  /** The bound of each peer's send queue, in messages (default 10 000). */
  sendQueueLimit?: number
  /** What to do when a peer's queue is full (default `'drop-oldest'`). */
  onFull?: QueueFullPolicy
  /** Reconnect backoff after a failed dial or a dropped connection. */
  reconnect?: ReconnectOptions
  /** The most frames coalesced into one write (default 1024; 1 turns batching off). */
  maxFramesPerWrite?: number
  /** The most bytes coalesced into one write (default 1 MiB). */
  maxBytesPerWrite?: number
  /** A source of numbers in [0, 1) for backoff jitter (default `Math.random`); inject a seeded PRNG to replay runs. */
  random?: () => number
}

/**
 * `LinkOptions` after validation, with every default filled in: what an `OutboundLink` reads.
 *
 * @example
 * ```ts
 * const settings: LinkSettings = resolveLinkOptions({ sendQueueLimit: 1000 })
 * ```
 */
export interface LinkSettings {
  readonly maxFrameBytes: number
  readonly sendQueueLimit: number
  readonly onFull: QueueFullPolicy
  readonly reconnectInitialDelayMs: number
  readonly reconnectMaxDelayMs: number
  readonly maxFramesPerWrite: number
  readonly maxBytesPerWrite: number
  readonly random: () => number
}

/**
 * Names the type of a value for an error message: `null`, `array`, or its `typeof`.
 *
 * @example
 * ```ts
 * throw new TypeError(`listen: expected an object, got ${describeValue(listen)}`)
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/**
 * Checks an optional positive safe integer option, returning `fallback` when it is undefined.
 *
 * @throws {TypeError} when `value` is neither undefined nor a number
 * @throws {RangeError} when it is not a positive safe integer
 * @example
 * ```ts
 * positiveIntegerOption('sendQueueLimit', options.sendQueueLimit, DEFAULT_SEND_QUEUE_LIMIT) // 10000
 * ```
 */
export function positiveIntegerOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number')
    throw new TypeError(`${name}: expected a positive integer, got ${describeValue(value)}`)
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name}: expected a positive integer, got ${String(value)}`)
  }
  return value
}

/**
 * Checks the optional queue-full policy, returning `'drop-oldest'` when it is undefined.
 *
 * @throws {RangeError} when it is not one of the three policies
 * @example
 * ```ts
 * queueFullPolicyOption('onFull', 'throw') // 'throw'
 * ```
 */
export function queueFullPolicyOption(name: string, value: unknown): QueueFullPolicy {
  const policy = value ?? 'drop-oldest'
  if (policy !== 'drop-oldest' && policy !== 'drop-newest' && policy !== 'throw') {
    throw new RangeError(
      `${name}: expected "drop-oldest", "drop-newest" or "throw", got ${JSON.stringify(policy)}`,
    )
  }
  return policy
}

/**
 * Checks the optional reconnect backoff and fills in its defaults; the longest delay
 * defaults to 5000 ms or the first delay, whichever is larger.
 *
 * @throws {TypeError} when it is not an object, or a delay is not a number
 * @throws {RangeError} when a delay is not a positive integer, or the longest is under the first
 * @example
 * ```ts
 * reconnectOption('reconnect', { initialDelayMs: 50 }) // { initialDelayMs: 50, maxDelayMs: 5000 }
 * ```
 */
export function reconnectOption(
  name: string,
  value: unknown,
): { initialDelayMs: number; maxDelayMs: number } {
  const reconnect = value ?? {}
  if (typeof reconnect !== 'object' || reconnect === null) {
    throw new TypeError(`${name}: expected an object, got ${describeValue(reconnect)}`)
  }
  const { initialDelayMs, maxDelayMs } = reconnect as ReconnectOptions
  const initial = positiveIntegerOption(
    `${name}.initialDelayMs`,
    initialDelayMs,
    DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  )
  const max = positiveIntegerOption(
    `${name}.maxDelayMs`,
    maxDelayMs,
    Math.max(DEFAULT_RECONNECT_MAX_DELAY_MS, initial),
  )
  if (max < initial) {
    throw new RangeError(
      `${name}.maxDelayMs: expected at least ${name}.initialDelayMs (${initial}), got ${max}`,
    )
  }
  return { initialDelayMs: initial, maxDelayMs: max }
}

/**
 * Validates the link options of a transport and fills in the defaults. Checks, in order:
 * `maxFrameBytes` (at most 2^32 − 1), `onFull`, `reconnect`, `random`, `sendQueueLimit`,
 * `maxFramesPerWrite`, `maxBytesPerWrite`.
 *
 * @throws {TypeError} for a value of the wrong type
 * @throws {RangeError} for a value out of range
 * @example
 * ```ts
 * const settings = resolveLinkOptions({ onFull: 'drop-newest' })
 * settings.sendQueueLimit // 10000
 * ```
 */
export function resolveLinkOptions(options: LinkOptions): LinkSettings {
  const maxFrameBytes = positiveIntegerOption('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES)
  if (maxFrameBytes > MAX_FRAME_BYTES_LIMIT) {
    throw new RangeError(`maxFrameBytes: expected at most ${MAX_FRAME_BYTES_LIMIT}, got ${maxFrameBytes}`)
  }
  const onFull = queueFullPolicyOption('onFull', options.onFull)
  const reconnect = reconnectOption('reconnect', options.reconnect)
  const random = options.random ?? Math.random
  if (typeof random !== 'function')
    throw new TypeError(`random: expected a function, got ${describeValue(random)}`)
  return {
    maxFrameBytes,
    sendQueueLimit: positiveIntegerOption('sendQueueLimit', options.sendQueueLimit, DEFAULT_SEND_QUEUE_LIMIT),
    onFull,
    reconnectInitialDelayMs: reconnect.initialDelayMs,
    reconnectMaxDelayMs: reconnect.maxDelayMs,
    maxFramesPerWrite: positiveIntegerOption(
      'maxFramesPerWrite',
      options.maxFramesPerWrite,
      DEFAULT_MAX_FRAMES_PER_WRITE,
    ),
    maxBytesPerWrite: positiveIntegerOption(
      'maxBytesPerWrite',
      options.maxBytesPerWrite,
      DEFAULT_MAX_BYTES_PER_WRITE,
    ),
    random,
  }
}

/**
 * Copies the link settings out of a transport's resolved options (which hold more), for
 * the `LinkHost` its links read.
 *
 * @param settings - resolved options that include every link setting
 * @returns the link settings alone
 * @example
 * ```ts
 * const host: LinkHost = { ...pickLinkSettings(resolved), stats, open, emit }
 * ```
 */
export function pickLinkSettings(settings: LinkSettings): LinkSettings {
  return {
    maxFrameBytes: settings.maxFrameBytes,
    sendQueueLimit: settings.sendQueueLimit,
    onFull: settings.onFull,
    reconnectInitialDelayMs: settings.reconnectInitialDelayMs,
    reconnectMaxDelayMs: settings.reconnectMaxDelayMs,
    maxFramesPerWrite: settings.maxFramesPerWrite,
    maxBytesPerWrite: settings.maxBytesPerWrite,
    random: settings.random,
  }
}
