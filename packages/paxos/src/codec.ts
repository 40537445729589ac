/**
 * A strict binary codec for the protocol's messages and persisted records.
 *
 * Layout: a version byte (1), a tag byte, then the fields of the kind. A ballot
 * is a uvarint round and a node id (uvarint length + UTF-8); a value is a kind
 * byte (0 no-op, 1 command) and, for a command, a uvarint length and the bytes;
 * a list is a uvarint count and its items, slots strictly increasing. Decoding
 * refuses unknown versions, tags and kinds, over-limit counts and lengths,
 * slot 0, unordered slots, invalid UTF-8, non-canonical varints and trailing
 * bytes with a `DecodeError`; it never returns a half-built value.
 */
import {
  BinaryReader,
  BinaryWriter,
  type Codec,
  DecodeError,
  MAX_NODE_ID_LENGTH,
  type NodeId,
} from '@synod/transport'
import { type PaxosLimits, resolveLimits } from './core/options.js'
import {
  type AcceptedEntry,
  type Ballot,
  PAXOS_MESSAGE_TYPES,
  type PaxosMessage,
  type PaxosRecord,
  type PaxosValue,
  type SlotValue,
} from './core/types.js'

const VERSION = 1
const RECORD_TYPES = ['promise', 'accept'] as const
const encoder = new TextEncoder()

/**
 * Options of {@link paxosMessageCodec} and {@link paxosRecordCodec}: the limits
 * decoding enforces. Use the same values as the cores' options.
 *
 * @example
 * ```ts
 * const codec = paxosMessageCodec({ maxBatchEntries: 128, maxCommandBytes: 64 * 1024 })
 * ```
 */
export type PaxosCodecOptions = Partial<PaxosLimits>

class Writer extends BinaryWriter {
  constructor(
    private readonly limits: PaxosLimits,
    tags: readonly string[],
    kind: string,
  ) {
    super(64)
    const tag = tags.indexOf(kind)
    if (tag < 0) throw new RangeError(`type: unknown value ${String(kind)}`)
    this.u8(VERSION)
    this.u8(tag)
  }
  nodeId(name: string, id: NodeId): void {
    if (typeof id !== 'string') throw new TypeError(`${name}: expected a string, got ${typeof id}`)
    if (id.length > MAX_NODE_ID_LENGTH)
      throw new RangeError(`${name}: expected at most ${MAX_NODE_ID_LENGTH} characters, got ${id.length}`)
    const bytes = encoder.encode(id)
    this.uvarint(name, bytes.length)
    this.append(name, bytes)
  }
  ballot(name: string, ballot: Ballot): void {
    this.uvarint(`${name}.round`, ballot.round)
    this.nodeId(`${name}.nodeId`, ballot.nodeId)
  }
  value(value: PaxosValue): number {
    if (value.kind === 'noop') {
      this.u8(0)
      return 0
    }
    if (value.kind !== 'command')
      throw new RangeError(`value.kind: unknown value ${String((value as { kind: unknown }).kind)}`)
    if (value.data.length > this.limits.maxCommandBytes)
      throw new RangeError(
        `value.data: expected at most ${this.limits.maxCommandBytes} bytes, got ${value.data.length}`,
      )
    this.u8(1)
    this.uvarint('value.data', value.data.length)
    this.append('value.data', value.data)
    return value.data.length
  }
  count(name: string, length: number): void {
    if (length > this.limits.maxBatchEntries)
      throw new RangeError(`${name}: expected at most ${this.limits.maxBatchEntries} entries, got ${length}`)
    this.uvarint(name, length)
  }
  entries(name: string, entries: readonly (SlotValue | AcceptedEntry)[], withBallot: boolean): void {
    this.count(name, entries.length)
    let bytes = 0
    for (const entry of entries) {
      this.uvarint(`${name}.slot`, entry.slot)
      if (withBallot) this.ballot(`${name}.ballot`, (entry as AcceptedEntry).ballot)
      bytes += this.value(entry.value)
    }
    if (entries.length > 1 && bytes > this.limits.maxBatchBytes)
      throw new RangeError(`${name}: expected at most ${this.limits.maxBatchBytes} value bytes, got ${bytes}`)
  }
}

class Reader extends BinaryReader {
  constructor(
    bytes: unknown,
    private readonly limits: PaxosLimits,
  ) {
    super(bytes instanceof Uint8Array ? bytes : new Uint8Array(0))
    if (!(bytes instanceof Uint8Array))
      throw new DecodeError(`expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`)
  }
  start<T extends string>(tags: readonly T[]): T {
    const version = this.u8('version')
    if (version !== VERSION) throw new DecodeError(`version: expected ${VERSION}, got ${version}`)
    const tag = this.u8('type')
    const type = tags[tag]
    if (type === undefined) throw new DecodeError(`type: unknown tag ${tag}`)
    return type
  }
  nodeId(what: string): NodeId {
    const id = this.utf8(what, this.limit(what, this.uvarint(what), MAX_NODE_ID_LENGTH * 3))
    if (id.length === 0 || id.length > MAX_NODE_ID_LENGTH)
      throw new DecodeError(`${what}: expected 1 to ${MAX_NODE_ID_LENGTH} characters, got ${id.length}`)
    return id
  }
  ballot(what: string): Ballot {
    const round = this.uvarint(`${what}.round`)
    const nodeId = this.nodeId(`${what}.nodeId`)
    return { round, nodeId }
  }
  slot(what: string): number {
    const slot = this.uvarint(what)
    if (slot === 0) throw new DecodeError(`${what}: expected a slot of at least 1, got 0`)
    return slot
  }
  value(): PaxosValue {
    const kind = this.u8('value.kind')
    if (kind === 0) return { kind: 'noop' }
    if (kind !== 1) throw new DecodeError(`value.kind: unknown kind ${kind}`)
    const length = this.limit('value.data', this.uvarint('value.data'), this.limits.maxCommandBytes)
    return { kind: 'command', data: this.take('value.data', length) }
  }
  count(what: string): number {
    const count = this.uvarint(what)
    if (count > this.limits.maxBatchEntries)
      throw new DecodeError(`${what}: ${count} entries exceeds the limit of ${this.limits.maxBatchEntries}`)
    return count
  }
  slots(what: string): number[] {
    const count = this.count(what)
    const slots: number[] = []
    for (let i = 0; i < count; i++) {
      const slot = this.slot(`${what}.slot`)
      if (i > 0 && slot <= (slots[i - 1] as number)) throw new DecodeError(`${what}: slots out of order`)
      slots.push(slot)
    }
    return slots
  }
  entries(what: string, withBallot: true): AcceptedEntry[]
  entries(what: string, withBallot: false): SlotValue[]
  entries(what: string, withBallot: boolean): (SlotValue | AcceptedEntry)[] {
    const count = this.count(what)
    const entries: (SlotValue | AcceptedEntry)[] = []
    let bytes = 0
    let previous = 0
    for (let i = 0; i < count; i++) {
      const slot = this.slot(`${what}.slot`)
      if (slot <= previous) throw new DecodeError(`${what}: slots out of order`)
      previous = slot
      const ballot = withBallot ? this.ballot(`${what}.ballot`) : undefined
      const value = this.value()
      if (value.kind === 'command') bytes += value.data.length
      entries.push(ballot === undefined ? { slot, value } : { slot, ballot, value })
    }
    if (count > 1 && bytes > this.limits.maxBatchBytes)
      throw new DecodeError(`${what}: ${bytes} value bytes exceeds the limit of ${this.limits.maxBatchBytes}`)
    return entries
  }
  end(): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes`)
  }
}

function encodeMessage(limits: PaxosLimits, message: PaxosMessage): Uint8Array {
  const w = new Writer(limits, PAXOS_MESSAGE_TYPES, message.type)
  w.ballot('ballot', message.ballot)
  switch (message.type) {
    case 'prepare':
      w.uvarint('fromSlot', message.fromSlot)
      break
    case 'promise':
      w.uvarint('fromSlot', message.fromSlot)
      w.entries('entries', message.entries, true)
      w.uvarint('nextSlot', message.nextSlot ?? 0)
      w.uvarint('chosenIndex', message.chosenIndex)
      w.uvarint('compactedSlot', message.compactedSlot)
      break
    case 'accept':
    case 'learn':
      w.entries('entries', message.entries, false)
      w.uvarint('commitIndex', message.commitIndex)
      break
    case 'accepted':
      w.count('slots', message.slots.length)
      for (const slot of message.slots) w.uvarint('slots', slot)
      w.uvarint('chosenIndex', message.chosenIndex)
      break
    case 'reject':
      w.ballot('promised', message.promised)
      break
    case 'snapshot':
      w.uvarint('slot', message.slot)
      if (!(message.data instanceof Uint8Array))
        throw new TypeError(`data: expected a Uint8Array, got ${typeof message.data}`)
      if (message.data.length > limits.maxSnapshotBytes)
        throw new RangeError(
          `data: expected at most ${limits.maxSnapshotBytes} bytes, got ${message.data.length}`,
        )
      w.uvarint('data', message.data.length)
      w.append('data', message.data)
      break
  }
  return w.finish()
}

function decodeMessage(limits: PaxosLimits, bytes: unknown): PaxosMessage {
  const r = new Reader(bytes, limits)
  const type = r.start(PAXOS_MESSAGE_TYPES)
  const ballot = r.ballot('ballot')
  let message: PaxosMessage
  switch (type) {
    case 'prepare':
      message = { type, ballot, fromSlot: r.slot('fromSlot') }
      break
    case 'promise': {
      const fromSlot = r.slot('fromSlot')
      const entries = r.entries('entries', true)
      const next = r.uvarint('nextSlot')
      if (next !== 0 && next <= fromSlot)
        throw new DecodeError(`nextSlot: expected above fromSlot ${fromSlot}`)
      message = {
        type,
        ballot,
        fromSlot,
        entries,
        nextSlot: next === 0 ? null : next,
        chosenIndex: r.uvarint('chosenIndex'),
        compactedSlot: r.uvarint('compactedSlot'),
      }
      break
    }
    case 'accept':
    case 'learn':
      message = { type, ballot, entries: r.entries('entries', false), commitIndex: r.uvarint('commitIndex') }
      break
    case 'accepted':
      message = { type, ballot, slots: r.slots('slots'), chosenIndex: r.uvarint('chosenIndex') }
      break
    case 'reject':
      message = { type, ballot, promised: r.ballot('promised') }
      break
    case 'snapshot': {
      const slot = r.slot('slot')
      const length = r.limit('data', r.uvarint('data'), limits.maxSnapshotBytes)
      message = { type, ballot, slot, data: r.take('data', length) }
      break
    }
  }
  r.end()
  return message
}

/**
 * The binary codec of {@link PaxosMessage}s, for transports that carry bytes.
 *
 * @throws {TypeError | RangeError} from `encode`, for a message outside the limits
 * @throws {DecodeError} from `decode`, for any malformed, truncated or over-limit input
 * @example
 * ```ts
 * const codec = paxosMessageCodec()
 * const bytes = codec.encode({ type: 'prepare', ballot: { round: 2, nodeId: 'a' }, fromSlot: 1 })
 * codec.decode(bytes) // { type: 'prepare', ballot: { round: 2, nodeId: 'a' }, fromSlot: 1 }
 * ```
 */
export function paxosMessageCodec(options: PaxosCodecOptions = {}): Codec<PaxosMessage> {
  const limits = resolveLimits(options)
  return {
    encode: (message) => encodeMessage(limits, message),
    decode: (bytes) => decodeMessage(limits, bytes),
  }
}

/**
 * The binary codec of {@link PaxosRecord}s, for storages that keep bytes.
 *
 * @throws {DecodeError} from `decode`, for any malformed, truncated or over-limit input
 * @example
 * ```ts
 * const codec = paxosRecordCodec()
 * codec.decode(codec.encode({ type: 'promise', ballot: { round: 1, nodeId: 'a' } }))
 * ```
 */
export function paxosRecordCodec(options: PaxosCodecOptions = {}): Codec<PaxosRecord> {
  const limits = resolveLimits(options)
  return {
    encode(record) {
      const w = new Writer(limits, RECORD_TYPES, record.type)
      if (record.type === 'promise') w.ballot('ballot', record.ballot)
      else w.entries('entries', record.entries, true)
      return w.finish()
    },
    decode(bytes) {
      const r = new Reader(bytes, limits)
      const type = r.start(RECORD_TYPES)
      const record: PaxosRecord =
        type === 'promise'
          ? { type, ballot: r.ballot('ballot') }
          : { type, entries: r.entries('entries', true) }
      r.end()
      return record
    },
  }
}
