/**
 * The compliance suite every {@link PaxosStorage} passes. Import it in a vitest
 * test file and call it with a harness that builds your storage.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from '@synod/paxos'
 * import { paxosStorageCompliance } from '@synod/paxos/storage-compliance'
 *
 * paxosStorageCompliance({ name: 'MemoryStorage', create: () => new MemoryStorage() })
 * ```
 * @packageDocumentation
 */
import { describe, expect, it } from 'vitest'
import type { PaxosRecord } from '../core/types.js'
import type { PaxosStorage } from './types.js'

/**
 * How the suite builds storages.
 *
 * @example
 * ```ts
 * const options: PaxosStorageComplianceOptions = { name: 'mine', create: () => new MemoryStorage() }
 * ```
 */
export interface PaxosStorageComplianceOptions {
  /** Shown in the describe block. */
  name: string
  /** Returns a new, empty storage. Called once per test. */
  create: () => PaxosStorage
  /**
   * For durable storages: a new storage over the same data as the latest one
   * built (a restart or crash). When given, the suite checks that appended records survive it.
   */
  reopen?: () => PaxosStorage
}

const ballot = (round: number, nodeId: string) => ({ round, nodeId })
const command = (bytes: number[]) => ({ kind: 'command' as const, data: Uint8Array.from(bytes) })

/** Records of every kind, with edge cases: a lower promise after a higher one, a slot accepted again, empty and 0xff data. */
const records: readonly PaxosRecord[] = [
  { type: 'promise', ballot: ballot(2, 'b') },
  { type: 'promise', ballot: ballot(1, 'z') },
  {
    type: 'accept',
    entries: [
      { slot: 1, ballot: ballot(2, 'b'), value: command([]) },
      { slot: 2, ballot: ballot(2, 'b'), value: { kind: 'noop' } },
      { slot: 9, ballot: ballot(2, 'b'), value: command([0xff, 0]) },
    ],
  },
  { type: 'accept', entries: [{ slot: 2, ballot: ballot(7, 'ü-漢-😀'), value: command([1, 2, 3]) }] },
]

const folded = {
  compactedSlot: 0,
  promised: ballot(7, 'ü-漢-😀'),
  accepted: [
    { slot: 1, ballot: ballot(2, 'b'), value: command([]) },
    { slot: 2, ballot: ballot(7, 'ü-漢-😀'), value: command([1, 2, 3]) },
    { slot: 9, ballot: ballot(2, 'b'), value: command([0xff, 0]) },
  ],
}

/**
 * Registers the suite's tests (vitest `describe`/`it`) for one storage.
 *
 * @example
 * ```ts
 * paxosStorageCompliance({ name: 'FileStorage', create: () => new FileStorage(fresh()), reopen: () => new FileStorage(same()) })
 * ```
 */
export function paxosStorageCompliance(options: PaxosStorageComplianceOptions): void {
  describe(`PaxosStorage compliance: ${options.name}`, () => {
    it('starts with the zero ballot and nothing accepted', () => {
      const storage = options.create()
      expect(storage.load()).toEqual({ promised: ballot(0, ''), accepted: [], compactedSlot: 0 })
      expect(storage.loadSnapshot()).toBeNull()
    })

    it('folds records: the highest promise, the latest accepted value of each slot, in slot order', () => {
      const storage = options.create()
      storage.append(records.slice(0, 3))
      storage.append([])
      storage.append(records.slice(3))
      expect(storage.load()).toEqual(folded)
    })

    it('raises the promise to the ballot of an accepted value', () => {
      const storage = options.create()
      storage.append([
        { type: 'accept', entries: [{ slot: 3, ballot: ballot(4, 'c'), value: { kind: 'noop' } }] },
      ])
      expect(storage.load().promised).toEqual(ballot(4, 'c'))
    })

    it('does not share buffers with the caller', () => {
      const storage = options.create()
      const data = Uint8Array.of(5)
      storage.append([
        { type: 'accept', entries: [{ slot: 1, ballot: ballot(1, 'a'), value: { kind: 'command', data } }] },
      ])
      data[0] = 6
      const value = storage.load().accepted[0]?.value
      expect(value?.kind === 'command' ? [...value.data] : []).toEqual([5])
    })

    it('saves a snapshot, dropping the accepted values it covers, and keeps accepting above it', () => {
      const storage = options.create()
      storage.append(records)
      storage.saveSnapshot(2, Uint8Array.of(4, 2))
      expect(storage.loadSnapshot()).toEqual({ slot: 2, data: Uint8Array.of(4, 2) })
      expect(storage.load()).toEqual({ ...folded, compactedSlot: 2, accepted: folded.accepted.slice(2) })
      storage.append([
        { type: 'accept', entries: [{ slot: 10, ballot: ballot(7, 'x'), value: { kind: 'noop' } }] },
      ])
      expect(storage.load().accepted.map((entry) => entry.slot)).toEqual([9, 10])
    })

    it('refuses a snapshot that is not above the stored one, with exact messages', () => {
      const storage = options.create()
      storage.saveSnapshot(5, new Uint8Array(0))
      expect(() => storage.saveSnapshot(5, new Uint8Array(0))).toThrow(
        new RangeError("slot: expected an integer above the stored snapshot's slot 5, got 5"),
      )
      expect(() => storage.saveSnapshot(6, 'data' as never)).toThrow(
        new TypeError('data: expected a Uint8Array, got string'),
      )
      expect(() => storage.saveSnapshot('6' as never, new Uint8Array(0))).toThrow(
        new TypeError('slot: expected an integer, got string'),
      )
    })

    const reopen = options.reopen
    if (reopen !== undefined) {
      it('keeps every appended record across a reopen', () => {
        const storage = options.create()
        storage.append(records)
        expect(reopen().load()).toEqual(folded)
      })

      it('keeps the snapshot and the compacted log across a reopen', () => {
        const storage = options.create()
        storage.append(records)
        storage.saveSnapshot(1, Uint8Array.of(7))
        storage.append([{ type: 'promise', ballot: ballot(8, 'q') }])
        const reopened = reopen()
        expect(reopened.loadSnapshot()).toEqual({ slot: 1, data: Uint8Array.of(7) })
        expect(reopened.load()).toEqual({
          ...folded,
          promised: ballot(8, 'q'),
          compactedSlot: 1,
          accepted: folded.accepted.slice(1),
        })
      })
    }
  })
}
