import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { utf8Length } from '../src/validate.js'

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
