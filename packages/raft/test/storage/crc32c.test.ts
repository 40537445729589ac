import { describe, expect, it } from 'vitest'
import { crc32c } from '../../src/storage/crc32c.js'

/** The bit-at-a-time definition, as a reference for the table-driven code. */
function reference(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return ~crc >>> 0
}

describe('crc32c', () => {
  it('matches the published check value and the RFC 3720 (iSCSI) vectors', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c)
    expect(crc32c(new Uint8Array())).toBe(0)
  })

  it('agrees with the bitwise definition on every length up to 160 at every alignment', () => {
    const backing = Uint8Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff)
    for (const viewOffset of [0, 1, 2, 3]) {
      const bytes = backing.subarray(viewOffset) // views that start off a word boundary
      for (let start = 0; start < 9; start++) {
        for (let end = start; end <= start + 160; end++) {
          expect(crc32c(bytes, 0, start, end)).toBe(reference(bytes.subarray(start, end)))
        }
      }
    }
  })

  it('continues across pieces: crc(a + b) = crc(b, crc(a))', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff)
    const whole = crc32c(bytes)
    for (const split of [0, 1, 7, 8, 9, 500, 999, 1000]) {
      expect(crc32c(bytes.subarray(split), crc32c(bytes.subarray(0, split)))).toBe(whole)
    }
  })
})
