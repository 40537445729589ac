/**
 * `MemoryStorage`: a `RaftStorage` held in memory, for tests, demos and
 * in-process benchmarks. Nothing survives the process.
 */
import type { EntryKind, HardState, LogEntry, SnapshotMeta } from '../core/types.js'
import { NoSnapshotError, StorageClosedError, StorageNotLoadedError } from './errors.js'
import { SnapshotWriterBase } from './snapshot-writer-base.js'
import type { PersistedState, RaftStorage, SnapshotWriter } from './types.js'
import {
  assertBatch,
  assertInteger,
  assertSnapshotToBegin,
  copySnapshotMeta,
  emptyHardState,
} from './validate.js'

interface StoredSnapshot {
  meta: SnapshotMeta
  /** The data in order; chunk `i` starts at `offsets[i]`. */
  chunks: Uint8Array[]
  offsets: number[]
}

class MemorySnapshotWriter extends SnapshotWriterBase {
  private readonly chunks: Uint8Array[] = []
  private readonly offsets: number[] = []
  private readonly install: (snapshot: StoredSnapshot) => void

  constructor(meta: SnapshotMeta, install: (snapshot: StoredSnapshot) => void) {
    super(meta)
    this.install = install
  }

  protected async append(offset: number, bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return
    this.chunks.push(new Uint8Array(bytes))
    this.offsets.push(offset)
  }

  protected async commit(): Promise<void> {
    this.install({ meta: this.meta, chunks: this.chunks, offsets: this.offsets })
  }

  protected async discard(): Promise<void> {
    this.chunks.length = 0
    this.offsets.length = 0
  }
}

/**
 * The entries of one `save`, copied: index/term/kind in parallel arrays and the
 * data of every entry end to end in one private buffer (one copy per batch, not
 * one object per entry). Live positions are `from` (inclusive) to `to` (exclusive);
 * position `p` holds index `base + p`.
 */
interface Segment {
  readonly base: number
  from: number
  to: number
  readonly terms: number[]
  readonly kinds: EntryKind[]
  /** `offsets[p]` .. `offsets[p + 1]` is the data of position `p`. */
  readonly offsets: number[]
  readonly data: Uint8Array
}

function segmentOf(entries: readonly LogEntry[]): Segment {
  const count = entries.length
  const terms: number[] = new Array(count)
  const kinds: EntryKind[] = new Array(count)
  const offsets: number[] = new Array(count + 1)
  let totalBytes = 0
  for (let i = 0; i < count; i++) {
    const entry = entries[i] as LogEntry
    terms[i] = entry.term
    kinds[i] = entry.kind
    offsets[i] = totalBytes
    totalBytes += entry.data.length
  }
  offsets[count] = totalBytes
  const data = new Uint8Array(totalBytes)
  for (let i = 0; i < count; i++) {
    const bytes = (entries[i] as LogEntry).data
    if (bytes.length > 0) data.set(bytes, offsets[i] as number)
  }
  return { base: (entries[0] as LogEntry).index, from: 0, to: count, terms, kinds, offsets, data }
}

/**
 * A `RaftStorage` in memory. It copies entries, hard states and snapshot chunks
 * on the way in and out, so a caller that reuses its buffers cannot change what
 * is stored. The entries of one `save` are kept together (one data buffer per
 * batch); snapshots are kept as the chunks they arrived in.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage()
 * const state = await storage.load() // { hardState: { term: 0, votedFor: null, commit: 0 }, snapshot: null, entries: [] }
 * await storage.save({
 *   hardState: { term: 1, votedFor: 'a', commit: 0 },
 *   entries: [{ index: 1, term: 1, kind: 'noop', data: new Uint8Array() }],
 * })
 * ```
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = emptyHardState()
  private snapshot: StoredSnapshot | null = null
  /**
   * Stored entries as segments in index order, contiguous, none empty; may still
   * hold entries covered by the snapshot until `compact`.
   */
  private segments: Segment[] = []
  private writer: MemorySnapshotWriter | null = null
  private loaded = false
  private closed = false

  private assertUsable(method: string): void {
    if (this.closed) throw new StorageClosedError()
    if (!this.loaded) throw new StorageNotLoadedError(method)
  }

  private get snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0
  }

  /** The last stored entry's index, 0 when none. */
  private lastEntryIndex(): number {
    const last = this.segments[this.segments.length - 1]
    return last === undefined ? 0 : last.base + last.to - 1
  }

  private get lastIndex(): number {
    return Math.max(this.lastEntryIndex(), this.snapshotIndex)
  }

  /** The position of the segment holding `index`, or -1. */
  private segmentAt(index: number): number {
    const segments = this.segments
    for (let i = segments.length - 1; i >= 0; i--) {
      const segment = segments[i] as Segment
      if (index >= segment.base + segment.to) return -1
      if (index >= segment.base + segment.from) return i
    }
    return -1
  }

  /** The term of the entry at `index`, if the log or the snapshot knows it. */
  private termAt(index: number): number | undefined {
    const at = this.segmentAt(index)
    if (at !== -1) {
      const segment = this.segments[at] as Segment
      return segment.terms[index - segment.base]
    }
    if (this.snapshot !== null && this.snapshot.meta.index === index) return this.snapshot.meta.term
    return undefined
  }

  /** Drops every stored entry from `index` on. */
  private truncateFrom(index: number): void {
    const segments = this.segments
    while (segments.length > 0) {
      const last = segments[segments.length - 1] as Segment
      if (last.base + last.from >= index) segments.pop()
      else {
        if (last.base + last.to > index) last.to = index - last.base
        return
      }
    }
  }

  /** Drops every stored entry up to and including `index`. */
  private dropThrough(index: number): void {
    const segments = this.segments
    let drop = 0
    while (drop < segments.length) {
      const segment = segments[drop] as Segment
      if (segment.base + segment.to - 1 <= index) drop++
      else {
        if (segment.base + segment.from <= index) segment.from = index - segment.base + 1
        break
      }
    }
    if (drop > 0) segments.splice(0, drop)
  }

  /**
   * Returns the stored state (copies). Entries at or below the snapshot index are left out.
   *
   * @throws {StorageClosedError} after `close`
   * @example
   * ```ts
   * const { hardState, snapshot, entries } = await new MemoryStorage().load()
   * ```
   */
  async load(): Promise<PersistedState> {
    if (this.closed) throw new StorageClosedError()
    this.loaded = true
    const snapshotIndex = this.snapshotIndex
    const entries: LogEntry[] = []
    for (const segment of this.segments) {
      for (let p = Math.max(segment.from, snapshotIndex + 1 - segment.base); p < segment.to; p++) {
        entries.push({
          index: segment.base + p,
          term: segment.terms[p] as number,
          kind: segment.kinds[p] as EntryKind,
          data: segment.data.slice(segment.offsets[p], segment.offsets[p + 1]),
        })
      }
    }
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot === null ? null : copySnapshotMeta(this.snapshot.meta),
      entries,
    }
  }

  /**
   * Records the hard state and entries; entries from `entries[0].index` on replace the stored suffix.
   *
   * @throws {TypeError | RangeError} for a malformed batch, a gap after the last index, or an index at or below the snapshot
   * @example
   * ```ts
   * await storage.save({ entries: [{ index: 1, term: 1, kind: 'normal', data: Uint8Array.of(1) }] })
   * ```
   */
  async save(batch: { hardState?: HardState; entries?: LogEntry[] }): Promise<void> {
    this.assertUsable('save')
    assertBatch(batch, this.lastIndex, this.snapshotIndex)
    if (batch.hardState !== undefined) this.hardState = { ...batch.hardState }
    const incoming = batch.entries
    if (incoming === undefined || incoming.length === 0) return
    const first = (incoming[0] as LogEntry).index
    if (first <= this.lastEntryIndex()) this.truncateFrom(first)
    // the batch may start after a snapshot that covers the whole stored log
    else if (first !== this.lastEntryIndex() + 1) this.segments = []
    this.segments.push(segmentOf(incoming))
  }

  /**
   * Drops stored entries up to and including `index`, which must be covered by the snapshot.
   *
   * @throws {RangeError} when `index` is above the snapshot index
   * @example
   * ```ts
   * await storage.compact(snapshotMeta.index)
   * ```
   */
  async compact(index: number): Promise<void> {
    this.assertUsable('compact')
    assertInteger('compact: index', index)
    if (index > this.snapshotIndex) {
      throw new RangeError(`compact: index ${index} is above the snapshot index ${this.snapshotIndex}`)
    }
    this.dropThrough(index)
  }

  /**
   * Starts a snapshot. A writer still open from an earlier call is superseded (aborted).
   *
   * @throws {RangeError} when `meta.index` is below the current snapshot's index
   * @example
   * ```ts
   * const writer = await storage.beginSnapshot(meta)
   * await writer.write(0, data)
   * await writer.finish()
   * ```
   */
  async beginSnapshot(meta: SnapshotMeta): Promise<SnapshotWriter> {
    this.assertUsable('beginSnapshot')
    assertSnapshotToBegin(meta, this.snapshotIndex)
    await this.writer?.endWith('superseded')
    const writer = new MemorySnapshotWriter(copySnapshotMeta(meta), (snapshot) => {
      if (this.closed) throw new StorageClosedError()
      this.installSnapshot(snapshot)
      if (this.writer === writer) this.writer = null
    })
    this.writer = writer
    return writer
  }

  private installSnapshot(snapshot: StoredSnapshot): void {
    const { index, term } = snapshot.meta
    const keepSuffix = this.termAt(index) === term
    this.snapshot = snapshot
    if (!keepSuffix) {
      this.segments = []
      return
    }
    this.dropThrough(index)
  }

  /**
   * Reads up to `length` bytes of the current snapshot's data from `offset`.
   *
   * @throws {NoSnapshotError} when no snapshot is stored
   * @example
   * ```ts
   * const chunk = await storage.readSnapshot(0, 64 * 1024)
   * ```
   */
  async readSnapshot(offset: number, length: number): Promise<Uint8Array> {
    this.assertUsable('readSnapshot')
    assertInteger('readSnapshot: offset', offset)
    assertInteger('readSnapshot: length', length)
    const snapshot = this.snapshot
    if (snapshot === null) throw new NoSnapshotError()
    const start = Math.min(offset, snapshot.meta.sizeBytes)
    const end = Math.min(offset + length, snapshot.meta.sizeBytes)
    const out = new Uint8Array(end - start)
    for (let i = 0; i < snapshot.chunks.length; i++) {
      const chunk = snapshot.chunks[i]!
      const chunkStart = snapshot.offsets[i]!
      const chunkEnd = chunkStart + chunk.length
      if (chunkEnd <= start || chunkStart >= end) continue
      const from = Math.max(start, chunkStart)
      const to = Math.min(end, chunkEnd)
      out.set(chunk.subarray(from - chunkStart, to - chunkStart), from - start)
    }
    return out
  }

  /**
   * Marks the storage closed; an open snapshot writer is ended. Idempotent.
   *
   * @example
   * ```ts
   * await storage.close()
   * ```
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.writer?.endWith('closed')
    this.writer = null
  }
}
