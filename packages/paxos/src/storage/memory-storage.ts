/**
 * An in-memory `PaxosStorage`.
 */
import { type PaxosRecord, type PersistedState, StateFold } from '../core/types.js'
import type { PaxosStorage, StoredSnapshot } from './types.js'

/** Checks a snapshot to save against the stored one. */
export function assertSnapshot(slot: unknown, data: unknown, stored: StoredSnapshot | null): void {
  if (typeof slot !== 'number') throw new TypeError(`slot: expected an integer, got ${typeof slot}`)
  const after = stored?.slot ?? 0
  if (!Number.isSafeInteger(slot) || slot <= after)
    throw new RangeError(`slot: expected an integer above the stored snapshot's slot ${after}, got ${slot}`)
  if (!(data instanceof Uint8Array))
    throw new TypeError(`data: expected a Uint8Array, got ${data === null ? 'null' : typeof data}`)
}

/**
 * An in-memory {@link PaxosStorage}: survives a driver's restart within one
 * process (hand the same instance to the new driver), not a process crash.
 * It keeps the folded state, so it grows with the slots accepted since the
 * last snapshot, not with the records appended, and its own copy of every command.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage()
 * storage.append([{ type: 'promise', ballot: { round: 1, nodeId: 'a' } }])
 * storage.load().promised // { round: 1, nodeId: 'a' }
 * ```
 */
export class MemoryStorage implements PaxosStorage {
  private readonly fold = new StateFold()
  private snapshot: StoredSnapshot | null = null

  /** The acceptor state: its promise and accepted values. */
  load(): PersistedState {
    return this.fold.state()
  }

  /** Folds records into the stored state. */
  append(records: readonly PaxosRecord[]): void {
    for (const record of records) this.fold.add(record)
  }

  /** Keeps a copy of the snapshot and drops the accepted values it covers. */
  saveSnapshot(slot: number, data: Uint8Array): void {
    assertSnapshot(slot, data, this.snapshot)
    this.snapshot = { slot, data: data.slice() }
    this.fold.compact(slot)
  }

  /** The latest snapshot, or null. */
  loadSnapshot(): StoredSnapshot | null {
    return this.snapshot
  }
}
