import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'
import {
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
import { type HandshakeRefusalReason, HandshakeRefusedError } from './errors.js'
import {
  emptyStats,
  type TcpTransportEvent,
  type TcpTransportEventHandler,
  type TcpTransportStats,
} from './events.js'
import { acceptHandshake, dialHandshake, MAX_HANDSHAKE_BYTES } from './handshake.js'
import {
  assertTcpAddress,
  assertTcpNodeId,
  type ResolvedOptions,
  resolveOptions,
  type TcpAddress,
  type TcpTransportOptions,
} from './options.js'
import { socketConnection } from './socket-connection.js'
import { SocketReader } from './socket-reader.js'

/** The most inbound connections handshaking at once; more are refused as `overloaded`. */
export const MAX_PENDING_HANDSHAKES = 64
/** The most inbound connections kept per peer; a newer one closes the oldest. */
export const MAX_INBOUND_PER_PEER = 4
/** Bytes the handshake reader buffers at most (the handshake, plus the first frames behind it). */
const HANDSHAKE_BUFFER_BYTES = 4 * MAX_HANDSHAKE_BYTES + 1024 * 1024
/** TCP keep-alive probes start after this much idle time, so a vanished peer is noticed. */
const KEEP_ALIVE_DELAY_MS = 10_000
/** Refusals the dialer makes itself (the listener's answer was bad); the rest are plain dial failures. */
const OUTBOUND_REFUSALS: ReadonlySet<HandshakeRefusalReason> = new Set<HandshakeRefusalReason>([
  'bad-magic',
  'unsupported-version',
  'oversize',
  'malformed',
  'auth-required',
  'auth-unexpected',
  'bad-proof',
])

/** A Node `Buffer` as a plain `Uint8Array` view, so `slice` copies (Buffer's `slice` does not). */
function plainBytes(chunk: Uint8Array): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
}

function remoteAddressOf(socket: Socket): string {
  const host = socket.remoteAddress ?? 'unknown'
  return `${host.includes(':') ? `[${host}]` : host}:${socket.remotePort ?? 0}`
}

/**
 * A Synod `Transport` over plain TCP sockets (`node:net`), for a fixed membership.
 * Build it with `createTcpTransport`.
 *
 * - Handshake: every connection opens with magic, version, cluster id, the dialer's id and
 *   the id it means to reach; the listener refuses anything else (and, with a `secret`,
 *   anyone who cannot answer its HMAC challenge). The sender of every inbound message is
 *   the id from the handshake, never something the payload claims.
 * - Wire: one long-lived outbound connection per peer, carrying length-prefixed frames,
 *   many per `socket.write`, honouring backpressure. Inbound connections only receive.
 * - Delivery: FIFO per link while a connection lives; at most once (never duplicated),
 *   best-effort across reconnects (queued messages are kept, frames already written to a
 *   dying connection may be lost).
 * - Sending to yourself delivers locally, on a later macrotask, through the codec.
 *
 * Without a secret, any process that can reach the port can claim a member's id: use it
 * on trusted networks. Nothing is encrypted.
 *
 * @example
 * ```ts
 * const a = await createTcpTransport({ localId: 'a', members, codec })
 * a.onMessage((from, message) => console.log(from, message))
 * a.send('b', { kind: 'ping' })
 * await a.close()
 * ```
 */
export class TcpTransport<M> implements Transport<M> {
  /** This node's id. */
  readonly localId: NodeId
  /** The cluster id every handshake must carry. */
  readonly clusterId: string
  private readonly options: ResolvedOptions<M>
  private readonly server: Server
  private readonly bound: TcpAddress
  private readonly links = new Map<NodeId, OutboundLink>()
  private readonly inbound = new Map<NodeId, Socket[]>()
  private readonly sockets = new Set<Socket>()
  private readonly handshakeTimers = new Set<ReturnType<typeof setTimeout>>()
  private pendingHandshakes = 0
  private readonly counters: TcpTransportStats = emptyStats()
  private readonly linkHost: LinkHost
  private readonly handlers = new HandlerRegistry<MessageHandler<M>>()
  private readonly eventHandlers = new HandlerRegistry<TcpTransportEventHandler>()
  private closed = false
  private closing: Promise<void> | undefined

  /** @internal use `createTcpTransport` */
  constructor(options: ResolvedOptions<M>, server: Server) {
    this.options = options
    this.localId = options.localId
    this.clusterId = options.clusterId
    this.server = server
    const address = server.address() as AddressInfo
    this.bound = { host: address.address, port: address.port }
    this.linkHost = {
      ...pickLinkSettings(options),
      stats: this.counters,
      open: async (peer, signal) => socketConnection(await this.dial(peer, signal)),
      emit: (event) => this.emit(event),
    }
    server.on('connection', (socket) => this.handleInbound(socket))
  }

  /**
   * The address the server is bound to (with the port the system picked for port 0).
   *
   * @example
   * ```ts
   * const { host, port } = transport.address()
   * ```
   */
  address(): TcpAddress {
    return { ...this.bound }
  }

  /** The ids of every member, this node included. */
  get memberIds(): NodeId[] {
    return [this.localId, ...this.options.members.keys()]
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
    assertTcpNodeId('to', to)
    if (this.closed) throw new TransportClosedError(this.localId)
    if (to !== this.localId && !this.options.members.has(to)) throw new UnknownPeerError(to)
    const bytes = encodeOutboundMessage(this.options.codec, message, this.options.maxFrameBytes)
    if (to === this.localId) {
      this.counters.messagesQueued++
      setImmediate(() => {
        if (!this.closed) this.deliverFrame(this.localId, bytes)
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
   * transport.onEvent((event) => { if (event.type === 'peer-refused') console.warn(event.error.reason) })
   * ```
   */
  onEvent(handler: TcpTransportEventHandler): () => void {
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
  stats(): TcpTransportStats {
    return { ...this.counters }
  }

  /**
   * Sets where a member listens (for example once its port is known). A link waiting
   * to reconnect to it dials at once; an open connection is kept.
   *
   * @throws {TypeError} when `id` is not a string, or `address` is not `{ host, port }`
   * @throws {RangeError} when the host is empty or the port is not from 1 to 65535
   * @throws {UnknownPeerError} when `id` is not a member
   * @throws {TransportClosedError} after `close()`
   * @example
   * ```ts
   * a.setPeerAddress('b', b.address())
   * ```
   */
  setPeerAddress(id: NodeId, address: TcpAddress): void {
    assertTcpNodeId('id', id)
    assertTcpAddress('address', address)
    if (this.closed) throw new TransportClosedError(this.localId)
    if (id === this.localId) return
    const member = this.options.members.get(id)
    if (member === undefined) throw new UnknownPeerError(id)
    member.host = address.host
    member.port = address.port
    this.links.get(id)?.retryNow()
  }

  /**
   * Stops sending and delivering, drops queued messages (reported as
   * `message-dropped`), closes the server and every connection, and clears every
   * timer. Idempotent.
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
    for (const timer of this.handshakeTimers) clearTimeout(timer)
    this.handshakeTimers.clear()
    for (const socket of this.sockets) socket.destroy()
    this.inbound.clear()
    this.closing = new Promise<void>((resolve) => {
      this.server.close(() => resolve())
    }).finally(() => {
      this.eventHandlers.clear()
    })
    return this.closing
  }

  /** @internal reports an event to every event handler, never throwing into the caller */
  emit(event: TcpTransportEvent): void {
    this.eventHandlers.callEach([event], () => {
      // an event handler's failure must not reach socket callbacks
    })
  }

  private track(socket: Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
  }

  private startHandshakeTimer(onTimeout: () => void): () => void {
    const timer = setTimeout(() => {
      this.handshakeTimers.delete(timer)
      onTimeout()
    }, this.options.handshakeTimeoutMs)
    this.handshakeTimers.add(timer)
    return () => {
      clearTimeout(timer)
      this.handshakeTimers.delete(timer)
    }
  }

  private refusePeer(
    direction: 'inbound' | 'outbound',
    claimedId: NodeId | undefined,
    remoteAddress: string,
    error: HandshakeRefusedError,
  ): void {
    this.counters.peersRefused++
    this.emit({ type: 'peer-refused', direction, claimedId, remoteAddress, error })
  }

  private async dial(peer: NodeId, signal: AbortSignal): Promise<Socket> {
    const member = this.options.members.get(peer)
    if (member === undefined) throw new UnknownPeerError(peer)
    if (member.port === undefined) {
      throw new Error(`the address of "${peer}" is not known yet: call setPeerAddress`)
    }
    if (signal.aborted) throw new TransportClosedError(this.localId)
    const remoteAddress = `${member.host}:${member.port}`
    const socket = connect({ host: member.host, port: member.port })
    this.track(socket)
    socket.setNoDelay(true)
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS)
    let connected = false
    socket.once('connect', () => {
      connected = true
    })
    const reader = new SocketReader(socket, HANDSHAKE_BUFFER_BYTES)
    const stopTimer = this.startHandshakeTimer(() => {
      reader.fail(
        new HandshakeRefusedError(
          'timeout',
          `no handshake with "${peer}" within ${this.options.handshakeTimeoutMs} ms`,
        ),
      )
      socket.destroy()
    })
    const onAbort = () => {
      reader.fail(new TransportClosedError(this.localId))
      socket.destroy()
    }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      await dialHandshake(reader, {
        localId: this.localId,
        peer,
        clusterId: this.options.clusterId,
        secret: this.options.secret,
        write: (bytes) => socket.write(bytes),
      })
      const leftover = reader.detach()
      if (leftover.length > 0) {
        throw new HandshakeRefusedError('malformed', `${leftover.length} unexpected bytes after the accept`)
      }
    } catch (error) {
      socket.destroy()
      if (!connected && reader.error) throw reader.error
      if (HandshakeRefusedError.isInstance(error) && OUTBOUND_REFUSALS.has(error.reason) && !this.closed) {
        this.refusePeer('outbound', peer, remoteAddress, error)
      }
      throw error
    } finally {
      stopTimer()
      signal.removeEventListener('abort', onAbort)
    }
    // the listener never writes after its accept: anything more breaks the protocol
    socket.on('data', () => socket.destroy(new Error(`"${peer}" wrote after the handshake`)))
    return socket
  }

  private handleInbound(socket: Socket): void {
    this.track(socket)
    socket.on('error', () => {
      // every failure ends in 'close', which is what the handlers below act on
    })
    const remoteAddress = remoteAddressOf(socket)
    if (this.closed) {
      socket.destroy()
      return
    }
    if (this.pendingHandshakes >= MAX_PENDING_HANDSHAKES) {
      this.refusePeer(
        'inbound',
        undefined,
        remoteAddress,
        new HandshakeRefusedError(
          'overloaded',
          `${MAX_PENDING_HANDSHAKES} connections are handshaking already`,
        ),
      )
      socket.destroy()
      return
    }
    this.pendingHandshakes++
    const attempt: { claimedId: NodeId | undefined } = { claimedId: undefined }
    const reader = new SocketReader(socket, HANDSHAKE_BUFFER_BYTES)
    const stopTimer = this.startHandshakeTimer(() => {
      reader.fail(
        new HandshakeRefusedError(
          'timeout',
          `no complete handshake from ${remoteAddress} within ${this.options.handshakeTimeoutMs} ms`,
        ),
      )
    })
    const context = {
      localId: this.localId,
      clusterId: this.options.clusterId,
      secret: this.options.secret,
      isMember: (id: NodeId) => this.options.members.has(id),
      write: (bytes: Uint8Array) => {
        socket.write(bytes)
      },
    }
    acceptHandshake(reader, context, attempt).then(
      (peer) => {
        stopTimer()
        this.pendingHandshakes--
        const leftover = reader.detach()
        if (this.closed || socket.destroyed) {
          socket.destroy()
          return
        }
        this.receive(peer, socket, remoteAddress, leftover)
      },
      (error: unknown) => {
        stopTimer()
        this.pendingHandshakes--
        reader.detach()
        socket.destroy()
        if (this.closed) return
        const refusal = HandshakeRefusedError.isInstance(error)
          ? error
          : new HandshakeRefusedError('malformed', error instanceof Error ? error.message : String(error))
        this.refusePeer('inbound', attempt.claimedId, remoteAddress, refusal)
      },
    )
  }

  /** Reads frames from an inbound connection whose handshake named it `peer`. */
  private receive(peer: NodeId, socket: Socket, remoteAddress: string, leftover: Uint8Array): void {
    const open = this.inbound.get(peer) ?? []
    open.push(socket)
    this.inbound.set(peer, open)
    while (open.length > MAX_INBOUND_PER_PEER) open.shift()?.destroy()
    this.counters.connectionsAccepted++
    this.emit({ type: 'connection-accepted', peer, remoteAddress })

    const decoder = new FrameDecoder({ maxFrameBytes: this.options.maxFrameBytes })
    let finished = false
    const refuse = (error: unknown) => {
      finished = true
      this.refuseFrame(peer, error)
      socket.destroy()
    }
    const onData = (chunk: Uint8Array) => {
      if (finished || this.closed) return
      const bytes = plainBytes(chunk)
      this.counters.bytesReceived += bytes.length
      let frames: Uint8Array[]
      try {
        frames = decoder.push(bytes)
      } catch (error) {
        // an oversized header: the stream is out of step, close it (the peer reconnects)
        refuse(error)
        return
      }
      for (const frame of frames) {
        if (finished || this.closed) return
        let message: M
        try {
          message = this.options.codec.decode(frame)
        } catch (error) {
          refuse(error)
          return
        }
        this.deliver(peer, message)
      }
    }
    socket.once('close', () => {
      const sockets = this.inbound.get(peer)
      if (sockets === undefined) return
      const remaining = sockets.filter((s) => s !== socket)
      if (remaining.length === 0) this.inbound.delete(peer)
      else this.inbound.set(peer, remaining)
    })
    socket.once('end', () => {
      if (finished) return
      finished = true
      try {
        decoder.finish()
      } catch (error) {
        if (!this.closed) this.refuseFrame(peer, error)
      }
    })
    if (leftover.length > 0) onData(leftover)
    socket.on('data', onData)
  }

  private deliverFrame(from: NodeId, frame: Uint8Array): void {
    let message: M
    try {
      message = this.options.codec.decode(frame)
    } catch (error) {
      this.refuseFrame(from, error)
      return
    }
    this.deliver(from, message)
  }

  private deliver(from: NodeId, message: M): void {
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

  private refuseFrame(from: NodeId, error: unknown): void {
    this.counters.framesRefused++
    this.emit({ type: 'frame-refused', from, error: frameRefusal(error) })
  }
}

/**
 * Starts listening and returns the transport once the server is bound.
 *
 * `members` maps each node id to where it listens; a member whose port is not known yet
 * may leave it out (`setPeerAddress` sets it later). The local node may be listed or left out.
 *
 * @param options - see `TcpTransportOptions`
 * @returns the listening transport
 * @throws {TypeError} for an option of the wrong type
 * @throws {RangeError} for an option out of range or a duplicate member
 * @throws {Error} (rejects) when the server cannot listen, such as `EADDRINUSE`
 * @example
 * ```ts
 * import { jsonCodec } from '@synod/transport'
 * import { createTcpTransport } from '@synod/transport-tcp'
 *
 * const codec = jsonCodec<{ text: string }>()
 * const members = [
 *   { id: 'a', host: '127.0.0.1', port: 7001 },
 *   { id: 'b', host: '127.0.0.1', port: 7002 },
 * ]
 * const a = await createTcpTransport({ localId: 'a', listen: { port: 7001 }, members, codec })
 * const b = await createTcpTransport({ localId: 'b', listen: { port: 7002 }, members, codec })
 * b.onMessage((from, message) => console.log(from, message.text)) // a hello
 * a.send('b', { text: 'hello' })
 * ```
 */
export async function createTcpTransport<M>(options: TcpTransportOptions<M>): Promise<TcpTransport<M>> {
  const resolved = resolveOptions(options)
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once('error', onError)
    server.listen({ host: resolved.listen.host, port: resolved.listen.port }, () => {
      server.off('error', onError)
      resolve()
    })
  })
  server.on('error', () => {
    // a listening server reports accept failures here; connections carry on
  })
  return new TcpTransport<M>(resolved, server)
}
