/**
 * Torn tails and corruption: every cut through the last write is recovered as
 * "that save never happened"; every damaged byte elsewhere is a typed error.
 */
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { HardState, LogEntry } from '../../src/core/types.js'
import { complianceEntry } from '../../src/storage/compliance.js'
import { StorageCorruptionError } from '../../src/storage/errors.js'
import { FileStorage, type FileStorageOptions } from '../../src/storage/file-storage.js'

const directories: string[] = []
afterEach(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true })
})
async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'synod-raft-recovery-'))
  directories.push(directory)
  return directory
}

const range = (first: number, last: number, term: number): LogEntry[] =>
  Array.from({ length: last - first + 1 }, (_, i) => complianceEntry(first + i, term))

async function segments(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.endsWith('.wal')).sort()
}

interface Written {
  directory: string
  /** The last segment's path. */
  path: string
  /** Byte offsets in the last segment where each save's record starts and where the last one ends. */
  boundaries: number[]
  /** The state after each save: states[i] is what load must return if save i+1 never happened. */
  states: Array<{ hardState: HardState; entries: LogEntry[] }>
}

/** Saves `batches`, recording the last segment's size after each one. */
async function writeBatches(
  batches: Array<{ hardState?: HardState; entries?: LogEntry[] }>,
  options: FileStorageOptions = {},
  withStates = true,
): Promise<Written> {
  const directory = await freshDirectory()
  const storage = await FileStorage.open(directory, options)
  let state = await storage.load()
  const states = [{ hardState: state.hardState, entries: state.entries }]
  const boundaries: number[] = []
  const lastPath = async () => join(directory, (await segments(directory)).at(-1)!)
  for (const batch of batches) {
    const before = await lastPath()
    boundaries.push((await stat(before)).size)
    await storage.save(batch)
    if ((await lastPath()) !== before) boundaries[boundaries.length - 1] = 0 // rolled: the record opened a segment
  }
  const path = await lastPath()
  boundaries.push((await stat(path)).size)
  await storage.close()
  // the expected state after each prefix of the batches, computed through a clean reopen
  for (let i = 1; withStates && i <= batches.length; i++) {
    const check = await freshDirectory()
    const replica = await FileStorage.open(check, options)
    await replica.load()
    for (const batch of batches.slice(0, i)) await replica.save(batch)
    await replica.close()
    const reopened = await FileStorage.open(check, options)
    state = await reopened.load()
    await reopened.close()
    states.push({ hardState: state.hardState, entries: state.entries })
  }
  return { directory, path, boundaries, states }
}

async function recover(directory: string, options: FileStorageOptions = {}) {
  const storage = await FileStorage.open(directory, options)
  try {
    return { state: await storage.load(), recovery: storage.recovery }
  } finally {
    await storage.close()
  }
}

function fill(length: number, mode: 'zeros' | 'garbage', seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  if (mode === 'zeros') return bytes
  let x = seed || 1
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    bytes[i] = x >>> 16
  }
  return bytes
}

describe('FileStorage recovery from a torn last write', () => {
  it('cuts the last record at every byte offset and recovers exactly the saves before it', async () => {
    const written = await writeBatches([
      { hardState: { term: 1, votedFor: 'a', commit: 0 }, entries: range(1, 3, 1) },
      { entries: range(4, 8, 1) },
      { hardState: { term: 2, votedFor: 'b', commit: 3 }, entries: range(6, 9, 2) },
      { hardState: { term: 3, votedFor: null, commit: 9 }, entries: range(10, 12, 3) },
    ])
    const original = await readFile(written.path)
    const start = written.boundaries.at(-2)!
    const end = written.boundaries.at(-1)!
    expect(end).toBe(original.length)
    for (let cut = start; cut <= end; cut++) {
      for (const mode of ['cut', 'zeros', 'garbage'] as const) {
        // every offset for a plain cut; a sample for a tail of zeros or garbage
        if (mode !== 'cut' && (cut === end || (cut - start) % 4 !== 1)) continue
        const tail = mode === 'cut' ? new Uint8Array() : fill(end - cut, mode, cut)
        await writeFile(written.path, Buffer.concat([original.subarray(0, cut), tail]))
        const { state, recovery } = await recover(written.directory)
        const expected = cut === end ? written.states.at(-1)! : written.states.at(-2)!
        expect({ cut, mode, ...state }).toEqual({ cut, mode, ...expected, snapshot: null })
        expect(recovery.tornBytes).toBe(cut === end ? 0 : end - (mode === 'cut' ? end - cut : 0) - start)
        expect((await stat(written.path)).size).toBe(cut === end ? end : start)
      }
    }
  })

  it('recovers a cut through a freshly rolled segment, its first record included', async () => {
    const options = { maxSegmentBytes: 4096 }
    const big = (index: number, term: number): LogEntry => ({
      index,
      term,
      kind: 'normal',
      data: fill(1500, 'garbage', index),
    })
    const written = await writeBatches(
      [
        { entries: [big(1, 1), big(2, 1)] },
        { hardState: { term: 2, votedFor: 'c', commit: 2 }, entries: [big(3, 2)] },
      ],
      options,
    )
    expect(written.boundaries.at(-2)).toBe(0) // the last save opened a new segment
    const original = await readFile(written.path)
    const end = original.length
    const cuts = Array.from({ length: end + 1 }, (_, i) => i).filter(
      (i) => i < 80 || i % 41 === 0 || i > end - 40,
    )
    for (const cut of cuts) {
      await writeFile(written.path, original.subarray(0, cut))
      const { state } = await recover(written.directory, options)
      expect({ cut, ...state }).toEqual({
        cut,
        ...(cut === end ? written.states[2]! : written.states[1]!),
        snapshot: null,
      })
    }
    // the recovered segment is usable: a new save lands and survives
    await writeFile(written.path, original.subarray(0, 7))
    const storage = await FileStorage.open(written.directory, options)
    await storage.load()
    await storage.save({ entries: [big(3, 5)] })
    await storage.close()
    const { state, recovery } = await recover(written.directory, options)
    expect(recovery.tornBytes).toBe(0)
    expect(state.entries).toEqual([big(1, 1), big(2, 1), big(3, 5)])
  })
})

describe('FileStorage recovery with records inside entry data', () => {
  it('does not mistake a valid record embedded in the torn record for acknowledged data', async () => {
    const first = await writeBatches([{ entries: range(1, 2, 1) }])
    const bytes = await readFile(first.path)
    const embedded = bytes.subarray(first.boundaries[0], first.boundaries[1]) // a complete, valid record
    const entry: LogEntry = { index: 3, term: 1, kind: 'normal', data: Buffer.concat([embedded, embedded]) }
    const written = await writeBatches([{ entries: range(1, 2, 1) }, { entries: [entry] }])
    const original = await readFile(written.path)
    const [, start, end] = written.boundaries as [number, number, number]
    for (const cut of [start + 20, start + 40 + embedded.length, end - 1]) {
      await writeFile(written.path, original.subarray(0, cut))
      const { state, recovery } = await recover(written.directory)
      expect({ cut, entries: state.entries }).toEqual({ cut, entries: range(1, 2, 1) })
      expect(recovery.tornBytes).toBe(cut - start)
    }
  })
})

describe('FileStorage recovery inside snapshot finish', () => {
  const membership = { voters: ['a'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }

  /** A directory whose log holds 1..10 at term 1 and whose snapshot file was swapped in behind its back. */
  async function crashedAfterRename(snapshotTerm: number) {
    const source = await freshDirectory()
    const donor = await FileStorage.open(source)
    await donor.load()
    const writer = await donor.beginSnapshot({ index: 6, term: snapshotTerm, membership, sizeBytes: 3 })
    await writer.write(0, Uint8Array.of(1, 2, 3))
    await writer.finish()
    await donor.close()
    const directory = await freshDirectory()
    const storage = await FileStorage.open(directory)
    await storage.load()
    await storage.save({ entries: range(1, 10, 1) })
    await storage.close()
    // the rename reached the disk, the snapshot-reset record did not
    await writeFile(join(directory, 'snapshot'), await readFile(join(source, 'snapshot')))
    return directory
  }

  it('applies a matching snapshot whose reset record was lost, keeping the entries after it', async () => {
    const directory = await crashedAfterRename(1)
    expect((await recover(directory)).state.entries).toEqual(range(7, 10, 1))
    expect((await recover(directory)).state.entries).toEqual(range(7, 10, 1))
  })

  it('applies a conflicting snapshot whose reset record was lost, and later saves survive restarts', async () => {
    const directory = await crashedAfterRename(2)
    const storage = await FileStorage.open(directory)
    expect((await storage.load()).entries).toEqual([])
    await storage.save({ entries: range(7, 8, 2) })
    await storage.close()
    const { state } = await recover(directory)
    expect(state.snapshot?.index).toBe(6)
    expect(state.entries).toEqual(range(7, 8, 2))
  })
})

describe('FileStorage corruption before the tail', () => {
  async function expectCorrupt(
    directory: string,
    path: string,
    offset: number,
    options: FileStorageOptions = {},
  ) {
    const error = await FileStorage.open(directory, options).catch((e: unknown) => e)
    expect(StorageCorruptionError.isInstance(error), String(error)).toBe(true)
    const corruption = error as StorageCorruptionError
    expect({ path: corruption.path, offset: corruption.offset }).toEqual({ path, offset })
    expect(corruption.message).toBe(`storage is corrupt: ${path} at offset ${offset}: ${corruption.reason}`)
    return corruption
  }

  it('refuses to open when any byte of a middle record is flipped, and never drops data', async () => {
    const written = await writeBatches([
      { entries: range(1, 2, 1) },
      { hardState: { term: 1, votedFor: 'a', commit: 1 }, entries: range(3, 4, 1) },
      { entries: range(5, 6, 1) },
      { entries: range(7, 8, 1) },
    ])
    const original = await readFile(written.path)
    const [, start, end] = written.boundaries as [number, number, number]
    const reasons = new Set<string>()
    for (let position = start; position < end; position++) {
      for (const mask of [0x01, 0x80]) {
        const damaged = Buffer.from(original)
        damaged[position]! ^= mask
        await writeFile(written.path, damaged)
        reasons.add((await expectCorrupt(written.directory, written.path, start)).reason.split(',')[0]!)
      }
    }
    expect([...reasons].sort()).toEqual([
      'record header checksum mismatch',
      'record payload checksum mismatch',
    ])
    // the undamaged file still opens whole
    await writeFile(written.path, original)
    expect((await recover(written.directory)).state.entries).toEqual(range(1, 8, 1))
  })

  it('refuses damage in an earlier segment, even in its last record', async () => {
    const options = { maxSegmentBytes: 4096 }
    const batches = Array.from({ length: 40 }, (_, i) => ({ entries: range(i * 10 + 1, i * 10 + 10, 1) }))
    const written = await writeBatches(batches, options, false)
    const names = await segments(written.directory)
    expect(names.length).toBeGreaterThan(2)
    const first = join(written.directory, names[0]!)
    const original = await readFile(first)
    const damaged = Buffer.from(original)
    damaged[damaged.length - 3]! ^= 0x10
    await writeFile(first, damaged)
    const corruption = await expectCorrupt(written.directory, first, await lastRecordStart(original), options)
    expect(corruption.reason).toBe('record payload checksum mismatch')
    // a segment cut short (a lost write of an acknowledged save) is refused too
    await writeFile(first, original.subarray(0, original.length - 5))
    await expectCorrupt(written.directory, first, await lastRecordStart(original), options)
    await writeFile(first, original)
    // and a missing segment in the middle
    const second = join(written.directory, names[1]!)
    await unlink(second)
    const missing = await expectCorrupt(written.directory, second, 0, options)
    expect(missing.reason).toBe(`segment 2 is missing between segments 1 and 3`)
  })

  it('treats a damaged last record as torn: without a later record it cannot tell bit rot from a torn write', async () => {
    const written = await writeBatches([{ entries: range(1, 2, 1) }, { entries: range(3, 4, 1) }])
    const original = await readFile(written.path)
    const damaged = Buffer.from(original)
    damaged[damaged.length - 1]! ^= 1
    await writeFile(written.path, damaged)
    const { state, recovery } = await recover(written.directory)
    expect(state.entries).toEqual(range(1, 2, 1))
    expect(recovery.tornReason).toBe('record payload checksum mismatch')
  })
})

/** Walks the records of a segment and returns where the last one starts. */
async function lastRecordStart(bytes: Uint8Array): Promise<number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  let last = 0
  while (offset < bytes.length) {
    last = offset
    offset += 16 + view.getUint32(offset, true)
  }
  return last
}
