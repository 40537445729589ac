import type { PrivateKey } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { assertCodec, assertNodeId, type Codec, type NodeId } from '@synod/transport'
import {
  describeValue as describe,
  type LinkOptions,
  type LinkSettings,
  resolveLinkOptions,
} from '@synod/transport/link'
import { assertEd25519PeerId } from './identity.js'

/**
 * The protocol id the transport speaks by default.
 *
 * @example
 * ```ts
 * createLibp2pTransport({ ...options, protocol: DEFAULT_PROTOCOL }) // '/synod/transport/1.0.0'
 * ```
 */
export const DEFAULT_PROTOCOL = '/synod/transport/1.0.0'
/**
 * The most members a cluster may have.
 *
 * @example
 * ```ts
 * if (members.length > MAX_MEMBERS) throw new Error('too many validators')
 * ```
 */
export const MAX_MEMBERS = 1024

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
 * One member of the cluster: its Synod id, its libp2p peer id, and where to reach it.
 *
 * @example
 * ```ts
 * const member: Libp2pMember = { id: 'b', peerId: await peerIdFromSeed(seedB), addrs: ['/ip4/127.0.0.1/tcp/7002'] }
 * ```
 */
export interface Libp2pMember {
  /** The member's Synod node id. */
  id: NodeId
  /** The member's libp2p peer id string (`12D3KooW…`), derived from its Ed25519 key: see `peerIdFromSeed`. */
  peerId: string
  /**
   * Multiaddrs to dial, such as `/ip4/127.0.0.1/tcp/4001`. May be empty when the
   * member's port is not known yet: call `setPeerAddresses` later.
   */
  addrs: readonly string[]
}

/**
 * Options of `createLibp2pTransport`.
 *
 * @example
 * ```ts
 * const options: Libp2pTransportOptions<string> = {
 *   localId: 'a',
 *   privateKey: seedA,
 *   members: [{ id: 'b', peerId: peerIdB, addrs: ['/ip4/127.0.0.1/tcp/7002'] }],
 *   codec: jsonCodec<string>(),
 * }
 * ```
 */
export interface Libp2pTransportOptions<M> extends LinkOptions {
  /** This node's Synod id; must be one of `members` (or is added with the derived peer id). */
  localId: NodeId
  /** This node's identity: a 32-byte Ed25519 seed, or a libp2p Ed25519 `PrivateKey`. */
  privateKey: Uint8Array | PrivateKey
  /** Multiaddrs to listen on (default `['/ip4/127.0.0.1/tcp/0']`). */
  listen?: readonly string[]
  /** Every node of the cluster. Peers outside this list can neither connect nor deliver. */
  members: readonly Libp2pMember[]
  /** Turns messages into bytes and back; `decode` is the trust boundary. */
  codec: Codec<M>
  /** The protocol id (default `/synod/transport/1.0.0`); every member must use the same. */
  protocol?: string
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
  privateKey: Uint8Array | PrivateKey
  listen: string[]
  members: Libp2pMember[]
  codec: Codec<M>
  protocol: string
}

/**
 * Checks that `value` parses as a multiaddr.
 *
 * @throws {TypeError} when it is not a string
 * @throws {RangeError} when it does not parse
 * @example
 * ```ts
 * assertMultiaddr('listen[0]', '/ip4/127.0.0.1/tcp/0') // ok
 * assertMultiaddr('listen[0]', 'localhost:80') // RangeError: listen[0]: not a valid multiaddr: "localhost:80"
 * ```
 */
export function assertMultiaddr(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string')
    throw new TypeError(`${name}: expected a multiaddr string, got ${describe(value)}`)
  try {
    multiaddr(value)
  } catch {
    throw new RangeError(`${name}: not a valid multiaddr: ${JSON.stringify(value)}`)
  }
}

/**
 * Checks an address list.
 * @example
 * ```ts
 * assertMultiaddrs('addrs', ['/ip4/127.0.0.1/tcp/4001'])
 * ```
 */
export function assertMultiaddrs(name: string, value: unknown): asserts value is readonly string[] {
  if (!Array.isArray(value))
    throw new TypeError(`${name}: expected an array of multiaddr strings, got ${describe(value)}`)
  value.forEach((addr, index) => assertMultiaddr(`${name}[${index}]`, addr))
}

/**
 * Validates `createLibp2pTransport` options (everything but the key, which needs
 * async work) and fills in the defaults.
 *
 * @throws {TypeError} for a value of the wrong type
 * @throws {RangeError} for a value out of range, a duplicate member, or a bad address
 * @example
 * ```ts
 * const resolved = resolveOptions({ localId: 'a', privateKey: seed, members, codec })
 * resolved.sendQueueLimit // 10000
 * ```
 */
export function resolveOptions<M>(options: Libp2pTransportOptions<M>): ResolvedOptions<M> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options: expected an object, got ${describe(options)}`)
  }
  assertNodeId('localId', options.localId)
  assertCodec('codec', options.codec)
  const listen = options.listen ?? ['/ip4/127.0.0.1/tcp/0']
  assertMultiaddrs('listen', listen)
  if (!Array.isArray(options.members)) {
    throw new TypeError(`members: expected an array of members, got ${describe(options.members)}`)
  }
  if (options.members.length > MAX_MEMBERS) {
    throw new RangeError(`members: expected at most ${MAX_MEMBERS} members, got ${options.members.length}`)
  }
  const ids = new Set<string>()
  const peerIds = new Set<string>()
  const members = options.members.map((member: unknown, index): Libp2pMember => {
    if (typeof member !== 'object' || member === null) {
      throw new TypeError(
        `members[${index}]: expected an object with id, peerId and addrs, got ${describe(member)}`,
      )
    }
    const { id, peerId, addrs } = member as Partial<Libp2pMember>
    assertNodeId(`members[${index}].id`, id)
    assertEd25519PeerId(`members[${index}].peerId`, peerId)
    assertMultiaddrs(`members[${index}].addrs`, addrs ?? [])
    if (ids.has(id)) throw new RangeError(`members[${index}].id: duplicate node id ${JSON.stringify(id)}`)
    if (peerIds.has(peerId))
      throw new RangeError(`members[${index}].peerId: duplicate peer id ${JSON.stringify(peerId)}`)
    ids.add(id)
    peerIds.add(peerId)
    return { id, peerId, addrs: [...(addrs ?? [])] }
  })
  const link = resolveLinkOptions(options)
  const protocol = options.protocol ?? DEFAULT_PROTOCOL
  if (typeof protocol !== 'string' || !protocol.startsWith('/')) {
    throw new RangeError(`protocol: expected a string starting with "/", got ${JSON.stringify(protocol)}`)
  }
  return {
    localId: options.localId,
    privateKey: options.privateKey,
    listen: [...listen],
    members,
    codec: options.codec,
    protocol,
    ...link,
  }
}
