import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { describeValue, utf8Length } from '../src/guards.js'

describe('utf8Length', () => {
  it('counts what TextEncoder writes, lone surrogates included', () => {
    const encoder = new TextEncoder()
    for (const text of ['', 'tx-1', 'é', '€', '😀', '\ud800', '\udc00', 'a\ud800b', '\ud800\ud800\udc00'])
      expect(utf8Length(text), JSON.stringify(text)).toBe(encoder.encode(text).length)
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => {
        expect(utf8Length(text)).toBe(encoder.encode(text).length)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('describeValue', () => {
  it('quotes strings (cut at 40), gives lengths of arrays and bytes, kinds of objects', () => {
    expect(describeValue('abc')).toBe('"abc"')
    expect(describeValue('x'.repeat(41))).toBe(`"${'x'.repeat(40)}…"`)
    expect(describeValue(null)).toBe('null')
    expect(describeValue(undefined)).toBe('undefined')
    expect(describeValue([1, 2])).toBe('array of length 2')
    expect(describeValue(new Uint8Array(3))).toBe('Uint8Array of length 3')
    expect(describeValue({})).toBe('object')
    expect(describeValue(() => 1)).toBe('function')
    expect(describeValue(1.5)).toBe('1.5')
  })
})
