/** The storage compliance suite, run against MemoryStorage and the simulated-disk storage the sweep uses. */
import { SimDisk } from '@synod/sim'
import { describe, expect, it } from 'vitest'
import { storageCompliance } from '../src/node/compliance.js'
import { MemoryStorage } from '../src/node/storage.js'
import { diskStorage } from './support/sim.js'

storageCompliance({ name: 'MemoryStorage', create: () => new MemoryStorage() })

let disk = new SimDisk()
storageCompliance({
  name: 'simulated disk (test support)',
  create: () => {
    disk = new SimDisk()
    return diskStorage(disk)
  },
  reopen: () => {
    disk.crash()
    return diskStorage(disk)
  },
})

describe('MemoryStorage', () => {
  it('counts its records', () => {
    const storage = new MemoryStorage()
    storage.append([{ kind: 'started' }, { kind: 'ended', txId: 't' }])
    expect(storage.size).toBe(2)
  })
})
