/**
 * `SimDiskStorage`: a `RaftStorage` on a simulated disk (the `SimDisk` of
 * `@synod/sim`, or anything with the same methods), so that a simulated crash
 * loses exactly what was not synced. `save` = one append + one sync.
 *
 * Files: `raft-log` (records `[u32 length][u32 CRC-32C][payload]`: a batch, a
 * snapshot reset, or a base written when the log is rewritten on compaction),
 * `raft-snapshot` (`[u32 meta length][u32 data CRC-32C][meta JSON][data]`),
 * `raft-snapshot.tmp` while a snapshot is being written.
 */
import type { EntryKind, HardState, LogEntry, SnapshotMeta } from '../core/types.js'
import { ByteReader, ByteWriter } from '../kv/codec.js'
import { crc32c } from '../storage/crc32c.js'
import {
  NoSnapshotError,
  StorageClosedError,
  StorageCorruptionError,
  StorageNotLoadedError,
} from '../storage/errors.js'
import { SnapshotWriterBase } from '../storage/snapshot-writer-base.js'
import type { PersistedState, RaftStorage, SnapshotWriter } from '../storage/types.js'
import {
  assertBatch,
  assertInteger,
  assertSnapshotMeta,
  copyEntry,
  copySnapshotMeta,
  emptyHardState,
} from '../storage/validate.js'

/**
 * The disk operations `SimDiskStorage` uses: the `SimDisk` of `@synod/sim` has them all.
 * @example
 * ```ts
 * import { SimDisk } from '@synod/sim'
 * const disk: DiskLike = new SimDisk()
 * ```
 */
export interface DiskLike {
  exists(path: string): boolean
  write(path: string, data: Uint8Array): void
  append(path: string, data: Uint8Array): void
  read(path: string): Uint8Array
  truncate(path: string, sizeBytes: number): void
  rename(from: string, to: string): void
  delete(path: string): void
  sync(path: string): void
  syncDirectory(): void
}

const LOG = 'raft-log'
const LOG_TMP = 'raft-log.tmp'
const SNAPSHOT = 'raft-snapshot'
const SNAPSHOT_TMP = 'raft-snapshot.tmp'
const RECORD_BATCH = 1
const RECORD_RESET = 2
const RECORD_BASE = 3
const KINDS: readonly EntryKind[] = ['normal', 'config', 'noop']
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function writeHardState(out: ByteWriter, hs: HardState): void {
  out.uint(hs.term)
  out.uint(hs.commit)
  if (hs.votedFor === null) out.u8(0)
  else {
    out.u8(1)
    out.raw(encoder.encode(hs.votedFor))
  }
}

function readHardState(r: ByteReader): HardState {
  const term = r.uint()
  const commit = r.uint()
  const voted = r.u8()
  if (voted > 1) r.fail(`bad vote flag ${voted}`)
  return { term, commit, votedFor: voted === 1 ? r.string(1024, 'votedFor') : null }
}

function writeEntries(out: ByteWriter, entries: readonly LogEntry[]): void {
  out.uint(entries.length)
  for (const e of entries) {
    out.uint(e.index)
    out.uint(e.term)
    out.u8(KINDS.indexOf(e.kind))
    out.raw(e.data)
  }
}

function readEntries(r: ByteReader): LogEntry[] {
  const count = r.uint()
  const entries: LogEntry[] = []
  for (let i = 0; i < count; i++) {
    const index = r.uint()
    const term = r.uint()
    const kind = KINDS[r.u8()]
    if (kind === undefined) r.fail('unknown entry kind')
    entries.push({ index, term, kind, data: r.raw(Number.MAX_SAFE_INTEGER, 'entry data').slice() })
  }
  return entries
}

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, payload.length)
  view.setUint32(4, crc32c(payload))
  out.set(payload, 8)
  return out
}

class SimSnapshotWriter extends SnapshotWriterBase {
  constructor(
    meta: SnapshotMeta,
    private readonly storage: SimDiskStorage,
    private readonly disk: DiskLike,
  ) {
    super(meta)
  }
  protected async append(_offset: number, bytes: Uint8Array): Promise<void> {
    this.disk.append(SNAPSHOT_TMP, bytes)
  }
  protected async commit(): Promise<void> {
    await this.storage.installSnapshot(this)
  }
  protected async discard(): Promise<void> {
    if (this.disk.exists(SNAPSHOT_TMP)) this.disk.delete(SNAPSHOT_TMP)
  }
}

/**
 * A `RaftStorage` over a simulated disk: what a crash keeps is exactly what was
 * synced. Torn tails (`tornWrites`) are truncated on `load`.
 *
 * @example
 * ```ts
 * import { SimDisk } from '@synod/sim'
 * const disk = new SimDisk()
 * const storage = new SimDiskStorage(disk)
 * await storage.load()
 * await storage.save({ hardState: { term: 1, votedFor: 'a', commit: 0 } })
 * disk.crash() // the hard state survives: it was synced
 * ```
 */
export class SimDiskStorage implements RaftStorage {
  private readonly disk: DiskLike
  private readonly syncLatency: (() => Promise<void>) | undefined
  private hardState: HardState = emptyHardState()
  private entries: LogEntry[] = []
  private snapshot: { meta: SnapshotMeta; data: Uint8Array } | null = null
  private writer: SimSnapshotWriter | null = null
  private loaded = false
  private closed = false
  /** Bytes dropped from a torn log tail by the last `load`. */
  truncatedBytes = 0

  /**
   * @param disk the node's simulated disk
   * @param options.syncLatency waited for between a save's append and its sync (an fsync
   *   that takes time: a crash in that window loses the append). In the simulator:
   *   `() => new Promise((resolve) => ctx.after(2, resolve))`.
   * @throws {TypeError} when `disk` is not disk-like
   */
  constructor(disk: DiskLike, options: { syncLatency?: () => Promise<void> } = {}) {
    if (typeof disk?.append !== 'function' || typeof disk.sync !== 'function')
      throw new TypeError('disk: expected a SimDisk (append, sync, ...)')
    if (options.syncLatency !== undefined && typeof options.syncLatency !== 'function')
      throw new TypeError(`syncLatency: expected a function, got ${typeof options.syncLatency}`)
    this.disk = disk
    this.syncLatency = options.syncLatency
  }

  private assertUsable(method: string): void {
    if (this.closed) throw new StorageClosedError()
    if (!this.loaded) throw new StorageNotLoadedError(method)
  }

  private get snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0
  }

  private get lastIndex(): number {
    const last = this.entries[this.entries.length - 1]
    return last?.index ?? this.snapshotIndex
  }

  /**
   * Reads the disk: the snapshot, then the log records (a torn tail is truncated).
   * @throws {StorageCorruptionError} for a bad snapshot file
   * @example
   * ```ts
   * const { hardState, snapshot, entries } = await storage.load()
   * ```
   */
  async load(): Promise<PersistedState> {
    if (this.closed) throw new StorageClosedError()
    const disk = this.disk
    if (disk.exists(SNAPSHOT_TMP)) disk.delete(SNAPSHOT_TMP)
    if (disk.exists(LOG_TMP)) disk.delete(LOG_TMP)
    this.snapshot = disk.exists(SNAPSHOT) ? this.readSnapshotFile() : null
    this.hardState = emptyHardState()
    this.entries = []
    this.truncatedBytes = 0
    if (!disk.exists(LOG)) {
      disk.write(LOG, new Uint8Array(0))
      disk.sync(LOG)
      disk.syncDirectory()
    }
    const bytes = disk.read(LOG)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let offset = 0
    while (offset < bytes.length) {
      if (bytes.length - offset < 8) break
      const length = view.getUint32(offset)
      if (length > bytes.length - offset - 8) break
      const payload = bytes.subarray(offset + 8, offset + 8 + length)
      if (crc32c(payload) !== view.getUint32(offset + 4)) break
      this.replay(payload, offset)
      offset += 8 + length
    }
    if (offset < bytes.length) {
      // the torn write of a save that never returned
      this.truncatedBytes = bytes.length - offset
      disk.truncate(LOG, offset)
      disk.sync(LOG)
    }
    if (this.snapshot !== null) this.resetTo(this.snapshot.meta, true)
    this.loaded = true
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot === null ? null : copySnapshotMeta(this.snapshot.meta),
      entries: this.entries.map(copyEntry),
    }
  }

  private readSnapshotFile(): { meta: SnapshotMeta; data: Uint8Array } {
    const bytes = this.disk.read(SNAPSHOT)
    const corrupt = (reason: string) => new StorageCorruptionError(SNAPSHOT, 0, reason)
    if (bytes.length < 8) throw corrupt('truncated header')
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const metaLength = view.getUint32(0)
    if (metaLength > bytes.length - 8) throw corrupt('truncated metadata')
    let meta: SnapshotMeta
    try {
      meta = JSON.parse(decoder.decode(bytes.subarray(8, 8 + metaLength))) as SnapshotMeta
      assertSnapshotMeta('snapshot', meta)
    } catch (error) {
      throw corrupt(`bad metadata: ${(error as Error).message}`)
    }
    const data = bytes.slice(8 + metaLength)
    if (data.length !== meta.sizeBytes)
      throw corrupt(`data is ${data.length} bytes, expected ${meta.sizeBytes}`)
    if (crc32c(data) !== view.getUint32(4)) throw corrupt('data checksum mismatch')
    return { meta, data }
  }

  private replay(payload: Uint8Array, offset: number): void {
    const r = new ByteReader(payload, `${LOG} record at ${offset}`)
    const type = r.u8()
    if (type === RECORD_BATCH) {
      if (r.u8() === 1) this.hardState = readHardState(r)
      this.appendEntries(readEntries(r))
    } else if (type === RECORD_RESET) {
      const index = r.uint()
      const term = r.uint()
      this.resetTo({ index, term }, false)
    } else if (type === RECORD_BASE) {
      this.hardState = readHardState(r)
      this.entries = readEntries(r)
    } else r.fail(`unknown record type ${type}`)
    r.end()
  }

  private appendEntries(incoming: readonly LogEntry[]): void {
    const first = incoming[0]
    if (first === undefined) return
    const storedFirst = this.entries[0]?.index
    if (storedFirst !== undefined && first.index <= this.lastIndex)
      this.entries.length = Math.max(0, first.index - storedFirst)
    for (const entry of incoming) this.entries.push(entry)
  }

  /**
   * The snapshot rule: drop entries up to `index`, and every entry when the log
   * holds a different entry at `index`. With `onlyIfCovered`, entries all after
   * `index` (written after a reset) are kept as they are.
   */
  private resetTo(meta: { index: number; term: number }, onlyIfCovered: boolean): void {
    const first = this.entries[0]?.index
    if (first === undefined) return
    if (onlyIfCovered && first > meta.index) return
    const at = this.entries[meta.index - first]
    if (at !== undefined && at.term === meta.term) this.entries.splice(0, meta.index - first + 1)
    else this.entries = []
  }

  private appendRecord(payload: Uint8Array): void {
    this.disk.append(LOG, frame(payload))
    this.disk.sync(LOG)
  }

  private async appendRecordSlowly(payload: Uint8Array): Promise<void> {
    this.disk.append(LOG, frame(payload))
    if (this.syncLatency !== undefined) {
      await this.syncLatency()
      if (this.closed) throw new StorageClosedError()
    }
    this.disk.sync(LOG)
  }

  /**
   * Records the hard state and entries: one append, one sync.
   * @throws {TypeError | RangeError} for a malformed batch, a gap, or an index at or below the snapshot
   * @example
   * ```ts
   * await storage.save({ entries: [{ index: 1, term: 1, kind: 'noop', data: new Uint8Array() }] })
   * ```
   */
  async save(batch: { hardState?: HardState; entries?: LogEntry[] }): Promise<void> {
    this.assertUsable('save')
    assertBatch(batch, this.lastIndex, this.snapshotIndex)
    const entries = (batch.entries ?? []).map(copyEntry)
    if (batch.hardState === undefined && entries.length === 0) return
    const out = new ByteWriter()
    out.u8(RECORD_BATCH)
    if (batch.hardState === undefined) out.u8(0)
    else {
      out.u8(1)
      writeHardState(out, batch.hardState)
    }
    writeEntries(out, entries)
    await this.appendRecordSlowly(out.finish())
    if (batch.hardState !== undefined) this.hardState = { ...batch.hardState }
    this.appendEntries(entries)
  }

  /**
   * Drops entries up to `index` (covered by the snapshot) and rewrites the log
   * file atomically (write, sync, rename, sync the directory).
   * @throws {RangeError} when `index` is above the snapshot index
   * @example
   * ```ts
   * await storage.compact(meta.index)
   * ```
   */
  async compact(index: number): Promise<void> {
    this.assertUsable('compact')
    assertInteger('compact: index', index)
    if (index > this.snapshotIndex)
      throw new RangeError(`compact: index ${index} is above the snapshot index ${this.snapshotIndex}`)
    const first = this.entries[0]?.index
    if (first !== undefined && index >= first) this.entries.splice(0, index - first + 1)
    const out = new ByteWriter()
    out.u8(RECORD_BASE)
    writeHardState(out, this.hardState)
    writeEntries(out, this.entries)
    this.disk.write(LOG_TMP, frame(out.finish()))
    this.disk.sync(LOG_TMP)
    this.disk.rename(LOG_TMP, LOG)
    this.disk.syncDirectory()
  }

  /**
   * Starts writing a snapshot (an open writer is superseded).
   * @throws {RangeError} when `meta.index` is below the current snapshot's
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
    if (meta.index < this.snapshotIndex)
      throw new RangeError(
        `beginSnapshot: index ${meta.index} is older than the current snapshot at index ${this.snapshotIndex}`,
      )
    await this.writer?.endWith('superseded')
    if (this.disk.exists(SNAPSHOT_TMP)) this.disk.delete(SNAPSHOT_TMP)
    this.disk.write(SNAPSHOT_TMP, new Uint8Array(0))
    const writer = new SimSnapshotWriter(copySnapshotMeta(meta), this, this.disk)
    this.writer = writer
    return writer
  }

  /** @internal Called by the writer's `finish`: header, sync, rename, sync directory, reset record. */
  async installSnapshot(writer: SimSnapshotWriter): Promise<void> {
    if (this.closed) throw new StorageClosedError()
    const meta = writer.meta
    const data = this.disk.read(SNAPSHOT_TMP)
    const metaBytes = encoder.encode(JSON.stringify(meta))
    const file = new Uint8Array(8 + metaBytes.length + data.length)
    const view = new DataView(file.buffer)
    view.setUint32(0, metaBytes.length)
    view.setUint32(4, crc32c(data))
    file.set(metaBytes, 8)
    file.set(data, 8 + metaBytes.length)
    this.disk.write(SNAPSHOT_TMP, file)
    this.disk.sync(SNAPSHOT_TMP)
    this.disk.rename(SNAPSHOT_TMP, SNAPSHOT)
    this.disk.syncDirectory()
    const out = new ByteWriter()
    out.u8(RECORD_RESET)
    out.uint(meta.index)
    out.uint(meta.term)
    this.appendRecord(out.finish())
    this.snapshot = { meta, data }
    this.resetTo(meta, false)
    if (this.writer === writer) this.writer = null
  }

  /**
   * Reads up to `length` bytes of the current snapshot's data from `offset`.
   * @throws {NoSnapshotError} when no snapshot is stored
   * @example
   * ```ts
   * const chunk = await storage.readSnapshot(0, 65_536)
   * ```
   */
  async readSnapshot(offset: number, length: number): Promise<Uint8Array> {
    this.assertUsable('readSnapshot')
    assertInteger('readSnapshot: offset', offset)
    assertInteger('readSnapshot: length', length)
    if (this.snapshot === null) throw new NoSnapshotError()
    return this.snapshot.data.slice(offset, offset + length)
  }

  /**
   * Marks the storage closed; an open snapshot writer is ended. Idempotent.
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
