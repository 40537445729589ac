/** The binary codecs: round trips, and nothing but DecodeError for bad bytes. */
import { DecodeError, FrameTooLargeError } from '@synod/transport'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeGlobalSnapshot, encodeGlobalSnapshot, snapshotMessageCodec } from '../src/codec.js'
import type { FrameBody, GlobalSnapshot, SnapshotMessage } from '../src/core/types.js'

const codec = snapshotMessageCodec()
const id = fc.string({ minLength: 1, maxLength: 12 })
const bytes = fc.uint8Array({ maxLength: 24 })
const body: fc.Arbitrary<FrameBody> = fc.oneof(
  fc.record({ kind: fc.constant('app' as const), payload: bytes }),
  fc.record({ kind: fc.constant('marker' as const), initiator: id, snapshotId: id }),
  fc.record({
    kind: fc.constant('part' as const),
    snapshotId: id,
    overflowed: fc.boolean(),
    state: bytes,
    channels: fc.uniqueArray(fc.record({ from: id, messages: fc.array(bytes, { maxLength: 4 }) }), {
      maxLength: 4,
      selector: (c) => c.from,
    }),
  }),
)
const message: fc.Arbitrary<SnapshotMessage> = fc.oneof(
  fc.record({ kind: fc.constant('ack' as const), ack: fc.nat() }),
  fc.record({
    kind: fc.constant('frames' as const),
    ack: fc.nat(),
    frames: fc.array(fc.record({ seq: fc.integer({ min: 1 }), body }), { minLength: 1, maxLength: 5 }),
  }),
)
const snapshot: fc.Arbitrary<GlobalSnapshot> = fc
  .uniqueArray(id, { minLength: 1, maxLength: 4 })
  .chain((ids) =>
    fc.record({
      initiator: fc.constantFrom(...ids),
      id,
      states: fc
        .tuple(...ids.map(() => bytes))
        .map((states) => new Map(ids.map((p, i) => [p, states[i] as Uint8Array]))),
      channels: fc.tuple(
        ...ids.flatMap((from) =>
          ids
            .filter((to) => to !== from)
            .map((to) => fc.array(bytes, { maxLength: 3 }).map((messages) => ({ from, to, messages }))),
        ),
      ),
    }),
  )

/** Runs `decode` and returns what it threw, failing on anything but DecodeError. */
function decodeFailure(decode: () => unknown): DecodeError | undefined {
  try {
    decode()
    return undefined
  } catch (error) {
    if (!DecodeError.isInstance(error)) throw error
    return error
  }
}

describe('wire message codec', () => {
  it('round-trips every message', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(codec.decode(codec.encode(m))).toEqual(m)
      }),
      { numRuns: 500 },
    )
  })

  it('random bytes only ever throw DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        decodeFailure(() => codec.decode(input))
      }),
      { numRuns: 2_000 },
    )
  })

  it('every truncation and every one-byte change of a valid message decodes fully or throws DecodeError', () => {
    fc.assert(
      fc.property(message, fc.nat(), fc.integer({ min: 0, max: 255 }), (m, at, value) => {
        const encoded = codec.encode(m)
        for (let end = 0; end < encoded.length; end++)
          expect(decodeFailure(() => codec.decode(encoded.subarray(0, end)))).toBeInstanceOf(DecodeError)
        const changed = encoded.slice()
        changed[at % changed.length] = value
        decodeFailure(() => codec.decode(changed))
      }),
      { numRuns: 300 },
    )
  })

  it('names what is wrong', () => {
    const valid = codec.encode({
      kind: 'frames',
      ack: 1,
      frames: [{ seq: 2, body: { kind: 'app', payload: Uint8Array.of(9) } }],
    })
    const cases: [Uint8Array, string][] = [
      [Uint8Array.of(), 'cannot decode message: truncated input: version needs 1 bytes at offset 0'],
      [Uint8Array.of(2, 2, 0), 'cannot decode message: unsupported version 2'],
      [Uint8Array.of(1, 9, 0), 'cannot decode message: kind: unknown 9'],
      [Uint8Array.of(1, 2, 0, 0), 'cannot decode message: 1 trailing bytes'],
      [Uint8Array.of(1, 1, 0, 0), 'cannot decode message: frames: 0 is outside [1, 4096]'],
      [Uint8Array.of(1, 1, 0, 1, 0, 1, 0), 'cannot decode message: seq: 0 is not a sequence number'],
      [Uint8Array.of(1, 1, 0, 1, 1, 7), 'cannot decode message: body kind: unknown 7'],
      [Uint8Array.of(1, 1, 0, 0xff, 0x7f), 'cannot decode message: frames: 16383 is outside [1, 4096]'],
      [Uint8Array.of(1, 1, 0, 9, 1), 'cannot decode message: frames: 9 items cannot fit in 1 bytes'],
      [Uint8Array.of(1, 1, 0, 1, 1, 2, 0, 1, 0x61), 'cannot decode message: initiator: empty'],
      [
        Uint8Array.of(1, 1, 0, 1, 1, 1, 5, 1),
        'cannot decode message: truncated input: payload needs 5 bytes at offset 7',
      ],
      [Uint8Array.of(1, 1, 0, 1, 1, 2, 1, 0xff, 1, 0x61), 'cannot decode message: initiator: invalid UTF-8'],
      [Uint8Array.of(1, 2, 0x80, 0), 'cannot decode message: ack: non-canonical varint'],
      [
        valid.subarray(0, valid.length - 1),
        'cannot decode message: truncated input: payload needs 1 bytes at offset 7',
      ],
    ]
    for (const [input, text] of cases)
      expect(() => codec.decode(input), text).toThrow(
        new DecodeError(text.replace('cannot decode message: ', '')),
      )
    expect(() => codec.decode('x' as never)).toThrow(new DecodeError('expected Uint8Array, got "x"'))
  })

  it('enforces maxBytes both ways', () => {
    const small = snapshotMessageCodec({ maxBytes: 8 })
    const big: SnapshotMessage = {
      kind: 'frames',
      ack: 0,
      frames: [{ seq: 1, body: { kind: 'app', payload: new Uint8Array(16) } }],
    }
    expect(() => small.encode(big)).toThrow(FrameTooLargeError)
    expect(() => small.decode(codec.encode(big))).toThrow(new DecodeError('23 bytes exceeds the limit of 8'))
    expect(() => snapshotMessageCodec({ maxBytes: 0 })).toThrow(
      new RangeError('maxBytes: expected an integer in [1, 2147483648], got 0'),
    )
  })
})

describe('global snapshot codec', () => {
  it('round-trips every snapshot', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        expect(decodeGlobalSnapshot(encodeGlobalSnapshot(s))).toEqual(s)
      }),
      { numRuns: 300 },
    )
  })

  it('random bytes, truncations and changed bytes only ever throw DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        const withMagic = Uint8Array.of(0x53, 0x59, 0x4e, 0x53, 1, ...input)
        decodeFailure(() => decodeGlobalSnapshot(input))
        decodeFailure(() => decodeGlobalSnapshot(withMagic))
      }),
      { numRuns: 2_000 },
    )
    fc.assert(
      fc.property(snapshot, fc.nat(), fc.integer({ min: 0, max: 255 }), (s, at, value) => {
        const encoded = encodeGlobalSnapshot(s)
        for (let end = 0; end < encoded.length; end++)
          expect(decodeFailure(() => decodeGlobalSnapshot(encoded.subarray(0, end)))).toBeInstanceOf(
            DecodeError,
          )
        const changed = encoded.slice()
        changed[at % changed.length] = value
        decodeFailure(() => decodeGlobalSnapshot(changed))
      }),
      { numRuns: 100 },
    )
  })

  it('refuses inconsistent snapshots with a reason', () => {
    const two: GlobalSnapshot = {
      initiator: 'a',
      id: 's',
      states: new Map([
        ['a', Uint8Array.of(1)],
        ['b', Uint8Array.of(2)],
      ]),
      channels: [
        { from: 'a', to: 'b', messages: [] },
        { from: 'b', to: 'a', messages: [Uint8Array.of(3)] },
      ],
    }
    const reason = (s: GlobalSnapshot) =>
      decodeFailure(() => decodeGlobalSnapshot(encodeGlobalSnapshot(s)))?.message
    expect(reason({ ...two, channels: two.channels.slice(0, 1) })).toBe(
      'cannot decode message: channels: expected 2 for 2 processes, got 1',
    )
    expect(reason({ ...two, channels: [two.channels[0], two.channels[0]] as never })).toBe(
      'cannot decode message: channel "a" -> "b" twice',
    )
    expect(
      reason({ ...two, channels: [two.channels[0], { from: 'a', to: 'a', messages: [] }] as never }),
    ).toBe('cannot decode message: channel "a" -> "a" does not join two distinct processes')
    expect(reason({ ...two, initiator: 'z' })).toBe('cannot decode message: initiator "z" is not a process')
    expect(decodeFailure(() => decodeGlobalSnapshot(Uint8Array.of(1, 2, 3, 4)))?.message).toBe(
      'cannot decode message: not a snapshot: bad magic',
    )
    expect(() => decodeGlobalSnapshot(encodeGlobalSnapshot(two), { maxBytes: 4 })).toThrow(DecodeError)
    expect(() => encodeGlobalSnapshot({ ...two, states: {} as never })).toThrow(
      new TypeError('snapshot.states: expected a Map, got object'),
    )
  })
})
