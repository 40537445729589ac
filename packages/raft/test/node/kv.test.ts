import { DecodeError } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import {
  decodeKvCommand,
  encodeKvCommand,
  KV_LIMITS,
  type KvCommand,
  KvStateMachine,
} from '../../src/index.js'

describe('kv command codec', () => {
  const commands: KvCommand[] = [
    { type: 'put', key: 'x', value: '1' },
    { type: 'put', key: '', value: '' },
    { type: 'put', key: 'ключ ✓', value: 'värde 🎉' },
    { type: 'delete', key: 'x' },
    { type: 'cas', key: 'x', from: null, to: 'a' },
    { type: 'cas', key: 'x', from: '', to: 'b' },
  ]
  it('round-trips every command, with and without a session', () => {
    for (const command of commands) {
      expect(decodeKvCommand(encodeKvCommand(command))).toEqual({ command, session: null })
      const session = { clientId: 'client-1', sequence: 2 ** 40 }
      expect(decodeKvCommand(encodeKvCommand(command, session))).toEqual({ command, session })
    }
  })

  it('refuses bad inputs to encode with exact messages', () => {
    const bad: [unknown, unknown, string][] = [
      [null, undefined, 'command: expected an object, got null'],
      [{ type: 'get', key: 'x' }, undefined, `command.type: expected 'put', 'delete' or 'cas', got "get"`],
      [{ type: 'put', key: 1, value: 'v' }, undefined, 'command.key: expected a string, got number'],
      [
        { type: 'put', key: 'k', value: 'v' },
        { clientId: 'c', sequence: 0 },
        'session.sequence: expected a positive integer, got 0',
      ],
      [
        { type: 'put', key: 'k', value: 'v' },
        { clientId: 'c', sequence: 1.5 },
        'session.sequence: expected a positive integer, got 1.5',
      ],
      [
        { type: 'put', key: 'k'.repeat(KV_LIMITS.maxKeyBytes + 1), value: 'v' },
        undefined,
        `command.key: expected at most ${KV_LIMITS.maxKeyBytes} UTF-8 bytes, got ${KV_LIMITS.maxKeyBytes + 1}`,
      ],
      [
        { type: 'put', key: 'k', value: 'v' },
        { clientId: 'c'.repeat(257), sequence: 1 },
        'session.clientId: expected at most 256 UTF-8 bytes, got 257',
      ],
    ]
    for (const [command, session, message] of bad)
      expect(() => encodeKvCommand(command as KvCommand, session as never)).toThrow(message)
  })

  it('decodes strictly: truncations, trailing bytes, unknown versions, operations and flags, bad UTF-8', () => {
    const good = encodeKvCommand(
      { type: 'cas', key: 'key', from: 'old', to: 'new' },
      { clientId: 'c', sequence: 300 },
    )
    for (let cut = 0; cut < good.length; cut++) {
      expect(() => decodeKvCommand(good.subarray(0, cut))).toThrow(DecodeError)
    }
    const cases: [Uint8Array, string][] = [
      [Uint8Array.of(...good, 0), 'kv command: 1 trailing bytes'],
      [Uint8Array.of(9, 1, 0), 'kv command: unknown version 9'],
      [Uint8Array.of(1, 7, 0), 'kv command: unknown operation 7'],
      [Uint8Array.of(1, 1, 8), 'kv command: unknown flags 8'],
      [Uint8Array.of(1, 1, 2, 0, 0), 'kv command: flag "from" on an operation that is not cas'],
      [Uint8Array.of(1, 2, 0, 1, 0xff), 'kv command: key is not valid UTF-8'],
      [Uint8Array.of(1, 2, 0, 0x81, 0x00), 'kv command: non-canonical varint'],
      [Uint8Array.of(1, 2, 1, 1, 0x63, 0), 'kv command: sequence 0'],
      [
        Uint8Array.of(1, 2, 0, 0xff, 0xff, 0x03),
        `kv command: key of ${0xffff} bytes exceeds the limit of ${KV_LIMITS.maxKeyBytes}`,
      ],
    ]
    for (const [bytes, message] of cases) expect(() => decodeKvCommand(bytes)).toThrow(message)
    expect(() => decodeKvCommand('x' as never)).toThrow('kv command: expected Uint8Array, got string')
  })
})

describe('KvStateMachine', () => {
  it('puts, deletes and compares-and-sets', () => {
    const kv = new KvStateMachine()
    expect(kv.apply(encodeKvCommand({ type: 'put', key: 'x', value: '1' }), 1)).toEqual({
      ok: true,
      previous: null,
    })
    expect(kv.apply(encodeKvCommand({ type: 'cas', key: 'x', from: '2', to: '3' }), 2)).toEqual({
      ok: false,
      reason: 'precondition-failed',
      current: '1',
    })
    expect(kv.apply(encodeKvCommand({ type: 'cas', key: 'x', from: '1', to: '3' }), 3)).toEqual({
      ok: true,
      previous: '1',
    })
    expect(kv.apply(encodeKvCommand({ type: 'cas', key: 'y', from: null, to: 'new' }), 4)).toEqual({
      ok: true,
      previous: null,
    })
    expect(kv.apply(encodeKvCommand({ type: 'delete', key: 'x' }), 5)).toEqual({ ok: true, previous: '3' })
    expect(kv.apply(encodeKvCommand({ type: 'delete', key: 'x' }), 6)).toEqual({
      ok: false,
      reason: 'key-does-not-exist',
      current: null,
    })
    expect(kv.apply(Uint8Array.of(1, 2), 7)).toEqual({ ok: false, reason: 'invalid-command' })
    expect(kv.get('x')).toBeNull()
    expect(kv.get('y')).toBe('new')
    expect(kv.appliedIndex).toBe(7)
  })

  it('applies a session command once, and refuses stale and expired sequences', () => {
    const kv = new KvStateMachine({ maxSessions: 1 })
    const first = encodeKvCommand({ type: 'put', key: 'x', value: 'a' }, { clientId: 'c1', sequence: 1 })
    expect(kv.apply(first, 1)).toEqual({ ok: true, previous: null })
    expect(kv.apply(first, 2)).toEqual({ ok: true, previous: null })
    expect(
      kv.apply(encodeKvCommand({ type: 'put', key: 'x', value: 'b' }, { clientId: 'c1', sequence: 2 }), 3),
    ).toEqual({
      ok: true,
      previous: 'a',
    })
    expect(kv.apply(first, 4)).toEqual({ ok: false, reason: 'session-stale' })
    kv.apply(encodeKvCommand({ type: 'put', key: 'z', value: '1' }, { clientId: 'c2', sequence: 1 }), 5) // evicts c1
    expect(
      kv.apply(encodeKvCommand({ type: 'put', key: 'x', value: 'c' }, { clientId: 'c1', sequence: 3 }), 6),
    ).toEqual({
      ok: false,
      reason: 'session-expired',
    })
    expect(kv.get('x')).toBe('b')
  })

  it('snapshots keys and sessions, restores them, and refuses corrupt snapshots whole', () => {
    const kv = new KvStateMachine()
    const retry = encodeKvCommand({ type: 'put', key: 'b', value: '2' }, { clientId: 'c', sequence: 1 })
    kv.apply(encodeKvCommand({ type: 'put', key: 'a', value: '1' }), 1)
    kv.apply(retry, 2)
    const bytes = kv.snapshot()
    const copy = new KvStateMachine()
    copy.restore(bytes)
    expect(copy.entries()).toEqual([
      ['a', '1'],
      ['b', '2'],
    ])
    expect(copy.appliedIndex).toBe(2)
    expect(copy.apply(retry, 3)).toEqual({ ok: true, previous: null }) // the dedupe table came along
    expect(copy.snapshot()).not.toEqual(bytes) // index moved on
    for (let cut = 0; cut < bytes.length; cut++)
      expect(() => copy.restore(bytes.subarray(0, cut))).toThrow(DecodeError)
    expect(() => copy.restore(Uint8Array.of(...bytes, 0))).toThrow('kv snapshot: 1 trailing bytes')
    expect(copy.get('a')).toBe('1') // unchanged by the failed restores
  })
})
