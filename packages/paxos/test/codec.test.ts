/** The binary codec: round trips, an exact layout, and only DecodeError for bad input. */
import { DecodeError } from '@synod/transport'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { paxosMessageCodec, paxosRecordCodec } from '../src/codec.js'
import type { AcceptedEntry, PaxosMessage, PaxosRecord, PaxosValue, SlotValue } from '../src/core/types.js'

const limits = { maxBatchEntries: 8, maxCommandBytes: 64, maxBatchBytes: 256, maxSnapshotBytes: 32 }
const nodeId = fc.string({ minLength: 1, maxLength: 12 })
const ballot = fc.record({ round: fc.nat(), nodeId })
const slot = fc.integer({ min: 1, max: 2 ** 40 })
const value: fc.Arbitrary<PaxosValue> = fc.oneof(
  fc.constant({ kind: 'noop' as const }),
  fc.record({ kind: fc.constant('command' as const), data: fc.uint8Array({ maxLength: 24 }) }),
)
const slots = fc.uniqueArray(slot, { maxLength: 8 }).map((list) => list.sort((a, b) => a - b))
const slotValues: fc.Arbitrary<SlotValue[]> = slots.chain((list) =>
  fc.tuple(...list.map((s) => value.map((v) => ({ slot: s, value: v })))),
)
const acceptedEntries: fc.Arbitrary<AcceptedEntry[]> = slots.chain((list) =>
  fc.tuple(...list.map((s) => fc.record({ slot: fc.constant(s), ballot, value }))),
)
const message: fc.Arbitrary<PaxosMessage> = fc.oneof(
  fc.record({ type: fc.constant('prepare' as const), ballot, fromSlot: slot }),
  fc
    .record({
      ballot,
      fromSlot: slot,
      entries: acceptedEntries,
      next: fc.option(fc.nat()),
      chosenIndex: fc.nat(),
    })
    .map(({ ballot, fromSlot, entries, next, chosenIndex }) => ({
      type: 'promise' as const,
      ballot,
      fromSlot,
      entries,
      nextSlot: next === null ? null : fromSlot + 1 + next,
      chosenIndex,
      compactedSlot: chosenIndex,
    })),
  fc.record({ type: fc.constant('snapshot' as const), ballot, slot, data: fc.uint8Array({ maxLength: 32 }) }),
  fc.record({ type: fc.constant('accept' as const), ballot, entries: slotValues, commitIndex: fc.nat() }),
  fc.record({ type: fc.constant('learn' as const), ballot, entries: slotValues, commitIndex: fc.nat() }),
  fc.record({ type: fc.constant('accepted' as const), ballot, slots, chosenIndex: fc.nat() }),
  fc.record({ type: fc.constant('reject' as const), ballot, promised: ballot }),
)
const record: fc.Arbitrary<PaxosRecord> = fc.oneof(
  fc.record({ type: fc.constant('promise' as const), ballot }),
  fc.record({ type: fc.constant('accept' as const), entries: acceptedEntries }),
)

function onlyDecodeErrors<T>(decode: (bytes: Uint8Array) => T, bytes: Uint8Array): void {
  try {
    decode(bytes)
  } catch (error) {
    if (!DecodeError.isInstance(error)) throw error
  }
}

describe('paxosMessageCodec', () => {
  const codec = paxosMessageCodec(limits)

  it('round-trips every message', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(codec.decode(codec.encode(m))).toEqual(m)
      }),
      { numRuns: 1_000 },
    )
  })

  it('has a fixed layout: version, tag, ballot, fields', () => {
    expect([...codec.encode({ type: 'prepare', ballot: { round: 300, nodeId: 'a' }, fromSlot: 2 })]).toEqual([
      1, 0, 172, 2, 1, 0x61, 2,
    ])
    expect([
      ...codec.encode({
        type: 'accept',
        ballot: { round: 1, nodeId: 'b' },
        entries: [
          { slot: 1, value: { kind: 'command', data: Uint8Array.of(9) } },
          { slot: 2, value: { kind: 'noop' } },
        ],
        commitIndex: 0,
      }),
    ]).toEqual([1, 2, 1, 1, 0x62, 2, 1, 1, 1, 9, 2, 0, 0])
  })

  it('random bytes and mutated messages only ever throw DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => onlyDecodeErrors(codec.decode, bytes)),
      { numRuns: 3_000 },
    )
    fc.assert(
      fc.property(message, fc.nat(), fc.integer({ min: 0, max: 255 }), (m, at, byte) => {
        const bytes = codec.encode(m)
        const mutated = bytes.slice()
        mutated[at % bytes.length] = byte
        onlyDecodeErrors(codec.decode, mutated)
        onlyDecodeErrors(codec.decode, bytes.subarray(0, at % bytes.length)) // every truncation
      }),
      { numRuns: 2_000 },
    )
  })

  it('refuses malformed input with exact messages', () => {
    const ok = codec.encode({ type: 'prepare', ballot: { round: 1, nodeId: 'a' }, fromSlot: 1 })
    const cases: [unknown, string][] = [
      ['text', 'cannot decode message: expected a Uint8Array, got string'],
      [Uint8Array.of(2, 0), 'cannot decode message: version: expected 1, got 2'],
      [Uint8Array.of(1, 9), 'cannot decode message: type: unknown tag 9'],
      [Uint8Array.of(...ok, 0), 'cannot decode message: 1 trailing bytes'],
      [
        Uint8Array.of(1, 0, 1, 1, 0x61, 0),
        'cannot decode message: fromSlot: expected a slot of at least 1, got 0',
      ],
      [
        Uint8Array.of(1, 0, 1, 0),
        'cannot decode message: ballot.nodeId: expected 1 to 256 characters, got 0',
      ],
      [Uint8Array.of(1, 0, 1, 2, 0xff, 0xfe, 1), 'cannot decode message: ballot.nodeId: invalid UTF-8'],
      [
        Uint8Array.of(1, 2, 1, 1, 0x62, 9),
        'cannot decode message: entries: 9 entries exceeds the limit of 8',
      ],
      [
        Uint8Array.of(1, 2, 1, 1, 0x62, 2, 2, 0, 1, 0, 0),
        'cannot decode message: entries: slots out of order',
      ],
      [Uint8Array.of(1, 2, 1, 1, 0x62, 1, 1, 7, 0), 'cannot decode message: value.kind: unknown kind 7'],
      [
        Uint8Array.of(1, 2, 1, 1, 0x62, 1, 1, 1, 65),
        'cannot decode message: value.data: 65 bytes exceeds the limit of 64',
      ],
      [
        Uint8Array.of(1, 2, 1, 1, 0x62, 1, 1, 1, 5, 1),
        'cannot decode message: truncated input: value.data needs 5 bytes at offset 9',
      ],
      [
        Uint8Array.of(1, 1, 1, 1, 0x62, 3, 0, 3, 0),
        'cannot decode message: nextSlot: expected above fromSlot 3',
      ],
      [Uint8Array.of(1, 0, 0x80, 0), 'cannot decode message: ballot.round: non-canonical varint'],
    ]
    for (const [bytes, text] of cases) {
      expect(() => codec.decode(bytes as Uint8Array)).toThrow(
        new DecodeError(text.replace('cannot decode message: ', '')),
      )
      expect(() => codec.decode(bytes as Uint8Array)).toThrow(text)
    }
  })

  it('refuses to encode what it would refuse to decode', () => {
    const big = { kind: 'command' as const, data: new Uint8Array(65) }
    expect(() =>
      codec.encode({
        type: 'accept',
        ballot: { round: 1, nodeId: 'a' },
        entries: [{ slot: 1, value: big }],
        commitIndex: 0,
      }),
    ).toThrow(new RangeError('value.data: expected at most 64 bytes, got 65'))
    const many = Array.from({ length: 9 }, (_, i) => ({ slot: i + 1, value: { kind: 'noop' as const } }))
    expect(() =>
      codec.encode({ type: 'accept', ballot: { round: 1, nodeId: 'a' }, entries: many, commitIndex: 0 }),
    ).toThrow(new RangeError('entries: expected at most 8 entries, got 9'))
    expect(() => codec.encode({ type: 'prepare', ballot: { round: -1, nodeId: 'a' }, fromSlot: 1 })).toThrow(
      new RangeError('ballot.round: expected a non-negative safe integer, got -1'),
    )
  })
})

describe('paxosRecordCodec', () => {
  const codec = paxosRecordCodec(limits)
  it('round-trips every record', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(codec.decode(codec.encode(r))).toEqual(r)
      }),
      { numRuns: 1_000 },
    )
  })
  it('random bytes only ever throw DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => onlyDecodeErrors(codec.decode, bytes)),
      { numRuns: 3_000 },
    )
  })
})
