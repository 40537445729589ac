import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { md5 } from '../src/index.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('md5', () => {
  it('matches the RFC 1321 test suite (appendix A.5)', () => {
    const suite: [string, string][] = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
      ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
    ]
    for (const [text, digest] of suite) expect(hex(md5(text))).toBe(digest)
  })

  it('agrees with node:crypto at every length around the block boundaries', () => {
    for (let length = 0; length <= 200; length++) {
      const text = 'x'.repeat(length)
      expect(hex(md5(text))).toBe(createHash('md5').update(text, 'utf8').digest('hex'))
    }
  })

  it('agrees with node:crypto on any string, lone surrogates included (as U+FFFD)', () => {
    const anyUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 90 })
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 90 }),
          anyUnits.map((u) => String.fromCharCode(...u)),
        ),
        (text) => {
          expect(hex(md5(text))).toBe(createHash('md5').update(text, 'utf8').digest('hex'))
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('refuses a non-string', () => {
    expect(() => md5(42 as unknown as string)).toThrow(new TypeError('text: expected a string, got number'))
  })
})
