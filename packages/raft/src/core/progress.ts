/**
 * What the leader knows of one follower: how far its log matches, what to send
 * next, and the flow-control state (probe, replicate, snapshot) with a bounded
 * window of in-flight append messages.
 */

/**
 * - `probe`: the leader does not know where the follower's log matches; one
 *   append at a time, until an answer (or a heartbeat answer) unpauses it.
 * - `replicate`: the logs match up to `match`; appends are pipelined optimistically
 *   (`next` moves ahead before the answer) within the in-flight limits.
 * - `snapshot`: the follower needs entries the leader has compacted; snapshot
 *   chunks are streamed instead of appends.
 * @example
 * ```ts
 * core.status().progress.get('b')?.state // 'replicate'
 * ```
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot'

/**
 * The leader's view of one peer.
 *
 * @example
 * ```ts
 * const progress = new Progress(11, 8)
 * progress.state // 'probe'
 * ```
 */
export class Progress {
  match = 0
  next: number
  state: ProgressState = 'probe'
  /** In probe state: an append is outstanding, wait for an answer. */
  probeSent = false
  /** Heard from since the last check-quorum period. */
  recentActive = false
  /** Highest heartbeat round the peer acknowledged. */
  ackedRound = 0
  /** The commit index last sent to the peer. */
  sentCommit = 0
  /** Send an append even when there is nothing new (to provoke a hint from a follower that lost appends). */
  forceAppend = false
  // in-flight appends (replicate state): a ring of (last index, bytes)
  private readonly inflightIndex: Float64Array
  private readonly inflightBytes: Float64Array
  private inflightStart = 0
  inflightCount = 0
  inflightTotalBytes = 0
  // snapshot transfer
  /** Index of the snapshot being sent (snapshot state). */
  pendingSnapshot = 0
  /** Bytes of the snapshot the follower confirmed. */
  snapshotAckedOffset = 0
  /** End of the bytes sent so far. */
  snapshotSentOffset = 0
  /** Ticks since the last snapshot acknowledgement. */
  snapshotStallTicks = 0
  /** Already resumed from the follower's offset since the last progress. */
  snapshotRewound = false

  constructor(next: number, maxInflightMessages: number) {
    this.next = next
    this.inflightIndex = new Float64Array(maxInflightMessages)
    this.inflightBytes = new Float64Array(maxInflightMessages)
  }

  resetInflights(): void {
    this.inflightStart = 0
    this.inflightCount = 0
    this.inflightTotalBytes = 0
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1)
      this.pendingSnapshot = 0
    } else {
      this.next = this.match + 1
    }
    this.state = 'probe'
    this.probeSent = false
    this.resetInflights()
  }

  becomeReplicate(): void {
    this.state = 'replicate'
    this.next = this.match + 1
    this.probeSent = false
    this.resetInflights()
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot'
    this.pendingSnapshot = index
    this.snapshotAckedOffset = 0
    this.snapshotSentOffset = 0
    this.snapshotStallTicks = 0
    this.snapshotRewound = false
    this.probeSent = false
    this.resetInflights()
  }

  /** Records that the peer holds everything up to `index`; false when stale. */
  maybeUpdate(index: number): boolean {
    let updated = false
    if (index > this.match) {
      this.match = index
      updated = true
      this.probeSent = false
    }
    if (this.next < index + 1) this.next = index + 1
    return updated
  }

  addInflight(lastIndex: number, bytes: number): void {
    const capacity = this.inflightIndex.length
    const slot = (this.inflightStart + this.inflightCount) % capacity
    this.inflightIndex[slot] = lastIndex
    this.inflightBytes[slot] = bytes
    this.inflightCount++
    this.inflightTotalBytes += bytes
  }

  /** Frees in-flight appends whose last index is at or below `index`. */
  freeInflightsTo(index: number): void {
    const capacity = this.inflightIndex.length
    while (this.inflightCount > 0 && (this.inflightIndex[this.inflightStart] as number) <= index) {
      this.inflightTotalBytes -= this.inflightBytes[this.inflightStart] as number
      this.inflightStart = (this.inflightStart + 1) % capacity
      this.inflightCount--
    }
  }

  /** Frees the oldest in-flight append (its answer is presumed lost). */
  freeFirstInflight(): void {
    if (this.inflightCount === 0) return
    this.inflightTotalBytes -= this.inflightBytes[this.inflightStart] as number
    this.inflightStart = (this.inflightStart + 1) % this.inflightIndex.length
    this.inflightCount--
  }

  /** True when no more appends may be sent now. */
  isPaused(maxInflightBytes: number): boolean {
    if (this.state === 'probe') return this.probeSent
    if (this.state === 'snapshot') return true
    return this.inflightCount >= this.inflightIndex.length || this.inflightTotalBytes >= maxInflightBytes
  }
}
