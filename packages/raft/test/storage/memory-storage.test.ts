import { describe, expect, it } from 'vitest'
import { storageCompliance } from '../../src/storage/compliance.js'
import { StorageNotLoadedError } from '../../src/storage/errors.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'

storageCompliance({ name: 'MemoryStorage', create: async () => new MemoryStorage() })

describe('MemoryStorage', () => {
  it('refuses calls before load', async () => {
    const storage = new MemoryStorage()
    await expect(storage.save({})).rejects.toThrow(new StorageNotLoadedError('save'))
    await expect(storage.compact(0)).rejects.toThrow('storage must be loaded before compact')
  })

  it('does not alias snapshot chunks written by the caller', async () => {
    const storage = new MemoryStorage()
    await storage.load()
    const chunk = Uint8Array.of(1, 2, 3)
    const writer = await storage.beginSnapshot({
      index: 0,
      term: 0,
      sizeBytes: 3,
      membership: { voters: ['a'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
    })
    await writer.write(0, chunk)
    chunk.fill(9)
    await writer.finish()
    const read = await storage.readSnapshot(0, 3)
    expect(read).toEqual(Uint8Array.of(1, 2, 3))
    read.fill(8)
    expect(await storage.readSnapshot(0, 3)).toEqual(Uint8Array.of(1, 2, 3))
  })
})
