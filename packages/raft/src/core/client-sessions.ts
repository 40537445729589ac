/**
 * Client sessions (thesis §6.3): each client numbers its commands 1, 2, 3, ...
 * and the state machine remembers, per client, the last sequence number applied
 * and its response, so a retried command is applied once. Pure and deterministic:
 * every replica applying the same log holds the same table, which belongs in
 * snapshots (`encode` / `ClientSessions.decode`).
 *
 * Rules: one outstanding command per client; a new client starts at sequence 1;
 * the table keeps `maxSessions` clients, evicting the least recently applied. A
 * command from an unknown client with a sequence above 1 is `expired` (its session
 * was evicted): the client must start over with a new client id.
 */
import { DecodeError } from '@synod/transport'

/**
 * What to do with a command.
 * @example
 * ```ts
 * const check: SessionCheck = sessions.check('client-1', 3)
 * if (check.status === 'duplicate') reply(check.response)
 * ```
 */
export type SessionCheck =
  | { status: 'new' }
  | { status: 'duplicate'; response: Uint8Array }
  | { status: 'stale' }
  | { status: 'expired' }

interface Session {
  sequence: number
  index: number
  response: Uint8Array
}

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', { fatal: true })
const VERSION = 1

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name}: expected a positive integer, got ${value}`)
  return value
}

/**
 * The dedupe table of a replicated state machine.
 *
 * @example
 * ```ts
 * const sessions = new ClientSessions()
 * const check = sessions.check('client-1', 1)
 * if (check.status === 'new') sessions.record('client-1', 1, apply(command), entry.index)
 * else if (check.status === 'duplicate') reply(check.response)
 * ```
 */
export class ClientSessions {
  private readonly sessions = new Map<string, Session>()
  readonly maxSessions: number

  /** @throws {RangeError} when `maxSessions` is not a positive integer */
  constructor(options: { maxSessions?: number } = {}) {
    this.maxSessions = positive('maxSessions', options.maxSessions ?? 10_000)
  }

  /** How many clients the table holds. */
  get size(): number {
    return this.sessions.size
  }

  /**
   * Classifies command `sequence` of `clientId`.
   *
   * @throws {RangeError} when `sequence` is not a positive integer
   * @example
   * ```ts
   * sessions.check('c', 1) // { status: 'new' }
   * ```
   */
  check(clientId: string, sequence: number): SessionCheck {
    positive('sequence', sequence)
    const session = this.sessions.get(clientId)
    if (session === undefined) return sequence === 1 ? { status: 'new' } : { status: 'expired' }
    if (sequence === session.sequence) return { status: 'duplicate', response: session.response }
    if (sequence < session.sequence) return { status: 'stale' }
    return { status: 'new' }
  }

  /**
   * Records that command `sequence` of `clientId`, at log `index`, was applied with `response`.
   *
   * @throws {RangeError} when `sequence` does not move forward
   * @example
   * ```ts
   * sessions.record('c', 1, new Uint8Array([1]), 42)
   * ```
   */
  record(clientId: string, sequence: number, response: Uint8Array, index: number): void {
    positive('sequence', sequence)
    const session = this.sessions.get(clientId)
    if (session !== undefined && sequence <= session.sequence)
      throw new RangeError(
        `sequence: expected above ${session.sequence} for client "${clientId}", got ${sequence}`,
      )
    this.sessions.delete(clientId)
    this.sessions.set(clientId, { sequence, index, response })
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value as string
      this.sessions.delete(oldest)
    }
  }

  /**
   * Encodes the table for a snapshot (deterministic: least recently applied first).
   *
   * @example
   * ```ts
   * const copy = ClientSessions.decode(sessions.encode())
   * ```
   */
  encode(): Uint8Array {
    const parts: Uint8Array[] = []
    let size = 0
    const push = (part: Uint8Array) => {
      parts.push(part)
      size += part.length
    }
    const uint = (value: number) => {
      const out: number[] = []
      let v = value
      while (v >= 0x80) {
        out.push((v % 0x80) | 0x80)
        v = Math.floor(v / 0x80)
      }
      out.push(v)
      push(Uint8Array.from(out))
    }
    push(Uint8Array.of(VERSION))
    uint(this.sessions.size)
    for (const [clientId, session] of this.sessions) {
      const id = textEncoder.encode(clientId)
      uint(id.length)
      push(id)
      uint(session.sequence)
      uint(session.index)
      uint(session.response.length)
      push(session.response)
    }
    const out = new Uint8Array(size)
    let offset = 0
    for (const part of parts) {
      out.set(part, offset)
      offset += part.length
    }
    return out
  }

  /**
   * Decodes a table written by `encode`.
   *
   * @throws {DecodeError} for malformed bytes
   * @example
   * ```ts
   * ClientSessions.decode(new ClientSessions().encode()).size // 0
   * ```
   */
  static decode(bytes: Uint8Array, options: { maxSessions?: number } = {}): ClientSessions {
    if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected Uint8Array, got ${typeof bytes}`)
    const table = new ClientSessions(options)
    let offset = 0
    const u8 = (): number => {
      if (offset >= bytes.length) throw new DecodeError('client sessions: truncated')
      return bytes[offset++] as number
    }
    const uint = (): number => {
      let result = 0
      let multiplier = 1
      for (let i = 0; ; i++) {
        const b = u8()
        result += (b & 0x7f) * multiplier
        if (b < 0x80) {
          if (i > 0 && b === 0) throw new DecodeError('client sessions: non-canonical varint')
          break
        }
        if (i >= 7) throw new DecodeError('client sessions: varint too long')
        multiplier *= 0x80
      }
      if (result > Number.MAX_SAFE_INTEGER) throw new DecodeError('client sessions: integer too large')
      return result
    }
    const take = (length: number): Uint8Array => {
      if (length > bytes.length - offset) throw new DecodeError('client sessions: truncated')
      const part = bytes.slice(offset, offset + length)
      offset += length
      return part
    }
    const version = u8()
    if (version !== VERSION) throw new DecodeError(`client sessions: unknown version ${version}`)
    const count = uint()
    if (count > table.maxSessions)
      throw new DecodeError(`client sessions: ${count} sessions exceeds the limit of ${table.maxSessions}`)
    let lastIndex = -1
    for (let i = 0; i < count; i++) {
      let clientId: string
      try {
        clientId = textDecoder.decode(take(uint()))
      } catch (error) {
        if (DecodeError.isInstance(error)) throw error
        throw new DecodeError('client sessions: invalid UTF-8 client id')
      }
      const sequence = uint()
      const index = uint()
      const response = take(uint())
      if (sequence < 1) throw new DecodeError('client sessions: sequence 0')
      if (index <= lastIndex) throw new DecodeError('client sessions: indexes out of order')
      if (table.sessions.has(clientId))
        throw new DecodeError(`client sessions: duplicate client "${clientId}"`)
      lastIndex = index
      table.sessions.set(clientId, { sequence, index, response })
    }
    if (offset !== bytes.length)
      throw new DecodeError(`client sessions: ${bytes.length - offset} trailing bytes`)
    return table
  }
}
