/**
 * `KvStateMachine`: a replicated string map with put, delete and compare-and-set,
 * exactly-once client sessions, and snapshots that include the session table.
 */
import { DecodeError } from '@synod/transport'
import { ClientSessions } from '../core/client-sessions.js'
import type { StateMachine } from '../node/raft-node.js'
import { ByteReader, ByteWriter, decodeKvCommand, KV_LIMITS, type KvCommand } from './codec.js'

/**
 * What applying a command returns (the value `RaftNode.propose` resolves with).
 *
 * - `{ ok: true, previous }`: applied; `previous` is the value before (null: absent).
 * - `precondition-failed`: a cas whose `from` did not match `current`.
 * - `key-does-not-exist`: a delete of an absent key.
 * - `invalid-command`: the entry was not a valid command (nothing changed).
 * - `session-stale` / `session-expired`: a command older than the client's
 *   latest, or from a session evicted from the table (nothing changed: start a new client id).
 *
 * @example
 * ```ts
 * const result = (await leader.propose(encodeKvCommand({ type: 'cas', key: 'x', from: '1', to: '2' }))) as KvResult
 * if (!result.ok && result.reason === 'precondition-failed') console.log('x is', result.current)
 * ```
 */
export type KvResult =
  | { ok: true; previous?: string | null }
  | { ok: false; reason: 'precondition-failed' | 'key-does-not-exist'; current: string | null }
  | { ok: false; reason: 'invalid-command' | 'session-stale' | 'session-expired' }

/**
 * Options of {@link KvStateMachine}.
 * @example
 * ```ts
 * new KvStateMachine({ maxSessions: 1_000 })
 * ```
 */
export interface KvStateMachineOptions {
  /** Client sessions remembered (least recently used evicted). Default 10,000. */
  maxSessions?: number
}

const SNAPSHOT_VERSION = 1
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function encodeResult(result: KvResult): Uint8Array {
  return encoder.encode(JSON.stringify(result))
}

function decodeResult(bytes: Uint8Array): KvResult {
  return JSON.parse(decoder.decode(bytes)) as KvResult
}

/**
 * A key-value `StateMachine` for `RaftNode`. Commands come from
 * `encodeKvCommand`; a command with a session `(clientId, sequence)` already
 * applied returns the cached result instead of applying again. Read it with
 * `get` after `node.read()` for a linearizable read.
 *
 * @example
 * ```ts
 * const kv = new KvStateMachine()
 * const node = await RaftNode.start({ id: 'a', members: ['a'], transport, storage: new MemoryStorage(), stateMachine: kv })
 * await node.propose(encodeKvCommand({ type: 'put', key: 'x', value: '1' }, { clientId: 'c', sequence: 1 }))
 * await node.read()
 * kv.get('x') // '1'
 * ```
 */
export class KvStateMachine implements StateMachine {
  private data = new Map<string, string>()
  private sessions: ClientSessions
  private readonly maxSessions: number
  private lastIndex = 0

  constructor(options: KvStateMachineOptions = {}) {
    this.sessions = new ClientSessions(
      options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions },
    )
    this.maxSessions = this.sessions.maxSessions
  }

  /**
   * The local value of `key`, or null. Linearizable only after `await node.read()`.
   * @example
   * ```ts
   * kv.get('x') // '1'
   * ```
   */
  get(key: string): string | null {
    return this.data.get(key) ?? null
  }

  /** How many keys are stored. */
  get size(): number {
    return this.data.size
  }

  /** The log index last applied (or restored from a snapshot). */
  get appliedIndex(): number {
    return this.lastIndex
  }

  /**
   * A copy of every key and value, sorted by key.
   * @example
   * ```ts
   * kv.entries() // [['x', '1']]
   * ```
   */
  entries(): [string, string][] {
    return [...this.data.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  }

  /**
   * Applies one committed command (called by `RaftNode`).
   * @example
   * ```ts
   * kv.apply(encodeKvCommand({ type: 'put', key: 'x', value: '1' }), 1) // { ok: true, previous: null }
   * ```
   */
  apply(command: Uint8Array, index: number): KvResult {
    this.lastIndex = index
    let decoded: ReturnType<typeof decodeKvCommand>
    try {
      decoded = decodeKvCommand(command)
    } catch (error) {
      if (DecodeError.isInstance(error)) return { ok: false, reason: 'invalid-command' }
      throw error
    }
    const session = decoded.session
    if (session === null) return this.execute(decoded.command)
    const check = this.sessions.check(session.clientId, session.sequence)
    if (check.status === 'duplicate') return decodeResult(check.response)
    if (check.status === 'stale') return { ok: false, reason: 'session-stale' }
    if (check.status === 'expired') return { ok: false, reason: 'session-expired' }
    const result = this.execute(decoded.command)
    this.sessions.record(session.clientId, session.sequence, encodeResult(result), index)
    return result
  }

  private execute(command: KvCommand): KvResult {
    const current = this.data.get(command.key) ?? null
    switch (command.type) {
      case 'put':
        this.data.set(command.key, command.value)
        return { ok: true, previous: current }
      case 'delete':
        if (current === null) return { ok: false, reason: 'key-does-not-exist', current: null }
        this.data.delete(command.key)
        return { ok: true, previous: current }
      case 'cas':
        if (current !== command.from) return { ok: false, reason: 'precondition-failed', current }
        this.data.set(command.key, command.to)
        return { ok: true, previous: current }
    }
  }

  /**
   * The whole state (keys sorted, then the session table) as bytes.
   * @example
   * ```ts
   * other.restore(kv.snapshot())
   * ```
   */
  snapshot(): Uint8Array {
    const out = new ByteWriter()
    out.u8(SNAPSHOT_VERSION)
    out.uint(this.lastIndex)
    out.raw(this.sessions.encode())
    const entries = this.entries()
    out.uint(entries.length)
    for (const [key, value] of entries) {
      out.raw(encoder.encode(key))
      out.raw(encoder.encode(value))
    }
    return out.finish()
  }

  /**
   * Replaces the state with a snapshot's bytes (all or nothing).
   * @throws {DecodeError} for malformed bytes (the state is left unchanged)
   * @example
   * ```ts
   * kv.restore(other.snapshot())
   * ```
   */
  restore(data: Uint8Array): void {
    const r = new ByteReader(data, 'kv snapshot')
    const version = r.u8()
    if (version !== SNAPSHOT_VERSION) r.fail(`unknown version ${version}`)
    const lastIndex = r.uint()
    const sessions = ClientSessions.decode(r.raw(Number.MAX_SAFE_INTEGER, 'session table'), {
      maxSessions: this.maxSessions,
    })
    const count = r.uint()
    const map = new Map<string, string>()
    let previous: string | null = null
    for (let i = 0; i < count; i++) {
      const key = r.string(KV_LIMITS.maxKeyBytes, 'key')
      const value = r.string(KV_LIMITS.maxValueBytes, 'value')
      if (previous !== null && key <= previous) r.fail('keys out of order')
      previous = key
      map.set(key, value)
    }
    r.end()
    this.data = map
    this.sessions = sessions
    this.lastIndex = lastIndex
  }
}
