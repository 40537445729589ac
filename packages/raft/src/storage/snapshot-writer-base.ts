/**
 * The state machine shared by every `SnapshotWriter`: chunk bookkeeping
 * (in order, repeated chunks ignored, no gaps, no overflow), and the rule that
 * a writer ends once (finished, aborted, superseded or closed).
 */
import type { SnapshotMeta } from '../core/types.js'
import { SnapshotIncompleteError, SnapshotWriterClosedError, type SnapshotWriterEnd } from './errors.js'
import type { SnapshotWriter } from './types.js'
import { assertInteger, typeName } from './validate.js'

/** A `SnapshotWriter` whose subclass supplies only the I/O. */
export abstract class SnapshotWriterBase implements SnapshotWriter {
  /** The snapshot being written. */
  readonly meta: SnapshotMeta
  /** Bytes of data received so far (the next expected offset). */
  protected receivedBytes = 0
  private end: SnapshotWriterEnd | null = null

  constructor(meta: SnapshotMeta) {
    this.meta = meta
  }

  /** Stores `bytes` as the data at `[offset, offset + bytes.length)`; offsets arrive in order. */
  protected abstract append(offset: number, bytes: Uint8Array): Promise<void>
  /** Makes the snapshot durable and current; called once, with every byte received. */
  protected abstract commit(): Promise<void>
  /** Releases what `append` stored; called once, for every end but `finished`. */
  protected abstract discard(): Promise<void>

  /** Whether the writer has ended. */
  get ended(): boolean {
    return this.end !== null
  }

  private assertOpen(): void {
    if (this.end !== null) throw new SnapshotWriterClosedError(this.meta.index, this.end)
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    this.assertOpen()
    assertInteger('write: offset', offset)
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`write: bytes: expected Uint8Array, got ${typeName(bytes)}`)
    }
    if (offset > this.receivedBytes) {
      throw new RangeError(
        `write: offset ${offset} leaves a gap: ${this.receivedBytes} bytes of the snapshot were written`,
      )
    }
    const chunkEnd = offset + bytes.length
    if (chunkEnd > this.meta.sizeBytes) {
      throw new RangeError(
        `write: chunk ends at byte ${chunkEnd}, beyond the snapshot size of ${this.meta.sizeBytes} bytes`,
      )
    }
    if (chunkEnd <= this.receivedBytes) return // a repeated chunk
    const fresh = bytes.subarray(this.receivedBytes - offset)
    const at = this.receivedBytes
    await this.append(at, fresh)
    this.receivedBytes = at + fresh.length
  }

  async finish(): Promise<void> {
    this.assertOpen()
    if (this.receivedBytes !== this.meta.sizeBytes) {
      throw new SnapshotIncompleteError(this.meta.index, this.receivedBytes, this.meta.sizeBytes)
    }
    this.end = 'finished'
    await this.commit()
  }

  async abort(): Promise<void> {
    await this.endWith('aborted')
  }

  /** Ends the writer (idempotent: a writer that already ended stays as it was). */
  async endWith(end: Exclude<SnapshotWriterEnd, 'finished'>): Promise<void> {
    if (this.end !== null) return
    this.end = end
    await this.discard()
  }
}
