/**
 * The in-memory Raft log since the last snapshot: an array indexed by offset
 * (`entries[i].index === snapshotIndex + 1 + i`), the commit and apply indexes,
 * and the point from which entries have not yet been handed out for persistence.
 */
import { RaftInvariantError } from './errors.js'
import type { LogEntry, SnapshotMeta } from './types.js'

/**
 * The log of one node. Pure bookkeeping, used by `RaftCore`.
 *
 * @example
 * ```ts
 * const log = new RaftLog(null, [], 0, 0)
 * log.append([{ index: 1, term: 1, kind: 'noop', data: new Uint8Array() }])
 * log.lastIndex() // 1
 * ```
 */
export class RaftLog {
  /** The snapshot the log starts after, or null (then the log starts at index 1). */
  snapshot: SnapshotMeta | null
  snapshotIndex: number
  snapshotTerm: number
  entries: LogEntry[]
  committed: number
  applied: number
  /** The first index not yet handed out in a Ready for persistence. */
  unstableFrom: number
  /**
   * Every entry up to here is on stable storage as it is in this log: set when a
   * Ready is advanced, lowered when the log is truncated below it. The leader
   * counts its own log toward commit only up to here.
   */
  persisted: number

  constructor(snapshot: SnapshotMeta | null, entries: LogEntry[], committed: number, applied: number) {
    this.snapshot = snapshot
    this.snapshotIndex = snapshot?.index ?? 0
    this.snapshotTerm = snapshot?.term ?? 0
    let expected = this.snapshotIndex + 1
    let term = this.snapshotTerm
    for (const entry of entries) {
      if (entry.index !== expected)
        throw new RaftInvariantError(`log: expected entry ${expected}, found ${entry.index}`)
      if (entry.term < term) throw new RaftInvariantError(`log: term goes down at entry ${entry.index}`)
      term = entry.term
      expected++
    }
    this.entries = entries.slice()
    if (committed > this.lastIndex())
      throw new RaftInvariantError(`log: commit ${committed} is past the last index ${this.lastIndex()}`)
    this.committed = Math.max(committed, this.snapshotIndex)
    this.applied = Math.min(Math.max(applied, this.snapshotIndex), this.committed)
    this.unstableFrom = this.lastIndex() + 1
    this.persisted = this.lastIndex()
  }

  /** The first index held in memory (snapshot index + 1). */
  firstIndex(): number {
    return this.snapshotIndex + 1
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length
  }

  lastTerm(): number {
    const last = this.entries[this.entries.length - 1]
    return last === undefined ? this.snapshotTerm : last.term
  }

  /** The term of the entry at `index`, or -1 when it is compacted away or past the end. */
  term(index: number): number {
    if (index === this.snapshotIndex) return this.snapshotTerm
    if (index < this.snapshotIndex || index > this.lastIndex()) return -1
    return (this.entries[index - this.snapshotIndex - 1] as LogEntry).term
  }

  entry(index: number): LogEntry | undefined {
    return this.entries[index - this.snapshotIndex - 1]
  }

  /** Data bytes of the entries returned by the last `slice` with a byte limit. */
  lastSliceBytes = 0

  /** Entries [from, to] inclusive, at most `maxBytes` of data (always at least one). */
  slice(from: number, to: number, maxBytes?: number): LogEntry[] {
    if (from > to) {
      this.lastSliceBytes = 0
      return []
    }
    const start = from - this.snapshotIndex - 1
    let end = to - this.snapshotIndex
    if (maxBytes !== undefined) {
      let bytes = 0
      for (let i = start; i < end; i++) {
        const size = (this.entries[i] as LogEntry).data.length
        if (bytes + size > maxBytes && i > start) {
          end = i
          break
        }
        bytes += size
      }
      this.lastSliceBytes = bytes
    }
    return this.entries.slice(start, end)
  }

  /** True when a log ending at (`index`, `term`) is at least as up to date as this one (§5.4.1). */
  isUpToDate(index: number, term: number): boolean {
    const lastTerm = this.lastTerm()
    return term > lastTerm || (term === lastTerm && index >= this.lastIndex())
  }

  /** Appends entries that directly follow the last one (leader path). */
  append(entries: LogEntry[]): void {
    for (const entry of entries) this.entries.push(entry)
  }

  /**
   * Removes every entry from `index` on. Refuses (invariant) to remove committed
   * entries: a committed entry is never rolled back.
   */
  truncateFrom(index: number): void {
    if (index <= this.committed)
      throw new RaftInvariantError(
        `entry ${index} is committed (commit ${this.committed}) and cannot be truncated`,
      )
    if (index <= this.snapshotIndex)
      throw new RaftInvariantError(`entry ${index} is covered by the snapshot at ${this.snapshotIndex}`)
    this.entries.length = Math.max(0, index - this.snapshotIndex - 1)
    if (this.unstableFrom > index) this.unstableFrom = index
    if (this.persisted >= index) this.persisted = index - 1
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false
    if (index > this.lastIndex())
      throw new RaftInvariantError(`commit ${index} is past the last index ${this.lastIndex()}`)
    this.committed = index
    return true
  }

  /** Drops entries up to `meta.index` (which must be in the log) and records the snapshot. */
  compact(meta: SnapshotMeta): void {
    const drop = meta.index - this.snapshotIndex
    this.entries.splice(0, drop)
    this.snapshot = meta
    this.snapshotIndex = meta.index
    this.snapshotTerm = meta.term
    if (this.unstableFrom <= meta.index) this.unstableFrom = meta.index + 1
  }

  /**
   * Installs a snapshot received from the leader: entries after it are kept only
   * when the log holds a matching entry at `meta.index`.
   */
  restore(meta: SnapshotMeta): void {
    if (this.term(meta.index) === meta.term) {
      this.compact(meta)
    } else {
      this.entries = []
      this.snapshot = meta
      this.snapshotIndex = meta.index
      this.snapshotTerm = meta.term
      this.unstableFrom = meta.index + 1
      // the snapshot is durable only once its Ready is advanced
      if (this.persisted > meta.index) this.persisted = meta.index
    }
    if (meta.index > this.committed) this.committed = meta.index
    if (meta.index > this.applied) this.applied = meta.index
  }
}
