import type { Socket } from 'node:net'
import { encodeFrames, FRAME_HEADER_BYTES, type NodeId, SendQueueFullError } from '@synod/transport'
import type { TcpTransportEvent, TcpTransportStats } from './events.js'
import type { QueueFullPolicy } from './options.js'

/** The most `socket.write` calls one flush makes before it yields to the event loop. */
const MAX_WRITES_PER_FLUSH = 64

/** What a link needs from the transport that owns it. */
export interface LinkHost {
  readonly maxFrameBytes: number
  readonly sendQueueLimit: number
  readonly queueFullPolicy: QueueFullPolicy
  readonly reconnectInitialDelayMs: number
  readonly reconnectMaxDelayMs: number
  readonly maxFramesPerWrite: number
  readonly maxBytesPerWrite: number
  readonly random: () => number
  readonly stats: TcpTransportStats
  /** Connects to `peer` and completes the handshake; the socket is then ready for frames. */
  dial(peer: NodeId, signal: AbortSignal): Promise<Socket>
  emit(event: TcpTransportEvent): void
}

type LinkState = 'idle' | 'dialing' | 'open' | 'backoff' | 'closed'

/**
 * The sending half of one peer link: a bounded FIFO of encoded messages and one
 * long-lived outbound connection that carries them, many frames per `socket.write`.
 *
 * States: `idle` (no connection, nothing to send) → `dialing` → `open`; a failed dial
 * or a dropped connection goes to `backoff`, whose timer dials again when messages
 * are waiting (or returns to `idle`).
 *
 * Delivery is at most once: a batch leaves the queue when it is handed to
 * `socket.write`, and is never written again. A batch that could not be handed over (the
 * socket was already gone) stays queued for the next connection; frames handed to a
 * connection that then dies are lost (the kernel may or may not have delivered them), as
 * the transport contract allows. So messages are never duplicated, and may be lost only
 * around a connection failure.
 *
 * @example
 * ```ts
 * const link = new OutboundLink('b', host)
 * link.enqueue(codec.encode(message)) // dials b, then writes
 * ```
 */
export class OutboundLink {
  readonly peer: NodeId
  private readonly host: LinkHost
  private frames: Uint8Array[] = []
  private head = 0
  private state: LinkState = 'idle'
  private socket: Socket | undefined
  private awaitingDrain = false
  private flushScheduled = false
  private failures = 0
  private openedAtMs = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly abortController = new AbortController()

  constructor(peer: NodeId, host: LinkHost) {
    this.peer = peer
    this.host = host
  }

  /** Messages waiting to be written. */
  get queuedMessages(): number {
    return this.frames.length - this.head
  }

  /**
   * Queues one encoded message, applying the queue-full policy, and gets it moving.
   * @throws {SendQueueFullError} when the queue is full and the policy is `throw`
   */
  enqueue(bytes: Uint8Array): void {
    if (this.state === 'closed') return
    const host = this.host
    if (this.queuedMessages >= host.sendQueueLimit) {
      if (host.queueFullPolicy === 'throw') throw new SendQueueFullError(this.peer, host.sendQueueLimit)
      host.stats.messagesDropped++
      if (host.queueFullPolicy === 'drop-newest') {
        host.emit({ type: 'message-dropped', to: this.peer, reason: 'queue-full', count: 1 })
        return
      }
      this.removeFront(1)
      host.emit({ type: 'message-dropped', to: this.peer, reason: 'queue-full', count: 1 })
    }
    this.frames.push(bytes)
    host.stats.queuedMessages++
    if (this.state === 'idle') void this.connect()
    else if (this.state === 'open') this.scheduleFlush()
  }

  /** Called when the peer's address changed: a link waiting out a backoff dials now. */
  retryNow(): void {
    if (this.state !== 'backoff') return
    this.failures = 0
    this.clearTimer()
    if (this.queuedMessages > 0) void this.connect()
    else this.state = 'idle'
  }

  /** Stops the link for good, closes its connection and drops what is still queued. */
  close(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.clearTimer()
    this.abortController.abort()
    const dropped = this.queuedMessages
    if (dropped > 0) {
      this.host.stats.messagesDropped += dropped
      this.removeFront(dropped)
      this.host.emit({ type: 'message-dropped', to: this.peer, reason: 'transport-closed', count: dropped })
    }
    this.frames = []
    this.head = 0
    this.socket?.destroy()
    this.socket = undefined
  }

  /** Reads the state afresh (after an await, it may have changed). */
  private isClosed(): boolean {
    return this.state === 'closed'
  }

  private async connect(): Promise<void> {
    this.state = 'dialing'
    let socket: Socket
    try {
      socket = await this.host.dial(this.peer, this.abortController.signal)
    } catch (error) {
      if (this.isClosed()) return
      this.failures++
      this.host.stats.dialsFailed++
      const retryInMs = this.backoffMs()
      this.host.emit({ type: 'dial-failed', peer: this.peer, error: asError(error), retryInMs })
      this.waitAndRetry(retryInMs)
      return
    }
    if (this.isClosed()) {
      socket.destroy()
      return
    }
    let socketError: Error | undefined
    socket.on('error', (error) => {
      socketError ??= error
    })
    socket.once('close', () => this.onSocketGone(socket, socketError))
    if (socket.destroyed) {
      this.onSocketGone(socket, socketError)
      return
    }
    this.socket = socket
    this.state = 'open'
    this.openedAtMs = Date.now()
    this.host.stats.linksOpened++
    this.host.emit({ type: 'link-opened', peer: this.peer })
    this.flush()
  }

  private onSocketGone(socket: Socket, error: Error | undefined): void {
    if (this.socket !== socket) return
    this.socket = undefined
    this.awaitingDrain = false
    socket.destroy()
    if (this.state === 'closed') return
    this.host.emit({ type: 'link-closed', peer: this.peer, error })
    // a link that stayed up for a whole maximum delay was healthy: start the backoff over
    if (Date.now() - this.openedAtMs >= this.host.reconnectMaxDelayMs) this.failures = 0
    this.failures++
    this.waitAndRetry(this.backoffMs())
  }

  /** Exponential backoff with equal jitter: half the delay fixed, half random. */
  private backoffMs(): number {
    const { reconnectInitialDelayMs: initial, reconnectMaxDelayMs: max, random } = this.host
    const exponent = Math.min(Math.max(this.failures - 1, 0), 30)
    const delay = Math.min(max, initial * 2 ** exponent)
    const jitter = Math.min(Math.max(random(), 0), 1)
    return Math.round(delay / 2 + (jitter * delay) / 2)
  }

  private waitAndRetry(delayMs: number): void {
    this.state = 'backoff'
    this.clearTimer()
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.state !== 'backoff') return
      if (this.queuedMessages > 0) void this.connect()
      else this.state = 'idle'
    }, delayMs)
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.awaitingDrain) return
    this.flushScheduled = true
    // every send of the current macrotask lands in the same batch
    setImmediate(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  /** How many frames from the head go into the next write. */
  private batchSize(): number {
    const { maxFramesPerWrite, maxBytesPerWrite } = this.host
    const available = Math.min(this.queuedMessages, maxFramesPerWrite)
    let bytes = FRAME_HEADER_BYTES + (this.frames[this.head] as Uint8Array).length
    let count = 1
    while (count < available) {
      const next = FRAME_HEADER_BYTES + (this.frames[this.head + count] as Uint8Array).length
      if (bytes + next > maxBytesPerWrite) break
      bytes += next
      count++
    }
    return count
  }

  private flush(): void {
    for (let writes = 0; this.queuedMessages > 0; writes++) {
      const socket = this.socket
      if (this.state !== 'open' || socket === undefined || this.awaitingDrain) return
      if (writes === MAX_WRITES_PER_FLUSH) {
        this.scheduleFlush()
        return
      }
      if (socket.destroyed || !socket.writable) {
        // not handed over: the batch stays queued for the next connection
        this.onSocketGone(socket, undefined)
        return
      }
      const count = this.batchSize()
      const bytes = encodeFrames(this.frames.slice(this.head, this.head + count), {
        maxFrameBytes: this.host.maxFrameBytes,
      })
      const ready = socket.write(bytes)
      this.removeFront(count)
      const stats = this.host.stats
      stats.messagesSent += count
      stats.writes++
      stats.bytesSent += bytes.length
      if (!ready) {
        stats.backpressureWaits++
        this.awaitingDrain = true
        socket.once('drain', () => {
          if (this.socket !== socket) return
          this.awaitingDrain = false
          this.flush()
        })
        return
      }
    }
  }

  private removeFront(count: number): void {
    this.head += count
    this.host.stats.queuedMessages -= count
    if (this.head === this.frames.length) {
      this.frames = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head)
      this.head = 0
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
