/** Storages: the memory one, the record log on a simulated disk (crashes, torn tails, damage), and on real files. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Random, SimDisk } from '@synod/sim'
import { afterEach, describe, expect, it } from 'vitest'
import type { PaxosRecord } from '../src/core/types.js'
import { StorageCorruptionError } from '../src/errors.js'
import { paxosStorageCompliance } from '../src/storage/compliance.js'
import { DiskStorage } from '../src/storage/disk-storage.js'
import { FileStorage } from '../src/storage/file-storage.js'
import { MemoryStorage } from '../src/storage/memory-storage.js'

const ballot = (round: number, nodeId = 'a') => ({ round, nodeId })
const command = (text: string) => ({ kind: 'command' as const, data: new TextEncoder().encode(text) })
const records: PaxosRecord[] = [
  { type: 'promise', ballot: ballot(1) },
  {
    type: 'accept',
    entries: [
      { slot: 1, ballot: ballot(1), value: command('x') },
      { slot: 2, ballot: ballot(1), value: { kind: 'noop' } },
    ],
  },
  { type: 'promise', ballot: ballot(3, 'b') },
  { type: 'accept', entries: [{ slot: 2, ballot: ballot(3, 'b'), value: command('y') }] },
]
const expected = {
  compactedSlot: 0,
  promised: ballot(3, 'b'),
  accepted: [
    { slot: 1, ballot: ballot(1), value: command('x') },
    { slot: 2, ballot: ballot(3, 'b'), value: command('y') },
  ],
}

paxosStorageCompliance({ name: 'MemoryStorage', create: () => new MemoryStorage() })

let disk = new SimDisk()
paxosStorageCompliance({
  name: 'DiskStorage on a SimDisk (crash on reopen)',
  create: () => {
    disk = new SimDisk({ tornWrites: true })
    return new DiskStorage(disk)
  },
  reopen: () => {
    disk.crash(new Random(1))
    return new DiskStorage(disk)
  },
})

const directories: string[] = []
afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true })
})
let files: FileStorage | undefined
let directory = ''
paxosStorageCompliance({
  name: 'FileStorage',
  create: () => {
    files?.close()
    directory = mkdtempSync(join(tmpdir(), 'synod-paxos-'))
    directories.push(directory)
    files = new FileStorage(directory)
    return files
  },
  reopen: () => {
    files?.close()
    files = new FileStorage(directory)
    return files
  },
})

describe('DiskStorage on crashes', () => {
  it('keeps exactly what append synced', () => {
    const disk = new SimDisk()
    new DiskStorage(disk).append(records.slice(0, 2))
    disk.crash()
    expect(new DiskStorage(disk).load().accepted).toHaveLength(2)
  })

  it('cuts a torn tail, and appends after it', () => {
    const disk = new SimDisk()
    const storage = new DiskStorage(disk)
    storage.append(records.slice(0, 2))
    const size = disk.read('paxos-log').length
    disk.append('paxos-log', Uint8Array.of(0, 0, 0, 40, 1, 2, 3)) // half a record
    const reopened = new DiskStorage(disk)
    expect(reopened.load().accepted).toHaveLength(2)
    expect(reopened.truncatedBytes).toBe(7)
    expect(disk.read('paxos-log').length).toBe(size)
    reopened.append(records.slice(2))
    expect(new DiskStorage(disk).load()).toEqual(expected)
  })

  it('survives random torn crashes: what is loaded is always a prefix of what was appended', () => {
    const random = new Random(7)
    for (let run = 0; run < 50; run++) {
      const disk = new SimDisk({ tornWrites: true })
      const storage = new DiskStorage(disk)
      storage.append(records.slice(0, 1))
      disk.append('paxos-log', Uint8Array.of(0, 0, 0, 5, 9, 9)) // unsynced garbage, maybe kept in part
      disk.crash(random)
      const state = new DiskStorage(disk).load()
      expect(state).toEqual({ promised: ballot(1), accepted: [], compactedSlot: 0 })
    }
  })

  it('refuses a damaged record before the last one', () => {
    const disk = new SimDisk()
    new DiskStorage(disk).append(records)
    const bytes = disk.read('paxos-log')
    bytes[10] = (bytes[10] as number) ^ 0xff
    disk.write('paxos-log', bytes)
    expect(() => new DiskStorage(disk).load()).toThrow(StorageCorruptionError)
    expect(() => new DiskStorage(disk).load()).toThrow('paxos-log: record at byte 0: checksum mismatch')
  })

  it('refuses a bad disk and a bad directory', () => {
    expect(() => new DiskStorage({} as never)).toThrow(
      new TypeError('disk.exists: expected a function, got undefined'),
    )
    expect(() => new FileStorage('')).toThrow(
      new TypeError('directory: expected a non-empty string, got string'),
    )
  })

  it('FileStorage refuses a damaged file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-paxos-'))
    directories.push(dir)
    writeFileSync(join(dir, 'paxos-log'), Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0))
    expect(() => new FileStorage(dir).load()).toThrow(StorageCorruptionError)
  })
})
