import { DecodeError } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import { ClientSessions } from '../../src/index.js'

describe('ClientSessions', () => {
  it('applies a command once: a retry gets the cached response', () => {
    const sessions = new ClientSessions()
    expect(sessions.check('c1', 1)).toEqual({ status: 'new' })
    sessions.record('c1', 1, Uint8Array.of(42), 10)
    expect(sessions.check('c1', 1)).toEqual({ status: 'duplicate', response: Uint8Array.of(42) })
    expect(sessions.check('c1', 2)).toEqual({ status: 'new' })
    sessions.record('c1', 2, Uint8Array.of(43), 11)
    expect(sessions.check('c1', 1)).toEqual({ status: 'stale' })
  })

  it('evicts the least recently applied client; its later commands are expired', () => {
    const sessions = new ClientSessions({ maxSessions: 2 })
    sessions.record('a', 1, new Uint8Array(), 1)
    sessions.record('b', 1, new Uint8Array(), 2)
    sessions.record('a', 2, new Uint8Array(), 3)
    sessions.record('c', 1, new Uint8Array(), 4)
    expect(sessions.size).toBe(2)
    expect(sessions.check('b', 2)).toEqual({ status: 'expired' })
    expect(sessions.check('a', 2).status).toBe('duplicate')
  })

  it('round-trips through a snapshot with the same eviction order', () => {
    const sessions = new ClientSessions({ maxSessions: 3 })
    sessions.record('x', 1, Uint8Array.of(1), 5)
    sessions.record('y', 4, Uint8Array.of(2, 3), 6)
    const copy = ClientSessions.decode(sessions.encode(), { maxSessions: 3 })
    expect(copy.encode()).toEqual(sessions.encode())
    expect(copy.check('y', 4)).toEqual({ status: 'duplicate', response: Uint8Array.of(2, 3) })
  })

  it('rejects bad input', () => {
    const sessions = new ClientSessions()
    sessions.record('x', 1, Uint8Array.of(1), 5)
    expect(() => sessions.record('x', 1, Uint8Array.of(1), 6)).toThrow(
      'sequence: expected above 1 for client "x", got 1',
    )
    expect(() => sessions.check('x', 0)).toThrow('sequence: expected a positive integer, got 0')
    const bytes = sessions.encode()
    for (let cut = 0; cut < bytes.length; cut++)
      expect(() => ClientSessions.decode(bytes.subarray(0, cut))).toThrow(DecodeError)
    expect(() => ClientSessions.decode(Uint8Array.from([...bytes, 0]))).toThrow(
      'cannot decode message: client sessions: 1 trailing bytes',
    )
  })
})
