/**
 * Raft storages: `MemoryStorage` (tests, demos, in-process benchmarks) and
 * `FileStorage` (durable: segmented checksummed log, group commit, atomic
 * snapshots, torn-tail recovery), their typed errors, and the contract types.
 * The compliance suite lives apart, in `./compliance.js`, because it imports vitest.
 *
 * @example
 * ```ts
 * import { FileStorage } from '@synod/raft'
 * const storage = await FileStorage.open('./data/raft')
 * const { hardState, snapshot, entries } = await storage.load()
 * ```
 * @packageDocumentation
 */
export { crc32c } from './crc32c.js'
export {
  NoSnapshotError,
  RecordTooLargeError,
  SnapshotIncompleteError,
  SnapshotWriterClosedError,
  type SnapshotWriterEnd,
  StorageClosedError,
  StorageCorruptionError,
  type StorageErrorCode,
  StorageFailedError,
  StorageLockedError,
  StorageNotLoadedError,
} from './errors.js'
export {
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_MAX_SEGMENT_BYTES,
  FileStorage,
  type FileStorageOptions,
  type FileStorageRecovery,
} from './file-storage.js'
export { MemoryStorage } from './memory-storage.js'
export type { PersistedState, RaftStorage, SnapshotWriter } from './types.js'
