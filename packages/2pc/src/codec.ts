/**
 * A strict binary codec for the protocol's messages and persisted records.
 *
 * Layout: a version byte (1), a tag byte, the transaction id (uvarint length +
 * UTF-8), then the fields of the kind; node ids and payloads are uvarint length
 * + bytes. Decoding refuses unknown versions and tags, over-limit lengths,
 * invalid UTF-8, duplicate participants, non-canonical varints and trailing
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
import {
  DEFAULT_LIMITS,
  type Decision,
  type Limits,
  type TwoPhaseMessage,
  type TwoPhaseRecord,
  type Vote,
} from './core/types.js'
import { limitsOf } from './validate.js'

const VERSION = 1
const MESSAGE_TAGS = ['prepare', 'vote', 'decision', 'ack', 'decision-request'] as const
const RECORD_TAGS = ['committing', 'ended', 'started', 'prepared', 'decided'] as const
const VOTES: readonly Vote[] = ['yes', 'no', 'read-only']
const DECISIONS: readonly Decision[] = ['commit', 'abort']
const encoder = new TextEncoder()

/**
 * Options of {@link twoPhaseCodec} and {@link recordCodec}: the limits decoding enforces.
 *
 * @example
 * ```ts
 * const codec = twoPhaseCodec({ maxParticipants: 8, maxPayloadBytes: 4096 })
 * ```
 */
export interface TwoPhaseCodecOptions {
  /** The most participants in a list (default 64). */
  maxParticipants?: number
  /** The longest transaction id in UTF-8 bytes (default 128). */
  maxTransactionIdBytes?: number
  /** The largest payload in bytes (default 1 MiB). */
  maxPayloadBytes?: number
}

class Writer extends BinaryWriter {
  /** A writer that has written the version and the tag of `kind`. */
  static start(tags: readonly string[], kind: string): Writer {
    const w = new Writer(64)
    w.u8(VERSION)
    w.oneOf('kind', tags, kind)
    return w
  }
  string(name: string, value: string, max: number): void {
    if (typeof value !== 'string') throw new TypeError(`${name}: expected a string, got ${typeof value}`)
    const bytes = encoder.encode(value)
    if (bytes.length > max)
      throw new RangeError(`${name}: expected at most ${max} UTF-8 bytes, got ${bytes.length}`)
    this.uvarint(name, bytes.length)
    this.append(name, bytes)
  }
  nodeIds(name: string, ids: readonly NodeId[], limits: Limits): void {
    if (!Array.isArray(ids) || ids.length > limits.maxParticipants)
      throw new RangeError(`${name}: expected at most ${limits.maxParticipants} node ids`)
    this.uvarint(name, ids.length)
    for (const id of ids) this.string(name, id, MAX_NODE_ID_LENGTH * 3)
  }
  oneOf<T>(name: string, values: readonly T[], value: T): void {
    const index = values.indexOf(value)
    if (index < 0) throw new RangeError(`${name}: unknown value ${String(value)}`)
    this.u8(index)
  }
}

class Reader extends BinaryReader {
  string(what: string, max: number): string {
    return this.utf8(what, this.limit(what, this.uvarint(what), max))
  }
  nodeId(what: string): NodeId {
    const id = this.string(what, MAX_NODE_ID_LENGTH * 3)
    if (id.length === 0 || id.length > MAX_NODE_ID_LENGTH)
      throw new DecodeError(`${what}: expected 1 to ${MAX_NODE_ID_LENGTH} characters, got ${id.length}`)
    return id
  }
  nodeIds(what: string, limits: Limits): NodeId[] {
    const count = this.uvarint(what)
    if (count === 0 || count > limits.maxParticipants)
      throw new DecodeError(`${what}: expected 1 to ${limits.maxParticipants} node ids, got ${count}`)
    const ids: NodeId[] = []
    for (let i = 0; i < count; i++) {
      const id = this.nodeId(what)
      if (ids.includes(id)) throw new DecodeError(`${what}: "${id}" is listed twice`)
      ids.push(id)
    }
    return ids
  }
  oneOf<T>(what: string, values: readonly T[]): T {
    const index = this.u8(what)
    const value = values[index]
    if (value === undefined) throw new DecodeError(`${what}: unknown value ${index}`)
    return value
  }
  txId(limits: Limits): string {
    const id = this.string('txId', limits.maxTransactionIdBytes)
    if (id.length === 0) throw new DecodeError('txId: empty')
    return id
  }
  start(bytes: unknown, tags: readonly string[]): string {
    if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected a Uint8Array, got ${typeof bytes}`)
    const version = this.u8('version')
    if (version !== VERSION) throw new DecodeError(`version: expected ${VERSION}, got ${version}`)
    const tag = this.u8('kind')
    const kind = tags[tag]
    if (kind === undefined) throw new DecodeError(`kind: unknown tag ${tag}`)
    return kind
  }
  end(): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes`)
  }
}

function reader(bytes: unknown): Reader {
  return new Reader(bytes instanceof Uint8Array ? bytes : new Uint8Array(0))
}

/**
 * The binary codec of {@link TwoPhaseMessage}s, for transports that carry bytes.
 *
 * @throws {DecodeError} from `decode`, for any malformed, truncated or over-limit input
 * @example
 * ```ts
 * const codec = twoPhaseCodec()
 * const bytes = codec.encode({ kind: 'vote', txId: 't1', vote: 'yes' })
 * codec.decode(bytes) // { kind: 'vote', txId: 't1', vote: 'yes' }
 * ```
 */
export function twoPhaseCodec(options: TwoPhaseCodecOptions = {}): Codec<TwoPhaseMessage> {
  const limits = limitsOf(options, DEFAULT_LIMITS)
  return {
    encode(message) {
      const w = Writer.start(MESSAGE_TAGS, message.kind)
      w.string('txId', message.txId, limits.maxTransactionIdBytes)
      switch (message.kind) {
        case 'prepare':
          w.nodeIds('participants', message.participants, limits)
          if (message.payload.length > limits.maxPayloadBytes)
            throw new RangeError(
              `payload: expected at most ${limits.maxPayloadBytes} bytes, got ${message.payload.length}`,
            )
          w.uvarint('payload', message.payload.length)
          w.append('payload', message.payload)
          break
        case 'vote':
          w.oneOf('vote', VOTES, message.vote)
          break
        case 'decision':
          w.oneOf('decision', DECISIONS, message.decision)
          break
      }
      return w.finish()
    },
    decode(bytes) {
      const r = reader(bytes)
      const kind = r.start(bytes, MESSAGE_TAGS) as TwoPhaseMessage['kind']
      const txId = r.txId(limits)
      let message: TwoPhaseMessage
      switch (kind) {
        case 'prepare': {
          const participants = r.nodeIds('participants', limits)
          const payload = r.take('payload', r.limit('payload', r.uvarint('payload'), limits.maxPayloadBytes))
          message = { kind, txId, participants, payload }
          break
        }
        case 'vote':
          message = { kind, txId, vote: r.oneOf('vote', VOTES) }
          break
        case 'decision':
          message = { kind, txId, decision: r.oneOf('decision', DECISIONS) }
          break
        default:
          message = { kind, txId }
      }
      r.end()
      return message
    },
  }
}

/**
 * The binary codec of persisted {@link TwoPhaseRecord}s (one record per call;
 * storages frame them).
 *
 * @throws {DecodeError} from `decode`, for any malformed, truncated or over-limit input
 * @example
 * ```ts
 * const codec = recordCodec()
 * codec.decode(codec.encode({ kind: 'ended', txId: 't1' })) // { kind: 'ended', txId: 't1' }
 * ```
 */
export function recordCodec(options: TwoPhaseCodecOptions = {}): Codec<TwoPhaseRecord> {
  const limits = limitsOf(options, DEFAULT_LIMITS)
  return {
    encode(record) {
      const w = Writer.start(RECORD_TAGS, record.kind)
      if (record.kind === 'started') return w.finish()
      w.string('txId', record.txId, limits.maxTransactionIdBytes)
      if (record.kind === 'committing') w.nodeIds('participants', record.participants, limits)
      else if (record.kind === 'prepared') {
        w.string('coordinator', record.coordinator, MAX_NODE_ID_LENGTH * 3)
        w.nodeIds('participants', record.participants, limits)
      } else if (record.kind === 'decided') w.oneOf('decision', DECISIONS, record.decision)
      return w.finish()
    },
    decode(bytes) {
      const r = reader(bytes)
      const kind = r.start(bytes, RECORD_TAGS) as TwoPhaseRecord['kind']
      let record: TwoPhaseRecord
      if (kind === 'started') record = { kind }
      else {
        const txId = r.txId(limits)
        if (kind === 'committing') record = { kind, txId, participants: r.nodeIds('participants', limits) }
        else if (kind === 'prepared') {
          const coordinator = r.nodeId('coordinator')
          record = { kind, txId, coordinator, participants: r.nodeIds('participants', limits) }
        } else if (kind === 'decided') record = { kind, txId, decision: r.oneOf('decision', DECISIONS) }
        else record = { kind, txId }
      }
      r.end()
      return record
    },
  }
}
