/**
 * Typed errors raised by Raft storages. Each extends `SynodError`, carries a
 * stable `code`, and has a static `isInstance` that works across package copies.
 */
import { SynodError } from '@synod/transport'

/** Stable error codes raised by Raft storages. */
export type StorageErrorCode =
  | 'ERR_STORAGE_CORRUPT'
  | 'ERR_STORAGE_LOCKED'
  | 'ERR_STORAGE_CLOSED'
  | 'ERR_STORAGE_NOT_LOADED'
  | 'ERR_STORAGE_FAILED'
  | 'ERR_RECORD_TOO_LARGE'
  | 'ERR_NO_SNAPSHOT'
  | 'ERR_SNAPSHOT_INCOMPLETE'
  | 'ERR_SNAPSHOT_WRITER_CLOSED'

function hasCode(error: unknown, code: StorageErrorCode): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * Stored data failed a check when read back (a checksum, a length, a field, the
 * order of segments), somewhere other than a torn tail. Data that was
 * acknowledged could be lost, so the storage refuses to open rather than drop it.
 *
 * @example
 * ```ts
 * try { await FileStorage.open(dir) } catch (error) {
 *   if (StorageCorruptionError.isInstance(error)) console.error(error.path, error.offset, error.reason)
 * }
 * ```
 */
export class StorageCorruptionError extends SynodError {
  /** The file holding the bad bytes. */
  readonly path: string
  /** Byte offset of the bad record or field in that file. */
  readonly offset: number
  /** What check failed. */
  readonly reason: string
  constructor(path: string, offset: number, reason: string) {
    super('ERR_STORAGE_CORRUPT', `storage is corrupt: ${path} at offset ${offset}: ${reason}`)
    this.path = path
    this.offset = offset
    this.reason = reason
  }
  static override isInstance(error: unknown): error is StorageCorruptionError {
    return hasCode(error, 'ERR_STORAGE_CORRUPT')
  }
}

/**
 * Another live process (or another `FileStorage` in this process) holds the directory.
 *
 * @example
 * ```ts
 * await FileStorage.open(dir)
 * await FileStorage.open(dir) // throws StorageLockedError: storage directory "…" is locked by process 4242
 * ```
 */
export class StorageLockedError extends SynodError {
  readonly directory: string
  /** The process id written in the lock file. */
  readonly pid: number
  constructor(directory: string, pid: number) {
    super('ERR_STORAGE_LOCKED', `storage directory "${directory}" is locked by process ${pid}`)
    this.directory = directory
    this.pid = pid
  }
  static override isInstance(error: unknown): error is StorageLockedError {
    return hasCode(error, 'ERR_STORAGE_LOCKED')
  }
}

/**
 * A method was called after `close`.
 *
 * @example
 * ```ts
 * await storage.close()
 * await storage.save({}) // throws StorageClosedError: storage is closed
 * ```
 */
export class StorageClosedError extends SynodError {
  constructor() {
    super('ERR_STORAGE_CLOSED', 'storage is closed')
  }
  static override isInstance(error: unknown): error is StorageClosedError {
    return hasCode(error, 'ERR_STORAGE_CLOSED')
  }
}

/**
 * A method other than `load` or `close` was called before `load`.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage()
 * await storage.save({}) // throws StorageNotLoadedError: storage must be loaded before save
 * ```
 */
export class StorageNotLoadedError extends SynodError {
  /** The method that was called too early. */
  readonly method: string
  constructor(method: string) {
    super('ERR_STORAGE_NOT_LOADED', `storage must be loaded before ${method}`)
    this.method = method
  }
  static override isInstance(error: unknown): error is StorageNotLoadedError {
    return hasCode(error, 'ERR_STORAGE_NOT_LOADED')
  }
}

/**
 * A write, fsync or delete failed. After a failed fsync the kernel may have
 * dropped the dirty pages and cleared the error, so the file's contents are
 * unknown: the storage refuses every later call, and the node must be restarted
 * (reopening runs recovery). `cause` holds the system error.
 *
 * @example
 * ```ts
 * if (StorageFailedError.isInstance(error)) process.exit(1) // restart and recover
 * ```
 */
export class StorageFailedError extends SynodError {
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause)
    super('ERR_STORAGE_FAILED', `storage failed and must be reopened: ${detail}`, { cause })
  }
  static override isInstance(error: unknown): error is StorageFailedError {
    return hasCode(error, 'ERR_STORAGE_FAILED')
  }
}

/**
 * One `save` would write a log record larger than `maxRecordBytes`. Nothing was written.
 *
 * @example
 * ```ts
 * const storage = await FileStorage.open(dir, { maxRecordBytes: 1024 })
 * await storage.load()
 * await storage.save({ entries: [{ index: 1, term: 1, kind: 'normal', data: new Uint8Array(2048) }] })
 * // throws RecordTooLargeError: log record of 2090 bytes exceeds the limit of 1024 bytes
 * ```
 */
export class RecordTooLargeError extends SynodError {
  readonly sizeBytes: number
  readonly maxBytes: number
  constructor(sizeBytes: number, maxBytes: number) {
    super('ERR_RECORD_TOO_LARGE', `log record of ${sizeBytes} bytes exceeds the limit of ${maxBytes} bytes`)
    this.sizeBytes = sizeBytes
    this.maxBytes = maxBytes
  }
  static override isInstance(error: unknown): error is RecordTooLargeError {
    return hasCode(error, 'ERR_RECORD_TOO_LARGE')
  }
}

/**
 * `readSnapshot` was called while no snapshot is stored.
 *
 * @example
 * ```ts
 * await storage.readSnapshot(0, 1024) // throws NoSnapshotError: no snapshot is stored
 * ```
 */
export class NoSnapshotError extends SynodError {
  constructor() {
    super('ERR_NO_SNAPSHOT', 'no snapshot is stored')
  }
  static override isInstance(error: unknown): error is NoSnapshotError {
    return hasCode(error, 'ERR_NO_SNAPSHOT')
  }
}

/**
 * `finish` was called before `meta.sizeBytes` bytes were written. The writer stays open.
 *
 * @example
 * ```ts
 * const writer = await storage.beginSnapshot({ ...meta, sizeBytes: 10 })
 * await writer.write(0, new Uint8Array(4))
 * await writer.finish() // throws SnapshotIncompleteError: snapshot at index 7 is incomplete: received 4 of 10 bytes
 * ```
 */
export class SnapshotIncompleteError extends SynodError {
  readonly index: number
  readonly receivedBytes: number
  readonly sizeBytes: number
  constructor(index: number, receivedBytes: number, sizeBytes: number) {
    super(
      'ERR_SNAPSHOT_INCOMPLETE',
      `snapshot at index ${index} is incomplete: received ${receivedBytes} of ${sizeBytes} bytes`,
    )
    this.index = index
    this.receivedBytes = receivedBytes
    this.sizeBytes = sizeBytes
  }
  static override isInstance(error: unknown): error is SnapshotIncompleteError {
    return hasCode(error, 'ERR_SNAPSHOT_INCOMPLETE')
  }
}

/** How a snapshot writer ended. */
export type SnapshotWriterEnd = 'finished' | 'aborted' | 'superseded' | 'closed'

/**
 * `write` or `finish` on a snapshot writer that already ended: it finished, was
 * aborted, was superseded by a later `beginSnapshot`, or its storage was closed.
 *
 * @example
 * ```ts
 * await writer.abort()
 * await writer.write(0, chunk) // throws SnapshotWriterClosedError: snapshot writer for index 7 was aborted
 * ```
 */
export class SnapshotWriterClosedError extends SynodError {
  readonly index: number
  readonly end: SnapshotWriterEnd
  constructor(index: number, end: SnapshotWriterEnd) {
    const how = end === 'closed' ? 'was closed with its storage' : `was ${end}`
    super('ERR_SNAPSHOT_WRITER_CLOSED', `snapshot writer for index ${index} ${how}`)
    this.index = index
    this.end = end
  }
  static override isInstance(error: unknown): error is SnapshotWriterClosedError {
    return hasCode(error, 'ERR_SNAPSHOT_WRITER_CLOSED')
  }
}
