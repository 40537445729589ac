/**
 * The two ends of a reliable FIFO channel over a lossy, duplicating,
 * reordering network: the sending end numbers frames, keeps them until a
 * cumulative acknowledgement covers them and retransmits them on a timeout
 * that doubles while nothing is acknowledged; the receiving end suppresses
 * duplicates and hands frames over in sequence order, holding early frames in
 * a bounded reorder buffer. Pure: time is the tick count passed in.
 */
import type { SnapshotCoreOptions } from './snapshot-core.js'
import type { Frame, FrameBody } from './types.js'

/**
 * The limits and timings of one channel end (set through {@link SnapshotCoreOptions}).
 *
 * @example
 * ```ts
 * const limits: ChannelLimits = { maxInFlightFrames: 128, maxQueuedFrames: 1_024, maxReorderFrames: 256, retransmitTicks: 2, maxRetransmitTicks: 32 }
 * ```
 */
export interface ChannelLimits {
  /** Frames sent and not yet acknowledged, at most (the send window). */
  maxInFlightFrames: number
  /** Application frames held by the sending end (in flight plus waiting for the window), at most. */
  maxQueuedFrames: number
  /** How far past the next expected sequence number the receiving end buffers frames. */
  maxReorderFrames: number
  /** Ticks before the first retransmission. */
  retransmitTicks: number
  /** The retransmission timeout doubles up to this many ticks. */
  maxRetransmitTicks: number
}

/** The sending end of the channel to one peer. */
export class OutgoingChannel {
  /** The sequence number the next frame entering the window gets. */
  private nextSeq = 1
  /** Frames in the window, in sequence order, not yet acknowledged. */
  private readonly inFlight: Frame[] = []
  /** Frames waiting for room in the window: `waiting[waitingHead..]` (a queue without O(n) shifts). */
  private waiting: FrameBody[] = []
  private waitingHead = 0
  /** Frames to put on the wire at the next `ready()`. */
  private transmit: Frame[] = []
  /** Application frames in flight or waiting. */
  private appFrames = 0
  private timeoutTicks: number
  /** The tick at which the retransmission timer fires, or -1 when nothing is in flight. */
  private deadlineTick = -1

  constructor(private readonly limits: ChannelLimits) {
    this.timeoutTicks = limits.retransmitTicks
  }

  /** Application frames held (in flight plus waiting). */
  get queuedAppFrames(): number {
    return this.appFrames
  }

  /** Frames in flight (sent, not acknowledged). */
  get inFlightFrames(): number {
    return this.inFlight.length
  }

  /** The highest sequence number handed out so far. */
  get lastSeq(): number {
    return this.nextSeq - 1
  }

  /** True when an application frame would go over `maxQueuedFrames`. */
  isFull(): boolean {
    return this.appFrames >= this.limits.maxQueuedFrames
  }

  /** Queues a frame (control frames are never refused: their number is bounded elsewhere). */
  push(body: FrameBody, nowTick: number): void {
    if (body.kind === 'app') this.appFrames++
    this.waiting.push(body)
    this.fill(nowTick)
  }

  /**
   * Applies a cumulative acknowledgement. Returns false (and changes nothing)
   * when it acknowledges a frame that was never sent.
   */
  acknowledge(ack: number, nowTick: number): boolean {
    if (ack > this.lastSeq) return false
    let removed = 0
    while (removed < this.inFlight.length && (this.inFlight[removed] as Frame).seq <= ack) {
      if ((this.inFlight[removed] as Frame).body.kind === 'app') this.appFrames--
      removed++
    }
    if (removed === 0) return true
    this.inFlight.splice(0, removed)
    // progress: the peer is reachable again, so the timeout starts over from its base
    this.timeoutTicks = this.limits.retransmitTicks
    this.deadlineTick = this.inFlight.length > 0 ? nowTick + this.timeoutTicks : -1
    this.fill(nowTick)
    return true
  }

  /** Fires the retransmission timer when due; returns how many frames it queued for resending. */
  tick(nowTick: number): number {
    if (this.deadlineTick < 0 || nowTick < this.deadlineTick) return 0
    const pending = new Set(this.transmit.map((frame) => frame.seq))
    for (const frame of this.inFlight) if (!pending.has(frame.seq)) this.transmit.push(frame)
    this.timeoutTicks = Math.min(this.timeoutTicks * 2, this.limits.maxRetransmitTicks)
    this.deadlineTick = nowTick + this.timeoutTicks
    return this.inFlight.length
  }

  /** True when frames wait to be put on the wire. */
  hasTransmit(): boolean {
    return this.transmit.length > 0
  }

  /** Takes the frames to put on the wire, in sequence order. */
  takeTransmit(): Frame[] {
    const frames = this.transmit
    this.transmit = []
    if (frames.length > 1) frames.sort((x, y) => x.seq - y.seq)
    return frames
  }

  private fill(nowTick: number): void {
    while (this.waitingHead < this.waiting.length && this.inFlight.length < this.limits.maxInFlightFrames) {
      const frame: Frame = { seq: this.nextSeq++, body: this.waiting[this.waitingHead++] as FrameBody }
      this.inFlight.push(frame)
      this.transmit.push(frame)
      if (this.deadlineTick < 0) this.deadlineTick = nowTick + this.timeoutTicks
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = []
      this.waitingHead = 0
    } else if (this.waitingHead > 1_024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead)
      this.waitingHead = 0
    }
  }
}

/** What the receiving end did with an arriving frame. */
export type Arrival = 'buffered' | 'duplicate' | 'beyond-reorder-window'

/** The receiving end of the channel from one peer. */
export class IncomingChannel {
  /** The sequence number of the next frame to hand over. */
  private nextExpected = 1
  private readonly buffer = new Map<number, FrameBody>()
  /** True when the peer should get an acknowledgement. */
  ackDue = false

  constructor(private readonly limits: ChannelLimits) {}

  /** The cumulative acknowledgement: every frame up to it was handed over. */
  get ack(): number {
    return this.nextExpected - 1
  }

  /** Frames held in the reorder buffer. */
  get bufferedFrames(): number {
    return this.buffer.size
  }

  /** Takes in one frame from the wire. */
  arrive(frame: Frame): Arrival {
    this.ackDue = true
    if (frame.seq < this.nextExpected || this.buffer.has(frame.seq)) return 'duplicate'
    if (frame.seq >= this.nextExpected + this.limits.maxReorderFrames) return 'beyond-reorder-window'
    this.buffer.set(frame.seq, frame.body)
    return 'buffered'
  }

  /** The next frame in sequence, if it has arrived (without taking it). */
  peek(): FrameBody | undefined {
    return this.buffer.get(this.nextExpected)
  }

  /** Takes the frame `peek()` returned. */
  advance(): void {
    this.buffer.delete(this.nextExpected)
    this.nextExpected++
  }
}
