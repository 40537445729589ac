/**
 * A replica's hard state on a real disk: an append-only log of checksummed
 * records, fsynced before the driver sends anything, with group commit,
 * torn-tail recovery and compaction.
 *
 * File layout (`<directory>/hard-state.log`):
 *
 * ```
 * magic "synod-pbft-log/1\n"
 * record*: u32 payloadLength | u32 crc32(type ‖ payload) | u8 type | payload
 *   type 1 (full):   encodeHardState(state)             — replaces everything before it
 *   type 2 (update): encodeHardState(update as a state) — folded with applyPersist
 * ```
 *
 * Recovery reads records until the end. An incomplete record at the end, or a
 * last record whose checksum fails, is a torn tail (a crash in the middle of a
 * write that was never acknowledged, since the driver sends only after fsync):
 * it is cut off and the file fsynced. A bad checksum with more bytes after it,
 * a checksummed record that does not decode, or a file that does not start
 * with the magic is corruption: `PbftStorageCorruptionError`, nothing repaired.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { crc32 } from 'node:zlib'
import { decodeHardState, encodeHardState } from '../core/codec.js'
import { PbftStorageClosedError, PbftStorageCorruptionError } from '../core/errors.js'
import { applyPersist } from '../core/replica.js'
import type { PbftHardState, PersistUpdate } from '../core/types.js'
import type { GroupCommitStore } from '../node/pbft-node.js'

const MAGIC = new TextEncoder().encode('synod-pbft-log/1\n')
const RECORD_HEADER_BYTES = 9
const RECORD_FULL = 1
const RECORD_UPDATE = 2
const LOG_FILE = 'hard-state.log'

/**
 * Options of `FileHardStateStore.open`.
 *
 * @example
 * ```ts
 * FileHardStateStore.open('/data/r0', { compactAboveBytes: 64 * 1024 * 1024 })
 * ```
 */
export interface FileHardStateStoreOptions {
  /**
   * After a sync leaves the log larger than this, it is rewritten as one full
   * record (to a temporary file, fsynced, renamed, directory fsynced).
   * Default 16 MiB. The folded state shrinks at every stable checkpoint, so
   * the log stays bounded.
   */
  readonly compactAboveBytes?: number
}

/**
 * What `open` found on disk.
 *
 * @example
 * ```ts
 * if (store.recovery.tornBytes > 0) log.warn(`cut a torn tail of ${store.recovery.tornBytes} bytes`)
 * ```
 */
export interface HardStateRecovery {
  /** Records read back (full and update). */
  readonly records: number
  /** Bytes of a torn tail that were cut off (0 when the log ended cleanly). */
  readonly tornBytes: number
}

function u32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>>
    0
  )
}

function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff
  bytes[offset + 1] = (value >>> 16) & 0xff
  bytes[offset + 2] = (value >>> 8) & 0xff
  bytes[offset + 3] = value & 0xff
}

function checksum(type: number, payload: Uint8Array): number {
  return crc32(payload, crc32(Uint8Array.of(type)))
}

function encodeRecord(type: number, payload: Uint8Array): Uint8Array {
  const record = new Uint8Array(RECORD_HEADER_BYTES + payload.length)
  writeU32(record, 0, payload.length)
  writeU32(record, 4, checksum(type, payload))
  record[8] = type
  record.set(payload, RECORD_HEADER_BYTES)
  return record
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  let length = 0
  for (const chunk of chunks) length += chunk.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
}

function fsyncDirectory(directory: string): void {
  const fd = openSync(directory, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * A durable `HardStateStore` for `PbftNode`: an append-only, checksummed log
 * in one directory, one fsync per group of updates.
 *
 * @example
 * ```ts
 * const store = FileHardStateStore.open('/data/r0')
 * const node = new PbftNode({ ...options, store, groupCommit: (flush) => setImmediate(flush) })
 * // on shutdown
 * node.close()
 * store.close()
 * ```
 */
export class FileHardStateStore implements GroupCommitStore {
  /** The log file. */
  readonly path: string
  /** What `open` found: records read and torn bytes cut off. */
  readonly recovery: HardStateRecovery
  private readonly directory: string
  private readonly compactAboveBytes: number
  private fd: number | undefined
  private size: number
  private state: PbftHardState | undefined
  private buffered: Uint8Array[] = []
  private counters = { syncs: 0, records: 0, compactions: 0 }

  private constructor(
    directory: string,
    fd: number,
    size: number,
    state: PbftHardState | undefined,
    recovery: HardStateRecovery,
    compactAboveBytes: number,
  ) {
    this.directory = directory
    this.path = join(directory, LOG_FILE)
    this.fd = fd
    this.size = size
    this.state = state
    this.recovery = recovery
    this.compactAboveBytes = compactAboveBytes
  }

  /**
   * Opens (creating it if needed) the log in `directory` and recovers its state.
   *
   * @throws {PbftStorageCorruptionError} when the log is damaged other than by a torn tail
   * @throws {RangeError} for a bad `compactAboveBytes`
   * @example
   * ```ts
   * const store = FileHardStateStore.open(join(dataDir, 'r0'))
   * store.load() // undefined on first start
   * ```
   */
  static open(directory: string, options: FileHardStateStoreOptions = {}): FileHardStateStore {
    if (typeof directory !== 'string' || directory.length === 0)
      throw new TypeError(`directory: expected a non-empty string, got ${JSON.stringify(directory)}`)
    const compactAboveBytes = options.compactAboveBytes ?? 16 * 1024 * 1024
    if (!Number.isSafeInteger(compactAboveBytes) || compactAboveBytes <= 0)
      throw new RangeError(`compactAboveBytes: expected a positive integer, got ${String(compactAboveBytes)}`)
    if (!existsSync(directory)) {
      mkdirSync(directory, { recursive: true })
      fsyncDirectory(dirname(directory)) // the new directory's own entry
    }
    const path = join(directory, LOG_FILE)
    if (!existsSync(path)) {
      FileHardStateStore.writeFresh(directory, path, undefined)
      const fd = openSync(path, 'a')
      return new FileHardStateStore(
        directory,
        fd,
        MAGIC.length,
        undefined,
        { records: 0, tornBytes: 0 },
        compactAboveBytes,
      )
    }
    const bytes = new Uint8Array(readFileSync(path))
    const { state, records, validBytes } = FileHardStateStore.recover(path, bytes)
    const fd = openSync(path, 'r+')
    if (validBytes < bytes.length) {
      ftruncateSync(fd, validBytes)
      fsyncSync(fd)
    }
    closeSync(fd)
    if (validBytes < MAGIC.length) FileHardStateStore.writeFresh(directory, path, undefined)
    const size = Math.max(validBytes, MAGIC.length)
    return new FileHardStateStore(
      directory,
      openSync(path, 'a'),
      size,
      state,
      { records, tornBytes: bytes.length - validBytes },
      compactAboveBytes,
    )
  }

  /** Parses a log; returns the folded state and how many bytes are good. */
  private static recover(
    path: string,
    bytes: Uint8Array,
  ): { state: PbftHardState | undefined; records: number; validBytes: number } {
    const header = Math.min(bytes.length, MAGIC.length)
    for (let i = 0; i < header; i++)
      if (bytes[i] !== MAGIC[i]) throw new PbftStorageCorruptionError(path, 0, 'not a PBFT hard-state log')
    // a crash while creating the file leaves a prefix of the magic: start over
    if (bytes.length < MAGIC.length) return { state: undefined, records: 0, validBytes: 0 }
    let state: PbftHardState | undefined
    let records = 0
    let offset = MAGIC.length
    while (offset < bytes.length) {
      if (bytes.length - offset < RECORD_HEADER_BYTES) break // torn header
      const length = u32(bytes, offset)
      const end = offset + RECORD_HEADER_BYTES + length
      if (end > bytes.length) break // torn payload
      const type = bytes[offset + 8]!
      const payload = bytes.subarray(offset + RECORD_HEADER_BYTES, end)
      if (checksum(type, payload) !== u32(bytes, offset + 4)) {
        if (end === bytes.length) break // the last record, half written
        throw new PbftStorageCorruptionError(
          path,
          offset,
          `checksum mismatch with ${bytes.length - end} bytes after the record`,
        )
      }
      let decoded: PbftHardState
      try {
        decoded = decodeHardState(payload)
      } catch (error) {
        throw new PbftStorageCorruptionError(
          path,
          offset,
          `record does not decode: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        )
      }
      if (state !== undefined && decoded.replica !== state.replica)
        throw new PbftStorageCorruptionError(
          path,
          offset,
          `record of replica "${decoded.replica}" in the log of "${state.replica}"`,
        )
      if (type === RECORD_FULL) state = decoded
      else if (type === RECORD_UPDATE) state = applyPersist(decoded.replica, state, decoded)
      else throw new PbftStorageCorruptionError(path, offset, `unknown record type ${type}`)
      records++
      offset = end
    }
    return { state, records, validBytes: offset }
  }

  /** Writes a new log (magic and, if given, one full record) through a temporary file. */
  private static writeFresh(directory: string, path: string, state: PbftHardState | undefined): number {
    const temporary = `${path}.tmp`
    const bytes =
      state === undefined ? MAGIC : concat([MAGIC, encodeRecord(RECORD_FULL, encodeHardState(state))])
    const fd = openSync(temporary, 'w')
    try {
      writeAll(fd, bytes)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, path)
    fsyncDirectory(directory)
    return bytes.length
  }

  /** The state recovered at `open` plus everything written since. */
  load(): PbftHardState | undefined {
    return this.state
  }

  /**
   * Appends `update` and fsyncs before returning (one group of one).
   *
   * @throws {PbftStorageClosedError} after `close()`
   */
  save(state: PbftHardState, update: PersistUpdate): void {
    this.write(state, update)
    this.sync()
  }

  /**
   * Buffers `update` (folded, it gives `state`); durable only after `sync()`.
   *
   * @throws {PbftStorageClosedError} after `close()`
   */
  write(state: PbftHardState, update: PersistUpdate): void {
    if (this.fd === undefined) throw new PbftStorageClosedError(this.path)
    const record: PbftHardState = {
      replica: state.replica,
      view: update.view,
      viewChanging: update.viewChanging,
      votes: update.votes,
      prepared: update.prepared,
      committed: update.committed,
      stableCheckpoint: update.stableCheckpoint,
    }
    this.buffered.push(encodeRecord(RECORD_UPDATE, encodeHardState(record)))
    this.state = state
  }

  /**
   * Writes every buffered record in one write and fsyncs once (group commit);
   * then compacts if the log grew past `compactAboveBytes`.
   *
   * @throws {PbftStorageClosedError} after `close()`
   */
  sync(): void {
    if (this.fd === undefined) throw new PbftStorageClosedError(this.path)
    if (this.buffered.length === 0) return
    const bytes = concat(this.buffered)
    this.counters.records += this.buffered.length
    this.buffered = []
    writeAll(this.fd, bytes)
    fsyncSync(this.fd)
    this.counters.syncs++
    this.size += bytes.length
    if (this.size > this.compactAboveBytes && this.state !== undefined) this.compact(this.state)
  }

  private compact(state: PbftHardState): void {
    closeSync(this.fd!)
    this.fd = undefined
    this.size = FileHardStateStore.writeFresh(this.directory, this.path, state)
    this.fd = openSync(this.path, 'a')
    this.counters.compactions++
  }

  /** Bytes in the log, fsyncs done, records appended and compactions since `open`. */
  get stats(): { bytes: number; syncs: number; records: number; compactions: number } {
    return { bytes: this.size, ...this.counters }
  }

  /** Syncs what is buffered and closes the file. Idempotent. */
  close(): void {
    if (this.fd === undefined) return
    this.sync()
    closeSync(this.fd)
    this.fd = undefined
  }
}
