/** The binary message codec: round trips for every type, and a table of bad inputs. */

import { DecodeError, FrameTooLargeError } from '@synod/transport'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { membership, RAFT_MESSAGE_TYPES, type RaftMessage, raftMessageCodec } from '../../src/index.js'
import { enc, entry } from './helpers.js'

const base = { from: 'node-a', to: 'node-b', term: 7 }
const meta = { index: 10, term: 3, membership: membership(['a', 'b'], ['l']), sizeBytes: 100 }

const samples: RaftMessage[] = [
  { type: 'request-vote', ...base, lastLogIndex: 5, lastLogTerm: 4, transfer: false },
  { type: 'request-vote-response', ...base, granted: true },
  { type: 'pre-vote', ...base, lastLogIndex: 2 ** 53 - 1, lastLogTerm: 0, transfer: true },
  { type: 'pre-vote-response', ...base, granted: false },
  {
    type: 'append-entries',
    ...base,
    prevLogIndex: 4,
    prevLogTerm: 2,
    entries: [entry(5, 7, 'x'), { index: 6, term: 7, kind: 'noop', data: new Uint8Array() }],
    commit: 3,
  },
  {
    type: 'append-entries-response',
    ...base,
    success: false,
    matchIndex: 0,
    rejectIndex: 9,
    conflictTerm: 2,
    conflictIndex: 4,
  },
  { type: 'heartbeat', ...base, commit: 9, round: 300 },
  { type: 'heartbeat-response', ...base, round: 300 },
  { type: 'install-snapshot', ...base, meta, offset: 40, data: enc('chunk') },
  {
    type: 'install-snapshot-response',
    ...base,
    snapshotIndex: 10,
    nextOffset: 45,
    done: false,
    matchIndex: 0,
  },
  { type: 'timeout-now', ...base },
  { type: 'read-index', ...base, requestId: 'réq-1' },
  { type: 'read-index-response', ...base, requestId: 'réq-1', index: 12, success: true },
]

describe('raftMessageCodec', () => {
  const codec = raftMessageCodec()

  it('round-trips one message of every type', () => {
    expect(new Set(samples.map((m) => m.type))).toEqual(new Set(RAFT_MESSAGE_TYPES))
    for (const message of samples) expect(codec.decode(codec.encode(message))).toEqual(message)
  })

  it('decoded data does not change when the caller reuses its buffer', () => {
    for (const message of samples) {
      const bytes = codec.encode(message)
      const decoded = codec.decode(bytes)
      bytes.fill(0xee)
      expect(decoded).toEqual(message)
    }
  })

  it('is canonical: decoding then encoding gives the same bytes', () => {
    for (const message of samples) {
      const bytes = codec.encode(message)
      expect(codec.encode(codec.decode(bytes))).toEqual(bytes)
    }
  })

  it('round-trips random append messages (property)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.nat({ max: 1000 }),
        fc.array(
          fc.tuple(fc.nat({ max: 1000 }), fc.constantFrom('normal', 'config', 'noop'), fc.uint8Array()),
          {
            maxLength: 20,
          },
        ),
        (prev, term, list) => {
          const message: RaftMessage = {
            type: 'append-entries',
            ...base,
            prevLogIndex: prev,
            prevLogTerm: term,
            commit: prev,
            entries: list.map(([t, kind, data], i) => ({
              index: prev + 1 + i,
              term: t,
              kind: kind as 'normal',
              data,
            })),
          }
          expect(codec.decode(codec.encode(message))).toEqual(message)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('every truncation of every message is a DecodeError', () => {
    for (const message of samples) {
      const bytes = codec.encode(message)
      for (let cut = 0; cut < bytes.length; cut++) {
        expect(() => codec.decode(bytes.subarray(0, cut))).toThrow(DecodeError)
      }
    }
  })

  it('rejects bad inputs with typed errors and exact reasons', () => {
    const vote = codec.encode(samples[0]!)
    const table: [string, Uint8Array, string][] = [
      ['trailing byte', Uint8Array.from([...vote, 0]), 'cannot decode message: 1 trailing bytes'],
      ['version', Uint8Array.from([9, ...vote.subarray(1)]), 'cannot decode message: unknown version 9'],
      [
        'tag',
        Uint8Array.from([1, 200, ...vote.subarray(2)]),
        'cannot decode message: unknown message type tag 200',
      ],
      ['empty from', Uint8Array.from([1, 0, 0]), 'cannot decode message: from: empty node id'],
      ['bad utf-8', Uint8Array.from([1, 0, 1, 0xff]), 'cannot decode message: from: invalid UTF-8'],
      [
        'non-canonical varint',
        Uint8Array.from([1, 10, 1, 97, 1, 98, 0x80, 0x00]),
        'cannot decode message: term: non-canonical varint',
      ],
      [
        'varint too long',
        Uint8Array.from([1, 10, 1, 97, 1, 98, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1]),
        'cannot decode message: term: varint too long',
      ],
      [
        'boolean not 0/1',
        Uint8Array.from([1, 1, 1, 97, 1, 98, 1, 2]),
        'cannot decode message: granted: expected 0 or 1, got 2',
      ],
      ['not bytes', 'x' as unknown as Uint8Array, 'cannot decode message: expected Uint8Array, got string'],
    ]
    for (const [, bytes, message] of table) {
      expect(() => codec.decode(bytes)).toThrow(DecodeError)
      expect(() => codec.decode(bytes)).toThrow(message)
    }
  })

  it('rejects entries that do not follow prevLogIndex, and chunks past the snapshot size', () => {
    const bad = codec.encode({
      ...(samples[4] as Extract<RaftMessage, { type: 'append-entries' }>),
      prevLogIndex: 1,
    })
    // re-encode with a broken index by hand: prevLogIndex 1 but entries start at 5
    expect(() => codec.decode(bad)).toThrow('cannot decode message: entry 0: index 5 does not follow 1')
    const chunk = codec.encode({ type: 'install-snapshot', ...base, meta, offset: 98, data: enc('xyz') })
    expect(() => codec.decode(chunk)).toThrow(
      'cannot decode message: chunk [98, 101) exceeds the snapshot size 100',
    )
  })

  it('enforces size limits on both sides', () => {
    const small = raftMessageCodec({ maxMessageBytes: 32 })
    const big: RaftMessage = {
      type: 'install-snapshot',
      ...base,
      meta: { ...meta, sizeBytes: 1000 },
      offset: 0,
      data: new Uint8Array(100),
    }
    expect(() => small.encode(big)).toThrow(FrameTooLargeError)
    expect(() => small.decode(codec.encode(big))).toThrow(/exceeds the limit of 32/)
    const fewEntries = raftMessageCodec({ maxEntries: 1 })
    expect(() => fewEntries.decode(codec.encode(samples[4]!))).toThrow(
      'cannot decode message: 2 entries exceeds the limit of 1',
    )
    expect(() => raftMessageCodec({ maxEntries: 0 })).toThrow(
      'maxEntries: expected a positive integer, got 0',
    )
  })

  it('refuses to encode invalid node ids or numbers', () => {
    expect(() => codec.encode({ type: 'timeout-now', from: '', to: 'b', term: 1 })).toThrow(
      'from: expected a node id of 1 to 256 characters, got ""',
    )
    expect(() => codec.encode({ type: 'timeout-now', from: 'a', to: 'b', term: -1 })).toThrow(
      'term: expected a non-negative safe integer, got -1',
    )
  })

  it('never throws anything but DecodeError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          codec.decode(Uint8Array.from([1, ...bytes]))
        } catch (error) {
          expect(DecodeError.isInstance(error)).toBe(true)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
