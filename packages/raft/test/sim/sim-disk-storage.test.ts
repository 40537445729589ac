import { Random, SimDisk } from '@synod/sim'
import { describe, expect, it } from 'vitest'
import { SimDiskStorage } from '../../src/index.js'
import { complianceEntry, storageCompliance } from '../../src/storage/compliance.js'

let disk = new SimDisk()
storageCompliance({
  name: 'SimDiskStorage',
  create: async () => {
    disk = new SimDisk()
    return new SimDiskStorage(disk)
  },
  reopen: async () => new SimDiskStorage(disk),
})

const meta = (index: number, term: number, sizeBytes: number) => ({
  index,
  term,
  sizeBytes,
  membership: { voters: ['a'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
})

describe('SimDiskStorage crashes', () => {
  it('keeps what save synced and nothing that was not', async () => {
    const d = new SimDisk()
    const s = new SimDiskStorage(d)
    await s.load()
    await s.save({
      hardState: { term: 2, votedFor: 'a', commit: 1 },
      entries: [complianceEntry(1, 1), complianceEntry(2, 2)],
    })
    // an append that was never synced (a save interrupted before its fsync)
    d.append('raft-log', Uint8Array.of(0, 0, 0, 40, 1, 2, 3))
    d.crash()
    const reopened = new SimDiskStorage(d)
    const state = await reopened.load()
    expect(state.hardState).toEqual({ term: 2, votedFor: 'a', commit: 1 })
    expect(state.entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
    ])
  })

  it('truncates a torn tail left by tornWrites', async () => {
    const d = new SimDisk({ tornWrites: true })
    const s = new SimDiskStorage(d)
    await s.load()
    await s.save({ entries: [complianceEntry(1, 1)] })
    d.append('raft-log', new Uint8Array(100).fill(7))
    d.sync('raft-log')
    const reopened = new SimDiskStorage(d)
    const state = await reopened.load()
    expect(state.entries.map((e) => e.index)).toEqual([1])
    expect(reopened.truncatedBytes).toBe(100)
  })

  it('survives a crash between the snapshot rename and its reset record', async () => {
    const d = new SimDisk()
    const s = new SimDiskStorage(d)
    await s.load()
    await s.save({ entries: [complianceEntry(1, 1), complianceEntry(2, 1), complianceEntry(3, 1)] })
    // install a snapshot at 2 of another term by hand: snapshot file durable, reset record lost
    const writer = await s.beginSnapshot(meta(2, 5, 3))
    await writer.write(0, Uint8Array.of(1, 2, 3))
    await writer.finish()
    const bytes = d.read('raft-log')
    // drop the reset record (the last record) as if the crash came before its sync
    const log = bytes.subarray(0, bytes.length - (8 + 3))
    d.write('raft-log', log)
    d.sync('raft-log')
    d.crash(new Random(1))
    const state = await new SimDiskStorage(d).load()
    expect(state.snapshot?.index).toBe(2)
    expect(state.entries).toEqual([]) // entry 2 had term 1, not 5: the whole log conflicts
  })
})
