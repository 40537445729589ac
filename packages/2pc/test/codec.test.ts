/** The binary codec: round trips, exact layouts, and only DecodeError for bad input. */
import { DecodeError } from '@synod/transport'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { recordCodec, twoPhaseCodec } from '../src/codec.js'
import type { TwoPhaseMessage, TwoPhaseRecord } from '../src/core/types.js'

const txId = fc
  .string({ minLength: 1, maxLength: 40 })
  .filter((s) => new TextEncoder().encode(s).length <= 128)
const nodeId = fc.string({ minLength: 1, maxLength: 20 })
const nodeIds = fc.uniqueArray(nodeId, { minLength: 1, maxLength: 8 })
const decision = fc.constantFrom('commit' as const, 'abort' as const)
const message: fc.Arbitrary<TwoPhaseMessage> = fc.oneof(
  fc.record({
    kind: fc.constant('prepare' as const),
    txId,
    participants: nodeIds,
    payload: fc.uint8Array({ maxLength: 64 }),
  }),
  fc.record({
    kind: fc.constant('vote' as const),
    txId,
    vote: fc.constantFrom('yes' as const, 'no' as const, 'read-only' as const),
  }),
  fc.record({ kind: fc.constant('decision' as const), txId, decision }),
  fc.record({ kind: fc.constant('ack' as const), txId }),
  fc.record({ kind: fc.constant('decision-request' as const), txId }),
)
const record: fc.Arbitrary<TwoPhaseRecord> = fc.oneof(
  fc.record({ kind: fc.constant('committing' as const), txId, participants: nodeIds }),
  fc.record({ kind: fc.constant('ended' as const), txId }),
  fc.constant({ kind: 'started' as const }),
  fc.record({ kind: fc.constant('prepared' as const), txId, coordinator: nodeId, participants: nodeIds }),
  fc.record({ kind: fc.constant('decided' as const), txId, decision }),
)

/** Decodes, expecting either a value or a DecodeError and nothing else. */
function onlyDecodeErrors<T>(decode: (bytes: Uint8Array) => T, bytes: Uint8Array): void {
  try {
    decode(bytes)
  } catch (error) {
    if (!DecodeError.isInstance(error)) throw error
  }
}

/** Encoding then decoding any value of `values` gives it back. */
function roundTrips<T>(
  codec: { encode(value: T): Uint8Array; decode(bytes: Uint8Array): T },
  values: fc.Arbitrary<T>,
) {
  fc.assert(
    fc.property(values, (value) => {
      expect(codec.decode(codec.encode(value))).toEqual(value)
    }),
    { numRuns: 500 },
  )
}

describe('twoPhaseCodec', () => {
  const codec = twoPhaseCodec()

  it('round-trips every message', () => roundTrips(codec, message))

  it('has a fixed layout: version, tag, txId, fields', () => {
    expect([...codec.encode({ kind: 'vote', txId: 't1', vote: 'read-only' })]).toEqual([
      1, 1, 2, 0x74, 0x31, 2,
    ])
    expect([
      ...codec.encode({ kind: 'prepare', txId: 't', participants: ['a'], payload: Uint8Array.of(9) }),
    ]).toEqual([1, 0, 1, 0x74, 1, 1, 0x61, 1, 9])
  })

  it('random bytes and mutated messages only ever throw DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => onlyDecodeErrors(codec.decode, bytes)),
      {
        numRuns: 2_000,
      },
    )
    fc.assert(
      fc.property(message, fc.nat(), fc.nat(255), (m, at, value) => {
        const bytes = codec.encode(m)
        bytes[at % bytes.length] = value
        onlyDecodeErrors(codec.decode, bytes)
        onlyDecodeErrors(codec.decode, bytes.subarray(0, at % bytes.length))
      }),
      { numRuns: 2_000 },
    )
  })

  it('refuses bad input with exact reasons', () => {
    const good = codec.encode({
      kind: 'prepare',
      txId: 't',
      participants: ['a', 'b'],
      payload: Uint8Array.of(1, 2),
    })
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(), 'cannot decode message: truncated input: version needs 1 bytes at offset 0'],
      [Uint8Array.of(2, 0), 'cannot decode message: version: expected 1, got 2'],
      [Uint8Array.of(1, 9), 'cannot decode message: kind: unknown tag 9'],
      [Uint8Array.of(1, 3, 0), 'cannot decode message: txId: empty'],
      [Uint8Array.of(1, 1, 1, 0x74, 3), 'cannot decode message: vote: unknown value 3'],
      [Uint8Array.of(1, 3, 1, 0x74, 0), 'cannot decode message: 1 trailing bytes'],
      [Uint8Array.of(1, 3, 1, 0xff), 'cannot decode message: txId: invalid UTF-8'],
      [Uint8Array.of(1, 3, 0x81, 0x01), 'cannot decode message: txId: 129 bytes exceeds the limit of 128'],
      [
        Uint8Array.of(1, 0, 1, 0x74, 2, 1, 0x61, 1, 0x61),
        'cannot decode message: participants: "a" is listed twice',
      ],
      [
        Uint8Array.of(1, 0, 1, 0x74, 0),
        'cannot decode message: participants: expected 1 to 64 node ids, got 0',
      ],
      [
        good.subarray(0, good.length - 1),
        `cannot decode message: truncated input: payload needs 2 bytes at offset ${good.length - 2}`,
      ],
      ['x' as never, 'cannot decode message: expected a Uint8Array, got string'],
    ]
    for (const [bytes, reason] of cases)
      expect(() => codec.decode(bytes)).toThrow(new DecodeError(reason.slice(23)))
    const small = twoPhaseCodec({ maxPayloadBytes: 1 })
    expect(() => small.decode(good)).toThrow('cannot decode message: payload: 2 bytes exceeds the limit of 1')
    expect(() => small.encode(codec.decode(good))).toThrow(
      new RangeError('payload: expected at most 1 bytes, got 2'),
    )
  })
})

describe('recordCodec', () => {
  const codec = recordCodec()

  it('round-trips every record', () => roundTrips(codec, record))

  it('random bytes only ever throw DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => onlyDecodeErrors(codec.decode, bytes)),
      {
        numRuns: 2_000,
      },
    )
    expect(() => codec.decode(Uint8Array.of(1, 2, 9))).toThrow('cannot decode message: 1 trailing bytes')
    expect(() => codec.decode(Uint8Array.of(1, 3, 1, 0x74, 0))).toThrow(
      'cannot decode message: coordinator: expected 1 to 256 characters, got 0',
    )
  })
})
