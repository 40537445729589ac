/**
 * Input guards shared by the storages. Wrong types throw `TypeError`, wrong
 * values `RangeError`, each with a message naming the argument and the value.
 */
import type { EntryKind, HardState, LogEntry, SnapshotMeta } from '../core/types.js'

/** The longest `votedFor` accepted, in UTF-8 bytes (it is stored with a 16-bit length). */
export const MAX_NODE_ID_BYTES = 0xffff

const entryKinds: ReadonlySet<string> = new Set<EntryKind>(['normal', 'config', 'noop'])

/** Names the type of `value` for an error message. */
export function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object'
  return typeof value
}

/** Asserts that `value` is a safe integer `>= min`. */
export function assertInteger(name: string, value: unknown, min = 0): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected a number, got ${typeName(value)}`)
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name}: expected a safe integer >= ${min}, got ${value}`)
  }
}

function assertObject(name: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name}: expected an object, got ${typeName(value)}`)
  }
}

/** Asserts that `value` is a well-formed `HardState`. */
export function assertHardState(name: string, value: unknown): asserts value is HardState {
  assertObject(name, value)
  assertInteger(`${name}.term`, value.term)
  assertInteger(`${name}.commit`, value.commit)
  const votedFor = value.votedFor
  if (votedFor !== null) {
    if (typeof votedFor !== 'string') {
      throw new TypeError(`${name}.votedFor: expected a string or null, got ${typeName(votedFor)}`)
    }
    if (votedFor.length === 0) throw new RangeError(`${name}.votedFor: expected a non-empty node id, got ""`)
    if (Buffer.byteLength(votedFor, 'utf8') > MAX_NODE_ID_BYTES) {
      throw new RangeError(`${name}.votedFor: expected at most ${MAX_NODE_ID_BYTES} UTF-8 bytes`)
    }
  }
}

/** Asserts that `value` is a well-formed `LogEntry` with the given index. */
function assertEntry(name: string, value: unknown, expectedIndex: number | null): asserts value is LogEntry {
  assertObject(name, value)
  assertInteger(`${name}.index`, value.index, 1)
  if (expectedIndex !== null && value.index !== expectedIndex) {
    throw new RangeError(
      `${name}.index: expected ${expectedIndex} (entries must be contiguous), got ${value.index}`,
    )
  }
  assertInteger(`${name}.term`, value.term)
  if (typeof value.kind !== 'string' || !entryKinds.has(value.kind)) {
    throw new TypeError(`${name}.kind: expected 'normal', 'config' or 'noop', got ${String(value.kind)}`)
  }
  if (!(value.data instanceof Uint8Array)) {
    throw new TypeError(`${name}.data: expected Uint8Array, got ${typeName(value.data)}`)
  }
}

/**
 * Checks a `save` batch against the stored log: entries are well formed and
 * contiguous, start above the snapshot, and leave no gap after the last index.
 *
 * @param lastIndex - the last stored index (the snapshot index when the log is empty)
 * @param snapshotIndex - the current snapshot's index, 0 without one
 */
export function assertBatch(
  batch: unknown,
  lastIndex: number,
  snapshotIndex: number,
): asserts batch is { hardState?: HardState; entries?: LogEntry[] } {
  assertObject('save: batch', batch)
  if (batch.hardState !== undefined) assertHardState('save: hardState', batch.hardState)
  const entries = batch.entries
  if (entries === undefined) return
  if (!Array.isArray(entries))
    throw new TypeError(`save: entries: expected an array, got ${typeName(entries)}`)
  if (entries.length === 0) return
  assertEntry('save: entries[0]', entries[0], null)
  const first = (entries[0] as LogEntry).index
  if (first > lastIndex + 1) {
    throw new RangeError(
      `save: entries[0].index: expected at most ${lastIndex + 1} (the last stored index is ${lastIndex}), got ${first}`,
    )
  }
  if (first <= snapshotIndex) {
    throw new RangeError(
      `save: entries[0].index: expected above the snapshot index ${snapshotIndex}, got ${first}`,
    )
  }
  for (let i = 1; i < entries.length; i++) {
    // the common, well-formed case without building a name per entry; anything else takes the full check
    const entry = entries[i] as Partial<LogEntry> | null
    if (
      typeof entry !== 'object' ||
      entry === null ||
      entry.index !== first + i ||
      typeof entry.term !== 'number' ||
      !Number.isSafeInteger(entry.term) ||
      entry.term < 0 ||
      (entry.kind !== 'normal' && entry.kind !== 'config' && entry.kind !== 'noop') ||
      !(entry.data instanceof Uint8Array) ||
      Array.isArray(entry)
    )
      assertEntry(`save: entries[${i}]`, entry, first + i)
  }
}

/** Asserts that `value` is a well-formed `SnapshotMeta`. */
export function assertSnapshotMeta(name: string, value: unknown): asserts value is SnapshotMeta {
  assertObject(name, value)
  assertInteger(`${name}.index`, value.index)
  assertInteger(`${name}.term`, value.term)
  assertInteger(`${name}.sizeBytes`, value.sizeBytes)
  const membership = value.membership
  assertObject(`${name}.membership`, membership)
  for (const key of ['voters', 'learners', 'votersOutgoing', 'learnersNext'] as const) {
    const list = membership[key]
    if (!Array.isArray(list) || !list.every((id) => typeof id === 'string')) {
      throw new TypeError(`${name}.membership.${key}: expected an array of node ids, got ${typeName(list)}`)
    }
  }
  if (typeof membership.autoLeave !== 'boolean') {
    throw new TypeError(
      `${name}.membership.autoLeave: expected a boolean, got ${typeName(membership.autoLeave)}`,
    )
  }
}

/** Asserts that `meta`, given to `beginSnapshot`, is well-formed and not older than the current snapshot. */
export function assertSnapshotToBegin(meta: unknown, snapshotIndex: number): asserts meta is SnapshotMeta {
  assertSnapshotMeta('beginSnapshot: meta', meta)
  if (meta.index < snapshotIndex) {
    throw new RangeError(
      `beginSnapshot: index ${meta.index} is older than the current snapshot at index ${snapshotIndex}`,
    )
  }
}

/** A deep copy of a snapshot's metadata, so callers cannot alias the stored one. */
export function copySnapshotMeta(meta: SnapshotMeta): SnapshotMeta {
  const m = meta.membership
  return {
    index: meta.index,
    term: meta.term,
    sizeBytes: meta.sizeBytes,
    membership: {
      voters: [...m.voters],
      learners: [...m.learners],
      votersOutgoing: [...m.votersOutgoing],
      learnersNext: [...m.learnersNext],
      autoLeave: m.autoLeave,
    },
  }
}

/** A copy of an entry whose data does not share memory with the original. */
export function copyEntry(entry: LogEntry): LogEntry {
  return { index: entry.index, term: entry.term, kind: entry.kind, data: new Uint8Array(entry.data) }
}

/** The empty hard state of a node that never ran. */
export function emptyHardState(): HardState {
  return { term: 0, votedFor: null, commit: 0 }
}
