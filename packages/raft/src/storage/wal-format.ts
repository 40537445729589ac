/**
 * The on-disk format of `FileStorage`'s log segments.
 *
 * A segment is a sequence of records. Every record is a 16-byte header and a payload:
 *
 * ```
 * offset  size  field
 *      0     4  payload length (u32, little-endian)
 *      4     1  record type (1 segment-start, 2 batch, 3 snapshot-reset)
 *      5     3  zero
 *      8     4  CRC-32C of the payload
 *     12     4  CRC-32C of header bytes 0..11
 * ```
 *
 * The header has its own checksum so a damaged length is caught before it is
 * trusted, and so recovery can look for valid records after a bad one (which
 * tells a torn tail from corruption in the middle).
 *
 * Payloads (numbers are little-endian; indexes and terms are float64 holding safe integers):
 * - segment-start: u32 format version, f64 segment sequence number, hard state.
 *   Every segment begins with one, so older segments can be deleted without
 *   losing the latest hard state.
 * - batch (one per `save`): u8 flags (1 = hard state, 2 = entries), the hard
 *   state if flagged, then u32 count, f64 first index and the entries
 *   (f64 term, u8 kind, u32 data length, data). Replaying a batch whose first
 *   index is at or below the last index replaces the suffix.
 * - snapshot-reset (written when a snapshot becomes current): f64 index,
 *   f64 term, u8 keep-suffix. Replay drops entries up to the index, or all of
 *   them when keep-suffix is 0.
 * - hard state: f64 term, f64 commit, u16 votedFor length (0 = null), UTF-8 votedFor.
 */
import type { EntryKind, HardState, LogEntry } from '../core/types.js'
import { crc32c } from './crc32c.js'

export const RECORD_HEADER_BYTES = 16
export const FORMAT_VERSION = 1

export const RecordType = { segmentStart: 1, batch: 2, snapshotReset: 3 } as const
export type RecordTypeCode = (typeof RecordType)[keyof typeof RecordType]

const FLAG_HARD_STATE = 1
const FLAG_ENTRIES = 2
const ENTRY_OVERHEAD_BYTES = 13
/** Entry data up to this size is copied by a loop, which beats `TypedArray#set` for small arrays. */
const SMALL_COPY_BYTES = 48
const kindCodes: Record<EntryKind, number> = { normal: 0, config: 1, noop: 2 }
const kindsByCode: readonly EntryKind[] = ['normal', 'config', 'noop']

const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true })

function hardStateBytes(hardState: HardState): Uint8Array | null {
  return hardState.votedFor === null ? null : utf8.encode(hardState.votedFor)
}

function writeHardState(
  view: DataView,
  bytes: Uint8Array,
  at: number,
  hs: HardState,
  vote: Uint8Array | null,
) {
  view.setFloat64(at, hs.term, true)
  view.setFloat64(at + 8, hs.commit, true)
  view.setUint16(at + 16, vote?.length ?? 0, true)
  if (vote !== null) bytes.set(vote, at + 18)
  return at + 18 + (vote?.length ?? 0)
}

/** Fills in the header of a record whose payload is already in place. */
function seal(record: Uint8Array, type: RecordTypeCode): Uint8Array {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength)
  view.setUint32(0, record.length - RECORD_HEADER_BYTES, true)
  view.setUint8(4, type)
  view.setUint8(5, 0)
  view.setUint16(6, 0, true)
  view.setUint32(8, crc32c(record, 0, RECORD_HEADER_BYTES, record.length), true)
  view.setUint32(12, crc32c(record, 0, 0, 12), true)
  return record
}

/** Encodes the record that opens segment `sequence`. */
export function encodeSegmentStart(sequence: number, hardState: HardState): Uint8Array {
  const vote = hardStateBytes(hardState)
  const record = new Uint8Array(RECORD_HEADER_BYTES + 12 + 18 + (vote?.length ?? 0))
  const view = new DataView(record.buffer)
  view.setUint32(RECORD_HEADER_BYTES, FORMAT_VERSION, true)
  view.setFloat64(RECORD_HEADER_BYTES + 4, sequence, true)
  writeHardState(view, record, RECORD_HEADER_BYTES + 12, hardState, vote)
  return seal(record, RecordType.segmentStart)
}

/** Encodes one `save` batch as one record (already validated). */
export function encodeBatch(hardState: HardState | undefined, entries: readonly LogEntry[]): Uint8Array {
  const vote = hardState === undefined ? null : hardStateBytes(hardState)
  let size = RECORD_HEADER_BYTES + 1
  if (hardState !== undefined) size += 18 + (vote?.length ?? 0)
  if (entries.length > 0) {
    size += 12 + ENTRY_OVERHEAD_BYTES * entries.length
    for (const entry of entries) size += entry.data.length
  }
  const record = new Uint8Array(size)
  const view = new DataView(record.buffer)
  let at = RECORD_HEADER_BYTES + 1
  let flags = 0
  if (hardState !== undefined) {
    flags |= FLAG_HARD_STATE
    at = writeHardState(view, record, at, hardState, vote)
  }
  if (entries.length > 0) {
    flags |= FLAG_ENTRIES
    view.setUint32(at, entries.length, true)
    view.setFloat64(at + 4, entries[0]!.index, true)
    at += 12
    for (const entry of entries) {
      view.setFloat64(at, entry.term, true)
      view.setUint8(at + 8, kindCodes[entry.kind])
      const data = entry.data
      view.setUint32(at + 9, data.length, true)
      const dataAt = at + ENTRY_OVERHEAD_BYTES
      if (data.length <= SMALL_COPY_BYTES) {
        for (let i = 0; i < data.length; i++) record[dataAt + i] = data[i]!
      } else record.set(data, dataAt)
      at = dataAt + data.length
    }
  }
  view.setUint8(RECORD_HEADER_BYTES, flags)
  return seal(record, RecordType.batch)
}

/** Encodes the record that applies a snapshot to the log. */
export function encodeSnapshotReset(index: number, term: number, keepSuffix: boolean): Uint8Array {
  const record = new Uint8Array(RECORD_HEADER_BYTES + 17)
  const view = new DataView(record.buffer)
  view.setFloat64(RECORD_HEADER_BYTES, index, true)
  view.setFloat64(RECORD_HEADER_BYTES + 8, term, true)
  view.setUint8(RECORD_HEADER_BYTES + 16, keepSuffix ? 1 : 0)
  return seal(record, RecordType.snapshotReset)
}

/** A record found intact by `readRecord`. */
export interface RawRecord {
  type: RecordTypeCode
  payloadStart: number
  payloadEnd: number
}

/** Why `readRecord` rejected the bytes at an offset. */
export interface BadRecord {
  reason: string
  /**
   * Where the rejected record ends, when its header checksum held (so its length
   * can be trusted); null when the header itself is damaged.
   */
  trustedEnd: number | null
}

/**
 * Reads the record at `offset` of `bytes`, checking both checksums and the bounds.
 * Returns why it is not a valid record instead of throwing.
 */
export function readRecord(bytes: Uint8Array, offset: number): RawRecord | BadRecord {
  const available = bytes.length - offset
  if (available < RECORD_HEADER_BYTES) {
    return {
      reason: `incomplete record header (${available} of ${RECORD_HEADER_BYTES} bytes)`,
      trustedEnd: null,
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_HEADER_BYTES)
  if (crc32c(bytes, 0, offset, offset + 12) !== view.getUint32(12, true)) {
    return { reason: 'record header checksum mismatch', trustedEnd: null }
  }
  const length = view.getUint32(0, true)
  const type = view.getUint8(4)
  const payloadStart = offset + RECORD_HEADER_BYTES
  const payloadEnd = payloadStart + length
  if (type < RecordType.segmentStart || type > RecordType.snapshotReset) {
    return { reason: `unknown record type ${type}`, trustedEnd: payloadEnd }
  }
  if (view.getUint8(5) !== 0 || view.getUint16(6, true) !== 0) {
    return { reason: 'nonzero reserved header bytes', trustedEnd: payloadEnd }
  }
  if (payloadEnd > bytes.length) {
    return {
      reason: `record payload of ${length} bytes runs past the end of the file (${bytes.length - payloadStart} bytes left)`,
      trustedEnd: payloadEnd,
    }
  }
  if (crc32c(bytes, 0, payloadStart, payloadEnd) !== view.getUint32(8, true)) {
    return { reason: 'record payload checksum mismatch', trustedEnd: payloadEnd }
  }
  return { type: type as RecordTypeCode, payloadStart, payloadEnd }
}

/** Whether `readRecord` rejected the bytes. */
export function isBadRecord(record: RawRecord | BadRecord): record is BadRecord {
  return 'reason' in record
}

/**
 * The offset of the first valid record starting in `[from, bytes.length)`, or -1.
 * Used after a bad record: a valid one after it means the damage is not a torn tail.
 */
export function findValidRecord(bytes: Uint8Array, from: number): number {
  for (let offset = from; offset + RECORD_HEADER_BYTES <= bytes.length; offset++) {
    const type = bytes[offset + 4]!
    if (type < RecordType.segmentStart || type > RecordType.snapshotReset) continue
    if (bytes[offset + 5] !== 0 || bytes[offset + 6] !== 0 || bytes[offset + 7] !== 0) continue
    if (!isBadRecord(readRecord(bytes, offset))) return offset
  }
  return -1
}

/** A payload that passed its checksum but does not decode: thrown with a reason, caught by the reader. */
export class PayloadError extends Error {}

/** Reads fields from a payload with bounds checks; every failure is a `PayloadError`. */
class PayloadReader {
  private readonly view: DataView
  private at: number
  private readonly end: number
  constructor(
    private bytes: Uint8Array,
    start: number,
    end: number,
  ) {
    // Buffer#slice is a view, not a copy: work on a plain Uint8Array so `copy` copies
    if (Buffer.isBuffer(bytes)) this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.at = start
    this.end = end
  }
  private need(count: number, what: string): number {
    if (this.at + count > this.end) throw new PayloadError(`payload ends inside ${what}`)
    const at = this.at
    this.at += count
    return at
  }
  u8(what: string): number {
    return this.view.getUint8(this.need(1, what))
  }
  u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true)
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true)
  }
  integer(what: string, min = 0): number {
    const value = this.view.getFloat64(this.need(8, what), true)
    if (!Number.isSafeInteger(value) || value < min)
      throw new PayloadError(`${what} is not an integer >= ${min}`)
    return value
  }
  copy(length: number, what: string): Uint8Array {
    const at = this.need(length, what)
    return this.bytes.slice(at, at + length)
  }
  text(length: number, what: string): string {
    const at = this.need(length, what)
    try {
      return utf8Strict.decode(this.bytes.subarray(at, at + length))
    } catch {
      throw new PayloadError(`${what} is not valid UTF-8`)
    }
  }
  remaining(): number {
    return this.end - this.at
  }
  done(what: string): void {
    if (this.at !== this.end) throw new PayloadError(`${this.end - this.at} stray bytes after ${what}`)
  }
}

function readHardState(reader: PayloadReader): HardState {
  const term = reader.integer('hard state term')
  const commit = reader.integer('hard state commit')
  const voteLength = reader.u16('hard state vote length')
  const votedFor = voteLength === 0 ? null : reader.text(voteLength, 'hard state vote')
  return { term, votedFor, commit }
}

/** A decoded segment-start record. */
export interface SegmentStart {
  sequence: number
  hardState: HardState
}

/** A decoded batch record. */
export interface BatchRecord {
  hardState: HardState | undefined
  entries: LogEntry[]
}

/** A decoded snapshot-reset record. */
export interface SnapshotReset {
  index: number
  term: number
  keepSuffix: boolean
}

/**
 * Decodes a segment-start payload. Entry data and strings are copied out of `bytes`.
 * @throws {PayloadError} when the payload is not a well-formed record of its type
 */
export function decodeSegmentStart(bytes: Uint8Array, record: RawRecord): SegmentStart {
  const reader = new PayloadReader(bytes, record.payloadStart, record.payloadEnd)
  const version = reader.u32('format version')
  if (version !== FORMAT_VERSION) throw new PayloadError(`unsupported format version ${version}`)
  const sequence = reader.integer('segment sequence', 1)
  const hardState = readHardState(reader)
  reader.done('the segment-start record')
  return { sequence, hardState }
}

/** @throws {PayloadError} when the payload is not a well-formed batch */
export function decodeBatch(bytes: Uint8Array, record: RawRecord): BatchRecord {
  const reader = new PayloadReader(bytes, record.payloadStart, record.payloadEnd)
  const flags = reader.u8('batch flags')
  if ((flags & ~(FLAG_HARD_STATE | FLAG_ENTRIES)) !== 0)
    throw new PayloadError(`unknown batch flags ${flags}`)
  const hardState = flags & FLAG_HARD_STATE ? readHardState(reader) : undefined
  const entries: LogEntry[] = []
  if (flags & FLAG_ENTRIES) {
    const count = reader.u32('entry count')
    const first = reader.integer('first entry index', 1)
    if (count === 0) throw new PayloadError('batch flagged with entries holds none')
    if (count * ENTRY_OVERHEAD_BYTES > reader.remaining()) {
      throw new PayloadError(`entry count ${count} does not fit in the payload`)
    }
    if (!Number.isSafeInteger(first + count)) throw new PayloadError('entry indexes overflow')
    for (let i = 0; i < count; i++) {
      const term = reader.integer(`entry ${first + i} term`)
      const kindCode = reader.u8(`entry ${first + i} kind`)
      const kind = kindsByCode[kindCode]
      if (kind === undefined) throw new PayloadError(`entry ${first + i} has unknown kind ${kindCode}`)
      const length = reader.u32(`entry ${first + i} data length`)
      entries.push({ index: first + i, term, kind, data: reader.copy(length, `entry ${first + i} data`) })
    }
  }
  if (flags === 0) throw new PayloadError('empty batch')
  reader.done('the batch')
  return { hardState, entries }
}

/** @throws {PayloadError} when the payload is not a well-formed snapshot reset */
export function decodeSnapshotReset(bytes: Uint8Array, record: RawRecord): SnapshotReset {
  const reader = new PayloadReader(bytes, record.payloadStart, record.payloadEnd)
  const index = reader.integer('snapshot index')
  const term = reader.integer('snapshot term')
  const keep = reader.u8('keep-suffix flag')
  if (keep > 1) throw new PayloadError(`keep-suffix flag is ${keep}`)
  reader.done('the snapshot reset')
  return { index, term, keepSuffix: keep === 1 }
}
