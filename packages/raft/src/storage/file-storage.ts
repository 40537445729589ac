/**
 * `FileStorage`: a durable `RaftStorage` on the local file system.
 *
 * Layout of a storage directory:
 * - `LOCK`: the process id of the owner, created with `wx`.
 * - `0000000000000001.wal`, `…0002.wal`, …: the log, as segments of records
 *   (format in `wal-format.ts`). Each `save` appends ONE record with one write and
 *   one `fdatasync` (group commit), so a batch is never half-applied. A segment
 *   is rolled when the next record would take it past `maxSegmentBytes`; the new
 *   segment opens with a segment-start record carrying the current hard state.
 * - `snapshot`: the current snapshot, metadata and data in one checksummed file
 *   (format in `snapshot-file.ts`), replaced atomically via `snapshot.tmp`
 *   (write, fsync, rename, fsync the directory).
 *
 * Hard state lives in the log (latest record wins), so a save with a hard state
 * and entries is one record, one fsync.
 *
 * Recovery replays every segment in order. A record that fails a check in the
 * LAST segment, with no valid record anywhere after it, is the torn tail of a
 * save that never resolved: the segment is truncated there. Any other bad
 * record (an earlier segment, or a valid record after it) means acknowledged
 * data is damaged, and `open` throws `StorageCorruptionError`.
 */
import { type FileHandle, mkdir, open, readdir, readFile, realpath, rename, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { HardState, LogEntry, SnapshotMeta } from '../core/types.js'
import { crc32c } from './crc32c.js'
import {
  NoSnapshotError,
  RecordTooLargeError,
  StorageClosedError,
  StorageCorruptionError,
  StorageFailedError,
  StorageNotLoadedError,
} from './errors.js'
import { acquireLock, fsyncDirectory, releaseLock, unlinkIfPresent, writeFully } from './fs-utilities.js'
import {
  encodeSnapshotHeader,
  encodeSnapshotMeta,
  readSnapshotData,
  readSnapshotFile,
  SNAPSHOT_HEADER_BYTES,
  type SnapshotFileInfo,
} from './snapshot-file.js'
import { SnapshotWriterBase } from './snapshot-writer-base.js'
import type { PersistedState, RaftStorage, SnapshotWriter } from './types.js'
import {
  assertBatch,
  assertInteger,
  assertSnapshotToBegin,
  copySnapshotMeta,
  emptyHardState,
  typeName,
} from './validate.js'
import {
  decodeBatch,
  decodeSegmentStart,
  decodeSnapshotReset,
  encodeBatch,
  encodeSegmentStart,
  encodeSnapshotReset,
  findValidRecord,
  isBadRecord,
  PayloadError,
  RecordType,
  readRecord,
} from './wal-format.js'

/**
 * Default bound on a segment file: 64 MiB.
 *
 * @example
 * ```ts
 * await FileStorage.open(dir, { maxSegmentBytes: DEFAULT_MAX_SEGMENT_BYTES / 4 })
 * ```
 */
export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024
/**
 * Default bound on one `save` record: 16 MiB.
 *
 * @example
 * ```ts
 * await FileStorage.open(dir, { maxRecordBytes: 2 * DEFAULT_MAX_RECORD_BYTES })
 * ```
 */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024
const MIN_SEGMENT_BYTES = 4096
const MAX_RECORD_LIMIT_BYTES = 1024 * 1024 * 1024
const MAX_SEGMENT_LIMIT_BYTES = 1024 * 1024 * 1024
/** No segment this storage writes is larger (a record of its own plus a segment-start record). */
const MAX_SEGMENT_FILE_BYTES = MAX_RECORD_LIMIT_BYTES + 128 * 1024

/**
 * Options of `FileStorage.open`.
 *
 * @example
 * ```ts
 * const options: FileStorageOptions = { maxSegmentBytes: 16 * 1024 * 1024, verifySnapshotOnOpen: false }
 * ```
 */
export interface FileStorageOptions {
  /**
   * A new segment is started when the next record would take the current one past
   * this size (default 64 MiB, at least 4096). A single record larger than it gets a
   * segment of its own.
   */
  maxSegmentBytes?: number
  /** The largest record one `save` may write (default 16 MiB, at most 1 GiB); larger batches throw `RecordTooLargeError`. */
  maxRecordBytes?: number
  /** Whether `open` reads the whole snapshot to check its data checksum (default true). */
  verifySnapshotOnOpen?: boolean
}

/**
 * What `open` found and repaired.
 *
 * @example
 * ```ts
 * const { tornBytes, tornPath } = (await FileStorage.open(dir)).recovery
 * if (tornBytes > 0) console.warn(`cut ${tornBytes} bytes of an unacknowledged write from ${tornPath}`)
 * ```
 */
export interface FileStorageRecovery {
  /** Segment files replayed. */
  segmentCount: number
  /** Bytes cut off the last segment: the torn write of a `save` that never resolved. 0 when clean. */
  tornBytes: number
  /** The truncated segment, or null. */
  tornPath: string | null
  /** Where the torn record started (the segment's new size). */
  tornOffset: number
  /** Why the torn record was rejected, or null. */
  tornReason: string | null
  /** Whether a partial `snapshot.tmp` from an interrupted snapshot was deleted. */
  removedPartialSnapshot: boolean
}

interface Segment {
  sequence: number
  path: string
  /** The highest entry index ever written into this segment (0 for none). */
  maxIndex: number
}

interface Replay {
  segments: Segment[]
  hardState: HardState
  entries: LogEntry[]
  /** Valid bytes of the last segment. */
  lastSegmentBytes: number
  /** Valid records in the last segment. */
  lastSegmentRecords: number
  torn: { path: string; offset: number; bytes: number; reason: string } | null
}

const SEGMENT_PATTERN = /^(\d{16})\.wal$/
const SNAPSHOT_FILE = 'snapshot'
const SNAPSHOT_TEMP_FILE = 'snapshot.tmp'

function segmentName(sequence: number): string {
  return `${sequence.toString().padStart(16, '0')}.wal`
}

function validateOptions(options: FileStorageOptions): Required<FileStorageOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`FileStorage.open: options: expected an object, got ${typeName(options)}`)
  }
  const maxSegmentBytes = options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES
  assertInteger('FileStorage.open: maxSegmentBytes', maxSegmentBytes, MIN_SEGMENT_BYTES)
  if (maxSegmentBytes > MAX_SEGMENT_LIMIT_BYTES) {
    throw new RangeError(
      `FileStorage.open: maxSegmentBytes: expected at most ${MAX_SEGMENT_LIMIT_BYTES}, got ${maxSegmentBytes}`,
    )
  }
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES
  assertInteger('FileStorage.open: maxRecordBytes', maxRecordBytes, 64)
  if (maxRecordBytes > MAX_RECORD_LIMIT_BYTES) {
    throw new RangeError(
      `FileStorage.open: maxRecordBytes: expected at most ${MAX_RECORD_LIMIT_BYTES}, got ${maxRecordBytes}`,
    )
  }
  const verifySnapshotOnOpen = options.verifySnapshotOnOpen ?? true
  if (typeof verifySnapshotOnOpen !== 'boolean') {
    throw new TypeError(
      `FileStorage.open: verifySnapshotOnOpen: expected a boolean, got ${typeName(verifySnapshotOnOpen)}`,
    )
  }
  return { maxSegmentBytes, maxRecordBytes, verifySnapshotOnOpen }
}

/** Lists segment files in order; a missing sequence number between two present ones is corruption. */
async function listSegments(directory: string): Promise<Segment[]> {
  const sequences: number[] = []
  for (const name of await readdir(directory)) {
    const match = SEGMENT_PATTERN.exec(name)
    if (match) sequences.push(Number(match[1]))
  }
  sequences.sort((a, b) => a - b)
  for (let i = 1; i < sequences.length; i++) {
    const expected = sequences[i - 1]! + 1
    if (sequences[i] !== expected) {
      throw new StorageCorruptionError(
        join(directory, segmentName(expected)),
        0,
        `segment ${expected} is missing between segments ${sequences[i - 1]} and ${sequences[i]}`,
      )
    }
  }
  return sequences.map((sequence) => ({
    sequence,
    path: join(directory, segmentName(sequence)),
    maxIndex: 0,
  }))
}

/** Applies a batch's entries to a replayed log: a first index at or below the last replaces the suffix. */
function appendReplayed(log: LogEntry[], incoming: LogEntry[]): string | null {
  const first = incoming[0]!.index
  const logFirst = log[0]?.index
  if (logFirst !== undefined) {
    const logLast = logFirst + log.length - 1
    if (first > logLast + 1) return `batch starts at index ${first}, leaving a gap after index ${logLast}`
    log.length = first < logFirst ? 0 : first - logFirst
  }
  for (const entry of incoming) log.push(entry)
  return null
}

/** Drops entries up to `index` (all of them unless `keepSuffix`). */
function applySnapshotToLog(log: LogEntry[], index: number, keepSuffix: boolean): void {
  const logFirst = log[0]?.index
  if (!keepSuffix || logFirst === undefined) {
    log.length = 0
    return
  }
  if (index >= logFirst) log.splice(0, Math.min(log.length, index - logFirst + 1))
}

/**
 * Replays every segment. With `repairTail`, a torn tail in the last segment is
 * reported (the caller truncates it); without, it is corruption.
 */
async function replaySegments(segments: Segment[], repairTail: boolean): Promise<Replay> {
  let hardState = emptyHardState()
  const log: LogEntry[] = []
  let torn: Replay['torn'] = null
  let lastSegmentBytes = 0
  let lastSegmentRecords = 0
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!
    const isLast = s === segments.length - 1
    const { size } = await stat(segment.path)
    if (size > MAX_SEGMENT_FILE_BYTES) {
      throw new StorageCorruptionError(
        segment.path,
        0,
        `segment file of ${size} bytes exceeds the largest this storage writes (${MAX_SEGMENT_FILE_BYTES} bytes)`,
      )
    }
    const file = await readFile(segment.path)
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength)
    const corrupt = (offset: number, reason: string) =>
      new StorageCorruptionError(segment.path, offset, reason)
    let offset = 0
    let started = false
    let records = 0
    while (offset < bytes.length) {
      const record = readRecord(bytes, offset)
      if (isBadRecord(record)) {
        if (!isLast || !repairTail) throw corrupt(offset, record.reason)
        // One save is one write of one record, so a torn write leaves one bad record at the very
        // end. A valid record after it (past its own payload, when its length can be trusted)
        // means the damage is in acknowledged data.
        const next = findValidRecord(bytes, Math.max(offset + 1, record.trustedEnd ?? 0))
        if (next !== -1)
          throw corrupt(offset, `${record.reason}, and a valid record follows at offset ${next}`)
        torn = { path: segment.path, offset, bytes: bytes.length - offset, reason: record.reason }
        break
      }
      try {
        if (!started) {
          if (record.type !== RecordType.segmentStart)
            throw new PayloadError('segment does not begin with a segment-start record')
          const start = decodeSegmentStart(bytes, record)
          if (start.sequence !== segment.sequence) {
            throw new PayloadError(`segment-start record names segment ${start.sequence}`)
          }
          hardState = start.hardState
          started = true
        } else if (record.type === RecordType.batch) {
          const batch = decodeBatch(bytes, record)
          if (batch.hardState !== undefined) hardState = batch.hardState
          if (batch.entries.length > 0) {
            const problem = appendReplayed(log, batch.entries)
            if (problem !== null) throw new PayloadError(problem)
            segment.maxIndex = Math.max(segment.maxIndex, batch.entries[batch.entries.length - 1]!.index)
          }
        } else if (record.type === RecordType.snapshotReset) {
          const reset = decodeSnapshotReset(bytes, record)
          applySnapshotToLog(log, reset.index, reset.keepSuffix)
        } else {
          throw new PayloadError('a second segment-start record')
        }
      } catch (error) {
        if (error instanceof PayloadError) throw corrupt(offset, error.message)
        throw error
      }
      offset = record.payloadEnd
      records++
    }
    if (!started && !isLast) throw corrupt(0, 'segment holds no records')
    if (isLast) {
      lastSegmentBytes = torn === null ? bytes.length : torn.offset
      lastSegmentRecords = records
    }
  }
  return { segments, hardState, entries: log, lastSegmentBytes, lastSegmentRecords, torn }
}

async function openIfExists(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r')
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null
    throw error
  }
}

interface CurrentSnapshot {
  info: SnapshotFileInfo
  handle: FileHandle
}

class FileSnapshotWriter extends SnapshotWriterBase {
  crc = 0
  constructor(
    meta: SnapshotMeta,
    readonly handle: FileHandle,
    readonly metaBytes: Uint8Array,
    private readonly hooks: {
      guard: <T>(operation: () => Promise<T>) => Promise<T>
      commit: (writer: FileSnapshotWriter) => Promise<void>
      discard: (writer: FileSnapshotWriter) => Promise<void>
    },
  ) {
    super(meta)
  }
  get dataOffset(): number {
    return SNAPSHOT_HEADER_BYTES + this.metaBytes.length
  }
  protected async append(offset: number, bytes: Uint8Array): Promise<void> {
    await this.hooks.guard(() => writeFully(this.handle, bytes, this.dataOffset + offset))
    this.crc = crc32c(bytes, this.crc)
  }
  protected commit(): Promise<void> {
    return this.hooks.commit(this)
  }
  protected discard(): Promise<void> {
    return this.hooks.discard(this)
  }
}

/**
 * A durable `RaftStorage`: a segmented, checksummed, append-only log with group
 * commit, atomic snapshot files, torn-tail recovery, and a directory lock.
 *
 * @example
 * ```ts
 * const storage = await FileStorage.open('/var/lib/node-a/raft')
 * const { hardState, snapshot, entries } = await storage.load()
 * await storage.save({
 *   hardState: { term: 2, votedFor: 'a', commit: 0 },
 *   entries: [{ index: 1, term: 2, kind: 'noop', data: new Uint8Array() }],
 * }) // resolves once fdatasync returned
 * await storage.close()
 * ```
 */
export class FileStorage implements RaftStorage {
  /** The storage directory (absolute). */
  readonly directory: string
  /** What `open` found and repaired. */
  readonly recovery: FileStorageRecovery
  private readonly options: Required<FileStorageOptions>
  private segments: Segment[]
  private active: FileHandle
  private activeBytes: number
  /** Whether the active segment holds records after its segment-start record. */
  private activeHasData: boolean
  private hardState: HardState
  private snapshot: CurrentSnapshot | null
  /** Terms of the entries after the snapshot: `terms[i]` is the term of index `snapshotIndex + 1 + i`. */
  private terms: number[]
  private pendingLoad: PersistedState | null
  private writer: FileSnapshotWriter | null = null
  private loaded = false
  private closed = false
  private failure: StorageFailedError | null = null
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(init: {
    directory: string
    options: Required<FileStorageOptions>
    recovery: FileStorageRecovery
    segments: Segment[]
    active: FileHandle
    activeBytes: number
    activeHasData: boolean
    hardState: HardState
    snapshot: CurrentSnapshot | null
    entries: LogEntry[]
  }) {
    this.directory = init.directory
    this.options = init.options
    this.recovery = init.recovery
    this.segments = init.segments
    this.active = init.active
    this.activeBytes = init.activeBytes
    this.activeHasData = init.activeHasData
    this.hardState = init.hardState
    this.snapshot = init.snapshot
    this.terms = init.entries.map((entry) => entry.term)
    this.pendingLoad = {
      hardState: { ...init.hardState },
      snapshot: init.snapshot === null ? null : copySnapshotMeta(init.snapshot.info.meta),
      entries: init.entries,
    }
  }

  /**
   * Opens (creating if needed) a storage directory: takes the lock, deletes an
   * interrupted snapshot, checks the snapshot, replays the log, and truncates a
   * torn tail. Call `load` next.
   *
   * @param directory - the storage directory; created if missing
   * @throws {StorageLockedError} when another live process (or another open storage here) holds it
   * @throws {StorageCorruptionError} when stored data fails a check anywhere but the torn tail
   * @throws {TypeError | RangeError} for bad options
   * @example
   * ```ts
   * const storage = await FileStorage.open('./data/raft', { maxSegmentBytes: 16 * 1024 * 1024 })
   * if (storage.recovery.tornBytes > 0) console.warn('dropped an unacknowledged write')
   * ```
   */
  static async open(directory: string, options: FileStorageOptions = {}): Promise<FileStorage> {
    if (typeof directory !== 'string' || directory.length === 0) {
      throw new TypeError(
        `FileStorage.open: directory: expected a non-empty path, got ${typeName(directory)}`,
      )
    }
    const settings = validateOptions(options)
    const requested = resolve(directory)
    const created = await mkdir(requested, { recursive: true })
    if (created !== undefined) {
      // make every new directory's entry durable in its parent
      for (let path = requested; ; path = dirname(path)) {
        await fsyncDirectory(dirname(path))
        if (path === created || dirname(path) === path) break
      }
    }
    const resolved = await realpath(requested) // one key per directory, whatever the symlinks
    await acquireLock(resolved)
    const handles: FileHandle[] = []
    try {
      const removedPartialSnapshot = await unlinkIfPresent(join(resolved, SNAPSHOT_TEMP_FILE))
      if (removedPartialSnapshot) await fsyncDirectory(resolved)

      let snapshot: CurrentSnapshot | null = null
      const snapshotPath = join(resolved, SNAPSHOT_FILE)
      const snapshotHandle = await openIfExists(snapshotPath)
      if (snapshotHandle !== null) {
        handles.push(snapshotHandle)
        const info = await readSnapshotFile(snapshotHandle, snapshotPath, settings.verifySnapshotOnOpen)
        snapshot = { info, handle: snapshotHandle }
      }

      const replay = await replaySegments(await listSegments(resolved), true)
      const { segments, entries } = replay
      let activeBytes = replay.lastSegmentBytes
      let active: FileHandle
      let activeHasData = false
      const last = segments[segments.length - 1]
      if (last === undefined) {
        const segment: Segment = { sequence: 1, path: join(resolved, segmentName(1)), maxIndex: 0 }
        active = await open(segment.path, 'wx')
        handles.push(active)
        const start = encodeSegmentStart(1, replay.hardState)
        await writeFully(active, start, 0)
        await active.datasync()
        await fsyncDirectory(resolved)
        segments.push(segment)
        activeBytes = start.length
      } else {
        active = await open(last.path, 'r+')
        handles.push(active)
        if (replay.torn !== null) {
          await active.truncate(replay.torn.offset)
          await active.sync()
        }
        if (activeBytes === 0) {
          // the segment was created but its first record never reached the disk
          const start = encodeSegmentStart(last.sequence, replay.hardState)
          await writeFully(active, start, 0)
          await active.datasync()
          activeBytes = start.length
        } else {
          activeHasData = replay.lastSegmentRecords > 1
        }
      }

      // A snapshot made current just before a crash may lack its snapshot-reset record: add it now.
      const meta = snapshot?.info.meta
      const firstEntry = entries[0]
      if (meta !== undefined && firstEntry !== undefined && firstEntry.index <= meta.index) {
        const atIndex = entries[meta.index - firstEntry.index]
        const keepSuffix = atIndex !== undefined && atIndex.term === meta.term
        const record = encodeSnapshotReset(meta.index, meta.term, keepSuffix)
        await writeFully(active, record, activeBytes)
        await active.datasync()
        activeBytes += record.length
        activeHasData = true
        applySnapshotToLog(entries, meta.index, keepSuffix)
      }
      const expectedFirst = (meta?.index ?? 0) + 1
      const first = entries[0]
      if (first !== undefined && first.index !== expectedFirst) {
        throw new StorageCorruptionError(
          resolved,
          0,
          `the log starts at index ${first.index} but should start at ${expectedFirst}`,
        )
      }

      return new FileStorage({
        directory: resolved,
        options: settings,
        recovery: {
          segmentCount: segments.length,
          tornBytes: replay.torn?.bytes ?? 0,
          tornPath: replay.torn?.path ?? null,
          tornOffset: replay.torn?.offset ?? 0,
          tornReason: replay.torn?.reason ?? null,
          removedPartialSnapshot,
        },
        segments,
        active,
        activeBytes,
        activeHasData,
        hardState: replay.hardState,
        snapshot,
        entries,
      })
    } catch (error) {
      for (const handle of handles) await handle.close().catch(() => {})
      await releaseLock(resolved).catch(() => {})
      throw error
    }
  }

  private get snapshotIndex(): number {
    return this.snapshot?.info.meta.index ?? 0
  }

  private get lastIndex(): number {
    return this.snapshotIndex + this.terms.length
  }

  private termAt(index: number): number | undefined {
    if (this.snapshot !== null && index === this.snapshotIndex) return this.snapshot.info.meta.term
    return index > this.snapshotIndex ? this.terms[index - this.snapshotIndex - 1] : undefined
  }

  private assertUsable(method: string): void {
    if (this.closed) throw new StorageClosedError()
    if (this.failure !== null) throw this.failure
    if (!this.loaded) throw new StorageNotLoadedError(method)
  }

  /** Runs `operation` after every earlier call finished, so calls never interleave. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation)
    this.queue = run.catch(() => {})
    return run
  }

  /** Runs file I/O; a failure poisons the storage (after a failed fsync the file's state is unknown). */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    if (this.failure !== null) throw this.failure
    try {
      return await operation()
    } catch (error) {
      this.failure = new StorageFailedError(error)
      throw this.failure
    }
  }

  /**
   * Returns the recovered state. The first call hands over what `open` replayed;
   * a later call reads the log again.
   *
   * @throws {StorageClosedError} after `close`
   * @example
   * ```ts
   * const { hardState, snapshot, entries } = await storage.load()
   * ```
   */
  load(): Promise<PersistedState> {
    return this.exclusive(async () => {
      if (this.closed) throw new StorageClosedError()
      if (this.failure !== null) throw this.failure
      this.loaded = true
      const pending = this.pendingLoad
      if (pending !== null) {
        this.pendingLoad = null
        return pending
      }
      const replay = await replaySegments(
        this.segments.map((segment) => ({ ...segment, maxIndex: 0 })),
        false,
      )
      const meta = this.snapshot?.info.meta ?? null
      const snapshotIndex = meta?.index ?? 0
      return {
        hardState: replay.hardState,
        snapshot: meta === null ? null : copySnapshotMeta(meta),
        entries: replay.entries.filter((entry) => entry.index > snapshotIndex),
      }
    })
  }

  /** Appends one record and fdatasyncs it, rolling to a new segment first when this one is full. */
  private async appendRecord(record: Uint8Array): Promise<void> {
    await this.guard(async () => {
      if (this.activeHasData && this.activeBytes + record.length > this.options.maxSegmentBytes)
        await this.roll()
      await writeFully(this.active, record, this.activeBytes)
      await this.active.datasync()
    })
    this.activeBytes += record.length
    this.activeHasData = true
  }

  private async roll(): Promise<void> {
    const sequence = this.segments[this.segments.length - 1]!.sequence + 1
    const segment: Segment = { sequence, path: join(this.directory, segmentName(sequence)), maxIndex: 0 }
    const handle = await open(segment.path, 'wx')
    try {
      const start = encodeSegmentStart(sequence, this.hardState)
      await writeFully(handle, start, 0)
      await handle.datasync()
      await fsyncDirectory(this.directory)
      await this.active.close()
      this.segments.push(segment)
      this.active = handle
      this.activeBytes = start.length
      this.activeHasData = false
    } catch (error) {
      await handle.close().catch(() => {})
      throw error
    }
  }

  /**
   * Durably records a batch as one record with one write and one fdatasync.
   *
   * @throws {TypeError | RangeError} for a malformed batch (nothing is written)
   * @throws {RecordTooLargeError} when the batch exceeds `maxRecordBytes` (nothing is written)
   * @throws {StorageFailedError} when the write or fsync failed; the storage must be reopened
   * @example
   * ```ts
   * await storage.save({ hardState: { term: 3, votedFor: null, commit: 7 } })
   * ```
   */
  save(batch: { hardState?: HardState; entries?: LogEntry[] }): Promise<void> {
    return this.exclusive(async () => {
      this.assertUsable('save')
      assertBatch(batch, this.lastIndex, this.snapshotIndex)
      const entries = batch.entries ?? []
      if (batch.hardState === undefined && entries.length === 0) return
      const record = encodeBatch(batch.hardState, entries)
      if (record.length > this.options.maxRecordBytes) {
        throw new RecordTooLargeError(record.length, this.options.maxRecordBytes)
      }
      await this.appendRecord(record)
      if (batch.hardState !== undefined) this.hardState = { ...batch.hardState }
      if (entries.length > 0) {
        this.terms.length = entries[0]!.index - this.snapshotIndex - 1
        for (const entry of entries) this.terms.push(entry.term)
        const segment = this.segments[this.segments.length - 1]!
        segment.maxIndex = Math.max(segment.maxIndex, this.lastIndex)
      }
    })
  }

  /** Deletes whole segments, oldest first, whose entries are all at or below `index`. */
  private async deleteSegmentsThrough(index: number): Promise<void> {
    await this.guard(async () => {
      while (this.segments.length > 1 && this.segments[0]!.maxIndex <= index) {
        const segment = this.segments[0]!
        await unlinkIfPresent(segment.path)
        // one directory fsync per deletion keeps the survivors a contiguous run after any crash
        await fsyncDirectory(this.directory)
        this.segments.shift()
      }
    })
  }

  /**
   * Deletes the log segments whose entries are all at or below `index`, which must be
   * covered by the snapshot. The segment being written is never deleted.
   *
   * @throws {RangeError} when `index` is above the snapshot index
   * @example
   * ```ts
   * await storage.compact(snapshot.index)
   * ```
   */
  compact(index: number): Promise<void> {
    return this.exclusive(async () => {
      this.assertUsable('compact')
      assertInteger('compact: index', index)
      if (index > this.snapshotIndex) {
        throw new RangeError(`compact: index ${index} is above the snapshot index ${this.snapshotIndex}`)
      }
      await this.deleteSegmentsThrough(index)
    })
  }

  /**
   * Starts a snapshot in `snapshot.tmp`; chunks go straight to disk. A writer still
   * open from an earlier call is superseded (its file deleted).
   *
   * @throws {RangeError} when `meta.index` is below the current snapshot's index
   * @example
   * ```ts
   * const writer = await storage.beginSnapshot(meta)
   * for (const [offset, chunk] of chunks) await writer.write(offset, chunk)
   * await writer.finish() // fsync, rename, fsync directory, then the log drops covered entries
   * ```
   */
  beginSnapshot(meta: SnapshotMeta): Promise<SnapshotWriter> {
    return this.exclusive(async () => {
      this.assertUsable('beginSnapshot')
      assertSnapshotToBegin(meta, this.snapshotIndex)
      await this.writer?.endWith('superseded')
      this.writer = null
      const copy = copySnapshotMeta(meta)
      const metaBytes = encodeSnapshotMeta(copy)
      const tempPath = join(this.directory, SNAPSHOT_TEMP_FILE)
      const handle = await this.guard(async () => {
        const created = await open(tempPath, 'w')
        try {
          await writeFully(created, encodeSnapshotHeader(metaBytes, copy.sizeBytes, 0), 0)
          await writeFully(created, metaBytes, SNAPSHOT_HEADER_BYTES)
        } catch (error) {
          await created.close().catch(() => {})
          throw error
        }
        return created
      })
      const writer = new FileSnapshotWriter(copy, handle, metaBytes, {
        guard: (operation) => this.guard(operation),
        commit: (finished) => this.exclusive(() => this.commitSnapshot(finished)),
        discard: async (ended) => {
          if (this.writer === ended) this.writer = null
          await ended.handle.close().catch(() => {})
          await unlinkIfPresent(tempPath).catch(() => {})
        },
      })
      this.writer = writer
      return writer
    })
  }

  private async commitSnapshot(writer: FileSnapshotWriter): Promise<void> {
    if (this.closed) throw new StorageClosedError()
    if (this.writer === writer) this.writer = null
    const { meta } = writer
    const snapshotPath = join(this.directory, SNAPSHOT_FILE)
    const current = await this.guard(async () => {
      await writeFully(writer.handle, encodeSnapshotHeader(writer.metaBytes, meta.sizeBytes, writer.crc), 0)
      await writer.handle.sync()
      await writer.handle.close()
      await rename(join(this.directory, SNAPSHOT_TEMP_FILE), snapshotPath)
      await fsyncDirectory(this.directory)
      // now current: a crash from here on recovers with the new snapshot
      const handle = await open(snapshotPath, 'r')
      return { handle, info: { meta, dataOffset: writer.dataOffset } }
    })
    const keepSuffix = this.termAt(meta.index) === meta.term
    const previous = this.snapshot
    const previousIndex = this.snapshotIndex
    this.snapshot = current
    if (keepSuffix) this.terms.splice(0, meta.index - previousIndex)
    else this.terms = []
    await previous?.handle.close().catch(() => {})
    await this.appendRecord(encodeSnapshotReset(meta.index, meta.term, keepSuffix))
    await this.deleteSegmentsThrough(meta.index)
  }

  /**
   * Reads up to `length` bytes of the current snapshot's data from `offset`.
   *
   * @throws {NoSnapshotError} when no snapshot is stored
   * @example
   * ```ts
   * const chunk = await storage.readSnapshot(offset, 256 * 1024)
   * ```
   */
  readSnapshot(offset: number, length: number): Promise<Uint8Array> {
    return this.exclusive(async () => {
      this.assertUsable('readSnapshot')
      assertInteger('readSnapshot: offset', offset)
      assertInteger('readSnapshot: length', length)
      if (this.snapshot === null) throw new NoSnapshotError()
      return readSnapshotData(this.snapshot.handle, this.snapshot.info, offset, length)
    })
  }

  /**
   * Ends an open snapshot writer, closes every file and releases the lock. Idempotent.
   *
   * @example
   * ```ts
   * await storage.close()
   * ```
   */
  close(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) return
      this.closed = true
      await this.writer?.endWith('closed')
      this.writer = null
      await this.active.close().catch(() => {})
      await this.snapshot?.handle.close().catch(() => {})
      await releaseLock(this.directory).catch(() => {})
    })
  }
}
