import { mkdtemp, open, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { LogEntry } from '../../src/core/types.js'
import { complianceEntry, storageCompliance } from '../../src/storage/compliance.js'
import {
  RecordTooLargeError,
  StorageCorruptionError,
  StorageFailedError,
  StorageLockedError,
  StorageNotLoadedError,
} from '../../src/storage/errors.js'
import { FileStorage, type FileStorageOptions } from '../../src/storage/file-storage.js'
import { INLINE_WRITE_BYTES, inlineIo } from '../../src/storage/fs-utilities.js'

const directories: string[] = []
async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'synod-raft-storage-'))
  directories.push(directory)
  return directory
}
async function removeDirectories() {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true })
}

/** Registers the suite for FileStorage opened with `options`: each test gets a fresh directory. */
function fileStorageCompliance(name: string, options: FileStorageOptions) {
  let current = ''
  storageCompliance({
    name,
    create: async () => {
      current = await freshDirectory()
      return FileStorage.open(current, options)
    },
    reopen: () => FileStorage.open(current, options),
    teardown: removeDirectories,
  })
}
fileStorageCompliance('FileStorage', {})
// small segments, so the suite also exercises rolling and segment deletion
fileStorageCompliance('FileStorage with 4 KiB segments', { maxSegmentBytes: 4096 })

const range = (first: number, last: number, term: number): LogEntry[] =>
  Array.from({ length: last - first + 1 }, (_, i) => complianceEntry(first + i, term))
const membership = { voters: ['a'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }

async function segmentFiles(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.endsWith('.wal')).sort()
}

describe('FileStorage', () => {
  const opened: FileStorage[] = []
  async function openLoaded(directory: string, options = {}) {
    const storage = await FileStorage.open(directory, options)
    opened.push(storage)
    return { storage, state: await storage.load() }
  }
  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close()
    await removeDirectories()
  })

  it('locks its directory against a second open, and releases it on close', async () => {
    const directory = await freshDirectory()
    const { storage } = await openLoaded(directory)
    const error = await FileStorage.open(directory).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageLockedError)
    expect((error as Error).message).toBe(
      `storage directory "${directory}" is locked by process ${process.pid}`,
    )
    await storage.close()
    await (await FileStorage.open(directory)).close()
  })

  it('sees through symlinks: the same directory under two names is locked once', async () => {
    const directory = await freshDirectory()
    const alias = `${directory}-alias`
    directories.push(alias)
    await symlink(directory, alias)
    const { storage } = await openLoaded(directory)
    await expect(FileStorage.open(alias)).rejects.toThrow(StorageLockedError)
    await storage.close()
  })

  it('takes over a lock left by a process that no longer exists', async () => {
    const directory = await freshDirectory()
    await writeFile(join(directory, 'LOCK'), '999999999\n')
    const { storage } = await openLoaded(directory)
    expect((await readFile(join(directory, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid))
    await storage.close()
    await expect(stat(join(directory, 'LOCK'))).rejects.toThrow(/ENOENT/)
  })

  it('group commit: one save of many entries is one write and one fdatasync, nothing else', async () => {
    const directory = await freshDirectory()
    const { storage } = await openLoaded(directory)
    await storage.save({ entries: range(1, 10, 1) })
    const probe = await open(join(directory, 'probe'), 'w')
    const prototype = Object.getPrototypeOf(probe) as Record<
      'write' | 'datasync' | 'sync' | 'truncate',
      () => unknown
    >
    await probe.close()
    const spies = {
      write: vi.spyOn(prototype, 'write'),
      inlineWrite: vi.spyOn(inlineIo, 'writeSync'),
      datasync: vi.spyOn(prototype, 'datasync'),
      sync: vi.spyOn(prototype, 'sync'),
      truncate: vi.spyOn(prototype, 'truncate'),
    }
    try {
      await storage.save({ hardState: { term: 2, votedFor: 'a', commit: 10 }, entries: range(11, 1010, 2) })
      expect({
        write: spies.write.mock.calls.length + spies.inlineWrite.mock.calls.length,
        datasync: spies.datasync.mock.calls.length,
        sync: spies.sync.mock.calls.length,
        truncate: spies.truncate.mock.calls.length,
      }).toEqual({ write: 1, datasync: 1, sync: 0, truncate: 0 })
      // a record above the inline size goes through the thread pool, still as one write
      const big: LogEntry = {
        index: 1011,
        term: 2,
        kind: 'normal',
        data: new Uint8Array(INLINE_WRITE_BYTES + 1),
      }
      await storage.save({ entries: [big] })
      expect([spies.write.mock.calls.length, spies.inlineWrite.mock.calls.length]).toEqual([1, 1])
    } finally {
      for (const spy of Object.values(spies)) spy.mockRestore()
    }
  })

  it('refuses every call after a failed fdatasync, and recovers on reopen', async () => {
    const directory = await freshDirectory()
    const { storage } = await openLoaded(directory)
    await storage.save({ hardState: { term: 1, votedFor: 'a', commit: 0 }, entries: range(1, 3, 1) })
    const probe = await open(join(directory, 'probe'), 'w')
    const prototype = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> }
    await probe.close()
    const failing = vi
      .spyOn(prototype, 'datasync')
      .mockRejectedValueOnce(new Error('EIO: i/o error, fdatasync'))
    try {
      const failed = await storage.save({ entries: range(4, 4, 1) }).catch((e: unknown) => e)
      expect(StorageFailedError.isInstance(failed)).toBe(true)
      expect((failed as Error).message).toBe('storage failed and must be reopened: EIO: i/o error, fdatasync')
      await expect(storage.save({ entries: range(4, 4, 1) })).rejects.toThrow(failed as Error)
      await expect(storage.readSnapshot(0, 1)).rejects.toThrow(StorageFailedError)
    } finally {
      failing.mockRestore()
    }
    await storage.close()
    // the failed save was never acknowledged: it may or may not be there, everything before it is
    const { state } = await openLoaded(directory)
    expect(state.entries.slice(0, 3)).toEqual(range(1, 3, 1))
    expect(state.hardState).toEqual({ term: 1, votedFor: 'a', commit: 0 })
  })

  it('takes over a lock naming its own pid when this process does not hold it (a restarted container)', async () => {
    const directory = await freshDirectory()
    await writeFile(join(directory, 'LOCK'), `${process.pid}\n`)
    const { storage } = await openLoaded(directory)
    await expect(FileStorage.open(directory)).rejects.toThrow(StorageLockedError)
    await storage.close()
  })

  it('refuses two concurrent opens of one directory in this process', async () => {
    const directory = await freshDirectory()
    const results = await Promise.allSettled([FileStorage.open(directory), FileStorage.open(directory)])
    const opened = results.filter((r): r is PromiseFulfilledResult<FileStorage> => r.status === 'fulfilled')
    expect(opened).toHaveLength(1)
    expect(
      results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason),
    ).toEqual([new StorageLockedError(directory, process.pid)])
    await opened[0]!.value.close()
  })

  it('a second load reads the log again and returns the same state', async () => {
    const directory = await freshDirectory()
    const { storage } = await openLoaded(directory, { maxSegmentBytes: 4096 })
    for (let i = 0; i < 30; i++) await storage.save({ entries: range(i * 10 + 1, i * 10 + 10, 1) })
    await storage.save({ hardState: { term: 2, votedFor: 'b', commit: 290 }, entries: range(295, 296, 2) })
    const writer = await storage.beginSnapshot({ index: 200, term: 1, membership, sizeBytes: 1 })
    await writer.write(0, Uint8Array.of(1))
    await writer.finish()
    await storage.compact(200)
    expect(await storage.load()).toEqual({
      hardState: { term: 2, votedFor: 'b', commit: 290 },
      snapshot: { index: 200, term: 1, membership, sizeBytes: 1 },
      entries: [...range(201, 294, 1), ...range(295, 296, 2)],
    })
  })

  it('refuses calls before load', async () => {
    const storage = await FileStorage.open(await freshDirectory())
    opened.push(storage)
    await expect(storage.save({})).rejects.toThrow(new StorageNotLoadedError('save'))
  })

  it('rolls segments at the size bound and deletes covered ones on compact', async () => {
    const directory = await freshDirectory()
    let { storage } = await openLoaded(directory, { maxSegmentBytes: 4096 })
    for (let i = 0; i < 200; i++) await storage.save({ entries: range(i * 5 + 1, i * 5 + 5, 1) })
    const before = await segmentFiles(directory)
    expect(before.length).toBeGreaterThan(5)
    for (const name of before) expect((await stat(join(directory, name))).size).toBeLessThanOrEqual(4096)
    await storage.save({ hardState: { term: 1, votedFor: 'a', commit: 1000 } })
    const writer = await storage.beginSnapshot({ index: 800, term: 1, membership, sizeBytes: 3 })
    await writer.write(0, Uint8Array.of(1, 2, 3))
    await writer.finish() // deletes the segments fully covered by the snapshot
    const after = await segmentFiles(directory)
    expect(after.length).toBeLessThan(before.length)
    expect(after.length).toBeGreaterThan(1)
    await storage.close()
    const reopened = await openLoaded(directory, { maxSegmentBytes: 4096 })
    storage = reopened.storage
    const state = reopened.state
    expect(state.hardState).toEqual({ term: 1, votedFor: 'a', commit: 1000 })
    expect(state.entries).toEqual(range(801, 1000, 1))
    expect(storage.recovery.segmentCount).toBe(after.length)
  })

  it('refuses a batch larger than maxRecordBytes with the exact size, writing nothing', async () => {
    const directory = await freshDirectory()
    const { storage } = await openLoaded(directory, { maxRecordBytes: 1024 })
    const big = { index: 1, term: 1, kind: 'normal' as const, data: new Uint8Array(2048) }
    await expect(storage.save({ entries: [big] })).rejects.toThrow(
      new RecordTooLargeError(2090, 1024).message,
    )
    await expect(storage.save({ entries: [big] })).rejects.toThrow(RecordTooLargeError)
    await storage.save({ entries: range(1, 1, 1) })
    await storage.close()
    expect((await openLoaded(directory)).state.entries).toEqual(range(1, 1, 1))
  })

  it('validates its options with exact messages', async () => {
    const directory = await freshDirectory()
    await expect(FileStorage.open(directory, { maxSegmentBytes: 100 })).rejects.toThrow(
      'FileStorage.open: maxSegmentBytes: expected a safe integer >= 4096, got 100',
    )
    await expect(FileStorage.open('')).rejects.toThrow(TypeError)
  })

  it('deletes a partial snapshot left by a crash, keeping the current one', async () => {
    const directory = await freshDirectory()
    let { storage } = await openLoaded(directory)
    await storage.save({ entries: range(1, 4, 1) })
    const writer = await storage.beginSnapshot({ index: 2, term: 1, membership, sizeBytes: 2 })
    await writer.write(0, Uint8Array.of(7, 8))
    await writer.finish()
    const partial = await storage.beginSnapshot({ index: 3, term: 1, membership, sizeBytes: 4 })
    await partial.write(0, Uint8Array.of(1))
    await storage.close()
    await writeFile(join(directory, 'snapshot.tmp'), 'left by a crash')
    ;({ storage } = await openLoaded(directory))
    expect(storage.recovery.removedPartialSnapshot).toBe(true)
    expect(await storage.readSnapshot(0, 10)).toEqual(Uint8Array.of(7, 8))
    expect((await storage.load()).entries).toEqual(range(3, 4, 1))
  })

  it('refuses a snapshot file whose data was damaged', async () => {
    const directory = await freshDirectory()
    const { storage } = await openLoaded(directory)
    const writer = await storage.beginSnapshot({ index: 0, term: 0, membership, sizeBytes: 100 })
    await writer.write(0, new Uint8Array(100).fill(5))
    await writer.finish()
    await storage.close()
    const path = join(directory, 'snapshot')
    const bytes = await readFile(path)
    bytes[bytes.length - 50]! ^= 1
    await writeFile(path, bytes)
    const error = await FileStorage.open(directory).catch((e: unknown) => e)
    expect(StorageCorruptionError.isInstance(error)).toBe(true)
    expect((error as StorageCorruptionError).reason).toBe('snapshot data checksum mismatch')
  })
})
