import { describe, expect, it } from 'vitest'
import { bytesCodec, DecodeError, FrameTooLargeError, jsonCodec } from '../src/index.js'

const utf8 = (text: string) => new TextEncoder().encode(text)

describe('jsonCodec', () => {
  const codec = jsonCodec<{ n: number }>({
    maxBytes: 64,
    validate(value) {
      const v = value as { n?: unknown }
      if (typeof v !== 'object' || v === null || typeof v.n !== 'number')
        throw new Error('expected { n: number }')
      return { n: v.n }
    },
  })

  it('round-trips', () => {
    expect(codec.decode(codec.encode({ n: 42 }))).toEqual({ n: 42 })
  })

  it.each([
    ['truncated JSON', utf8('{"n":'), 'cannot decode message: invalid JSON'],
    ['invalid UTF-8', Uint8Array.of(0xff, 0xfe), 'cannot decode message: invalid JSON'],
    ['a value the validator refuses', utf8('{"n":"x"}'), 'cannot decode message: expected { n: number }'],
    [
      'an oversized payload',
      utf8(`{"n":${'1'.repeat(80)}}`),
      'cannot decode message: 86 bytes exceeds the limit of 64',
    ],
    ['not bytes', 'text' as unknown as Uint8Array, 'cannot decode message: expected Uint8Array, got string'],
  ])('refuses %s with DecodeError', (_, bytes, message) => {
    expect(() => codec.decode(bytes)).toThrow(DecodeError)
    expect(() => codec.decode(bytes)).toThrow(message)
  })

  it('refuses to encode a message over the limit', () => {
    expect(() => codec.encode({ n: 1e300, pad: 'x'.repeat(100) } as { n: number })).toThrow(
      FrameTooLargeError,
    )
  })

  it('refuses a bad limit', () => {
    expect(() => jsonCodec({ maxBytes: 0 })).toThrow('maxBytes: expected a positive integer, got 0')
  })
})

describe('bytesCodec', () => {
  it('copies on decode', () => {
    const bytes = Uint8Array.of(1, 2, 3)
    const decoded = bytesCodec().decode(bytes)
    bytes[0] = 9
    expect([...decoded]).toEqual([1, 2, 3])
  })

  it('refuses non-bytes and oversized payloads', () => {
    expect(() => bytesCodec().encode('x' as unknown as Uint8Array)).toThrow(
      'message: expected Uint8Array, got string',
    )
    expect(() => bytesCodec({ maxBytes: 2 }).decode(Uint8Array.of(1, 2, 3))).toThrow(DecodeError)
  })
})
