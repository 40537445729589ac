import { DecodeError } from '@synod/transport'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type Checkpoint,
  type ClientRequest,
  type Commit,
  decodeHardState,
  decodePbftMessage,
  decodeStateSnapshot,
  encodeHardState,
  encodePbftMessage,
  encodeStateSnapshot,
  type NewView,
  type PbftMessage,
  type PrePrepare,
  type Prepare,
  pbftCodec,
  signingBytes,
  type ViewChange,
} from '../src/index.js'
import { Cluster } from './helpers.js'

const bytes = (max = 40) => fc.uint8Array({ maxLength: max })
const u64 = fc.nat({ max: Number.MAX_SAFE_INTEGER })
const replica = fc.nat({ max: 65535 })
const id = fc.string({ minLength: 1, maxLength: 20 })

const request = fc.record({
  kind: fc.constant('request' as const),
  client: id,
  publicKey: bytes(),
  timestamp: u64,
  readOnly: fc.boolean(),
  operation: bytes(),
  signature: bytes(),
}) satisfies fc.Arbitrary<ClientRequest>
/** The fields a pre-prepare, a prepare and a commit start with. */
const voteHeader = { view: u64, sequence: u64, digest: bytes(), replica }
const prePrepare = fc.record({
  kind: fc.constant('pre-prepare' as const),
  ...voteHeader,
  batch: fc.array(request, { maxLength: 3 }),
  signature: bytes(),
}) satisfies fc.Arbitrary<PrePrepare>
const prepare = fc.record({
  kind: fc.constant('prepare' as const),
  ...voteHeader,
  prePrepareSignature: bytes(),
  signature: bytes(),
}) satisfies fc.Arbitrary<Prepare>
const commit = fc.record({
  kind: fc.constant('commit' as const),
  ...voteHeader,
  signature: bytes(),
}) satisfies fc.Arbitrary<Commit>
const checkpoint = fc.record({
  kind: fc.constant('checkpoint' as const),
  sequence: u64,
  stateDigest: bytes(),
  replica,
  signature: bytes(),
}) satisfies fc.Arbitrary<Checkpoint>
const viewChange = fc.record({
  kind: fc.constant('view-change' as const),
  view: u64,
  checkpointSequence: u64,
  checkpointProof: fc.array(checkpoint, { maxLength: 3 }),
  prepared: fc.array(fc.record({ prePrepare, prepares: fc.array(prepare, { maxLength: 3 }) }), {
    maxLength: 2,
  }),
  replica,
  signature: bytes(),
}) satisfies fc.Arbitrary<ViewChange>
const message: fc.Arbitrary<PbftMessage> = fc.oneof(
  request,
  fc.record({
    kind: fc.constant('reply' as const),
    view: u64,
    client: id,
    timestamp: u64,
    replica,
    readOnly: fc.boolean(),
    result: bytes(),
    position: fc.constant(0),
    leaves: fc.integer({ min: 1, max: 1_000 }),
    proof: fc.array(bytes(32), { maxLength: 4 }),
    signature: bytes(),
  }),
  prePrepare,
  prepare,
  commit,
  checkpoint,
  viewChange,
  fc.record({
    kind: fc.constant('new-view' as const),
    view: u64,
    viewChanges: fc.array(viewChange, { maxLength: 2 }),
    prePrepares: fc.array(prePrepare, { maxLength: 2 }),
    replica,
    signature: bytes(),
  }) satisfies fc.Arbitrary<NewView>,
  fc.record({ kind: fc.constant('fetch-state' as const), fromSequence: u64, replica, signature: bytes() }),
  fc.record({
    kind: fc.constant('state' as const),
    checkpoint: fc.option(fc.record({ proof: fc.array(checkpoint, { maxLength: 3 }), snapshot: bytes() }), {
      nil: undefined,
    }),
    entries: fc.array(fc.record({ prePrepare, commits: fc.array(commit, { maxLength: 3 }) }), {
      maxLength: 2,
    }),
    replica,
    signature: bytes(),
  }),
)

/** A property of a decoder: it returns, or throws a `DecodeError`, and never anything else. */
const throwsOnlyDecodeError =
  (decode: (input: Uint8Array) => unknown) =>
  (input: Uint8Array): void => {
    try {
      decode(input)
    } catch (error) {
      expect(DecodeError.isInstance(error)).toBe(true)
    }
  }
const expectOnlyDecodeError = throwsOnlyDecodeError((input) => decodePbftMessage(input))

describe('canonical binary codec', () => {
  it('round-trips random messages, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(message, (m) => {
        const encoded = encodePbftMessage(m)
        const decoded = decodePbftMessage(encoded)
        expect(decoded).toEqual(m)
        expect(encodePbftMessage(decoded)).toEqual(encoded)
      }),
      { numRuns: 500 },
    )
  })

  it('random bytes never throw anything but DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), expectOnlyDecodeError), { numRuns: 3000 })
    // and random bytes behind every valid tag
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.uint8Array({ maxLength: 200 }), (tag, rest) =>
        expectOnlyDecodeError(Uint8Array.of(tag, ...rest)),
      ),
      { numRuns: 3000 },
    )
  })

  it('every truncation, every extension and every byte flip of a valid encoding is rejected or decodes cleanly', () => {
    fc.assert(
      fc.property(message, fc.nat(), fc.nat({ max: 255 }), (m, position, value) => {
        const encoded = encodePbftMessage(m)
        const cut = position % encoded.length
        expect(() => decodePbftMessage(encoded.subarray(0, cut))).toThrow(DecodeError)
        expect(() => decodePbftMessage(Uint8Array.of(...encoded, 0))).toThrow(/trailing bytes/)
        const mutated = encoded.slice()
        mutated[cut] = value
        expectOnlyDecodeError(mutated)
      }),
      { numRuns: 500 },
    )
  })

  it.each([
    ['an empty input', new Uint8Array(0), 'truncated input'],
    ['an unknown tag', Uint8Array.of(99), 'unknown message tag 99'],
    [
      'a count larger than the input can hold',
      Uint8Array.of(3, ...new Array(16).fill(0), 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff),
      'count',
    ],
    ['a u64 above 2^53 - 1', Uint8Array.of(9, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0), 'exceeds 2^53 - 1'],
    [
      'a boolean that is not 0 or 1',
      Uint8Array.of(1, 0, 1, 0x61, 0, 0, 0, 0, ...new Array(8).fill(0), 2),
      'expected boolean 0 or 1',
    ],
    ['an empty client id', Uint8Array.of(1, 0, 0), 'expected 1 to 256 bytes'],
    ['invalid UTF-8', Uint8Array.of(1, 0, 1, 0xff), 'invalid UTF-8'],
  ])('rejects %s with an exact reason', (_name, input, reason) => {
    expect(() => decodePbftMessage(input)).toThrow(DecodeError)
    expect(() => decodePbftMessage(input)).toThrow(reason)
  })

  it('rejects a nested message of the wrong kind', () => {
    const vc: ViewChange = {
      kind: 'view-change',
      view: 1,
      checkpointSequence: 0,
      checkpointProof: [],
      prepared: [],
      replica: 0,
      signature: new Uint8Array(2),
    }
    const nv = encodePbftMessage({
      kind: 'new-view',
      view: 1,
      viewChanges: [vc],
      prePrepares: [],
      replica: 1,
      signature: new Uint8Array(1),
    })
    // the view-change's tag is right after the count (1 + 8 + 4 bytes): make it a checkpoint tag
    nv[13] = 6
    expect(() => decodePbftMessage(nv)).toThrow('expected a nested view-change message, got checkpoint')
  })

  it('enforces the size limit and rejects non-bytes', () => {
    const codec = pbftCodec({ maxMessageBytes: 64 })
    const big: Commit = {
      kind: 'commit',
      view: 0,
      sequence: 1,
      digest: new Uint8Array(100),
      replica: 0,
      signature: new Uint8Array(1),
    }
    expect(() => codec.encode(big)).toThrow('exceeds the limit of 64 bytes')
    expect(() => codec.decode(encodePbftMessage(big))).toThrow(DecodeError)
    expect(() => decodePbftMessage('nope' as unknown as Uint8Array)).toThrow(
      'expected Uint8Array, got string',
    )
    expect(() => pbftCodec({ maxMessageBytes: 0 })).toThrow(
      'maxMessageBytes: expected a positive integer, got 0',
    )
  })

  it('encodes with exact errors for bad fields', () => {
    const commit: Commit = {
      kind: 'commit',
      view: -1,
      sequence: 1,
      digest: new Uint8Array(1),
      replica: 0,
      signature: new Uint8Array(1),
    }
    expect(() => encodePbftMessage(commit)).toThrow('view: expected a non-negative safe integer, got -1')
    expect(() => encodePbftMessage({ ...commit, view: 0, replica: 70000 })).toThrow(
      'replica: expected an integer in [0, 65535], got 70000',
    )
  })

  it('signs a pre-prepare over its header only, and domain-separates every signature', () => {
    const pp: PrePrepare = {
      kind: 'pre-prepare',
      view: 1,
      sequence: 2,
      digest: new Uint8Array(3),
      replica: 1,
      batch: [],
      signature: new Uint8Array(0),
    }
    const withBatch = {
      ...pp,
      batch: [
        {
          kind: 'request',
          client: 'c',
          publicKey: new Uint8Array(1),
          timestamp: 1,
          readOnly: false,
          operation: new Uint8Array(1),
          signature: new Uint8Array(1),
        },
      ],
    } as PrePrepare
    expect(signingBytes(pp)).toEqual(signingBytes(withBatch))
    expect(new TextDecoder().decode(signingBytes(pp).subarray(0, 12))).toBe('synod-pbft/1')
    const commit: Commit = {
      kind: 'commit',
      view: 1,
      sequence: 2,
      digest: new Uint8Array(3),
      replica: 1,
      signature: new Uint8Array(0),
    }
    const prepareLike = { ...commit, kind: 'prepare', prePrepareSignature: new Uint8Array(0) } as Prepare
    expect(signingBytes(commit)).not.toEqual(signingBytes(prepareLike))
  })

  it('round-trips state snapshots and rejects unsorted or trailing ones', () => {
    const snapshot = encodeStateSnapshot(Uint8Array.of(1, 2), [
      { client: 'b', timestamp: 2, result: Uint8Array.of(3) },
      { client: 'a', timestamp: 1, result: Uint8Array.of(4) },
    ])
    expect(decodeStateSnapshot(snapshot).clients.map((c) => c.client)).toEqual(['a', 'b'])
    expect(() => decodeStateSnapshot(Uint8Array.of(...snapshot, 0))).toThrow('trailing bytes')
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), throwsOnlyDecodeError(decodeStateSnapshot)))
  })
})

describe('hard state encoding', () => {
  it('round-trips a real replica hard state and rejects every truncation and random bytes', () => {
    const cluster = new Cluster({ clients: 2 })
    for (let round = 0; round < 5; round++) {
      cluster.submit(0, `a${round}`)
      cluster.submit(1, `b${round}`)
      cluster.runUntil(() => cluster.clients.every((c) => c.outstanding === undefined), 200)
    }
    const state = cluster.hardStates[1]!
    expect(state.stableCheckpoint).toBeDefined()
    expect(state.votes.length).toBeGreaterThan(0)
    const bytes = encodeHardState(state)
    expect(decodeHardState(bytes)).toEqual(state)
    for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 200)))
      expect(() => decodeHardState(bytes.subarray(0, cut))).toThrow(DecodeError)
    expect(() => decodeHardState(Uint8Array.of(...bytes, 1))).toThrow('trailing bytes after a hard state')
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), throwsOnlyDecodeError(decodeHardState)))
  })
})
