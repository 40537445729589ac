/**
 * `MemoryStorage`: a `RaftStorage` held in memory, for tests, demos and
 * in-process benchmarks. Nothing survives the process.
 */
import type { HardState, LogEntry, SnapshotMeta } from '../core/types.js'
import { NoSnapshotError, StorageClosedError, StorageNotLoadedError } from './errors.js'
import { SnapshotWriterBase } from './snapshot-writer-base.js'
import type { PersistedState, RaftStorage, SnapshotWriter } from './types.js'
import {
  assertBatch,
  assertInteger,
  assertSnapshotMeta,
  copyEntry,
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
 * A `RaftStorage` in memory. It copies entries, hard states and snapshot chunks
 * on the way in and out, so a caller that reuses its buffers cannot change what
 * is stored. Snapshots are kept as the chunks they arrived in.
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
  /** Stored entries, contiguous; may still hold entries covered by the snapshot until `compact`. */
  private entries: LogEntry[] = []
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

  private get lastIndex(): number {
    const last = this.entries[this.entries.length - 1]
    return Math.max(last?.index ?? 0, this.snapshotIndex)
  }

  /** The term of the entry at `index`, if the log or the snapshot knows it. */
  private termAt(index: number): number | undefined {
    const first = this.entries[0]
    const entry = first === undefined ? undefined : this.entries[index - first.index]
    if (entry !== undefined) return entry.term
    if (this.snapshot !== null && this.snapshot.meta.index === index) return this.snapshot.meta.term
    return undefined
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
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot === null ? null : copySnapshotMeta(this.snapshot.meta),
      entries: this.entries.filter((entry) => entry.index > snapshotIndex).map(copyEntry),
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
    const first = incoming[0]!.index
    const storedFirst = this.entries[0]?.index
    if (storedFirst !== undefined && first <= this.lastIndex) {
      this.entries.length = Math.max(0, first - storedFirst)
    }
    // one allocation per batch: every entry's data is copied into a shared private buffer
    let totalBytes = 0
    for (const entry of incoming) totalBytes += entry.data.length
    const buffer = new Uint8Array(totalBytes)
    let at = 0
    for (const entry of incoming) {
      const length = entry.data.length
      buffer.set(entry.data, at)
      this.entries.push({
        index: entry.index,
        term: entry.term,
        kind: entry.kind,
        data: buffer.subarray(at, at + length),
      })
      at += length
    }
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
    const first = this.entries[0]?.index
    if (first !== undefined && index >= first) this.entries.splice(0, index - first + 1)
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
    assertSnapshotMeta('beginSnapshot: meta', meta)
    if (meta.index < this.snapshotIndex) {
      throw new RangeError(
        `beginSnapshot: index ${meta.index} is older than the current snapshot at index ${this.snapshotIndex}`,
      )
    }
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
      this.entries = []
      return
    }
    const first = this.entries[0]?.index
    if (first !== undefined && index >= first) this.entries.splice(0, index - first + 1)
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
