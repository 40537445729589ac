/**
 * Strict binary encodings of the wire messages and of a global snapshot, on
 * `BinaryWriter`/`BinaryReader` from `@synod/transport`. Decoding is a trust
 * boundary: malformed, truncated, oversized or trailing input throws
 * `DecodeError` and never returns a half-built value. Decoded byte strings are
 * private copies.
 *
 * Layout (varints are canonical unsigned LEB128; `bytes` and `string` are a
 * varint length then the bytes, strings in strict UTF-8):
 *
 * - message: `u8 version=1`, `u8 kind` (1 frames, 2 ack), `varint ack`, then for
 *   frames `varint count ≥ 1` and per frame `varint seq ≥ 1`, `u8 body` —
 *   1 app: `bytes payload`; 2 marker: `string initiator`, `string snapshotId`;
 *   3 part: `string snapshotId`, `u8 overflowed`, `bytes state`, `varint channels`,
 *   per channel `string from`, `varint count`, `count × bytes`.
 * - snapshot: `"SYNS"`, `u8 version=1`, `string initiator`, `string id`,
 *   `varint processes ≥ 1`, per process `string id`, `bytes state`; then
 *   `varint channels` (exactly one per ordered pair), per channel `string from`,
 *   `string to`, `varint count`, `count × bytes`.
 */
import { BinaryReader, BinaryWriter, type Codec, DecodeError, FrameTooLargeError } from '@synod/transport'
import { MAX_ID_BYTES, MAX_MEMBERS } from './core/snapshot-core.js'
import type { ChannelState, Frame, FrameBody, GlobalSnapshot, SnapshotMessage } from './core/types.js'
import { boundedString, describe, integerOption } from './validate.js'

const VERSION = 1
const MAGIC = [0x53, 0x59, 0x4e, 0x53] // "SYNS"
const MAX_FRAMES = 4_096
const encoder = new TextEncoder()

/**
 * Options of {@link snapshotMessageCodec} and {@link decodeGlobalSnapshot}.
 *
 * @example
 * ```ts
 * const options: SnapshotCodecOptions = { maxBytes: 8 << 20 }
 * ```
 */
export interface SnapshotCodecOptions {
  /** The largest encoding accepted (and produced), in bytes (default 64 MiB). */
  maxBytes?: number
}

function maxBytesOf(options: SnapshotCodecOptions | undefined): number {
  return integerOption('maxBytes', options?.maxBytes, 64 << 20, [1, 2 ** 31])
}

class Writer extends BinaryWriter {
  blob(name: string, data: Uint8Array): void {
    this.uvarint(`${name} length`, data.length)
    this.append(name, data)
  }
  text(name: string, value: string): void {
    this.blob(name, encoder.encode(boundedString(name, value, MAX_ID_BYTES)))
  }
  blobs(name: string, list: readonly Uint8Array[]): void {
    if (!Array.isArray(list)) throw new TypeError(`${name}: expected an array, got ${describe(list)}`)
    this.uvarint(`${name} count`, list.length)
    for (const data of list) this.blob(name, data)
  }
}

class Reader extends BinaryReader {
  blob(what: string): Uint8Array {
    return this.take(what, this.uvarint(`${what} length`))
  }
  text(what: string): string {
    const length = this.limit(what, this.uvarint(`${what} length`), MAX_ID_BYTES)
    if (length === 0) throw new DecodeError(`${what}: empty`)
    return this.utf8(what, length)
  }
  /** A count of items that take at least one byte each: bounded by what is left and by `max`. */
  count(what: string, min: number, max: number): number {
    const count = this.uvarint(what)
    if (count < min || count > max) throw new DecodeError(`${what}: ${count} is outside [${min}, ${max}]`)
    if (count > this.remaining)
      throw new DecodeError(`${what}: ${count} items cannot fit in ${this.remaining} bytes`)
    return count
  }
  blobs(what: string): Uint8Array[] {
    const count = this.count(`${what} count`, 0, Number.MAX_SAFE_INTEGER)
    const list: Uint8Array[] = []
    for (let i = 0; i < count; i++) list.push(this.blob(what))
    return list
  }
  end(): void {
    if (this.remaining > 0) throw new DecodeError(`${this.remaining} trailing bytes`)
  }
}

function writeBody(w: Writer, body: FrameBody): void {
  switch (body.kind) {
    case 'app':
      w.u8(1)
      w.blob('payload', body.payload)
      return
    case 'marker':
      w.u8(2)
      w.text('initiator', body.initiator)
      w.text('snapshotId', body.snapshotId)
      return
    case 'part':
      w.u8(3)
      w.text('snapshotId', body.snapshotId)
      w.bool(body.overflowed)
      w.blob('state', body.state)
      w.uvarint('channels', body.channels.length)
      for (const channel of body.channels) {
        w.text('from', channel.from)
        w.blobs('messages', channel.messages)
      }
      return
    default:
      throw new TypeError(
        `body.kind: expected "app", "marker" or "part", got ${describe((body as { kind?: unknown }).kind)}`,
      )
  }
}

function readBody(r: Reader): FrameBody {
  const kind = r.u8('body kind')
  if (kind === 1) return { kind: 'app', payload: r.blob('payload') }
  if (kind === 2) return { kind: 'marker', initiator: r.text('initiator'), snapshotId: r.text('snapshotId') }
  if (kind !== 3) throw new DecodeError(`body kind: unknown ${kind}`)
  const snapshotId = r.text('snapshotId')
  const overflowed = r.bool('overflowed')
  const state = r.blob('state')
  const count = r.count('channels', 0, MAX_MEMBERS)
  const channels: { from: string; messages: Uint8Array[] }[] = []
  const seen = new Set<string>()
  for (let i = 0; i < count; i++) {
    const from = r.text('from')
    if (seen.has(from)) throw new DecodeError(`part: channel from "${from}" twice`)
    seen.add(from)
    channels.push({ from, messages: r.blobs('message') })
  }
  return { kind: 'part', snapshotId, overflowed, state, channels }
}

/**
 * The binary codec of {@link SnapshotMessage}, for transports that carry bytes.
 *
 * @throws {RangeError} for a bad `maxBytes`
 * @example
 * ```ts
 * const codec = snapshotMessageCodec()
 * const bytes = codec.encode({ kind: 'ack', ack: 3 })
 * codec.decode(bytes) // { kind: 'ack', ack: 3 }
 * ```
 */
export function snapshotMessageCodec(options?: SnapshotCodecOptions): Codec<SnapshotMessage> {
  const maxBytes = maxBytesOf(options)
  return {
    encode(message) {
      const w = new Writer()
      w.u8(VERSION)
      if (message.kind === 'ack') {
        w.u8(2)
        w.uvarint('ack', message.ack)
      } else if (message.kind === 'frames') {
        w.u8(1)
        w.uvarint('ack', message.ack)
        if (
          !Array.isArray(message.frames) ||
          message.frames.length === 0 ||
          message.frames.length > MAX_FRAMES
        )
          throw new RangeError(`frames: expected 1 to ${MAX_FRAMES} frames, got ${describe(message.frames)}`)
        w.uvarint('frames', message.frames.length)
        for (const frame of message.frames) {
          if (!Number.isSafeInteger(frame.seq) || frame.seq < 1)
            throw new RangeError(`seq: expected a positive integer, got ${describe(frame.seq)}`)
          w.uvarint('seq', frame.seq)
          writeBody(w, frame.body)
        }
      } else
        throw new TypeError(
          `kind: expected "frames" or "ack", got ${describe((message as { kind?: unknown }).kind)}`,
        )
      if (w.length > maxBytes) throw new FrameTooLargeError(w.length, maxBytes)
      return w.finish()
    },
    decode(bytes) {
      if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected Uint8Array, got ${describe(bytes)}`)
      if (bytes.length > maxBytes)
        throw new DecodeError(`${bytes.length} bytes exceeds the limit of ${maxBytes}`)
      const r = new Reader(bytes)
      const version = r.u8('version')
      if (version !== VERSION) throw new DecodeError(`unsupported version ${version}`)
      const kind = r.u8('kind')
      const ack = r.uvarint('ack')
      let message: SnapshotMessage
      if (kind === 2) message = { kind: 'ack', ack }
      else if (kind === 1) {
        const count = r.count('frames', 1, MAX_FRAMES)
        const frames: Frame[] = []
        for (let i = 0; i < count; i++) {
          const seq = r.uvarint('seq')
          if (seq === 0) throw new DecodeError('seq: 0 is not a sequence number')
          frames.push({ seq, body: readBody(r) })
        }
        message = { kind: 'frames', ack, frames }
      } else throw new DecodeError(`kind: unknown ${kind}`)
      r.end()
      return message
    },
  }
}

/**
 * Serializes a global snapshot whose states and messages are bytes (to store it or ship it).
 *
 * @throws {TypeError} / {RangeError} for a malformed snapshot
 * @example
 * ```ts
 * const bytes = encodeGlobalSnapshot(snapshot)
 * decodeGlobalSnapshot(bytes) // an equal snapshot
 * ```
 */
export function encodeGlobalSnapshot(snapshot: GlobalSnapshot): Uint8Array {
  if (typeof snapshot !== 'object' || snapshot === null)
    throw new TypeError(`snapshot: expected an object, got ${describe(snapshot)}`)
  if (!(snapshot.states instanceof Map))
    throw new TypeError(`snapshot.states: expected a Map, got ${describe(snapshot.states)}`)
  if (!Array.isArray(snapshot.channels))
    throw new TypeError(`snapshot.channels: expected an array, got ${describe(snapshot.channels)}`)
  const w = new Writer()
  for (const byte of MAGIC) w.u8(byte)
  w.u8(VERSION)
  w.text('initiator', snapshot.initiator)
  w.text('id', snapshot.id)
  w.uvarint('processes', snapshot.states.size)
  for (const [process, state] of snapshot.states) {
    w.text('process', process)
    w.blob('state', state)
  }
  w.uvarint('channels', snapshot.channels.length)
  for (const channel of snapshot.channels) {
    w.text('from', channel.from)
    w.text('to', channel.to)
    w.blobs('messages', channel.messages)
  }
  return w.finish()
}

/**
 * Reads a snapshot written by {@link encodeGlobalSnapshot}, checking that the
 * initiator is a process, ids are distinct and there is exactly one channel
 * per ordered pair of distinct processes.
 *
 * @throws {DecodeError} for malformed, truncated, oversized or inconsistent input
 * @example
 * ```ts
 * const snapshot = decodeGlobalSnapshot(await readFile('snapshot.bin'))
 * ```
 */
export function decodeGlobalSnapshot(bytes: Uint8Array, options?: SnapshotCodecOptions): GlobalSnapshot {
  const maxBytes = maxBytesOf(options)
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected Uint8Array, got ${describe(bytes)}`)
  if (bytes.length > maxBytes) throw new DecodeError(`${bytes.length} bytes exceeds the limit of ${maxBytes}`)
  const r = new Reader(bytes)
  for (const byte of MAGIC) if (r.u8('magic') !== byte) throw new DecodeError('not a snapshot: bad magic')
  const version = r.u8('version')
  if (version !== VERSION) throw new DecodeError(`unsupported snapshot version ${version}`)
  const initiator = r.text('initiator')
  const id = r.text('id')
  const processes = r.count('processes', 1, MAX_MEMBERS)
  const states = new Map<string, Uint8Array>()
  for (let i = 0; i < processes; i++) {
    const process = r.text('process')
    if (states.has(process)) throw new DecodeError(`process "${process}" twice`)
    states.set(process, r.blob('state'))
  }
  if (!states.has(initiator)) throw new DecodeError(`initiator "${initiator}" is not a process`)
  const expected = processes * (processes - 1)
  const count = r.uvarint('channels')
  if (count !== expected)
    throw new DecodeError(`channels: expected ${expected} for ${processes} processes, got ${count}`)
  const channels: ChannelState[] = []
  const pairs = new Set<string>()
  for (let i = 0; i < count; i++) {
    const from = r.text('from')
    const to = r.text('to')
    if (!states.has(from) || !states.has(to) || from === to)
      throw new DecodeError(`channel "${from}" -> "${to}" does not join two distinct processes`)
    const pair = `${from}\u0000${to}`
    if (pairs.has(pair)) throw new DecodeError(`channel "${from}" -> "${to}" twice`)
    pairs.add(pair)
    channels.push({ from, to, messages: r.blobs('message') })
  }
  r.end()
  return { initiator, id, states, channels }
}
