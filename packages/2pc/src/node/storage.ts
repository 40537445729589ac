/**
 * Where the drivers keep the records the cores ask for.
 */
import type { TwoPhaseRecord } from '../core/types.js'

/**
 * A synchronous, append-only record store. `append` must return only once the
 * records are durable (written and fsynced): the driver sends the messages of a
 * batch right after it returns, and the protocol's safety rests on that order.
 * A storage for one role holds that role's records only.
 *
 * @example
 * ```ts
 * const storage: TwoPhaseStorage = {
 *   load: () => readRecordsFromFile(),
 *   append: (records) => { appendToFile(records); fsync() },
 * }
 * ```
 */
export interface TwoPhaseStorage {
  /** Every record appended so far, in order. */
  load(): readonly TwoPhaseRecord[]
  /** Appends records durably. */
  append(records: readonly TwoPhaseRecord[]): void
}

/**
 * An in-memory {@link TwoPhaseStorage}: survives a driver's restart within one
 * process (hand the same instance to the new driver), not a process crash.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage()
 * const coordinator = new TwoPhaseCoordinator({ transport, storage })
 * // …later, after close():
 * const again = new TwoPhaseCoordinator({ transport: other, storage })
 * ```
 */
export class MemoryStorage implements TwoPhaseStorage {
  private readonly records: TwoPhaseRecord[] = []

  /** Every record appended so far, in order (a copy of the list). */
  load(): readonly TwoPhaseRecord[] {
    return [...this.records]
  }

  /** Appends records. */
  append(records: readonly TwoPhaseRecord[]): void {
    for (const record of records) this.records.push(record)
  }

  /** How many records are stored. */
  get size(): number {
    return this.records.length
  }
}
