import { TransportClosedError, UnknownPeerError } from './errors.js'
import { HandlerRegistry } from './handler-registry.js'
import { assertNodeId } from './node-id.js'
import type { Codec, MessageHandler, NodeId, Transport } from './types.js'

export interface MemoryNetworkOptions<M> {
  /**
   * When given, only these ids may join, and sending to any other id throws
   * `UnknownPeerError`. Without it, any id may join and messages to ids that
   * are not (or no longer) joined are dropped, as a real network drops them.
   */
  members?: readonly NodeId[]
  /**
   * When given, every message is encoded on send and decoded on delivery, so the
   * receiver never shares an object with the sender and encoding bugs surface
   * in tests. Without it, messages are passed by reference and must be treated
   * as immutable.
   */
  codec?: Codec<M>
}

interface Envelope<M> {
  from: NodeId
  to: NodeId
  message: M | Uint8Array
}

/**
 * An in-process network: every `join` returns a `Transport`, and messages are
 * delivered asynchronously (on a later macrotask, in batches), FIFO per link.
 * For examples, tests and fast benchmarks.
 *
 * @example
 * ```ts
 * const network = new MemoryNetwork<string>({ members: ['a', 'b'] })
 * const a = network.join('a')
 * const b = network.join('b')
 * b.onMessage((from, text) => console.log(`${from}: ${text}`))
 * a.send('b', 'hello') // later prints "a: hello"
 * await network.close()
 * ```
 */
export class MemoryNetwork<M> {
  private readonly members: ReadonlySet<NodeId> | undefined
  private readonly codec: Codec<M> | undefined
  private readonly nodes = new Map<NodeId, MemoryTransport<M>>()
  private queue: Envelope<M>[] = []
  private scheduled = false
  private closed = false
  /** Messages dropped because their destination was not joined. */
  droppedMessages = 0
  /** Messages delivered to at least one handler. */
  deliveredMessages = 0

  constructor(options: MemoryNetworkOptions<M> = {}) {
    if (options.members !== undefined) {
      if (!Array.isArray(options.members)) throw new TypeError('members: expected an array of node ids')
      options.members.forEach((id, index) => assertNodeId(`members[${index}]`, id))
      this.members = new Set(options.members)
    }
    this.codec = options.codec
  }

  /**
   * Adds a node and returns its transport.
   * @throws {UnknownPeerError} when `members` was given and `id` is not in it
   * @throws {RangeError} when a live node with the same id already joined
   * @throws {TransportClosedError} when the network is closed
   */
  join(id: NodeId): Transport<M> {
    assertNodeId('id', id)
    if (this.closed) throw new TransportClosedError(id)
    if (this.members && !this.members.has(id)) throw new UnknownPeerError(id)
    if (this.nodes.has(id)) throw new RangeError(`id: node "${id}" already joined this network`)
    const transport = new MemoryTransport<M>(id, this)
    this.nodes.set(id, transport)
    return transport
  }

  /** Ids of the nodes currently joined. */
  get nodeIds(): NodeId[] {
    return [...this.nodes.keys()]
  }

  /** Closes every transport and drops undelivered messages. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.nodes.values()].map((node) => node.close()))
    this.queue = []
  }

  /** @internal */
  enqueue(from: NodeId, to: NodeId, message: M): void {
    if (this.members && !this.members.has(to)) throw new UnknownPeerError(to)
    this.queue.push({ from, to, message: this.codec ? this.codec.encode(message) : message })
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.flush())
    }
  }

  /** @internal */
  leave(id: NodeId, transport: MemoryTransport<M>): void {
    if (this.nodes.get(id) === transport) this.nodes.delete(id)
  }

  private flush(): void {
    this.scheduled = false
    const batch = this.queue
    this.queue = []
    for (const envelope of batch) {
      const node = this.nodes.get(envelope.to)
      if (!node) {
        this.droppedMessages++
        continue
      }
      const message = this.codec ? this.codec.decode(envelope.message as Uint8Array) : (envelope.message as M)
      if (node.deliver(envelope.from, message)) this.deliveredMessages++
    }
  }
}

class MemoryTransport<M> implements Transport<M> {
  readonly localId: NodeId
  private readonly network: MemoryNetwork<M>
  private readonly handlers = new HandlerRegistry<MessageHandler<M>>()
  private closed = false

  constructor(localId: NodeId, network: MemoryNetwork<M>) {
    this.localId = localId
    this.network = network
  }

  send(to: NodeId, message: M): void {
    assertNodeId('to', to)
    if (this.closed) throw new TransportClosedError(this.localId)
    this.network.enqueue(this.localId, to, message)
  }

  onMessage(handler: MessageHandler<M>): () => void {
    return this.handlers.add(handler)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.handlers.clear()
    this.network.leave(this.localId, this)
  }

  /** @internal Returns whether a handler saw the message. */
  deliver(from: NodeId, message: M): boolean {
    if (this.closed) return false
    let called = false
    for (const handler of this.handlers) {
      handler(from, message)
      called = true
    }
    return called
  }
}
