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
import { BinaryReader, BinaryWriter, type Codec, DecodeError, FrameTooLargeError } from '@synod/transport'
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

class Writer extends BinaryWriter {
  raw(name: string, data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new TypeError(`${name}: expected Uint8Array, got ${typeof data}`)
    this.uvarint(`${name}.length`, data.length)
    this.append(name, data)
  }

  str(name: string, value: string): void {
    if (typeof value !== 'string') throw new TypeError(`${name}: expected a string, got ${typeof value}`)
    this.raw(name, textEncoder.encode(value))
  }

  list(name: string, values: string[]): void {
    this.uvarint(`${name}.length`, values.length)
    for (const value of values) this.str(name, value)
  }
}

class Reader extends BinaryReader {
  constructor(
    bytes: Uint8Array,
    readonly options: Required<RaftCodecOptions>,
  ) {
    super(bytes)
  }

  protected override truncated(what: string): DecodeError {
    return new DecodeError(`truncated at ${what}`)
  }

  raw(name: string): Uint8Array {
    const length = this.uvarint(`${name} length`)
    if (length > this.remaining)
      throw new DecodeError(`truncated at ${name}: ${length} bytes declared, ${this.remaining} left`)
    // a view: decode reads a private copy of the message (one copy, not one per entry)
    return this.view(name, length)
  }

  str(name: string, maxBytes: number): string {
    return this.utf8(name, this.limit(name, this.uvarint(`${name} length`), maxBytes))
  }

  nodeId(name: string): string {
    const value = this.str(name, MAX_NODE_ID_LENGTH * 4)
    if (value.length === 0) throw new DecodeError(`${name}: empty node id`)
    if (value.length > MAX_NODE_ID_LENGTH)
      throw new DecodeError(`${name}: node id longer than ${MAX_NODE_ID_LENGTH} characters`)
    return value
  }

  list(name: string): string[] {
    const count = this.uvarint(`${name} count`)
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
  w.uvarint('meta.index', meta.index)
  w.uvarint('meta.term', meta.term)
  writeMembership(w, meta.membership)
  w.uvarint('meta.sizeBytes', meta.sizeBytes)
}

function readMeta(r: Reader): SnapshotMeta {
  const index = r.uvarint('meta.index')
  const term = r.uvarint('meta.term')
  const membership = readMembership(r)
  const sizeBytes = r.uvarint('meta.sizeBytes')
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
      w.uvarint('lastLogIndex', m.lastLogIndex)
      w.uvarint('lastLogTerm', m.lastLogTerm)
      w.bool(m.transfer)
      return
    case 'request-vote-response':
    case 'pre-vote-response':
      w.bool(m.granted)
      return
    case 'append-entries':
      w.uvarint('prevLogIndex', m.prevLogIndex)
      w.uvarint('prevLogTerm', m.prevLogTerm)
      w.uvarint('commit', m.commit)
      w.uvarint('entries.length', m.entries.length)
      for (const entry of m.entries) {
        w.uvarint('entry.index', entry.index)
        w.uvarint('entry.term', entry.term)
        const kind = KINDS.indexOf(entry.kind)
        if (kind < 0)
          throw new RangeError(`entry.kind: expected normal, config or noop, got ${String(entry.kind)}`)
        w.u8(kind)
        w.raw('entry.data', entry.data)
      }
      return
    case 'append-entries-response':
      w.bool(m.success)
      w.uvarint('matchIndex', m.matchIndex)
      w.uvarint('rejectIndex', m.rejectIndex)
      w.uvarint('conflictTerm', m.conflictTerm)
      w.uvarint('conflictIndex', m.conflictIndex)
      return
    case 'heartbeat':
      w.uvarint('commit', m.commit)
      w.uvarint('round', m.round)
      return
    case 'heartbeat-response':
      w.uvarint('round', m.round)
      return
    case 'install-snapshot':
      writeMeta(w, m.meta)
      w.uvarint('offset', m.offset)
      w.raw('data', m.data)
      return
    case 'install-snapshot-response':
      w.uvarint('snapshotIndex', m.snapshotIndex)
      w.uvarint('nextOffset', m.nextOffset)
      w.bool(m.done)
      w.uvarint('matchIndex', m.matchIndex)
      return
    case 'timeout-now':
      return
    case 'read-index':
      w.str('requestId', m.requestId)
      return
    case 'read-index-response':
      w.str('requestId', m.requestId)
      w.uvarint('index', m.index)
      w.bool(m.success)
      return
  }
}

function readBody(r: Reader, type: RaftMessageType, from: string, to: string, term: number): RaftMessage {
  const base = { from, to, term }
  switch (type) {
    case 'request-vote':
    case 'pre-vote': {
      const lastLogIndex = r.uvarint('lastLogIndex')
      const lastLogTerm = r.uvarint('lastLogTerm')
      const transfer = r.bool('transfer')
      return { type, ...base, lastLogIndex, lastLogTerm, transfer }
    }
    case 'request-vote-response':
    case 'pre-vote-response':
      return { type, ...base, granted: r.bool('granted') }
    case 'append-entries': {
      const prevLogIndex = r.uvarint('prevLogIndex')
      const prevLogTerm = r.uvarint('prevLogTerm')
      const commit = r.uvarint('commit')
      const count = r.uvarint('entries count')
      if (count > r.options.maxEntries)
        throw new DecodeError(`${count} entries exceeds the limit of ${r.options.maxEntries}`)
      if (count * 4 > r.remaining) throw new DecodeError('truncated at entries')
      const entries: LogEntry[] = []
      for (let i = 0; i < count; i++) {
        const index = r.uvarint('entry.index')
        if (index !== prevLogIndex + 1 + i)
          throw new DecodeError(`entry ${i}: index ${index} does not follow ${prevLogIndex + i}`)
        const entryTerm = r.uvarint('entry.term')
        const kindTag = r.u8('entry.kind')
        const kind = KINDS[kindTag]
        if (kind === undefined) throw new DecodeError(`entry ${i}: unknown kind ${kindTag}`)
        entries.push({ index, term: entryTerm, kind, data: r.raw('entry.data') })
      }
      return { type, ...base, prevLogIndex, prevLogTerm, entries, commit }
    }
    case 'append-entries-response': {
      const success = r.bool('success')
      const matchIndex = r.uvarint('matchIndex')
      const rejectIndex = r.uvarint('rejectIndex')
      const conflictTerm = r.uvarint('conflictTerm')
      const conflictIndex = r.uvarint('conflictIndex')
      return { type, ...base, success, matchIndex, rejectIndex, conflictTerm, conflictIndex }
    }
    case 'heartbeat': {
      const commit = r.uvarint('commit')
      const round = r.uvarint('round')
      return { type, ...base, commit, round }
    }
    case 'heartbeat-response':
      return { type, ...base, round: r.uvarint('round') }
    case 'install-snapshot': {
      const meta = readMeta(r)
      const offset = r.uvarint('offset')
      const data = r.raw('data')
      if (offset + data.length > meta.sizeBytes)
        throw new DecodeError(
          `chunk [${offset}, ${offset + data.length}) exceeds the snapshot size ${meta.sizeBytes}`,
        )
      return { type, ...base, meta, offset, data }
    }
    case 'install-snapshot-response': {
      const snapshotIndex = r.uvarint('snapshotIndex')
      const nextOffset = r.uvarint('nextOffset')
      const done = r.bool('done')
      const matchIndex = r.uvarint('matchIndex')
      return { type, ...base, snapshotIndex, nextOffset, done, matchIndex }
    }
    case 'timeout-now':
      return { type, ...base }
    case 'read-index':
      return { type, ...base, requestId: r.str('requestId', r.options.maxRequestIdBytes) }
    case 'read-index-response': {
      const requestId = r.str('requestId', r.options.maxRequestIdBytes)
      const index = r.uvarint('index')
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
      w.uvarint('term', message.term)
      writeBody(w, message)
      if (w.length > limits.maxMessageBytes) throw new FrameTooLargeError(w.length, limits.maxMessageBytes)
      return w.bytes.slice(0, w.length)
    },
    decode(bytes: Uint8Array): RaftMessage {
      if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected Uint8Array, got ${typeof bytes}`)
      if (bytes.length > limits.maxMessageBytes)
        throw new DecodeError(`${bytes.length} bytes exceeds the limit of ${limits.maxMessageBytes}`)
      // Entry and chunk data are views of this one copy: the caller may reuse `bytes`, and a
      // copy per message costs far less than an allocation per entry.
      const r = new Reader(bytes.slice(), limits)
      const version = r.u8('version')
      if (version !== RAFT_CODEC_VERSION) throw new DecodeError(`unknown version ${version}`)
      const tag = r.u8('type')
      const type = RAFT_MESSAGE_TYPES[tag]
      if (type === undefined) throw new DecodeError(`unknown message type tag ${tag}`)
      const from = r.nodeId('from')
      const to = r.nodeId('to')
      const term = r.uvarint('term')
      const message = readBody(r, type, from, to, term)
      if (r.remaining !== 0) throw new DecodeError(`${r.remaining} trailing bytes`)
      return message
    },
  }
}
