/**
 * The compliance suite every {@link TwoPhaseStorage} passes. Import it in a
 * vitest test file and call it with a harness that builds your storage.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from '@synod/2pc'
 * import { storageCompliance } from '@synod/2pc/storage-compliance'
 *
 * storageCompliance({ name: 'MemoryStorage', create: () => new MemoryStorage() })
 * ```
 * @packageDocumentation
 */
import { describe, expect, it } from 'vitest'
import type { TwoPhaseRecord } from '../core/types.js'
import type { TwoPhaseStorage } from './storage.js'

/**
 * How the suite builds storages.
 *
 * @example
 * ```ts
 * const options: StorageComplianceOptions = { name: 'mine', create: () => new MemoryStorage() }
 * ```
 */
export interface StorageComplianceOptions {
  /** Shown in the describe block. */
  name: string
  /** Returns a new, empty storage. Called once per test. */
  create: () => TwoPhaseStorage
  /**
   * For durable storages: a new storage over the same data as the latest one
   * built (a restart). When given, the suite checks that every record survives it.
   */
  reopen?: () => TwoPhaseStorage
}

/** One record of every kind, with the edge cases of their fields. */
const everyKind: readonly TwoPhaseRecord[] = [
  { kind: 'started' },
  { kind: 'prepared', txId: 't1', coordinator: 'c', participants: ['p1', 'p2'] },
  { kind: 'committing', txId: 'ü-漢-😀', participants: ['p1'] },
  { kind: 'decided', txId: 't1', decision: 'commit' },
  { kind: 'decided', txId: 't2', decision: 'abort' },
  { kind: 'ended', txId: 'x'.repeat(128) },
]

/**
 * Registers the suite's tests (vitest `describe`/`it`) for one storage.
 *
 * @example
 * ```ts
 * storageCompliance({ name: 'FileStorage', create: () => open(dir), reopen: () => open(dir) })
 * ```
 */
export function storageCompliance(options: StorageComplianceOptions): void {
  describe(`TwoPhaseStorage compliance: ${options.name}`, () => {
    it('starts empty', () => {
      expect(options.create().load()).toEqual([])
    })

    it('returns every record appended, in order, equal to what was appended', () => {
      const storage = options.create()
      storage.append(everyKind.slice(0, 2))
      storage.append([])
      storage.append(everyKind.slice(2))
      expect(storage.load()).toEqual(everyKind)
    })

    it('does not let a caller change what is stored through the lists it passed or got', () => {
      const storage = options.create()
      const batch = [...everyKind.slice(0, 3)]
      storage.append(batch)
      batch.length = 0
      const loaded = storage.load() as TwoPhaseRecord[]
      loaded.pop()
      expect(storage.load()).toEqual(everyKind.slice(0, 3))
    })

    it('keeps a thousand records of many appends', () => {
      const storage = options.create()
      const records: TwoPhaseRecord[] = []
      for (let i = 0; i < 1_000; i++) {
        const record: TwoPhaseRecord = {
          kind: 'decided',
          txId: `t${i}`,
          decision: i % 3 === 0 ? 'abort' : 'commit',
        }
        records.push(record)
        storage.append([record])
      }
      expect(storage.load()).toEqual(records)
    })

    if (options.reopen !== undefined) {
      const reopen = options.reopen
      it('keeps every record across a restart, and appends after it', () => {
        options.create().append(everyKind)
        const again = reopen()
        expect(again.load()).toEqual(everyKind)
        again.append([{ kind: 'ended', txId: 't9' }])
        expect(reopen().load()).toEqual([...everyKind, { kind: 'ended', txId: 't9' }])
      })
    }
  })
}
