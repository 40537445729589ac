import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Connection, Libp2p, PeerId, PrivateKey, Stream, StreamMessageEvent } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import {
  assertNodeId,
  FrameDecoder,
  HandlerRegistry,
  type MessageHandler,
  type NodeId,
  type Transport,
  TransportClosedError,
  UnknownPeerError,
} from '@synod/transport'
import {
  encodeOutboundMessage,
  frameRefusal,
  type LinkHost,
  OutboundLink,
  pickLinkSettings,
} from '@synod/transport/link'
import { createLibp2p } from 'libp2p'
import {
  emptyStats,
  type Libp2pTransportEvent,
  type Libp2pTransportEventHandler,
  type Libp2pTransportStats,
} from './events.js'
import { toEd25519PrivateKey } from './identity.js'
import {
  assertMultiaddrs,
  type Libp2pTransportOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'
import { streamConnection } from './stream-connection.js'

/** The most inbound (and outbound) streams of the transport's protocol on one connection. */
const MAX_STREAMS_PER_CONNECTION = 8

interface MemberRecord {
  id: NodeId
  peerId: PeerId
}

/**
 * A Synod `Transport` over js-libp2p 3 (TCP + Noise + Yamux), for a fixed membership.
 * Build it with `createLibp2pTransport`.
 *
 * - Identity: each node holds an Ed25519 key; the sender of every message is the
 *   NodeId of the authenticated remote peer id, never something the payload claims.
 * - Membership: a connection gater refuses non-member peers both ways, and every
 *   inbound stream is checked again; refusals are reported as `peer-refused` events.
 * - Wire: one long-lived outbound stream per peer on `/synod/transport/1.0.0`,
 *   carrying length-prefixed frames, many per `stream.send`, honouring backpressure.
 * - Delivery: FIFO per link while a stream lives; best-effort across reconnects
 *   (queued messages are kept, frames already written to a dying stream are lost).
 * - Sending to yourself delivers locally, on a later macrotask, through the codec.
 *
 * @example
 * ```ts
 * const a = await createLibp2pTransport({ localId: 'a', privateKey: seedA, members, codec })
 * a.onMessage((from, message) => console.log(from, message))
 * a.send('b', { kind: 'ping' })
 * await a.close()
 * ```
 */
export class Libp2pTransport<M> implements Transport<M> {
  /** This node's Synod id. */
  readonly localId: NodeId
  /** This node's libp2p peer id string. */
  readonly peerId: string
  /**
   * The underlying libp2p node, for inspection and tests (such as writing raw bytes
   * on the protocol). Sending through it bypasses the transport's guarantees.
   */
  readonly libp2p: Libp2p
  /** The protocol id this transport speaks. */
  readonly protocol: string
  private readonly options: ResolvedOptions<M>
  private readonly members: Map<NodeId, MemberRecord>
  private readonly nodeIdByPeerId: Map<string, NodeId>
  private readonly links = new Map<NodeId, OutboundLink>()
  private readonly counters: Libp2pTransportStats
  private readonly linkHost: LinkHost
  private readonly handlers = new HandlerRegistry<MessageHandler<M>>()
  private readonly eventHandlers = new HandlerRegistry<Libp2pTransportEventHandler>()
  private closed = false
  private closing: Promise<void> | undefined

  /** @internal use `createLibp2pTransport` */
  constructor(
    options: ResolvedOptions<M>,
    identity: { peerId: string; members: Map<NodeId, MemberRecord>; nodeIdByPeerId: Map<string, NodeId> },
    libp2p: Libp2p,
    counters: Libp2pTransportStats,
    emit: (event: Libp2pTransportEvent) => void,
  ) {
    this.options = options
    this.localId = options.localId
    this.protocol = options.protocol
    this.peerId = identity.peerId
    this.members = identity.members
    this.nodeIdByPeerId = identity.nodeIdByPeerId
    this.libp2p = libp2p
    this.counters = counters
    this.linkHost = {
      ...pickLinkSettings(options),
      stats: counters,
      open: async (peer, signal) => streamConnection(await this.openStream(peer, signal)),
      emit,
    }
  }

  /** The addresses this node listens on, each ending in `/p2p/<peerId>`. */
  get multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((address) => address.toString())
  }

  /** The ids of every member, this node included. */
  get memberIds(): NodeId[] {
    return [...this.members.keys()]
  }

  /**
   * Queues `message` for `to` and returns at once. A message to `localId` is
   * delivered locally on a later macrotask, through the codec.
   *
   * @throws {TypeError} when `to` is not a string, or the codec does not return bytes
   * @throws {RangeError} when `to` is empty or too long
   * @throws {TransportClosedError} after `close()`
   * @throws {UnknownPeerError} when `to` is not a member
   * @throws {FrameTooLargeError} when the encoded message exceeds `maxFrameBytes`
   * @throws {SendQueueFullError} when the queue to `to` is full and `onFull` is `throw`
   * @example
   * ```ts
   * transport.send('b', { kind: 'ping', n: 1 })
   * ```
   */
  send(to: NodeId, message: M): void {
    assertNodeId('to', to)
    if (this.closed) throw new TransportClosedError(this.localId)
    if (!this.members.has(to)) throw new UnknownPeerError(to)
    const bytes = encodeOutboundMessage(this.options.codec, message, this.options.maxFrameBytes)
    if (to === this.localId) {
      this.counters.messagesQueued++
      setImmediate(() => {
        if (!this.closed) this.deliverFrame(this.localId, this.peerId, bytes)
      })
      return
    }
    let link = this.links.get(to)
    if (link === undefined) {
      link = new OutboundLink(to, this.linkHost)
      this.links.set(to, link)
    }
    link.enqueue(bytes)
    this.counters.messagesQueued++
  }

  /**
   * Registers a handler for incoming messages. A handler that throws is reported
   * as a `handler-failed` event; the other handlers still run.
   *
   * @returns a function that removes the handler
   * @throws {TypeError} when `handler` is not a function
   * @example
   * ```ts
   * const stop = transport.onMessage((from, message) => console.log(from, message))
   * stop()
   * ```
   */
  onMessage(handler: MessageHandler<M>): () => void {
    return this.handlers.add(handler)
  }

  /**
   * Registers a handler for transport events (refusals, drops, link changes).
   *
   * @returns a function that removes the handler
   * @throws {TypeError} when `handler` is not a function
   * @example
   * ```ts
   * transport.onEvent((event) => { if (event.type === 'peer-refused') console.warn(event.peerId) })
   * ```
   */
  onEvent(handler: Libp2pTransportEventHandler): () => void {
    return this.eventHandlers.add(handler)
  }

  /**
   * A snapshot of the transport's counters.
   *
   * @example
   * ```ts
   * const { messagesSent, messagesDropped, framesRefused } = transport.stats()
   * ```
   */
  stats(): Libp2pTransportStats {
    return { ...this.counters }
  }

  /**
   * Sets the addresses of a member (for example once its port is known), replacing
   * the previous ones. A link waiting to reconnect to it dials at once.
   *
   * @throws {TypeError} when `id` is not a string, or `addrs` not an array of strings
   * @throws {RangeError} when an address does not parse
   * @throws {UnknownPeerError} when `id` is not a member
   * @throws {TransportClosedError} after `close()`
   * @example
   * ```ts
   * await a.setPeerAddresses('b', b.multiaddrs)
   * ```
   */
  async setPeerAddresses(id: NodeId, addrs: readonly string[]): Promise<void> {
    assertNodeId('id', id)
    assertMultiaddrs('addrs', addrs)
    if (this.closed) throw new TransportClosedError(this.localId)
    const member = this.members.get(id)
    if (member === undefined) throw new UnknownPeerError(id)
    if (id === this.localId) return
    await this.libp2p.peerStore.patch(member.peerId, { multiaddrs: addrs.map((addr) => multiaddr(addr)) })
    this.links.get(id)?.retryNow()
  }

  /**
   * Stops sending and delivering, drops queued messages (reported as
   * `message-dropped`), and stops the libp2p node. Idempotent.
   *
   * @example
   * ```ts
   * await transport.close()
   * ```
   */
  close(): Promise<void> {
    if (this.closing) return this.closing
    this.closed = true
    for (const link of this.links.values()) link.close()
    this.handlers.clear()
    this.closing = (async () => {
      try {
        await this.libp2p.stop()
      } finally {
        this.eventHandlers.clear()
      }
    })()
    return this.closing
  }

  /** @internal */
  handleInboundStream(stream: Stream, connection: Connection): void {
    const peerId = connection.remotePeer.toString()
    const from = this.nodeIdByPeerId.get(peerId)
    if (this.closed) {
      stream.abort(new TransportClosedError(this.localId))
      return
    }
    if (from === undefined || from === this.localId) {
      reportRefusedPeer(this.counters, (event) => this.emit(event), peerId, 'inbound')
      stream.abort(new UnknownPeerError(peerId, 'is not a member'))
      return
    }
    const decoder = new FrameDecoder({ maxFrameBytes: this.options.maxFrameBytes })
    let finished = false
    const finish = () => {
      if (finished) return
      finished = true
      stream.removeEventListener('message', onMessage)
      try {
        decoder.finish()
      } catch (error) {
        this.refuseFrame(from, peerId, error)
      }
    }
    const onMessage = (event: StreamMessageEvent) => {
      if (finished || this.closed) return
      const data = event.data
      this.counters.bytesReceived += data.byteLength
      const chunks: Iterable<Uint8Array> = data instanceof Uint8Array ? [data] : data
      for (const chunk of chunks) {
        let frames: Uint8Array[]
        try {
          frames = decoder.push(chunk)
        } catch (error) {
          // an oversized header: the stream is out of step, close it (the peer may reconnect)
          finished = true
          stream.removeEventListener('message', onMessage)
          this.refuseFrame(from, peerId, error)
          stream.abort(error instanceof Error ? error : new Error(String(error)))
          return
        }
        for (const frame of frames) {
          if (this.closed) return
          this.deliverFrame(from, peerId, frame)
        }
      }
    }
    stream.addEventListener('message', onMessage)
    stream.addEventListener('remoteCloseWrite', finish, { once: true })
    stream.addEventListener(
      'close',
      (event) => {
        if (event.error === undefined) finish()
        else {
          finished = true
          stream.removeEventListener('message', onMessage)
        }
      },
      { once: true },
    )
  }

  /** @internal reports an event to every event handler, never throwing into the caller */
  emit(event: Libp2pTransportEvent): void {
    this.eventHandlers.callEach([event], () => {
      // an event handler's failure must not reach libp2p internals
    })
  }

  private async openStream(peer: NodeId, signal: AbortSignal): Promise<Stream> {
    const member = this.members.get(peer)
    if (member === undefined) throw new UnknownPeerError(peer)
    return this.libp2p.dialProtocol(member.peerId, this.protocol, { signal })
  }

  private deliverFrame(from: NodeId, peerId: string, frame: Uint8Array): void {
    let message: M
    try {
      message = this.options.codec.decode(frame)
    } catch (error) {
      this.refuseFrame(from, peerId, error)
      return
    }
    this.counters.messagesDelivered++
    // written out, not callEach: no argument array or closure per delivered message
    for (const handler of this.handlers) {
      try {
        handler(from, message)
      } catch (error) {
        this.counters.handlerErrors++
        this.emit({ type: 'handler-failed', from, error })
      }
    }
  }

  private refuseFrame(from: NodeId, peerId: string, error: unknown): void {
    this.counters.framesRefused++
    this.emit({ type: 'frame-refused', from, peerId, error: frameRefusal(error) })
  }
}

function reportRefusedPeer(
  counters: Libp2pTransportStats,
  emit: (event: Libp2pTransportEvent) => void,
  peerId: string,
  direction: 'inbound' | 'outbound',
): void {
  counters.peersRefused++
  emit({ type: 'peer-refused', peerId, direction, error: new UnknownPeerError(peerId, 'is not a member') })
}

/**
 * Starts a libp2p node (TCP + Noise + Yamux) for `options.localId` and returns its
 * transport once it listens.
 *
 * The node's identity is its Ed25519 key; `members` maps each NodeId to a peer id
 * (derive them with `peerIdFromSeed`) and, when known, its addresses. The local
 * node may be listed (with its own peer id) or left out.
 *
 * @param options - see `Libp2pTransportOptions`
 * @returns the started transport
 * @throws {TypeError} for an option of the wrong type
 * @throws {RangeError} for an option out of range, a duplicate member, a bad address,
 *   or a local member entry whose peer id does not match `privateKey`
 * @example
 * ```ts
 * import { jsonCodec } from '@synod/transport'
 * import { createLibp2pTransport, peerIdFromSeed } from '@synod/transport-libp2p'
 *
 * const seedA = new Uint8Array(32).fill(1)
 * const seedB = new Uint8Array(32).fill(2)
 * const members = [
 *   { id: 'a', peerId: await peerIdFromSeed(seedA), addrs: ['/ip4/127.0.0.1/tcp/7001'] },
 *   { id: 'b', peerId: await peerIdFromSeed(seedB), addrs: ['/ip4/127.0.0.1/tcp/7002'] },
 * ]
 * const codec = jsonCodec<{ text: string }>()
 * const a = await createLibp2pTransport({ localId: 'a', privateKey: seedA, listen: ['/ip4/127.0.0.1/tcp/7001'], members, codec })
 * const b = await createLibp2pTransport({ localId: 'b', privateKey: seedB, listen: ['/ip4/127.0.0.1/tcp/7002'], members, codec })
 * b.onMessage((from, message) => console.log(from, message.text)) // a hello
 * a.send('b', { text: 'hello' })
 * ```
 */
export async function createLibp2pTransport<M>(
  options: Libp2pTransportOptions<M>,
): Promise<Libp2pTransport<M>> {
  const resolved = resolveOptions(options)
  const privateKey: PrivateKey = await toEd25519PrivateKey('privateKey', options.privateKey)
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const members = new Map<NodeId, MemberRecord>()
  const nodeIdByPeerId = new Map<string, NodeId>()
  resolved.members.forEach((member, index) => {
    if (member.id === resolved.localId && member.peerId !== peerId) {
      throw new RangeError(
        `members[${index}].peerId: expected this node's peer id ${JSON.stringify(peerId)} for localId ${JSON.stringify(resolved.localId)}, got ${JSON.stringify(member.peerId)}`,
      )
    }
    if (member.peerId === peerId && member.id !== resolved.localId) {
      throw new RangeError(
        `members[${index}].id: peer id ${JSON.stringify(peerId)} is this node's, expected id ${JSON.stringify(resolved.localId)}, got ${JSON.stringify(member.id)}`,
      )
    }
    members.set(member.id, { id: member.id, peerId: peerIdFromString(member.peerId) })
    nodeIdByPeerId.set(member.peerId, member.id)
  })
  if (!members.has(resolved.localId)) {
    members.set(resolved.localId, { id: resolved.localId, peerId: peerIdFromPrivateKey(privateKey) })
    nodeIdByPeerId.set(peerId, resolved.localId)
  }

  const counters = emptyStats()
  // the gater runs inside libp2p before the transport exists: route through a late binding
  let transport: Libp2pTransport<M> | undefined
  const emit = (event: Libp2pTransportEvent) => transport?.emit(event)
  const deny = (remote: PeerId, direction: 'inbound' | 'outbound'): boolean => {
    const id = nodeIdByPeerId.get(remote.toString())
    if (id !== undefined && id !== resolved.localId) return false
    reportRefusedPeer(counters, emit, remote.toString(), direction)
    return true
  }
  const libp2p = await createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: resolved.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // libp2p's defaults (5 inbound connections per host per second, 10 pending) are sized for
    // an open network; a cluster whose members share one host would be refused at startup
    connectionManager: {
      inboundConnectionThreshold: Math.max(5, 2 * members.size),
      maxIncomingPendingConnections: Math.max(10, 2 * members.size),
    },
    connectionGater: {
      denyDialPeer: (remote) => deny(remote, 'outbound'),
      denyInboundEncryptedConnection: (remote) => deny(remote, 'inbound'),
      denyOutboundEncryptedConnection: (remote) => deny(remote, 'outbound'),
    },
  })
  const created = new Libp2pTransport<M>(
    resolved,
    { peerId, members, nodeIdByPeerId },
    libp2p,
    counters,
    emit,
  )
  transport = created
  try {
    await libp2p.handle(
      resolved.protocol,
      (stream, connection) => created.handleInboundStream(stream, connection),
      {
        maxInboundStreams: MAX_STREAMS_PER_CONNECTION,
        maxOutboundStreams: MAX_STREAMS_PER_CONNECTION,
      },
    )
    for (const member of resolved.members) {
      if (member.id === resolved.localId || member.addrs.length === 0) continue
      const record = members.get(member.id) as MemberRecord
      await libp2p.peerStore.patch(record.peerId, { multiaddrs: member.addrs.map((addr) => multiaddr(addr)) })
    }
    await libp2p.start()
  } catch (error) {
    try {
      await libp2p.stop()
    } catch {
      // the start failure is the error worth reporting
    }
    throw error
  }
  return created
}
