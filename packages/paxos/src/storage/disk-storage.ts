/**
 * `DiskStorage`: a `PaxosStorage` as an append-only record log plus a snapshot
 * file, on any disk with a small synchronous file API: the simulator's
 * `SimDisk` (a crash loses what was not synced) or the real file system
 * (`FileStorage`).
 *
 * Each record is framed `[u32 length][u32 CRC-32C][payload]`, the payload being
 * the record's binary encoding. `append` writes every record of a batch with one
 * append and one sync. `load` replays the log; a damaged or incomplete last
 * record is a torn write and is cut, anything damaged before it is a
 * `StorageCorruptionError`. `saveSnapshot` writes the snapshot file (same
 * framing) to a temporary name, syncs it, renames it and syncs the directory;
 * then it rewrites the log without the slots the snapshot covers, the same way.
 */
import { BinaryReader, BinaryWriter, type Codec, DecodeError } from '@synod/transport'
import { type PaxosCodecOptions, paxosRecordCodec } from '../codec.js'
import { type PaxosLimits, resolveLimits } from '../core/options.js'
import {
  type AcceptedEntry,
  type PaxosRecord,
  type PersistedState,
  StateFold,
  valueBytes,
} from '../core/types.js'
import { StorageCorruptionError } from '../errors.js'
import { assertIs, show } from '../validate.js'
import { checksum } from './checksum.js'
import { assertSnapshot } from './memory-storage.js'
import type { PaxosStorage, StoredSnapshot } from './types.js'

/**
 * The disk operations `DiskStorage` uses: the `SimDisk` of `@synod/sim` has them all.
 *
 * @example
 * ```ts
 * import { SimDisk } from '@synod/sim'
 * const disk: DiskLike = new SimDisk()
 * ```
 */
export interface DiskLike {
  exists(path: string): boolean
  /** Replaces the file's contents (durable after `sync`). */
  write(path: string, data: Uint8Array): void
  append(path: string, data: Uint8Array): void
  read(path: string): Uint8Array
  truncate(path: string, sizeBytes: number): void
  rename(from: string, to: string): void
  delete(path: string): void
  sync(path: string): void
  syncDirectory(): void
}

const HEADER_BYTES = 8
const SNAPSHOT_VERSION = 1

function frame(payloads: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(payloads.reduce((sum, payload) => sum + HEADER_BYTES + payload.length, 0))
  const view = new DataView(out.buffer)
  let at = 0
  for (const payload of payloads) {
    view.setUint32(at, payload.length)
    view.setUint32(at + 4, checksum(payload))
    out.set(payload, at + HEADER_BYTES)
    at += HEADER_BYTES + payload.length
  }
  return out
}

/**
 * A {@link PaxosStorage} over a {@link DiskLike}: a checksummed record log and a snapshot file.
 *
 * @example
 * ```ts
 * import { SimDisk } from '@synod/sim'
 * const disk = new SimDisk()
 * const storage = new DiskStorage(disk)
 * storage.append([{ type: 'promise', ballot: { round: 1, nodeId: 'a' } }])
 * disk.crash()
 * new DiskStorage(disk).load().promised // { round: 1, nodeId: 'a' }: it was synced
 * ```
 */
export class DiskStorage implements PaxosStorage {
  private readonly codec: Codec<PaxosRecord>
  private readonly limits: PaxosLimits
  private readonly path: string
  private readonly fold = new StateFold()
  private snapshot: StoredSnapshot | null = null
  private loaded = false
  /** Bytes cut from a torn tail by the last `load`. */
  truncatedBytes = 0

  /**
   * @param disk the replica's disk
   * @param options.path the log file's name (default `paxos-log`; the snapshot is `<path>.snapshot`);
   *   the codec limits must admit every record
   * @throws {TypeError} when `disk` is not disk-like
   */
  constructor(
    private readonly disk: DiskLike,
    options: PaxosCodecOptions & { path?: string } = {},
  ) {
    assertIs('disk', disk, 'object')
    for (const method of [
      'exists',
      'write',
      'append',
      'read',
      'truncate',
      'rename',
      'delete',
      'sync',
      'syncDirectory',
    ]) {
      const found = (disk as unknown as Record<string, unknown>)[method]
      if (typeof found !== 'function')
        throw new TypeError(`disk.${method}: expected a function, got ${show(found)}`)
    }
    this.path = options.path ?? 'paxos-log'
    this.limits = resolveLimits(options)
    this.codec = paxosRecordCodec(options)
  }

  /**
   * Replays the snapshot file and the log into the acceptor state (cutting a torn tail).
   * @throws {StorageCorruptionError} for a damaged snapshot, or a damaged record before the last one
   * @example
   * ```ts
   * const { promised, accepted, compactedSlot } = storage.load()
   * ```
   */
  load(): PersistedState {
    if (!this.loaded) this.replay()
    return this.fold.state()
  }

  /**
   * The latest durable snapshot, or null.
   * @example
   * ```ts
   * const snapshot = storage.loadSnapshot() // { slot, data } or null
   * ```
   */
  loadSnapshot(): StoredSnapshot | null {
    if (!this.loaded) this.replay()
    return this.snapshot
  }

  private replay(): void {
    this.loaded = true
    for (const temporary of [`${this.path}.tmp`, `${this.path}.snapshot.tmp`])
      if (this.disk.exists(temporary)) this.disk.delete(temporary)
    this.snapshot = this.readSnapshotFile()
    if (this.disk.exists(this.path)) this.replayLog()
    if (this.snapshot !== null) this.fold.compact(this.snapshot.slot)
  }

  private readSnapshotFile(): StoredSnapshot | null {
    const path = `${this.path}.snapshot`
    if (!this.disk.exists(path)) return null
    const bytes = this.disk.read(path)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const length = bytes.length >= HEADER_BYTES ? view.getUint32(0) : -1
    if (length !== bytes.length - HEADER_BYTES)
      throw new StorageCorruptionError(path, 0, 'truncated snapshot')
    const payload = bytes.subarray(HEADER_BYTES)
    if (checksum(payload) !== view.getUint32(4))
      throw new StorageCorruptionError(path, 0, 'checksum mismatch')
    try {
      const r = new BinaryReader(payload)
      const version = r.u8('version')
      if (version !== SNAPSHOT_VERSION)
        throw new DecodeError(`version: expected ${SNAPSHOT_VERSION}, got ${version}`)
      const slot = r.uvarint('slot')
      return { slot, data: r.take('data', r.remaining) }
    } catch (error) {
      throw new StorageCorruptionError(path, 0, (error as Error).message)
    }
  }

  private replayLog(): void {
    const bytes = this.disk.read(this.path)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let offset = 0
    while (offset < bytes.length) {
      const problem = this.readRecord(bytes, view, offset)
      if (typeof problem === 'number') {
        offset = problem
        continue
      }
      if (problem.last) {
        this.truncatedBytes = bytes.length - offset
        this.disk.truncate(this.path, offset)
        this.disk.sync(this.path)
        return
      }
      throw new StorageCorruptionError(this.path, offset, problem.reason)
    }
  }

  /** Folds the record at `offset` and returns the next offset, or what is wrong with it. */
  private readRecord(
    bytes: Uint8Array,
    view: DataView,
    offset: number,
  ): number | { reason: string; last: boolean } {
    if (bytes.length - offset < HEADER_BYTES) return { reason: 'truncated header', last: true }
    const length = view.getUint32(offset)
    const end = offset + HEADER_BYTES + length
    if (end > bytes.length) return { reason: 'truncated record', last: true }
    const payload = bytes.subarray(offset + HEADER_BYTES, end)
    const last = end === bytes.length
    if (checksum(payload) !== view.getUint32(offset + 4)) return { reason: 'checksum mismatch', last }
    let record: PaxosRecord
    try {
      record = this.codec.decode(payload)
    } catch (error) {
      return { reason: (error as Error).message, last }
    }
    this.fold.add(record)
    return end
  }

  /**
   * Appends the records with one append and one sync; returns once they are durable.
   * @example
   * ```ts
   * storage.append(ready.records)
   * ```
   */
  append(records: readonly PaxosRecord[]): void {
    if (!this.loaded) this.replay()
    if (records.length === 0) return
    const created = !this.disk.exists(this.path)
    this.disk.append(this.path, frame(records.map((record) => this.codec.encode(record))))
    this.disk.sync(this.path)
    if (created) this.disk.syncDirectory()
    for (const record of records) this.fold.add(record)
  }

  /**
   * Makes the snapshot durable (write, sync, rename, sync the directory), then
   * rewrites the log without the accepted values it covers.
   * @throws {TypeError | RangeError} for a bad slot or data, or a slot not above the stored snapshot's
   * @example
   * ```ts
   * storage.saveSnapshot(120, stateMachine.snapshot())
   * ```
   */
  saveSnapshot(slot: number, data: Uint8Array): void {
    if (!this.loaded) this.replay()
    assertSnapshot(slot, data, this.snapshot)
    const w = new BinaryWriter(data.length + 16)
    w.u8(SNAPSHOT_VERSION)
    w.uvarint('slot', slot)
    w.append('data', data)
    this.replaceFile(`${this.path}.snapshot`, frame([w.finish()]))
    this.snapshot = { slot, data: data.slice() }
    this.fold.compact(slot)
    const state = this.fold.state()
    const records: PaxosRecord[] = [{ type: 'promise', ballot: state.promised }]
    let batch: AcceptedEntry[] = []
    let bytes = 0
    for (const entry of state.accepted) {
      const size = valueBytes(entry.value)
      if (
        batch.length > 0 &&
        (batch.length >= this.limits.maxBatchEntries || bytes + size > this.limits.maxBatchBytes)
      ) {
        records.push({ type: 'accept', entries: batch })
        batch = []
        bytes = 0
      }
      batch.push(entry)
      bytes += size
    }
    if (batch.length > 0) records.push({ type: 'accept', entries: batch })
    this.replaceFile(this.path, frame(records.map((record) => this.codec.encode(record))))
  }

  /** Atomically replaces a file: write a temporary, sync it, rename it over, sync the directory. */
  private replaceFile(path: string, bytes: Uint8Array): void {
    const temporary = `${path}.tmp`
    this.disk.write(temporary, bytes)
    this.disk.sync(temporary)
    this.disk.rename(temporary, path)
    this.disk.syncDirectory()
  }
}
