import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  encodeFrame,
  encodeFrames,
  FrameDecoder,
  FrameTooLargeError,
  SynodError,
  TruncatedFrameError,
} from '../src/index.js'

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let start = 0
  for (const p of points) {
    chunks.push(bytes.subarray(start, p))
    start = p
  }
  chunks.push(bytes.subarray(start))
  return chunks
}

describe('framing', () => {
  it('encodes the length as 4 big-endian bytes', () => {
    expect([...encodeFrame(Uint8Array.of(7, 8))]).toEqual([0, 0, 0, 2, 7, 8])
    expect([...encodeFrame(new Uint8Array(0))]).toEqual([0, 0, 0, 0])
  })

  it('round-trips any payloads split into any chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (payloads, cuts) => {
          const wire = encodeFrames(payloads)
          const decoder = new FrameDecoder()
          const out = splitAt(wire, cuts).flatMap((chunk) => decoder.push(chunk))
          decoder.finish()
          expect(out.map((f) => [...f])).toEqual(payloads.map((p) => [...p]))
          expect(decoder.bufferedBytes).toBe(0)
        },
      ),
    )
  })

  it('returns frames that stay valid when the input buffer is reused', () => {
    const decoder = new FrameDecoder()
    const wire = encodeFrame(Uint8Array.of(1, 2, 3))
    const [frame] = decoder.push(wire)
    wire.fill(0)
    expect([...frame!]).toEqual([1, 2, 3])
  })

  it('refuses an oversized header before buffering its payload, and stays failed', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 16 })
    const header = Uint8Array.of(0, 0, 0, 17)
    expect(() => decoder.push(header)).toThrow(FrameTooLargeError)
    expect(() => decoder.push(header)).toThrow('frame of 17 bytes exceeds the limit of 16 bytes')
    expect(() => decoder.push(encodeFrame(Uint8Array.of(1)))).toThrow(FrameTooLargeError)
    expect(decoder.bufferedBytes).toBe(0)
  })

  it('refuses a 4 GiB header with the default limit', () => {
    const decoder = new FrameDecoder()
    let caught: unknown
    try {
      decoder.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2))
    } catch (error) {
      caught = error
    }
    expect(SynodError.isInstance(caught)).toBe(true)
    expect((caught as SynodError).code).toBe('ERR_FRAME_TOO_LARGE')
  })

  it('reports a stream that ends inside a header or a payload', () => {
    const inHeader = new FrameDecoder()
    inHeader.push(Uint8Array.of(0, 0))
    expect(() => inHeader.finish()).toThrow(TruncatedFrameError)
    const inPayload = new FrameDecoder()
    inPayload.push(Uint8Array.of(0, 0, 0, 9, 1, 2))
    expect(() => inPayload.finish()).toThrow('stream ended inside a frame: expected 13 bytes, received 6')
  })

  it('refuses oversized payloads on encode', () => {
    expect(() => encodeFrame(new Uint8Array(5), { maxFrameBytes: 4 })).toThrow(
      'frame of 5 bytes exceeds the limit of 4 bytes',
    )
  })

  it.each([
    [
      'a string payload',
      () => encodeFrame('abc' as unknown as Uint8Array),
      TypeError,
      'payloads[0]: expected Uint8Array, got string',
    ],
    [
      'a null chunk',
      () => new FrameDecoder().push(null as unknown as Uint8Array),
      TypeError,
      'chunk: expected Uint8Array, got null',
    ],
    [
      'a negative limit',
      () => new FrameDecoder({ maxFrameBytes: -1 }),
      RangeError,
      'maxFrameBytes: expected an integer from 0 to 4294967295, got -1',
    ],
    [
      'a NaN limit',
      () => encodeFrame(Uint8Array.of(1), { maxFrameBytes: Number.NaN }),
      RangeError,
      'got NaN',
    ],
  ])('refuses %s', (_, call, type, message) => {
    expect(call).toThrow(type)
    expect(call).toThrow(message)
  })
})
