import { SendQueueFullError } from '../errors.js'
import { encodeFrames, FRAME_HEADER_BYTES } from '../framing.js'
import type { NodeId } from '../types.js'
import type { LinkSettings } from './options.js'
import type { LinkEvent, LinkStats } from './stats.js'

/** The most writes one flush makes before it yields to the event loop. */
const MAX_WRITES_PER_FLUSH = 64

/**
 * One open outbound connection as an `OutboundLink` sees it: a byte sink with
 * backpressure and an end. A transport wraps its socket or stream in one.
 *
 * @example
 * ```ts
 * const connection: LinkConnection = {
 *   get writable() { return !socket.destroyed && socket.writable },
 *   write: (bytes) => socket.write(bytes),
 *   onceDrained: (callback) => { socket.once('drain', () => callback()) },
 *   onClose: (callback) => { socket.once('close', () => callback(undefined)) },
 *   destroy: () => socket.destroy(),
 * }
 * ```
 */
export interface LinkConnection {
  /**
   * False once the connection is going away and takes no more bytes: the link then
   * drops it (reporting `link-closed` without an error) and keeps its batch queued.
   */
  readonly writable: boolean
  /**
   * Hands `bytes` over. Returns false when the connection wants the link to wait for
   * `onceDrained` before the next write (the bytes were still taken). May throw when the
   * connection is gone: the link then drops it with that error and keeps the batch queued.
   */
  write(bytes: Uint8Array): boolean
  /** Calls `callback` once after a write returned false, when more may be written, or with the error that ended the wait. */
  onceDrained(callback: (error?: Error) => void): void
  /** Calls `callback` once when the connection has closed, with the error that closed it if any. */
  onClose(callback: (error: Error | undefined) => void): void
  /** Closes the connection at once; harmless when it is closed already. */
  destroy(): void
}

/**
 * What a link needs from the transport that owns it: its settings, the counters it
 * updates, a way to open a connection and a way to report events.
 *
 * @example
 * ```ts
 * const host: LinkHost = {
 *   ...resolveLinkOptions(options),
 *   stats: counters,
 *   open: async (peer, signal) => wrapSocket(await dial(peer, signal)),
 *   emit: (event) => console.log(event.type),
 * }
 * ```
 */
export interface LinkHost extends LinkSettings {
  readonly stats: LinkStats
  /**
   * Opens a connection to `peer`, ready for frames (any handshake done). Rejects when it
   * cannot; `signal` aborts when the link closes meanwhile.
   */
  open(peer: NodeId, signal: AbortSignal): Promise<LinkConnection>
  emit(event: LinkEvent): void
}

/**
 * Where a link is: `idle` (no connection, nothing to send), `dialing`, `open`,
 * `backoff` (waiting to dial again) or `closed` (for good).
 *
 * @example
 * ```ts
 * if (link.state === 'backoff') link.retryNow()
 * ```
 */
export type LinkState = 'idle' | 'dialing' | 'open' | 'backoff' | 'closed'

/**
 * The sending half of one peer link: a bounded FIFO of encoded messages and one
 * long-lived outbound connection that carries them, many frames per write.
 *
 * States: `idle` (no connection, nothing to send) → `dialing` → `open`; a failed dial
 * or a dropped connection goes to `backoff`, whose timer dials again when messages
 * are waiting (or returns to `idle`). The backoff is exponential with equal jitter, and
 * starts over after a connection that stayed up for a whole maximum delay.
 *
 * Sends of one macrotask go out in one batch (flushed on `setImmediate`), bounded by
 * `maxFramesPerWrite` and `maxBytesPerWrite`; when a write is not accepted in full the
 * link waits for the connection to drain.
 *
 * Delivery is at most once: a batch leaves the queue when it is handed to the
 * connection, and is never written again. A batch that could not be handed over (the
 * connection was already gone) stays queued for the next connection; frames handed to a
 * connection that then dies are lost, as the transport contract allows. So messages are
 * never duplicated, and may be lost only around a connection failure.
 *
 * @example
 * ```ts
 * const link = new OutboundLink('b', host)
 * link.enqueue(codec.encode(message)) // opens a connection to b, then writes
 * ```
 */
export class OutboundLink {
  readonly peer: NodeId
  private readonly host: LinkHost
  private frames: Uint8Array[] = []
  private head = 0
  private current: LinkState = 'idle'
  private connection: LinkConnection | undefined
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

  /** Where the link is now. */
  get state(): LinkState {
    return this.current
  }

  /** Messages waiting to be written. */
  get queuedMessages(): number {
    return this.frames.length - this.head
  }

  /**
   * Queues one encoded message, applying the queue-full policy, and gets it moving.
   * After `close` it does nothing.
   *
   * @throws {SendQueueFullError} when the queue is full and the policy is `throw`
   * @example
   * ```ts
   * link.enqueue(codec.encode({ kind: 'ping' }))
   * ```
   */
  enqueue(bytes: Uint8Array): void {
    if (this.current === 'closed') return
    const host = this.host
    if (this.queuedMessages >= host.sendQueueLimit) {
      if (host.onFull === 'throw') throw new SendQueueFullError(this.peer, host.sendQueueLimit)
      host.stats.messagesDropped++
      if (host.onFull === 'drop-newest') {
        host.emit({ type: 'message-dropped', to: this.peer, reason: 'queue-full', count: 1 })
        return
      }
      this.removeFront(1)
      host.emit({ type: 'message-dropped', to: this.peer, reason: 'queue-full', count: 1 })
    }
    this.frames.push(bytes)
    host.stats.queuedMessages++
    if (this.current === 'idle') void this.connect()
    else if (this.current === 'open') this.scheduleFlush()
  }

  /**
   * Called when the peer's address changed: a link waiting out a backoff dials now
   * (or goes idle when nothing is queued), with its backoff started over.
   *
   * @example
   * ```ts
   * link.retryNow()
   * ```
   */
  retryNow(): void {
    if (this.current !== 'backoff') return
    this.failures = 0
    this.clearTimer()
    if (this.queuedMessages > 0) void this.connect()
    else this.current = 'idle'
  }

  /**
   * Stops the link for good: aborts a dial in progress, destroys its connection and
   * drops what is still queued (reported as `message-dropped`). Idempotent.
   *
   * @example
   * ```ts
   * link.close()
   * ```
   */
  close(): void {
    if (this.current === 'closed') return
    this.current = 'closed'
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
    const connection = this.connection
    this.connection = undefined
    connection?.destroy()
  }

  /** Reads the state afresh (after an await, it may have changed). */
  private isClosed(): boolean {
    return this.current === 'closed'
  }

  private async connect(): Promise<void> {
    this.current = 'dialing'
    let connection: LinkConnection
    try {
      connection = await this.host.open(this.peer, this.abortController.signal)
    } catch (error) {
      if (this.isClosed()) return
      this.dialFailed(asError(error))
      return
    }
    if (this.isClosed()) {
      connection.destroy()
      return
    }
    connection.onClose((error) => this.onConnectionGone(connection, error))
    if (!connection.writable) {
      // gone before it could carry anything: a failed dial, not a link that opened
      connection.destroy()
      this.dialFailed(new Error(`the connection to "${this.peer}" closed as it opened`))
      return
    }
    this.connection = connection
    this.current = 'open'
    this.openedAtMs = Date.now()
    this.host.stats.linksOpened++
    this.host.emit({ type: 'link-opened', peer: this.peer })
    this.flush()
  }

  private dialFailed(error: Error): void {
    this.failures++
    this.host.stats.dialsFailed++
    const retryInMs = this.backoffMs()
    this.host.emit({ type: 'dial-failed', peer: this.peer, error, retryInMs })
    this.waitAndRetry(retryInMs)
  }

  private onConnectionGone(connection: LinkConnection, error: Error | undefined): void {
    if (this.connection !== connection) return
    this.connection = undefined
    this.awaitingDrain = false
    connection.destroy()
    if (this.current === 'closed') return
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
    this.current = 'backoff'
    this.clearTimer()
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.current !== 'backoff') return
      if (this.queuedMessages > 0) void this.connect()
      else this.current = 'idle'
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
      const connection = this.connection
      if (this.current !== 'open' || connection === undefined || this.awaitingDrain) return
      if (writes === MAX_WRITES_PER_FLUSH) {
        this.scheduleFlush()
        return
      }
      if (!connection.writable) {
        // not handed over: the batch stays queued for the next connection
        this.onConnectionGone(connection, undefined)
        return
      }
      const count = this.batchSize()
      const bytes = encodeFrames(this.frames.slice(this.head, this.head + count), {
        maxFrameBytes: this.host.maxFrameBytes,
      })
      let ready: boolean
      try {
        ready = connection.write(bytes)
      } catch (error) {
        // not handed over: the batch stays queued for the next connection
        this.onConnectionGone(connection, asError(error))
        return
      }
      this.removeFront(count)
      const stats = this.host.stats
      stats.messagesSent += count
      stats.writes++
      stats.bytesSent += bytes.length
      if (!ready) {
        stats.backpressureWaits++
        this.awaitingDrain = true
        connection.onceDrained((error) => {
          if (this.connection !== connection) return
          if (error !== undefined) {
            this.onConnectionGone(connection, error)
            return
          }
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
