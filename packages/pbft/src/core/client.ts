/**
 * The PBFT client: a pure state machine like the replica. It signs requests,
 * sends them to the primary it believes in, retransmits to every replica on
 * timeout, and accepts a result once f+1 replicas sent matching replies (2f+1
 * for a read-only request, which falls back to an ordered request on timeout).
 */
import type { NodeId } from '@synod/transport'
import { signMessage, verifyReply } from './certificates.js'
import { PbftClientBusyError, PbftConfigError } from './errors.js'
import { Membership, toHex } from './membership.js'
import type { ClientRequest, PbftMessage, Reply } from './messages.js'
import type { OutboundMessage, PbftCrypto, ReplicaInfo } from './types.js'

/**
 * Options of a `PbftClient`. Durations are in ticks.
 *
 * @example
 * ```ts
 * new PbftClient({ id: 'alice', publicKey, crypto, replicas })
 * ```
 */
export interface PbftClientOptions {
  /** The client id replicas know it by (with the `any-key` policy: the hex of `publicKey`). */
  readonly id: string
  readonly publicKey: Uint8Array
  /** Signs with the client's key; `verify` checks replica replies. */
  readonly crypto: PbftCrypto
  readonly replicas: readonly ReplicaInfo[]
  /** Ticks before a request is retransmitted to every replica. Default 30. */
  readonly retransmitTicks?: number
  /** The first timestamp to use; must exceed every timestamp this client id used before. Default 1. */
  readonly firstTimestamp?: number
}

/**
 * A request's accepted result.
 *
 * @example
 * ```ts
 * for (const { timestamp, result } of client.ready().results) console.log(timestamp, result)
 * ```
 */
export interface ClientResult {
  readonly timestamp: number
  readonly result: Uint8Array
  readonly readOnly: boolean
}

/**
 * What the client produced since the last `advance()`.
 *
 * @example
 * ```ts
 * const { messages, results } = client.ready()
 * ```
 */
export interface ClientReady {
  readonly messages: readonly OutboundMessage[]
  readonly results: readonly ClientResult[]
}

interface Outstanding {
  request: ClientRequest
  readonly operation: Uint8Array
  readonly replies: Map<number, Reply>
  ticks: number
}

/**
 * A PBFT client with one request outstanding at a time.
 *
 * @example
 * ```ts
 * const client = new PbftClient({ id, publicKey, crypto, replicas })
 * client.request(new TextEncoder().encode('set x 1'))
 * // deliver client.ready().messages, feed replies into client.step(from, reply), tick it,
 * // and read the accepted result from client.ready().results
 * ```
 */
export class PbftClient {
  readonly id: string
  private readonly publicKey: Uint8Array
  private readonly crypto: PbftCrypto
  private readonly membership: Membership
  private readonly retransmitTicks: number
  private nextTimestamp: number
  private view = 0
  private current: Outstanding | undefined
  private outMessages: OutboundMessage[] = []
  private outResults: ClientResult[] = []

  /** @throws {PbftConfigError} for an invalid membership, id or limit */
  constructor(options: PbftClientOptions) {
    this.membership = new Membership(options.replicas)
    if (typeof options.id !== 'string' || options.id.length === 0)
      throw new PbftConfigError('id', 'expected a non-empty string')
    if (!(options.publicKey instanceof Uint8Array))
      throw new PbftConfigError('publicKey', 'expected a Uint8Array')
    this.id = options.id
    this.publicKey = options.publicKey.slice()
    this.crypto = options.crypto
    this.retransmitTicks = options.retransmitTicks ?? 30
    if (!Number.isSafeInteger(this.retransmitTicks) || this.retransmitTicks <= 0)
      throw new PbftConfigError(
        'retransmitTicks',
        `expected a positive integer, got ${String(this.retransmitTicks)}`,
      )
    this.nextTimestamp = options.firstTimestamp ?? 1
    if (!Number.isSafeInteger(this.nextTimestamp) || this.nextTimestamp <= 0)
      throw new PbftConfigError(
        'firstTimestamp',
        `expected a positive integer, got ${String(this.nextTimestamp)}`,
      )
  }

  /** The id a client must use under the `any-key` policy. @example `PbftClient.idForKey(publicKey)` */
  static idForKey(publicKey: Uint8Array): string {
    return toHex(publicKey)
  }

  /** The timestamp of the outstanding request, if any. */
  get outstanding(): number | undefined {
    return this.current?.request.timestamp
  }

  /**
   * Signs and sends a request (to the primary; a read-only one to every replica).
   *
   * @returns the request's timestamp
   * @throws {PbftClientBusyError} while another request is outstanding
   */
  request(operation: Uint8Array, options: { readOnly?: boolean } = {}): number {
    if (this.current !== undefined) throw new PbftClientBusyError(this.id, this.current.request.timestamp)
    if (!(operation instanceof Uint8Array))
      throw new TypeError(`operation: expected Uint8Array, got ${typeof operation}`)
    const readOnly = options.readOnly === true
    const timestamp = this.nextTimestamp++
    const request = this.sign(operation, timestamp, readOnly)
    this.current = { request, operation, replies: new Map(), ticks: 0 }
    if (readOnly) this.broadcast(request)
    else
      this.outMessages.push({
        to: this.membership.ids[this.membership.primaryOf(this.view)]!,
        message: request,
      })
    return timestamp
  }

  private sign(operation: Uint8Array, timestamp: number, readOnly: boolean): ClientRequest {
    return signMessage<ClientRequest>(this.crypto, {
      kind: 'request',
      client: this.id,
      publicKey: this.publicKey,
      timestamp,
      readOnly,
      operation,
    })
  }

  private broadcast(message: PbftMessage): void {
    for (const id of this.membership.ids) this.outMessages.push({ to: id, message })
  }

  /** Handles a message from a replica; anything but a valid reply to the outstanding request is ignored. */
  step(from: NodeId, message: PbftMessage): void {
    const current = this.current
    if (message.kind !== 'reply' || current === undefined) return
    const reply = message
    if (this.membership.ids[reply.replica] !== from) return
    if (reply.client !== this.id || reply.timestamp !== current.request.timestamp) return
    if (reply.readOnly !== current.request.readOnly) return
    if (current.replies.has(reply.replica)) return
    const key = this.membership.keys[reply.replica]
    if (key === undefined || !verifyReply(this.crypto, key, reply)) return
    current.replies.set(reply.replica, reply)
    if (reply.view > this.view) this.view = reply.view
    const needed = current.request.readOnly ? this.membership.quorum : this.membership.f + 1
    const counts = new Map<string, number>()
    for (const candidate of current.replies.values()) {
      const key = toHex(candidate.result)
      const count = (counts.get(key) ?? 0) + 1
      counts.set(key, count)
      if (count >= needed) {
        this.outResults.push({
          timestamp: current.request.timestamp,
          result: candidate.result,
          readOnly: current.request.readOnly,
        })
        this.current = undefined
        return
      }
    }
  }

  /** Advances time: a request without enough replies is retransmitted to every replica (read-only ones as ordered requests). */
  tick(): void {
    const current = this.current
    if (current === undefined) return
    current.ticks++
    if (current.ticks < this.retransmitTicks) return
    current.ticks = 0
    if (current.request.readOnly) {
      current.request = this.sign(current.operation, current.request.timestamp, false)
      current.replies.clear()
    }
    this.broadcast(current.request)
  }

  hasReady(): boolean {
    return this.outMessages.length > 0 || this.outResults.length > 0
  }

  ready(): ClientReady {
    return { messages: this.outMessages, results: this.outResults }
  }

  advance(): void {
    this.outMessages = []
    this.outResults = []
  }
}
