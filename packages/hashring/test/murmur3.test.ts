import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { murmur3 } from '../src/index.js'

/** A plain transcription of MurmurHash3_x86_32 over bytes, as the reference. */
function referenceMurmur3(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  let h = seed >>> 0
  const blocks = bytes.length >>> 2
  for (let i = 0; i < blocks; i++) {
    let k = bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24)
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const tail = blocks * 4
  const rest = bytes.length & 3
  if (rest > 0) {
    let k = 0
    for (let i = rest - 1; i >= 0; i--) k = (k << 8) | bytes[tail + i]!
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
  }
  h ^= bytes.length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const utf8 = new TextEncoder()

describe('murmur3', () => {
  it('matches published MurmurHash3_x86_32 values', () => {
    expect(murmur3('')).toBe(0)
    expect(murmur3('', 1)).toBe(0x514e28b7)
    expect(murmur3('', 0xffffffff)).toBe(0x81f16f39)
    expect(murmur3('hello')).toBe(0x248bfa47)
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723)
  })

  it('equals the byte-wise reference on the UTF-8 of any string and seed', () => {
    const anyUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.string({ maxLength: 40 }),
          anyUnits.map((u) => String.fromCharCode(...u)),
        ),
        fc.integer({ min: 0, max: 0xffffffff }),
        (text, seed) => {
          expect(murmur3(text, seed)).toBe(referenceMurmur3(utf8.encode(text), seed))
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('switches from the ASCII path to UTF-8 at any position', () => {
    for (const odd of ['é', 'ß', '€', '😀', '\ud800', '\udc00', '\u0080', '\u07ff', '\uffff']) {
      for (let position = 0; position <= 13; position++) {
        const base = 'abcdefghijklm'
        const text = base.slice(0, position) + odd + base.slice(position)
        expect(murmur3(text, 7)).toBe(referenceMurmur3(utf8.encode(text), 7))
      }
    }
  })

  it('refuses bad keys and seeds', () => {
    expect(() => murmur3(1 as unknown as string)).toThrow(new TypeError('key: expected a string, got number'))
    expect(() => murmur3('a', '1' as unknown as number)).toThrow(
      new TypeError('seed: expected a number, got string'),
    )
    expect(() => murmur3('a', -1)).toThrow(
      new RangeError('seed: expected an integer in [0, 4294967295], got -1'),
    )
    expect(() => murmur3('a', 0.5)).toThrow(
      new RangeError('seed: expected an integer in [0, 4294967295], got 0.5'),
    )
    expect(() => murmur3('a', 2 ** 32)).toThrow(
      new RangeError('seed: expected an integer in [0, 4294967295], got 4294967296'),
    )
  })
})
