/**
 * The canonical binary encoding of Raft messages, with strict decoding: every
 * malformed, truncated, oversized or non-canonical input gives a `DecodeError`,
 * never a half-built message.
 *
 * Layout: `u8 version (1) | u8 type tag | str from | str to | uvarint term | body`.
 * Integers are unsigned LEB128 varints in canonical (shortest) form, at most
 * 2^53 - 1; strings and byte strings are a varint length then the bytes (UTF-8
 * for strings); booleans are one byte, 0 or 1.
 */
import { type Codec, DecodeError, FrameTooLargeError } from '@synod/transport'
import { validateMembership } from './membership.js'
import { RAFT_MESSAGE_TYPES, type RaftMessage, type RaftMessageType } from './messages.js'
import type { EntryKind, LogEntry, Membership, SnapshotMeta } from './types.js'

/**
 * The codec format version written in the first byte.
 * @example
 * ```ts
 * raftMessageCodec().encode(message)[0] === RAFT_CODEC_VERSION // true
 * ```
 */
export const RAFT_CODEC_VERSION = 1

/**
 * Limits the decoder enforces.
 * @example
 * ```ts
 * const codec = raftMessageCodec({ maxMessageBytes: 4 * 1024 * 1024, maxEntries: 10_000 })
 * ```
 */
export interface RaftCodecOptions {
  /** Largest encoded message, in bytes. Default 16 MiB. */
  maxMessageBytes?: number
  /** Most entries in one append message. Default 1,000,000. */
  maxEntries?: number
  /** Most node ids in one membership list. Default 10,000. */
  maxMembers?: number
  /** Longest read request id, in bytes. Default 1024. */
  maxRequestIdBytes?: number
}

const KINDS: readonly EntryKind[] = ['normal', 'config', 'noop']
const TAGS = new Map<RaftMessageType, number>(RAFT_MESSAGE_TYPES.map((type, tag) => [type, tag]))
const MAX_NODE_ID_LENGTH = 256
const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', { fatal: true })

class Writer {
  bytes = new Uint8Array(256)
  length = 0

  private ensure(extra: number): void {
    const needed = this.length + extra
    if (needed <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < needed) size *= 2
    const next = new Uint8Array(size)
    next.set(this.bytes.subarray(0, this.length))
    this.bytes = next
  }

  u8(value: number): void {
    this.ensure(1)
    this.bytes[this.length++] = value
  }

  bool(value: boolean): void {
    this.u8(value ? 1 : 0)
  }

  uint(name: string, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`${name}: expected a non-negative safe integer, got ${value}`)
    this.ensure(8)
    let v = value
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.bytes[this.length++] = v
  }

  raw(name: string, data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new TypeError(`${name}: expected Uint8Array, got ${typeof data}`)
    this.uint(`${name}.length`, data.length)
    this.ensure(data.length)
    this.bytes.set(data, this.length)
    this.length += data.length
  }

  str(name: string, value: string): void {
    if (typeof value !== 'string') throw new TypeError(`${name}: expected a string, got ${typeof value}`)
    this.raw(name, textEncoder.encode(value))
  }

  list(name: string, values: string[]): void {
    this.uint(`${name}.length`, values.length)
    for (const value of values) this.str(name, value)
  }
}

class Reader {
  offset = 0
  constructor(
    private readonly bytes: Uint8Array,
    readonly options: Required<RaftCodecOptions>,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset
  }

  u8(name: string): number {
    if (this.offset >= this.bytes.length) throw new DecodeError(`truncated at ${name}`)
    return this.bytes[this.offset++] as number
  }

  bool(name: string): boolean {
    const b = this.u8(name)
    if (b > 1) throw new DecodeError(`${name}: expected 0 or 1, got ${b}`)
    return b === 1
  }

  uint(name: string): number {
    let result = 0
    let multiplier = 1
    for (let i = 0; ; i++) {
      const b = this.u8(name)
      result += (b & 0x7f) * multiplier
      if (b < 0x80) {
        if (i > 0 && b === 0) throw new DecodeError(`${name}: non-canonical varint`)
        break
      }
      if (i >= 7) throw new DecodeError(`${name}: varint too long`)
      multiplier *= 0x80
    }
    if (result > Number.MAX_SAFE_INTEGER) throw new DecodeError(`${name}: ${result} exceeds 2^53 - 1`)
    return result
  }

  raw(name: string): Uint8Array {
    const length = this.uint(`${name} length`)
    if (length > this.remaining)
      throw new DecodeError(`truncated at ${name}: ${length} bytes declared, ${this.remaining} left`)
    const data = this.bytes.slice(this.offset, this.offset + length)
    this.offset += length
    return data
  }

  str(name: string, maxBytes: number): string {
    const length = this.uint(`${name} length`)
    if (length > maxBytes) throw new DecodeError(`${name}: ${length} bytes exceeds the limit of ${maxBytes}`)
    if (length > this.remaining) throw new DecodeError(`truncated at ${name}`)
    let value: string
    try {
      value = textDecoder.decode(this.bytes.subarray(this.offset, this.offset + length))
    } catch {
      throw new DecodeError(`${name}: invalid UTF-8`)
    }
    this.offset += length
    return value
  }

  nodeId(name: string): string {
    const value = this.str(name, MAX_NODE_ID_LENGTH * 4)
    if (value.length === 0) throw new DecodeError(`${name}: empty node id`)
    if (value.length > MAX_NODE_ID_LENGTH)
      throw new DecodeError(`${name}: node id longer than ${MAX_NODE_ID_LENGTH} characters`)
    return value
  }

  list(name: string): string[] {
    const count = this.uint(`${name} count`)
    if (count > this.options.maxMembers)
      throw new DecodeError(`${name}: ${count} members exceeds the limit of ${this.options.maxMembers}`)
    if (count * 2 > this.remaining) throw new DecodeError(`truncated at ${name}`)
    const values: string[] = []
    for (let i = 0; i < count; i++) values.push(this.nodeId(name))
    if (new Set(values).size !== values.length) throw new DecodeError(`${name}: duplicate node ids`)
    return values
  }
}

function writeMembership(w: Writer, m: Membership): void {
  w.list('voters', m.voters)
  w.list('learners', m.learners)
  w.list('votersOutgoing', m.votersOutgoing)
  w.list('learnersNext', m.learnersNext)
  w.bool(m.autoLeave)
}

function readMembership(r: Reader): Membership {
  return {
    voters: r.list('voters'),
    learners: r.list('learners'),
    votersOutgoing: r.list('votersOutgoing'),
    learnersNext: r.list('learnersNext'),
    autoLeave: r.bool('autoLeave'),
  }
}

function writeMeta(w: Writer, meta: SnapshotMeta): void {
  w.uint('meta.index', meta.index)
  w.uint('meta.term', meta.term)
  writeMembership(w, meta.membership)
  w.uint('meta.sizeBytes', meta.sizeBytes)
}

function readMeta(r: Reader): SnapshotMeta {
  const index = r.uint('meta.index')
  const term = r.uint('meta.term')
  const membership = readMembership(r)
  const sizeBytes = r.uint('meta.sizeBytes')
  try {
    validateMembership(membership)
  } catch (error) {
    throw new DecodeError((error as Error).message)
  }
  return { index, term, membership, sizeBytes }
}

function writeBody(w: Writer, m: RaftMessage): void {
  switch (m.type) {
    case 'request-vote':
    case 'pre-vote':
      w.uint('lastLogIndex', m.lastLogIndex)
      w.uint('lastLogTerm', m.lastLogTerm)
      w.bool(m.transfer)
      return
    case 'request-vote-response':
    case 'pre-vote-response':
      w.bool(m.granted)
      return
    case 'append-entries':
      w.uint('prevLogIndex', m.prevLogIndex)
      w.uint('prevLogTerm', m.prevLogTerm)
      w.uint('commit', m.commit)
      w.uint('entries.length', m.entries.length)
      for (const entry of m.entries) {
        w.uint('entry.index', entry.index)
        w.uint('entry.term', entry.term)
        const kind = KINDS.indexOf(entry.kind)
        if (kind < 0)
          throw new RangeError(`entry.kind: expected normal, config or noop, got ${String(entry.kind)}`)
        w.u8(kind)
        w.raw('entry.data', entry.data)
      }
      return
    case 'append-entries-response':
      w.bool(m.success)
      w.uint('matchIndex', m.matchIndex)
      w.uint('rejectIndex', m.rejectIndex)
      w.uint('conflictTerm', m.conflictTerm)
      w.uint('conflictIndex', m.conflictIndex)
      return
    case 'heartbeat':
      w.uint('commit', m.commit)
      w.uint('round', m.round)
      return
    case 'heartbeat-response':
      w.uint('round', m.round)
      return
    case 'install-snapshot':
      writeMeta(w, m.meta)
      w.uint('offset', m.offset)
      w.raw('data', m.data)
      return
    case 'install-snapshot-response':
      w.uint('snapshotIndex', m.snapshotIndex)
      w.uint('nextOffset', m.nextOffset)
      w.bool(m.done)
      w.uint('matchIndex', m.matchIndex)
      return
    case 'timeout-now':
      return
    case 'read-index':
      w.str('requestId', m.requestId)
      return
    case 'read-index-response':
      w.str('requestId', m.requestId)
      w.uint('index', m.index)
      w.bool(m.success)
      return
  }
}

function readBody(r: Reader, type: RaftMessageType, from: string, to: string, term: number): RaftMessage {
  const base = { from, to, term }
  switch (type) {
    case 'request-vote':
    case 'pre-vote': {
      const lastLogIndex = r.uint('lastLogIndex')
      const lastLogTerm = r.uint('lastLogTerm')
      const transfer = r.bool('transfer')
      return { type, ...base, lastLogIndex, lastLogTerm, transfer }
    }
    case 'request-vote-response':
    case 'pre-vote-response':
      return { type, ...base, granted: r.bool('granted') }
    case 'append-entries': {
      const prevLogIndex = r.uint('prevLogIndex')
      const prevLogTerm = r.uint('prevLogTerm')
      const commit = r.uint('commit')
      const count = r.uint('entries count')
      if (count > r.options.maxEntries)
        throw new DecodeError(`${count} entries exceeds the limit of ${r.options.maxEntries}`)
      if (count * 4 > r.remaining) throw new DecodeError('truncated at entries')
      const entries: LogEntry[] = []
      for (let i = 0; i < count; i++) {
        const index = r.uint('entry.index')
        if (index !== prevLogIndex + 1 + i)
          throw new DecodeError(`entry ${i}: index ${index} does not follow ${prevLogIndex + i}`)
        const entryTerm = r.uint('entry.term')
        const kindTag = r.u8('entry.kind')
        const kind = KINDS[kindTag]
        if (kind === undefined) throw new DecodeError(`entry ${i}: unknown kind ${kindTag}`)
        entries.push({ index, term: entryTerm, kind, data: r.raw('entry.data') })
      }
      return { type, ...base, prevLogIndex, prevLogTerm, entries, commit }
    }
    case 'append-entries-response': {
      const success = r.bool('success')
      const matchIndex = r.uint('matchIndex')
      const rejectIndex = r.uint('rejectIndex')
      const conflictTerm = r.uint('conflictTerm')
      const conflictIndex = r.uint('conflictIndex')
      return { type, ...base, success, matchIndex, rejectIndex, conflictTerm, conflictIndex }
    }
    case 'heartbeat': {
      const commit = r.uint('commit')
      const round = r.uint('round')
      return { type, ...base, commit, round }
    }
    case 'heartbeat-response':
      return { type, ...base, round: r.uint('round') }
    case 'install-snapshot': {
      const meta = readMeta(r)
      const offset = r.uint('offset')
      const data = r.raw('data')
      if (offset + data.length > meta.sizeBytes)
        throw new DecodeError(
          `chunk [${offset}, ${offset + data.length}) exceeds the snapshot size ${meta.sizeBytes}`,
        )
      return { type, ...base, meta, offset, data }
    }
    case 'install-snapshot-response': {
      const snapshotIndex = r.uint('snapshotIndex')
      const nextOffset = r.uint('nextOffset')
      const done = r.bool('done')
      const matchIndex = r.uint('matchIndex')
      return { type, ...base, snapshotIndex, nextOffset, done, matchIndex }
    }
    case 'timeout-now':
      return { type, ...base }
    case 'read-index':
      return { type, ...base, requestId: r.str('requestId', r.options.maxRequestIdBytes) }
    case 'read-index-response': {
      const requestId = r.str('requestId', r.options.maxRequestIdBytes)
      const index = r.uint('index')
      const success = r.bool('success')
      return { type, ...base, requestId, index, success }
    }
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`${name}: expected a positive integer, got ${v}`)
  return v
}

/**
 * The binary codec for `RaftMessage`. `decode` throws `DecodeError` for any bad
 * input; `encode` throws `FrameTooLargeError` past `maxMessageBytes`.
 *
 * @throws {RangeError} when an option is not a positive integer
 * @example
 * ```ts
 * const codec = raftMessageCodec()
 * const bytes = codec.encode({ type: 'timeout-now', from: 'a', to: 'b', term: 3 })
 * codec.decode(bytes) // { type: 'timeout-now', from: 'a', to: 'b', term: 3 }
 * ```
 */
export function raftMessageCodec(options: RaftCodecOptions = {}): Codec<RaftMessage> {
  const limits: Required<RaftCodecOptions> = {
    maxMessageBytes: positive('maxMessageBytes', options.maxMessageBytes, 16 * 1024 * 1024),
    maxEntries: positive('maxEntries', options.maxEntries, 1_000_000),
    maxMembers: positive('maxMembers', options.maxMembers, 10_000),
    maxRequestIdBytes: positive('maxRequestIdBytes', options.maxRequestIdBytes, 1024),
  }
  return {
    encode(message: RaftMessage): Uint8Array {
      const tag = TAGS.get(message.type)
      if (tag === undefined) throw new TypeError(`message.type: unknown type ${JSON.stringify(message.type)}`)
      for (const [name, id] of [
        ['from', message.from],
        ['to', message.to],
      ] as const) {
        if (typeof id !== 'string' || id.length === 0 || id.length > MAX_NODE_ID_LENGTH)
          throw new RangeError(
            `${name}: expected a node id of 1 to ${MAX_NODE_ID_LENGTH} characters, got ${JSON.stringify(id)}`,
          )
      }
      const w = new Writer()
      w.u8(RAFT_CODEC_VERSION)
      w.u8(tag)
      w.str('from', message.from)
      w.str('to', message.to)
      w.uint('term', message.term)
      writeBody(w, message)
      if (w.length > limits.maxMessageBytes) throw new FrameTooLargeError(w.length, limits.maxMessageBytes)
      return w.bytes.slice(0, w.length)
    },
    decode(bytes: Uint8Array): RaftMessage {
      if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected Uint8Array, got ${typeof bytes}`)
      if (bytes.length > limits.maxMessageBytes)
        throw new DecodeError(`${bytes.length} bytes exceeds the limit of ${limits.maxMessageBytes}`)
      const r = new Reader(bytes, limits)
      const version = r.u8('version')
      if (version !== RAFT_CODEC_VERSION) throw new DecodeError(`unknown version ${version}`)
      const tag = r.u8('type')
      const type = RAFT_MESSAGE_TYPES[tag]
      if (type === undefined) throw new DecodeError(`unknown message type tag ${tag}`)
      const from = r.nodeId('from')
      const to = r.nodeId('to')
      const term = r.uint('term')
      const message = readBody(r, type, from, to, term)
      if (r.remaining !== 0) throw new DecodeError(`${r.remaining} trailing bytes`)
      return message
    },
  }
}
