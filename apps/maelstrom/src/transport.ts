/**
 * `MaelstromTransport`: a Synod `Transport` over Maelstrom's network, so any
 * Synod protocol can run between Maelstrom nodes. A message to another node is
 * one line on stdout, `{"src":…,"dest":…,"body":{"type":"synod","payload":…}}`;
 * Maelstrom routes it (with its delays, losses and partitions) and the
 * receiving node hands the payload to `deliver`.
 */
import {
  assertNodeId,
  type Codec,
  DEFAULT_MAX_MESSAGE_BYTES,
  DecodeError,
  FrameTooLargeError,
  HandlerRegistry,
  type MessageHandler,
  type NodeId,
  type Transport,
  TransportClosedError,
  UnknownPeerError,
} from '@synod/transport'
import type { JsonValue } from './json.js'

/**
 * The `type` of a Maelstrom message body that carries a Synod transport message.
 *
 * @example
 * ```ts
 * if (envelope.body.type === SYNOD_MESSAGE_TYPE) transport.deliver(envelope.src, envelope.body.payload)
 * ```
 */
export const SYNOD_MESSAGE_TYPE = 'synod'

/**
 * Options of `MaelstromTransport`.
 *
 * With a `codec`, each message is encoded to bytes and the payload is their
 * base64 text (for protocols that already have a binary codec, such as Raft's).
 * Without one, the payload is the message itself as JSON, checked on arrival
 * by `validate` when given.
 *
 * @example
 * ```ts
 * const options: MaelstromTransportOptions<RaftMessage> = { localId: 'n1', members: ['n1', 'n2'], write, codec: raftMessageCodec() }
 * ```
 */
export interface MaelstromTransportOptions<M> {
  /** This node's id (Maelstrom's `node_id`). */
  localId: NodeId
  /** Writes one line (without its newline) to stdout. */
  write: (line: string) => void
  /** When given, sending to or receiving from another id is refused (`node_ids`). */
  members?: readonly NodeId[]
  /** Encodes messages to bytes; the payload is then base64. */
  codec?: Codec<M>
  /** Without a codec: turns an arriving payload into a message, or throws. */
  validate?: (payload: unknown) => M
  /** The largest line `send` writes, in bytes (default 1 MiB, like the receiving side's line limit). */
  maxLineBytes?: number
  /**
   * Names this transport's channel when a node runs several (say, a consensus
   * protocol and request forwarding): the body then carries `channel` too. The
   * default channel writes no `channel` member.
   */
  channel?: string
  /** Told about each arriving payload that was refused (undecodable, from a non-member). */
  onRefused?: (from: NodeId, reason: string) => void
}

/**
 * A `Transport` whose wire is Maelstrom's stdin/stdout. Messages may be lost,
 * delayed, duplicated or reordered by Maelstrom, as the contract allows.
 *
 * @example
 * ```ts
 * const transport = new MaelstromTransport<{ n: number }>({
 *   localId: 'n1',
 *   members: ['n1', 'n2'],
 *   write: (line) => process.stdout.write(`${line}\n`),
 * })
 * transport.send('n2', { n: 1 }) // {"src":"n1","dest":"n2","body":{"type":"synod","payload":{"n":1}}}
 * // on n2, the node's stdin loop calls: transport.deliver('n1', { n: 1 })
 * ```
 */
export class MaelstromTransport<M> implements Transport<M> {
  readonly localId: NodeId
  private readonly options: MaelstromTransportOptions<M>
  private readonly members: ReadonlySet<NodeId> | undefined
  private readonly maxLineBytes: number
  private readonly handlers = new HandlerRegistry<MessageHandler<M>>()
  private closed = false

  /**
   * @throws {TypeError} or {RangeError} when `localId` or a member is not a node id, or `maxLineBytes` is not a positive integer
   */
  constructor(options: MaelstromTransportOptions<M>) {
    assertNodeId('localId', options.localId)
    if (options.channel !== undefined && !/^[a-z0-9][a-z0-9-]{0,63}$/.test(options.channel))
      throw new RangeError(
        `channel: expected 1 to 64 lowercase letters, digits or dashes, got ${JSON.stringify(options.channel)}`,
      )
    if (typeof options.write !== 'function')
      throw new TypeError(`write: expected a function, got ${typeof options.write}`)
    if (options.members !== undefined) {
      if (!Array.isArray(options.members)) throw new TypeError('members: expected an array of node ids')
      options.members.forEach((id, index) => assertNodeId(`members[${index}]`, id))
      this.members = new Set(options.members)
    }
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes <= 0)
      throw new RangeError(`maxLineBytes: expected a positive integer, got ${String(maxLineBytes)}`)
    this.localId = options.localId
    this.options = options
    this.maxLineBytes = maxLineBytes
  }

  /**
   * Writes `message` for `to` as one line and returns.
   * @throws {TypeError} / {RangeError} when `to` is not a node id
   * @throws {TransportClosedError} after `close()`
   * @throws {UnknownPeerError} when `members` was given and `to` is not one
   * @throws {FrameTooLargeError} when the line would exceed `maxLineBytes`
   */
  send(to: NodeId, message: M): void {
    assertNodeId('to', to)
    if (this.closed) throw new TransportClosedError(this.localId)
    if (this.members && !this.members.has(to)) throw new UnknownPeerError(to)
    const codec = this.options.codec
    const payload = codec ? Buffer.from(codec.encode(message)).toString('base64') : message
    const channel = this.options.channel
    const body =
      channel === undefined
        ? { type: SYNOD_MESSAGE_TYPE, payload }
        : { type: SYNOD_MESSAGE_TYPE, channel, payload }
    const line = JSON.stringify({ src: this.localId, dest: to, body })
    if (line === undefined || (!codec && payload === undefined))
      throw new TypeError('message: expected a JSON-serializable value, got undefined')
    const bytes = Buffer.byteLength(line)
    if (bytes > this.maxLineBytes) throw new FrameTooLargeError(bytes, this.maxLineBytes)
    this.options.write(line)
  }

  /** Registers a handler for arriving messages; returns a function that removes it. */
  onMessage(handler: MessageHandler<M>): () => void {
    return this.handlers.add(handler)
  }

  /** Stops sending and delivering. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    this.handlers.clear()
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed
  }

  /**
   * Hands a payload that arrived from `from` to the handlers, after decoding
   * it. A payload that does not decode, or comes from a non-member, is refused
   * (reported to `onRefused`), never thrown.
   *
   * @returns whether the message was delivered to the handlers
   */
  deliver(from: NodeId, payload: JsonValue | undefined): boolean {
    if (this.closed) return false
    if (this.members && !this.members.has(from)) {
      this.options.onRefused?.(from, `sender "${from}" is not a member`)
      return false
    }
    let message: M
    try {
      message = this.decode(payload)
    } catch (error) {
      this.options.onRefused?.(from, (error as Error).message)
      return false
    }
    for (const handler of this.handlers) handler(from, message)
    return true
  }

  private decode(payload: JsonValue | undefined): M {
    const { codec, validate } = this.options
    if (codec) {
      if (typeof payload !== 'string') throw new DecodeError('payload: expected a base64 string')
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) throw new DecodeError('payload: not base64')
      return codec.decode(new Uint8Array(Buffer.from(payload, 'base64')))
    }
    if (payload === undefined) throw new DecodeError('payload: missing')
    if (!validate) return payload as M
    try {
      return validate(payload)
    } catch (cause) {
      if (DecodeError.isInstance(cause)) throw cause
      throw new DecodeError((cause as Error).message ?? String(cause), { cause })
    }
  }
}
