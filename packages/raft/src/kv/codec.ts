/**
 * The binary codec of key-value commands: a version byte, the operation, an
 * optional client session, then length-prefixed UTF-8 strings. Decoding is
 * strict (a trust boundary): truncated, oversized, non-canonical or trailing
 * bytes throw `DecodeError`, never a half-built command.
 */
import { DecodeError } from '@synod/transport'

/**
 * A key-value command. `cas` writes `to` only when the key's value is `from`
 * (`from: null` means "the key does not exist").
 * @example
 * ```ts
 * const commands: KvCommand[] = [
 *   { type: 'put', key: 'x', value: '1' },
 *   { type: 'cas', key: 'x', from: '1', to: '2' },
 *   { type: 'delete', key: 'x' },
 * ]
 * ```
 */
export type KvCommand =
  | { type: 'put'; key: string; value: string }
  | { type: 'delete'; key: string }
  | { type: 'cas'; key: string; from: string | null; to: string }

/**
 * A client session: each client numbers its commands 1, 2, 3, ... (one
 * outstanding at a time) and a retried command is applied once.
 * @example
 * ```ts
 * const session: KvSession = { clientId: 'client-7', sequence: 1 }
 * ```
 */
export interface KvSession {
  clientId: string
  sequence: number
}

/**
 * A decoded command and its session (null when sent without one).
 * @example
 * ```ts
 * const { command, session } = decodeKvCommand(bytes)
 * ```
 */
export interface DecodedKvCommand {
  command: KvCommand
  session: KvSession | null
}

/**
 * Size limits of the codec, in UTF-8 bytes.
 * @example
 * ```ts
 * encodeKvCommand({ type: 'put', key: 'k', value: 'v'.repeat(KV_LIMITS.maxValueBytes + 1) }) // throws RangeError
 * ```
 */
export const KV_LIMITS = Object.freeze({
  maxKeyBytes: 4096,
  maxValueBytes: 1024 * 1024,
  maxClientIdBytes: 256,
})

const VERSION = 1
const OP_PUT = 1
const OP_DELETE = 2
const OP_CAS = 3
const FLAG_SESSION = 1
const FLAG_FROM = 2

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** @internal A growable byte buffer with varints and strings. */
export class ByteWriter {
  private bytes = new Uint8Array(64)
  length = 0

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra))
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
  }

  u8(value: number): void {
    this.reserve(1)
    this.bytes[this.length++] = value
  }

  uint(value: number): void {
    let v = value
    while (v >= 0x80) {
      this.u8((v % 0x80) | 0x80)
      v = Math.floor(v / 0x80)
    }
    this.u8(v)
  }

  raw(data: Uint8Array): void {
    this.uint(data.length)
    this.reserve(data.length)
    this.bytes.set(data, this.length)
    this.length += data.length
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length)
  }
}

/** @internal A strict reader; every error is a `DecodeError` prefixed with `what`. */
export class ByteReader {
  offset = 0
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  fail(reason: string): never {
    throw new DecodeError(`${this.what}: ${reason}`)
  }

  u8(): number {
    if (this.offset >= this.bytes.length) this.fail('truncated')
    return this.bytes[this.offset++] as number
  }

  uint(): number {
    let result = 0
    let multiplier = 1
    for (let i = 0; ; i++) {
      const b = this.u8()
      result += (b & 0x7f) * multiplier
      if (b < 0x80) {
        if (i > 0 && b === 0) this.fail('non-canonical varint')
        break
      }
      if (i >= 7) this.fail('varint too long')
      multiplier *= 0x80
    }
    if (result > Number.MAX_SAFE_INTEGER) this.fail('integer too large')
    return result
  }

  raw(maxBytes: number, field: string): Uint8Array {
    const length = this.uint()
    if (length > maxBytes) this.fail(`${field} of ${length} bytes exceeds the limit of ${maxBytes}`)
    if (length > this.bytes.length - this.offset) this.fail('truncated')
    const out = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return out
  }

  string(maxBytes: number, field: string): string {
    const data = this.raw(maxBytes, field)
    try {
      return decoder.decode(data)
    } catch {
      return this.fail(`${field} is not valid UTF-8`)
    }
  }

  end(): void {
    if (this.offset !== this.bytes.length) this.fail(`${this.bytes.length - this.offset} trailing bytes`)
  }
}

function encodeString(name: string, value: unknown, maxBytes: number): Uint8Array {
  if (typeof value !== 'string') throw new TypeError(`${name}: expected a string, got ${typeof value}`)
  const bytes = encoder.encode(value)
  if (bytes.length > maxBytes)
    throw new RangeError(`${name}: expected at most ${maxBytes} UTF-8 bytes, got ${bytes.length}`)
  return bytes
}

/**
 * Encodes a key-value command, with an optional client session (exactly-once retries).
 *
 * @throws {TypeError} for a wrong type (unknown command type, non-string key, ...)
 * @throws {RangeError} for a key, value or client id over `KV_LIMITS`, or a sequence that is not a positive integer
 * @example
 * ```ts
 * const bytes = encodeKvCommand({ type: 'put', key: 'x', value: '1' }, { clientId: 'c1', sequence: 1 })
 * await leader.propose(bytes)
 * ```
 */
export function encodeKvCommand(command: KvCommand, session?: KvSession): Uint8Array {
  if (typeof command !== 'object' || command === null)
    throw new TypeError(`command: expected an object, got ${command === null ? 'null' : typeof command}`)
  const type = (command as { type?: unknown }).type
  const op = type === 'put' ? OP_PUT : type === 'delete' ? OP_DELETE : type === 'cas' ? OP_CAS : 0
  if (op === 0)
    throw new TypeError(`command.type: expected 'put', 'delete' or 'cas', got ${JSON.stringify(type)}`)
  const key = encodeString('command.key', command.key, KV_LIMITS.maxKeyBytes)
  let flags = 0
  let clientId: Uint8Array | undefined
  if (session !== undefined) {
    if (typeof session !== 'object' || session === null)
      throw new TypeError(`session: expected an object, got ${session === null ? 'null' : typeof session}`)
    clientId = encodeString('session.clientId', session.clientId, KV_LIMITS.maxClientIdBytes)
    if (!Number.isSafeInteger(session.sequence) || session.sequence < 1)
      throw new RangeError(`session.sequence: expected a positive integer, got ${String(session.sequence)}`)
    flags |= FLAG_SESSION
  }
  if (command.type === 'cas' && command.from !== null) flags |= FLAG_FROM
  const out = new ByteWriter()
  out.u8(VERSION)
  out.u8(op)
  out.u8(flags)
  if (clientId !== undefined && session !== undefined) {
    out.raw(clientId)
    out.uint(session.sequence)
  }
  out.raw(key)
  if (command.type === 'put') out.raw(encodeString('command.value', command.value, KV_LIMITS.maxValueBytes))
  else if (command.type === 'cas') {
    if (command.from !== null) out.raw(encodeString('command.from', command.from, KV_LIMITS.maxValueBytes))
    out.raw(encodeString('command.to', command.to, KV_LIMITS.maxValueBytes))
  }
  return out.finish()
}

/**
 * Decodes bytes written by {@link encodeKvCommand}.
 *
 * @throws {DecodeError} for anything malformed: `kv command: truncated`, `kv command: unknown version 9`, ...
 * @example
 * ```ts
 * decodeKvCommand(encodeKvCommand({ type: 'delete', key: 'x' })) // { command: { type: 'delete', key: 'x' }, session: null }
 * ```
 */
export function decodeKvCommand(bytes: Uint8Array): DecodedKvCommand {
  if (!(bytes instanceof Uint8Array))
    throw new DecodeError(`kv command: expected Uint8Array, got ${typeof bytes}`)
  const r = new ByteReader(bytes, 'kv command')
  const version = r.u8()
  if (version !== VERSION) r.fail(`unknown version ${version}`)
  const op = r.u8()
  if (op !== OP_PUT && op !== OP_DELETE && op !== OP_CAS) r.fail(`unknown operation ${op}`)
  const flags = r.u8()
  if ((flags & ~(FLAG_SESSION | FLAG_FROM)) !== 0) r.fail(`unknown flags ${flags}`)
  if ((flags & FLAG_FROM) !== 0 && op !== OP_CAS) r.fail('flag "from" on an operation that is not cas')
  let session: KvSession | null = null
  if ((flags & FLAG_SESSION) !== 0) {
    const clientId = r.string(KV_LIMITS.maxClientIdBytes, 'client id')
    const sequence = r.uint()
    if (sequence < 1) r.fail('sequence 0')
    session = { clientId, sequence }
  }
  const key = r.string(KV_LIMITS.maxKeyBytes, 'key')
  let command: KvCommand
  if (op === OP_PUT) command = { type: 'put', key, value: r.string(KV_LIMITS.maxValueBytes, 'value') }
  else if (op === OP_DELETE) command = { type: 'delete', key }
  else {
    const from = (flags & FLAG_FROM) !== 0 ? r.string(KV_LIMITS.maxValueBytes, 'from') : null
    command = { type: 'cas', key, from, to: r.string(KV_LIMITS.maxValueBytes, 'to') }
  }
  r.end()
  return { command, session }
}
