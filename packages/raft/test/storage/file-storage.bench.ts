/**
 * Save throughput with real fsync: `pnpm exec vitest bench --run test/storage`.
 * One iteration is one `save` of N small (100-byte) entries; entries/s = saves/s × N.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bench, describe } from 'vitest'
import type { LogEntry } from '../../src/core/types.js'
import { FileStorage } from '../../src/storage/file-storage.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'
import type { RaftStorage } from '../../src/storage/types.js'

const data = new Uint8Array(100).fill(42)
// bench mode runs no hooks: each run clears the previous run's directories here
const benchRoot = join(tmpdir(), 'synod-raft-storage-bench')
rmSync(benchRoot, { recursive: true, force: true })
mkdirSync(benchRoot, { recursive: true })

/** One bench function: opens its storage on first use, then saves batches at increasing indexes. */
function saver(open: () => Promise<RaftStorage>, batchSize: number) {
  let storage: RaftStorage | undefined
  let next = 1
  return async () => {
    if (storage === undefined) {
      storage = await open()
      await storage.load()
    }
    const entries: LogEntry[] = new Array(batchSize)
    for (let i = 0; i < batchSize; i++) entries[i] = { index: next + i, term: 1, kind: 'normal', data }
    next += batchSize
    await storage.save({ hardState: { term: 1, votedFor: 'a', commit: next - 1 }, entries })
  }
}

async function openFile(): Promise<RaftStorage> {
  return FileStorage.open(mkdtempSync(join(benchRoot, 'run-')))
}

for (const batchSize of [1, 64, 1024]) {
  describe(`save batches of ${batchSize} entries`, () => {
    bench(`FileStorage (fdatasync), ${batchSize} per save`, saver(openFile, batchSize), { time: 2000 })
    bench(
      `MemoryStorage, ${batchSize} per save`,
      saver(async () => new MemoryStorage(), batchSize),
      {
        time: 500,
      },
    )
  })
}
