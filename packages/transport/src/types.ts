/** The identity of a node: any non-empty string, unique within a cluster. */
export type NodeId = string

/** Receives one message and the id of the node that sent it. */
export type MessageHandler<M> = (from: NodeId, message: M) => void

/**
 * The one contract every protocol in Synod talks through.
 *
 * Delivery is best-effort: a message may be lost, duplicated, delayed or
 * reordered (a transport may promise more, such as FIFO per link, but protocols
 * never rely on delivery). Retries and timeouts belong to the protocol.
 *
 * @example
 * ```ts
 * const network = new MemoryNetwork<string>()
 * const a = network.join('a')
 * const b = network.join('b')
 * b.onMessage((from, message) => console.log(from, message)) // a hello
 * a.send('b', 'hello')
 * ```
 */
export interface Transport<M> {
  /** This node's own id. */
  readonly localId: NodeId
  /**
   * Queues `message` for `to` and returns at once. Never blocks and never waits
   * for delivery.
   * @throws {TypeError} when `to` is not a non-empty string
   * @throws {TransportClosedError} after `close()`
   * @throws {UnknownPeerError} when the transport enforces a membership and `to` is outside it
   */
  send(to: NodeId, message: M): void
  /**
   * Registers a handler for incoming messages.
   * @returns a function that removes the handler
   */
  onMessage(handler: MessageHandler<M>): () => void
  /** Stops sending and delivering. Idempotent. */
  close(): Promise<void>
}

/**
 * Turns messages into bytes and back. `decode` is a trust boundary: it throws
 * `DecodeError` for anything that is not a valid encoding, and never returns a
 * half-built message.
 *
 * @example
 * ```ts
 * const codec = jsonCodec<{ n: number }>()
 * codec.decode(codec.encode({ n: 1 })) // { n: 1 }
 * ```
 */
export interface Codec<M> {
  encode(message: M): Uint8Array
  decode(bytes: Uint8Array): M
}
