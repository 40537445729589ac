/**
 * Differential test: random histories (appends, conflicting suffixes, snapshots
 * that match the log, conflict with it or lie beyond it, compactions, restarts)
 * run on FileStorage with tiny segments and on MemoryStorage; after every step
 * both must load the same state. Replay one seed with SYNOD_STORAGE_SEED=<seed>.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import type { LogEntry, SnapshotMeta } from '../../src/core/types.js'
import { FileStorage } from '../../src/storage/file-storage.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'
import type { RaftStorage } from '../../src/storage/types.js'

const SEEDS = process.env.SYNOD_STORAGE_SEED ? [Number(process.env.SYNOD_STORAGE_SEED)] : [1, 2, 3, 4, 5]
const STEPS = 60
const options = { maxSegmentBytes: 4096 }

const directories: string[] = []
afterEach(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true })
})

function entry(index: number, term: number, size: number): LogEntry {
  return {
    index,
    term,
    kind: 'normal',
    data: Uint8Array.from({ length: size }, (_, i) => (index * 7 + term + i) & 0xff),
  }
}

for (const seed of SEEDS) {
  it(`FileStorage and MemoryStorage agree on a random history (seed ${seed})`, async () => {
    let x = seed
    const random = (n: number) => {
      x = (x * 1103515245 + 12345) % 2147483648
      return Math.floor((x / 2147483648) * n)
    }
    const directory = await mkdtemp(join(tmpdir(), 'synod-raft-differential-'))
    directories.push(directory)
    let file: RaftStorage = await FileStorage.open(directory, options)
    const memory = new MemoryStorage()
    let state = await file.load()
    expect(await memory.load()).toEqual(state)
    let term = 1
    try {
      for (let step = 0; step < STEPS; step++) {
        const snapshotIndex = state.snapshot?.index ?? 0
        const last = state.entries.at(-1)?.index ?? snapshotIndex
        const action = random(12)
        const context = `seed ${seed}, step ${step}, action ${action} (replay: SYNOD_STORAGE_SEED=${seed})`
        if (action < 6) {
          if (random(4) === 0) term++
          const first =
            action === 0 && last > snapshotIndex ? snapshotIndex + 1 + random(last - snapshotIndex) : last + 1
          const entries = Array.from({ length: 1 + random(40) }, (_, i) =>
            entry(first + i, term, random(120)),
          )
          const hardState = random(2)
            ? { term, votedFor: random(2) ? 'n1' : null, commit: first - 1 }
            : undefined
          const batch = hardState ? { hardState, entries } : { entries }
          await file.save(batch)
          await memory.save(batch)
        } else if (action < 9) {
          // a snapshot that matches the log, conflicts with it, or lies beyond it
          const kind = random(3)
          const index =
            kind === 2 || last === snapshotIndex
              ? last + random(5)
              : snapshotIndex + 1 + random(last - snapshotIndex)
          const logged = state.entries.find((e) => e.index === index)
          const meta: SnapshotMeta = {
            index,
            term: kind === 1 || logged === undefined ? term + 1 : logged.term,
            sizeBytes: random(3000),
            membership: {
              voters: ['n1'],
              learners: [],
              votersOutgoing: [],
              learnersNext: [],
              autoLeave: false,
            },
          }
          const data = Uint8Array.from({ length: meta.sizeBytes }, (_, i) => (i * 13 + index) & 0xff)
          for (const storage of [file, memory]) {
            const writer = await storage.beginSnapshot(meta)
            for (let offset = 0; offset < data.length; offset += 700) {
              await writer.write(offset, data.subarray(offset, offset + 700))
            }
            await writer.finish()
          }
          if (kind === 1) term++
          expect(await file.readSnapshot(0, meta.sizeBytes), context).toEqual(data)
        } else if (action < 10 && state.snapshot) {
          const index = random(state.snapshot.index + 1)
          await file.compact(index)
          await memory.compact(index)
        } else {
          await file.close()
          file = await FileStorage.open(directory, options)
        }
        state = await file.load()
        expect(state, context).toEqual(await memory.load())
      }
      // compaction keeps the number of segments bounded by what the snapshot does not cover
      const snapshotIndex = state.snapshot?.index ?? 0
      await file.compact(snapshotIndex)
      const segments = (await readdir(directory)).filter((name) => name.endsWith('.wal'))
      expect(segments.length).toBeLessThan(60)
    } finally {
      await file.close()
      await memory.close()
    }
  })
}
