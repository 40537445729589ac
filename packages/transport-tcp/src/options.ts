import { assertNodeId, type Codec, DEFAULT_MAX_FRAME_BYTES, type NodeId } from '@synod/transport'

/**
 * The most members a cluster may have.
 *
 * @example
 * ```ts
 * if (members.length > MAX_MEMBERS) throw new Error('too many nodes')
 * ```
 */
export const MAX_MEMBERS = 1024
/**
 * The longest node id this transport carries, in UTF-8 bytes (the handshake has a size limit).
 *
 * @example
 * ```ts
 * new TextEncoder().encode(id).length <= MAX_ID_BYTES
 * ```
 */
export const MAX_ID_BYTES = 128
/**
 * The longest cluster id, in UTF-8 bytes.
 *
 * @example
 * ```ts
 * new TextEncoder().encode(clusterId).length <= MAX_CLUSTER_ID_BYTES
 * ```
 */
export const MAX_CLUSTER_ID_BYTES = 64
/**
 * The shortest pre-shared secret accepted, in bytes.
 *
 * @example
 * ```ts
 * const secret = crypto.getRandomValues(new Uint8Array(32)) // ≥ MIN_SECRET_BYTES
 * ```
 */
export const MIN_SECRET_BYTES = 16
/**
 * The cluster id used when none is given.
 *
 * @example
 * ```ts
 * createTcpTransport({ ...options, clusterId: DEFAULT_CLUSTER_ID }) // 'synod'
 * ```
 */
export const DEFAULT_CLUSTER_ID = 'synod'
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
 * The default largest number of frames coalesced into one `socket.write`.
 *
 * @example
 * ```ts
 * createTcpTransport({ ...options, maxFramesPerWrite: DEFAULT_MAX_FRAMES_PER_WRITE / 4 })
 * ```
 */
export const DEFAULT_MAX_FRAMES_PER_WRITE = 1024
/**
 * The default largest number of bytes coalesced into one `socket.write` (a single larger frame still goes alone).
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
/**
 * The default time a connection has to complete its handshake (both directions), in milliseconds.
 *
 * @example
 * ```ts
 * createTcpTransport({ ...options, handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS / 5 })
 * ```
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000
/** The address a member gets when it names none. */
const DEFAULT_HOST = '127.0.0.1'

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
 * A TCP address.
 *
 * @example
 * ```ts
 * const address: TcpAddress = { host: '127.0.0.1', port: 7001 }
 * ```
 */
export interface TcpAddress {
  /** A host name or an IP address. */
  host: string
  /** A TCP port. */
  port: number
}

/**
 * One member of the cluster: its node id and where it listens.
 *
 * @example
 * ```ts
 * const member: TcpMember = { id: 'b', host: '10.0.0.2', port: 7002 }
 * ```
 */
export interface TcpMember {
  /** The member's node id (at most 128 UTF-8 bytes). */
  id: NodeId
  /** Where to dial it (default `'127.0.0.1'`). */
  host?: string
  /** Its port; leave it out while it is not known yet and call `setPeerAddress` later. */
  port?: number
}

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
 * Options of `createTcpTransport`.
 *
 * @example
 * ```ts
 * const options: TcpTransportOptions<string> = {
 *   localId: 'a',
 *   listen: { host: '127.0.0.1', port: 7001 },
 *   members: [{ id: 'a' }, { id: 'b', host: '127.0.0.1', port: 7002 }],
 *   codec: jsonCodec<string>(),
 *   clusterId: 'ledger-test',
 * }
 * ```
 */
export interface TcpTransportOptions<M> {
  /** This node's id; it may be listed in `members` or left out. */
  localId: NodeId
  /** Where to listen (default `{ host: '127.0.0.1', port: 0 }`; port 0 lets the system pick, see `address()`). */
  listen?: { host?: string; port?: number }
  /** Every node of the cluster. Connections claiming any other id are refused. */
  members: readonly TcpMember[]
  /** Turns messages into bytes and back; `decode` is the trust boundary. */
  codec: Codec<M>
  /** Every member must use the same; a handshake with another is refused (default `'synod'`). */
  clusterId?: string
  /**
   * A pre-shared secret of at least 16 bytes. When set, every connection runs an HMAC-SHA256
   * challenge–response both ways, and only holders of the secret can join. Every member must
   * use the same; a node with a secret refuses one without, and the other way round.
   */
  secret?: Uint8Array
  /** The time a connection has to complete its handshake, in milliseconds (default 5000). */
  handshakeTimeoutMs?: number
  /** The largest frame payload sent or accepted, in bytes (default 4 MiB). */
  maxFrameBytes?: number
  /** The bound of each peer's send queue, in messages (default 10 000). */
  sendQueueLimit?: number
  /** What to do when a peer's queue is full (default `'drop-oldest'`). */
  queueFullPolicy?: QueueFullPolicy
  /** Reconnect backoff after a failed dial or a dropped connection. */
  reconnect?: ReconnectOptions
  /** The most frames coalesced into one `socket.write` (default 1024; 1 turns batching off). */
  maxFramesPerWrite?: number
  /** The most bytes coalesced into one `socket.write` (default 1 MiB). */
  maxBytesPerWrite?: number
  /** A source of numbers in [0, 1) for backoff jitter (default `Math.random`); inject a seeded PRNG to replay runs. */
  random?: () => number
}

/**
 * Options after validation, with every default filled in.
 *
 * @example
 * ```ts
 * const resolved: ResolvedOptions<string> = resolveOptions(options)
 * ```
 */
export interface ResolvedOptions<M> {
  localId: NodeId
  listen: TcpAddress
  /** Every member but this node, with its address (port undefined while unknown). */
  members: Map<NodeId, { host: string; port: number | undefined }>
  codec: Codec<M>
  clusterId: string
  secret: Uint8Array | undefined
  handshakeTimeoutMs: number
  maxFrameBytes: number
  sendQueueLimit: number
  queueFullPolicy: QueueFullPolicy
  reconnectInitialDelayMs: number
  reconnectMaxDelayMs: number
  maxFramesPerWrite: number
  maxBytesPerWrite: number
  random: () => number
}

const utf8 = new TextEncoder()

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number')
    throw new TypeError(`${name}: expected a positive integer, got ${describe(value)}`)
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name}: expected a positive integer, got ${String(value)}`)
  }
  return value
}

/**
 * Checks a node id, and that it fits the handshake (at most 128 UTF-8 bytes).
 *
 * @throws {TypeError} when `value` is not a string
 * @throws {RangeError} when it is empty or too long
 * @example
 * ```ts
 * assertTcpNodeId('localId', 'a') // ok
 * ```
 */
export function assertTcpNodeId(name: string, value: unknown): asserts value is NodeId {
  assertNodeId(name, value)
  // a UTF-16 code unit takes at most 3 UTF-8 bytes: short ids need no encoding (send's hot path)
  if (value.length * 3 <= MAX_ID_BYTES) return
  const bytes = utf8.encode(value).length
  if (bytes > MAX_ID_BYTES) {
    throw new RangeError(`${name}: expected at most ${MAX_ID_BYTES} UTF-8 bytes, got ${bytes}`)
  }
}

/**
 * Checks a host name or IP address.
 *
 * @throws {TypeError} when `value` is not a string
 * @throws {RangeError} when it is empty or longer than 255 characters
 * @example
 * ```ts
 * assertHost('listen.host', '0.0.0.0') // ok
 * ```
 */
export function assertHost(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string')
    throw new TypeError(`${name}: expected a host string, got ${describe(value)}`)
  if (value.length === 0 || value.length > 255) {
    throw new RangeError(`${name}: expected a host of 1 to 255 characters, got ${JSON.stringify(value)}`)
  }
}

/**
 * Checks a TCP port from `min` (0 to listen on any free port, else 1) to 65535.
 *
 * @throws {TypeError} when `value` is not a number
 * @throws {RangeError} when it is not an integer in range
 * @example
 * ```ts
 * assertPort('members[1].port', 7002, 1) // ok
 * ```
 */
export function assertPort(name: string, value: unknown, min: 0 | 1): asserts value is number {
  if (typeof value !== 'number')
    throw new TypeError(`${name}: expected an integer from ${min} to 65535, got ${describe(value)}`)
  if (!Number.isInteger(value) || value < min || value > 65535) {
    throw new RangeError(`${name}: expected an integer from ${min} to 65535, got ${String(value)}`)
  }
}

/**
 * Checks the address of a peer: `{ host, port }` with a port from 1 to 65535.
 *
 * @throws {TypeError} for a value of the wrong type
 * @throws {RangeError} for a value out of range
 * @example
 * ```ts
 * assertTcpAddress('address', { host: '127.0.0.1', port: 7002 }) // ok
 * ```
 */
export function assertTcpAddress(name: string, value: unknown): asserts value is TcpAddress {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${name}: expected an object with host and port, got ${describe(value)}`)
  }
  const { host, port } = value as Partial<TcpAddress>
  assertHost(`${name}.host`, host)
  assertPort(`${name}.port`, port, 1)
}

/**
 * Validates `createTcpTransport` options and fills in the defaults.
 *
 * @throws {TypeError} for a value of the wrong type
 * @throws {RangeError} for a value out of range or a duplicate member
 * @example
 * ```ts
 * const resolved = resolveOptions({ localId: 'a', members: [{ id: 'b', port: 7002 }], codec })
 * resolved.sendQueueLimit // 10000
 * ```
 */
export function resolveOptions<M>(options: TcpTransportOptions<M>): ResolvedOptions<M> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options: expected an object, got ${describe(options)}`)
  }
  assertTcpNodeId('localId', options.localId)
  const codec = options.codec as unknown
  if (
    typeof codec !== 'object' ||
    codec === null ||
    typeof (codec as Codec<M>).encode !== 'function' ||
    typeof (codec as Codec<M>).decode !== 'function'
  ) {
    throw new TypeError(`codec: expected an object with encode and decode functions, got ${describe(codec)}`)
  }
  const listen = options.listen ?? {}
  if (typeof listen !== 'object' || listen === null) {
    throw new TypeError(`listen: expected an object with host and port, got ${describe(listen)}`)
  }
  const listenHost = listen.host ?? DEFAULT_HOST
  assertHost('listen.host', listenHost)
  const listenPort = listen.port ?? 0
  assertPort('listen.port', listenPort, 0)

  if (!Array.isArray(options.members)) {
    throw new TypeError(`members: expected an array of members, got ${describe(options.members)}`)
  }
  if (options.members.length > MAX_MEMBERS) {
    throw new RangeError(`members: expected at most ${MAX_MEMBERS} members, got ${options.members.length}`)
  }
  const members = new Map<NodeId, { host: string; port: number | undefined }>()
  const seen = new Set<NodeId>()
  options.members.forEach((member: unknown, index) => {
    if (typeof member !== 'object' || member === null) {
      throw new TypeError(
        `members[${index}]: expected an object with id, host and port, got ${describe(member)}`,
      )
    }
    const { id, host, port } = member as Partial<TcpMember>
    assertTcpNodeId(`members[${index}].id`, id)
    const memberHost = host ?? DEFAULT_HOST
    assertHost(`members[${index}].host`, memberHost)
    if (port !== undefined) assertPort(`members[${index}].port`, port, 1)
    if (seen.has(id)) throw new RangeError(`members[${index}].id: duplicate node id ${JSON.stringify(id)}`)
    seen.add(id)
    if (id !== options.localId) members.set(id, { host: memberHost, port })
  })

  const clusterId = options.clusterId ?? DEFAULT_CLUSTER_ID
  if (typeof clusterId !== 'string') {
    throw new TypeError(`clusterId: expected a string, got ${describe(clusterId)}`)
  }
  const clusterIdBytes = utf8.encode(clusterId).length
  if (clusterIdBytes === 0 || clusterIdBytes > MAX_CLUSTER_ID_BYTES) {
    throw new RangeError(
      `clusterId: expected 1 to ${MAX_CLUSTER_ID_BYTES} UTF-8 bytes, got ${clusterIdBytes} (${JSON.stringify(clusterId)})`,
    )
  }
  const secret = options.secret
  if (secret !== undefined) {
    if (!(secret instanceof Uint8Array)) {
      throw new TypeError(
        `secret: expected Uint8Array of at least ${MIN_SECRET_BYTES} bytes, got ${describe(secret)}`,
      )
    }
    if (secret.length < MIN_SECRET_BYTES) {
      throw new RangeError(
        `secret: expected Uint8Array of at least ${MIN_SECRET_BYTES} bytes, got length=${secret.length}`,
      )
    }
  }
  const maxFrameBytes = positiveInteger('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES)
  if (maxFrameBytes > 0xffff_ffff) {
    throw new RangeError(`maxFrameBytes: expected at most ${0xffff_ffff}, got ${maxFrameBytes}`)
  }
  const queueFullPolicy = options.queueFullPolicy ?? 'drop-oldest'
  if (queueFullPolicy !== 'drop-oldest' && queueFullPolicy !== 'drop-newest' && queueFullPolicy !== 'throw') {
    throw new RangeError(
      `queueFullPolicy: expected "drop-oldest", "drop-newest" or "throw", got ${JSON.stringify(queueFullPolicy)}`,
    )
  }
  const reconnect = options.reconnect ?? {}
  if (typeof reconnect !== 'object' || reconnect === null) {
    throw new TypeError(`reconnect: expected an object, got ${describe(reconnect)}`)
  }
  const reconnectInitialDelayMs = positiveInteger(
    'reconnect.initialDelayMs',
    reconnect.initialDelayMs,
    DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  )
  const reconnectMaxDelayMs = positiveInteger(
    'reconnect.maxDelayMs',
    reconnect.maxDelayMs,
    Math.max(DEFAULT_RECONNECT_MAX_DELAY_MS, reconnectInitialDelayMs),
  )
  if (reconnectMaxDelayMs < reconnectInitialDelayMs) {
    throw new RangeError(
      `reconnect.maxDelayMs: expected at least reconnect.initialDelayMs (${reconnectInitialDelayMs}), got ${reconnectMaxDelayMs}`,
    )
  }
  const random = options.random ?? Math.random
  if (typeof random !== 'function')
    throw new TypeError(`random: expected a function, got ${describe(random)}`)
  return {
    localId: options.localId,
    listen: { host: listenHost, port: listenPort },
    members,
    codec: codec as Codec<M>,
    clusterId,
    secret: secret === undefined ? undefined : new Uint8Array(secret),
    handshakeTimeoutMs: positiveInteger(
      'handshakeTimeoutMs',
      options.handshakeTimeoutMs,
      DEFAULT_HANDSHAKE_TIMEOUT_MS,
    ),
    maxFrameBytes,
    sendQueueLimit: positiveInteger('sendQueueLimit', options.sendQueueLimit, DEFAULT_SEND_QUEUE_LIMIT),
    queueFullPolicy,
    reconnectInitialDelayMs,
    reconnectMaxDelayMs,
    maxFramesPerWrite: positiveInteger(
      'maxFramesPerWrite',
      options.maxFramesPerWrite,
      DEFAULT_MAX_FRAMES_PER_WRITE,
    ),
    maxBytesPerWrite: positiveInteger(
      'maxBytesPerWrite',
      options.maxBytesPerWrite,
      DEFAULT_MAX_BYTES_PER_WRITE,
    ),
    random,
  }
}
