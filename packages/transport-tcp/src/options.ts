import { assertCodec, assertNodeId, type Codec, type NodeId } from '@synod/transport'
import {
  describeValue as describe,
  type LinkOptions,
  type LinkSettings,
  positiveIntegerOption as positiveInteger,
  resolveLinkOptions,
} from '@synod/transport/link'

export {
  DEFAULT_MAX_BYTES_PER_WRITE,
  DEFAULT_MAX_FRAMES_PER_WRITE,
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_SEND_QUEUE_LIMIT,
  type QueueFullPolicy,
  type ReconnectOptions,
} from '@synod/transport/link'

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
export interface TcpTransportOptions<M> extends LinkOptions {
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
}

/**
 * Options after validation, with every default filled in.
 *
 * @example
 * ```ts
 * const resolved: ResolvedOptions<string> = resolveOptions(options)
 * ```
 */
export interface ResolvedOptions<M> extends LinkSettings {
  localId: NodeId
  listen: TcpAddress
  /** Every member but this node, with its address (port undefined while unknown). */
  members: Map<NodeId, { host: string; port: number | undefined }>
  codec: Codec<M>
  clusterId: string
  secret: Uint8Array | undefined
  handshakeTimeoutMs: number
}

const utf8 = new TextEncoder()

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
  assertCodec('codec', options.codec)
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
  const link = resolveLinkOptions(options)
  return {
    localId: options.localId,
    listen: { host: listenHost, port: listenPort },
    members,
    codec: options.codec,
    clusterId,
    secret: secret === undefined ? undefined : new Uint8Array(secret),
    handshakeTimeoutMs: positiveInteger(
      'handshakeTimeoutMs',
      options.handshakeTimeoutMs,
      DEFAULT_HANDSHAKE_TIMEOUT_MS,
    ),
    ...link,
  }
}
