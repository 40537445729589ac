/**
 * The compliance suite every `RaftStorage` in Synod passes. Import it in a vitest
 * test file and call it with a harness that builds your storage.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from '@synod/raft'
 * import { storageCompliance } from '@synod/raft/storage-compliance'
 *
 * storageCompliance({ name: 'MemoryStorage', create: async () => new MemoryStorage() })
 * ```
 * @packageDocumentation
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { EntryKind, HardState, LogEntry, Membership, SnapshotMeta } from '../core/types.js'
import {
  NoSnapshotError,
  SnapshotIncompleteError,
  SnapshotWriterClosedError,
  StorageClosedError,
} from './errors.js'
import type { PersistedState, RaftStorage } from './types.js'

/**
 * How the suite builds storages.
 *
 * @example
 * ```ts
 * const options: StorageComplianceOptions = { name: 'mine', create: async () => new MemoryStorage() }
 * ```
 */
export interface StorageComplianceOptions {
  /** Shown in the describe block. */
  name: string
  /** Returns a new, empty storage (not yet loaded). Called once per test. */
  create: () => Promise<RaftStorage>
  /**
   * For durable storages: returns a new storage over the same data as the one
   * from the latest `create` or `reopen`, which the suite has closed first. When
   * given, the suite checks that everything survives a restart.
   */
  reopen?: () => Promise<RaftStorage>
  /** Releases what `create` made (called after each test, after the storages are closed). */
  teardown?: () => Promise<void> | void
}

const membership: Membership = {
  voters: ['a', 'b', 'c'],
  learners: ['d'],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
}

/**
 * Builds entry `index` of term `term` with recognizable data (empty for `noop`).
 *
 * @example
 * ```ts
 * await storage.save({ entries: [complianceEntry(1, 1), complianceEntry(2, 1, 'config')] })
 * ```
 */
export function complianceEntry(index: number, term: number, kind: EntryKind = 'normal'): LogEntry {
  const data = kind === 'noop' ? new Uint8Array() : new TextEncoder().encode(`entry ${index} @${term} ✓`)
  return { index, term, kind, data }
}

function range(first: number, last: number, term: number): LogEntry[] {
  const entries: LogEntry[] = []
  for (let index = first; index <= last; index++) entries.push(complianceEntry(index, term))
  return entries
}

/** Deterministic snapshot data of `size` bytes. */
function snapshotBytes(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    bytes[i] = x & 0xff
  }
  return bytes
}

function meta(index: number, term: number, sizeBytes: number): SnapshotMeta {
  return { index, term, membership, sizeBytes }
}

/**
 * Registers the storage compliance tests with vitest.
 *
 * @example
 * ```ts
 * storageCompliance({
 *   name: 'FileStorage',
 *   create: () => FileStorage.open(dir),
 *   reopen: () => FileStorage.open(dir),
 *   teardown: () => rm(dir, { recursive: true, force: true }),
 * })
 * ```
 */
export function storageCompliance(options: StorageComplianceOptions): void {
  const open: RaftStorage[] = []

  async function start(): Promise<RaftStorage> {
    const storage = await options.create()
    open.push(storage)
    await storage.load()
    return storage
  }

  /** Closes `storage` and loads a reopened one; without `reopen`, loads the same storage again. */
  async function restart(storage: RaftStorage): Promise<{ storage: RaftStorage; state: PersistedState }> {
    if (!options.reopen) return { storage, state: await storage.load() }
    await storage.close()
    const reopened = await options.reopen()
    open.push(reopened)
    return { storage: reopened, state: await reopened.load() }
  }

  async function writeSnapshot(storage: RaftStorage, snapshot: SnapshotMeta, seed: number, chunkBytes = 300) {
    const data = snapshotBytes(snapshot.sizeBytes, seed)
    const writer = await storage.beginSnapshot(snapshot)
    for (let offset = 0; offset < data.length; offset += chunkBytes) {
      await writer.write(offset, data.subarray(offset, offset + chunkBytes))
    }
    await writer.finish()
    return data
  }

  async function readAll(storage: RaftStorage, size: number): Promise<Uint8Array> {
    return storage.readSnapshot(0, size + 100)
  }

  describe(`storage compliance: ${options.name}`, () => {
    afterEach(async () => {
      for (const storage of open.splice(0)) await storage.close()
      await options.teardown?.()
    })

    it('loads an empty state on first start', async () => {
      const storage = await options.create()
      open.push(storage)
      expect(await storage.load()).toEqual({
        hardState: { term: 0, votedFor: null, commit: 0 },
        snapshot: null,
        entries: [],
      })
      await expect(storage.readSnapshot(0, 10)).rejects.toThrow(NoSnapshotError)
    })

    it('round-trips hard state and entries of every kind, across several saves', async () => {
      let storage = await start()
      const hardState: HardState = { term: 3, votedFor: 'node-β', commit: 2 }
      const batch = [
        complianceEntry(1, 1, 'noop'),
        complianceEntry(2, 2, 'config'),
        { index: 3, term: 3, kind: 'normal' as const, data: Uint8Array.from({ length: 256 }, (_, i) => i) },
      ]
      await storage.save({ hardState, entries: batch })
      await storage.save({ entries: range(4, 200, 3) })
      await storage.save({})
      await storage.save({ entries: [] })
      const { state } = await restart(storage).then((r) => {
        storage = r.storage
        return r
      })
      expect(state.hardState).toEqual(hardState)
      expect(state.snapshot).toBeNull()
      expect(state.entries).toEqual([...batch, ...range(4, 200, 3)])
    })

    it('keeps its own copies: callers mutating saved or loaded buffers change nothing', async () => {
      const storage = await start()
      const entry = complianceEntry(1, 1)
      const hardState: HardState = { term: 1, votedFor: 'a', commit: 0 }
      await storage.save({ hardState, entries: [entry] })
      entry.data.fill(0)
      hardState.term = 99
      const first = await restart(storage)
      first.state.entries[0]!.data.fill(7)
      first.state.hardState.term = 42
      const second = await restart(first.storage)
      expect(second.state.entries).toEqual([complianceEntry(1, 1)])
      expect(second.state.hardState).toEqual({ term: 1, votedFor: 'a', commit: 0 })
    })

    it('replaces the suffix when a batch starts at or below the last index', async () => {
      const storage = await start()
      await storage.save({ entries: range(1, 10, 1) })
      await storage.save({ entries: range(6, 7, 2) }) // conflict: 6..10 replaced by 6..7
      await storage.save({ entries: range(8, 8, 2) })
      await storage.save({ entries: range(8, 9, 3) }) // replace the last entry and extend
      let { state, storage: reopened } = await restart(storage)
      expect(state.entries).toEqual([...range(1, 5, 1), ...range(6, 7, 2), ...range(8, 9, 3)])
      await reopened.save({ entries: range(1, 2, 4) }) // replace everything
      ;({ state } = await restart(reopened))
      expect(state.entries).toEqual(range(1, 2, 4))
    })

    it('refuses a batch that leaves a gap or is malformed, and stores nothing of it', async () => {
      const storage = await start()
      await storage.save({ entries: range(1, 3, 1) })
      await expect(storage.save({ entries: range(5, 6, 1) })).rejects.toThrow(RangeError)
      await expect(storage.save({ entries: [complianceEntry(4, 1), complianceEntry(6, 1)] })).rejects.toThrow(
        RangeError,
      )
      await expect(
        storage.save({ hardState: { term: 9, votedFor: null, commit: 0 }, entries: [complianceEntry(0, 1)] }),
      ).rejects.toThrow(RangeError)
      await expect(
        storage.save({ entries: [{ ...complianceEntry(4, 1), data: 'x' as unknown as Uint8Array }] }),
      ).rejects.toThrow(TypeError)
      const { state } = await restart(storage)
      expect(state.entries).toEqual(range(1, 3, 1))
      expect(state.hardState).toEqual({ term: 0, votedFor: null, commit: 0 })
    })

    it('keeps the latest hard state; a batch without one leaves it unchanged', async () => {
      const storage = await start()
      await storage.save({ hardState: { term: 1, votedFor: 'a', commit: 0 } })
      await storage.save({ hardState: { term: 2, votedFor: null, commit: 0 }, entries: range(1, 2, 2) })
      await storage.save({ hardState: { term: 2, votedFor: 'b', commit: 1 } })
      await storage.save({ entries: range(3, 3, 2) })
      const { state } = await restart(storage)
      expect(state.hardState).toEqual({ term: 2, votedFor: 'b', commit: 1 })
      expect(state.entries).toEqual(range(1, 3, 2))
    })

    it('writes a snapshot in chunks and reads any range of it back', async () => {
      let storage = await start()
      const snapshot = meta(0, 0, 1000)
      const data = await writeSnapshot(storage, snapshot, 1, 300)
      expect(await storage.readSnapshot(0, 1000)).toEqual(data)
      expect(await storage.readSnapshot(250, 100)).toEqual(data.subarray(250, 350))
      expect(await storage.readSnapshot(900, 500)).toEqual(data.subarray(900)) // fewer at the end
      expect(await storage.readSnapshot(1000, 10)).toEqual(new Uint8Array())
      expect(await storage.readSnapshot(5000, 10)).toEqual(new Uint8Array())
      ;({ storage } = await restart(storage))
      expect((await storage.load()).snapshot).toEqual(snapshot)
      expect(await readAll(storage, 1000)).toEqual(data)
      const empty = meta(0, 0, 0)
      await writeSnapshot(storage, empty, 2)
      expect(await storage.readSnapshot(0, 10)).toEqual(new Uint8Array())
    })

    it('ignores repeated chunks, resumes after them, and refuses gaps and overflow', async () => {
      const storage = await start()
      const snapshot = meta(0, 0, 100)
      const data = snapshotBytes(100, 3)
      const writer = await storage.beginSnapshot(snapshot)
      await writer.write(0, data.subarray(0, 40))
      await writer.write(0, data.subarray(0, 40)) // a retransmitted chunk
      await writer.write(20, data.subarray(20, 60)) // overlaps: only 40..60 is new
      await expect(writer.write(70, data.subarray(70, 80))).rejects.toThrow(RangeError)
      await expect(writer.write(60, new Uint8Array(41))).rejects.toThrow(RangeError)
      await expect(writer.finish()).rejects.toThrow(SnapshotIncompleteError)
      await writer.write(60, data.subarray(60, 100))
      await writer.finish()
      expect(await storage.readSnapshot(0, 100)).toEqual(data)
      await expect(writer.write(0, data)).rejects.toThrow(SnapshotWriterClosedError)
    })

    it('abort leaves the previous snapshot current; a newer writer supersedes an older one', async () => {
      let storage = await start()
      await storage.save({ entries: range(1, 20, 1) })
      const first = await writeSnapshot(storage, meta(5, 1, 64), 4)
      const aborted = await storage.beginSnapshot(meta(8, 1, 64))
      await aborted.write(0, snapshotBytes(64, 5).subarray(0, 32))
      await aborted.abort()
      await aborted.abort() // idempotent
      await expect(aborted.write(32, new Uint8Array(32))).rejects.toThrow(SnapshotWriterClosedError)
      await expect(aborted.finish()).rejects.toThrow(SnapshotWriterClosedError)
      expect(await storage.readSnapshot(0, 64)).toEqual(first)
      const older = await storage.beginSnapshot(meta(9, 1, 64))
      const newer = await storage.beginSnapshot(meta(10, 1, 64))
      await expect(older.write(0, new Uint8Array(64))).rejects.toThrow(SnapshotWriterClosedError)
      expect(await storage.readSnapshot(0, 64)).toEqual(first)
      const newest = snapshotBytes(64, 6)
      await newer.write(0, newest)
      await newer.finish()
      expect(await storage.readSnapshot(0, 64)).toEqual(newest)
      await expect(storage.beginSnapshot(meta(9, 1, 1))).rejects.toThrow(RangeError)
      const restarted = await restart(storage)
      storage = restarted.storage
      const state = restarted.state
      expect(state.snapshot).toEqual(meta(10, 1, 64))
      expect(state.entries).toEqual(range(11, 20, 1))
      expect(await readAll(storage, 64)).toEqual(newest)
    })

    it('finish keeps the entries after a matching snapshot entry', async () => {
      const storage = await start()
      await storage.save({ hardState: { term: 2, votedFor: 'a', commit: 8 }, entries: range(1, 10, 2) })
      await writeSnapshot(storage, meta(6, 2, 10), 7)
      expect((await storage.load()).entries).toEqual(range(7, 10, 2))
      await storage.save({ entries: range(11, 12, 2) })
      const { state } = await restart(storage)
      expect(state.snapshot).toEqual(meta(6, 2, 10))
      expect(state.entries).toEqual(range(7, 12, 2))
      expect(state.hardState).toEqual({ term: 2, votedFor: 'a', commit: 8 })
    })

    it('finish discards the whole log when it has no matching entry, then appends after the snapshot', async () => {
      let storage = await start()
      await storage.save({ entries: range(1, 10, 1) })
      await writeSnapshot(storage, meta(6, 2, 10), 8) // term differs at index 6: the log conflicts
      expect((await storage.load()).entries).toEqual([])
      await expect(storage.save({ entries: range(6, 6, 2) })).rejects.toThrow(RangeError)
      await expect(storage.save({ entries: range(8, 8, 2) })).rejects.toThrow(RangeError)
      await storage.save({ entries: range(7, 9, 2) })
      let state: PersistedState
      ;({ storage, state } = await restart(storage))
      expect(state.entries).toEqual(range(7, 9, 2))
      await writeSnapshot(storage, meta(50, 3, 10), 9) // beyond the log
      await storage.save({ entries: range(51, 52, 3) })
      ;({ storage, state } = await restart(storage))
      expect(state.snapshot).toEqual(meta(50, 3, 10))
      expect(state.entries).toEqual(range(51, 52, 3))
    })

    it('compacts only what the snapshot covers and keeps every later entry', async () => {
      let storage = await start()
      await storage.save({ entries: range(1, 30, 1) })
      await expect(storage.compact(5)).rejects.toThrow(RangeError) // no snapshot yet
      await writeSnapshot(storage, meta(20, 1, 10), 10)
      await storage.compact(10)
      await storage.compact(20)
      await storage.compact(20)
      await expect(storage.compact(21)).rejects.toThrow(RangeError)
      await storage.save({ entries: range(25, 26, 2) })
      let state: PersistedState
      ;({ storage, state } = await restart(storage))
      expect(state.entries).toEqual([...range(21, 24, 1), ...range(25, 26, 2)])
      await storage.compact(20)
      ;({ state } = await restart(storage))
      expect(state.entries).toEqual([...range(21, 24, 1), ...range(25, 26, 2)])
    })

    it('refuses every call after close', async () => {
      const storage = await start()
      await storage.close()
      await storage.close()
      await expect(storage.save({ entries: range(1, 1, 1) })).rejects.toThrow(StorageClosedError)
      await expect(storage.load()).rejects.toThrow(StorageClosedError)
      await expect(storage.readSnapshot(0, 1)).rejects.toThrow(StorageClosedError)
    })

    it('stays consistent over a long mixed history (restarting it, when durable)', async () => {
      let storage = await start()
      const expected: LogEntry[] = []
      let hardState: HardState = { term: 0, votedFor: null, commit: 0 }
      let snapshot: SnapshotMeta | null = null
      let snapshotData: Uint8Array = new Uint8Array()
      let seed = 11
      const next = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed
      }
      for (let round = 0; round < 40; round++) {
        const last = expected[expected.length - 1]?.index ?? snapshot?.index ?? 0
        const floor = snapshot?.index ?? 0
        const action = next() % 10
        if (action < 6) {
          const first = last > floor && action === 0 ? Math.max(floor + 1, last - (next() % 3)) : last + 1
          const term = hardState.term + 1
          const batch = range(first, first + (next() % 20), term)
          hardState = { term, votedFor: `n${next() % 3}`, commit: Math.max(floor, first - 1) }
          await storage.save({ hardState, entries: batch })
          expected.length = Math.max(0, first - (floor + 1))
          expected.push(...batch)
        } else if (action < 8 && last > floor) {
          const index = floor + 1 + (next() % (last - floor))
          snapshot = meta(index, expected[index - floor - 1]!.term, next() % 2000)
          snapshotData = await writeSnapshot(storage, snapshot, next(), 512)
          expected.splice(0, index - floor)
          if (next() % 2 === 0) await storage.compact(index)
        } else {
          const restarted = await restart(storage)
          storage = restarted.storage
          expect(restarted.state).toEqual({ hardState, snapshot, entries: expected })
          if (snapshot) expect(await readAll(storage, snapshot.sizeBytes)).toEqual(snapshotData)
        }
      }
      const { state } = await restart(storage)
      expect(state).toEqual({ hardState, snapshot, entries: expected })
    })
  })
}
