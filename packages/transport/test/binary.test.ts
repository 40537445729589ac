/** BinaryWriter / BinaryReader: round trips, truncation, and bad writer inputs. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BinaryReader, BinaryWriter, DecodeError } from '../src/index.js'

type Field =
  | { kind: 'u8'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'u16'; value: number }
  | { kind: 'u32'; value: number }
  | { kind: 'u64'; value: number }
  | { kind: 'uvarint'; value: number }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'utf8'; value: string }

const field: fc.Arbitrary<Field> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((value) => ({ kind: 'u8' as const, value })),
  fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
  fc.integer({ min: 0, max: 0xffff }).map((value) => ({ kind: 'u16' as const, value })),
  fc.integer({ min: 0, max: 0xffff_ffff }).map((value) => ({ kind: 'u32' as const, value })),
  fc.maxSafeNat().map((value) => ({ kind: 'u64' as const, value })),
  fc.maxSafeNat().map((value) => ({ kind: 'uvarint' as const, value })),
  fc.uint8Array({ maxLength: 40 }).map((value) => ({ kind: 'bytes' as const, value })),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((value) => ({ kind: 'utf8' as const, value })),
)

const utf8 = new TextEncoder()

function write(fields: Field[], capacity?: number): Uint8Array {
  const w = new BinaryWriter(capacity)
  for (const f of fields) {
    switch (f.kind) {
      case 'u8':
        w.u8(f.value)
        break
      case 'bool':
        w.bool(f.value)
        break
      case 'u16':
        w.u16('f', f.value)
        break
      case 'u32':
        w.u32(f.value)
        break
      case 'u64':
        w.u64('f', f.value)
        break
      case 'uvarint':
        w.uvarint('f', f.value)
        break
      case 'bytes':
        w.u32(f.value.length)
        w.append('f', f.value)
        break
      case 'utf8': {
        const data = utf8.encode(f.value)
        w.uvarint('f', data.length)
        w.append('f', data)
        break
      }
    }
  }
  return w.finish()
}

function read(bytes: Uint8Array, fields: Field[]): unknown[] {
  const r = new BinaryReader(bytes)
  const out = fields.map((f) => {
    switch (f.kind) {
      case 'u8':
        return r.u8('f')
      case 'bool':
        return r.bool('f')
      case 'u16':
        return r.u16('f')
      case 'u32':
        return r.u32('f')
      case 'u64':
        return r.u64('f')
      case 'uvarint':
        return r.uvarint('f')
      case 'bytes':
        return r.take('f', r.limit('f', r.u32('f length'), 1 << 20))
      case 'utf8':
        return r.utf8('f', r.uvarint('f length'))
    }
  })
  expect(r.remaining).toBe(0)
  return out
}

describe('BinaryWriter / BinaryReader', () => {
  it('round-trips any sequence of fields, whatever the starting capacity', () => {
    fc.assert(
      fc.property(
        fc.array(field, { maxLength: 30 }),
        fc.integer({ min: 1, max: 300 }),
        (fields, capacity) => {
          const bytes = write(fields, capacity)
          expect(read(bytes, fields)).toEqual(fields.map((f) => f.value))
          expect(write(fields)).toEqual(bytes)
        },
      ),
    )
  })

  it('every truncation throws DecodeError', () => {
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 10 }), (fields) => {
        const bytes = write(fields)
        for (let cut = 0; cut < bytes.length; cut++)
          expect(() => read(bytes.subarray(0, cut), fields)).toThrow(DecodeError)
      }),
    )
  })

  it('writes the documented layout', () => {
    const w = new BinaryWriter(1)
    w.u8(1)
    w.u16('replica', 3)
    w.uvarint('term', 300)
    w.append('data', Uint8Array.of(9, 9))
    w.u32(0x01020304)
    w.u64('big', 2 ** 53 - 1)
    w.bool(true)
    expect([...w.finish()]).toEqual([
      1, 0, 3, 172, 2, 9, 9, 1, 2, 3, 4, 0, 0x1f, 255, 255, 255, 255, 255, 255, 1,
    ])
    expect(w.length).toBe(20)
  })

  it('reports errors with exact messages', () => {
    const r = new BinaryReader(Uint8Array.of(1, 0, 3, 172, 2))
    expect(r.u8('version')).toBe(1)
    expect(r.u16('replica')).toBe(3)
    expect(r.uvarint('term')).toBe(300)
    expect(() => r.u8('more')).toThrow(new DecodeError('truncated input: more needs 1 bytes at offset 5'))
    expect(() => new BinaryReader(Uint8Array.of(1)).u32('n')).toThrow(
      'cannot decode message: truncated input: n needs 4 bytes at offset 0',
    )
    expect(() => new BinaryReader(Uint8Array.of(2)).bool('b')).toThrow(
      'cannot decode message: b: expected 0 or 1, got 2',
    )
    expect(() => new BinaryReader(Uint8Array.of(0x80, 0)).uvarint('v')).toThrow(
      'cannot decode message: v: non-canonical varint',
    )
    expect(() => new BinaryReader(new Uint8Array(9).fill(0x80)).uvarint('v')).toThrow(
      'cannot decode message: v: varint too long',
    )
    expect(() =>
      new BinaryReader(Uint8Array.of(255, 255, 255, 255, 255, 255, 255, 0x7f)).uvarint('v'),
    ).toThrow(/v: \d+ exceeds 2\^53 - 1/)
    expect(() => new BinaryReader(Uint8Array.of(0, 0x20, 0, 0, 0, 0, 0, 0)).u64('x')).toThrow(
      'cannot decode message: x exceeds 2^53 - 1',
    )
    expect(() => new BinaryReader(Uint8Array.of(0xff)).utf8('s', 1)).toThrow(
      'cannot decode message: s: invalid UTF-8',
    )
    expect(() => new BinaryReader(new Uint8Array(0)).limit('s', 5, 4)).toThrow(
      'cannot decode message: s: 5 bytes exceeds the limit of 4',
    )
    expect(() => new BinaryReader(Uint8Array.of(1, 2)).take('t', 3)).toThrow(DecodeError)
  })

  it('take copies; the reader never reads past what it was given', () => {
    const source = Uint8Array.of(1, 2, 3, 4)
    const r = new BinaryReader(source.subarray(0, 2))
    const taken = r.take('t', 2)
    taken[0] = 99
    expect(source[0]).toBe(1)
    expect(() => r.u8('x')).toThrow(DecodeError)
  })

  it('view returns the bytes in place, bounds-checked', () => {
    const source = Uint8Array.of(1, 2, 3, 4)
    const r = new BinaryReader(source.subarray(1))
    const viewed = r.view('v', 2)
    expect([...viewed]).toEqual([2, 3])
    viewed[0] = 99
    expect(source[1]).toBe(99)
    expect(() => r.view('v', 2)).toThrow(DecodeError)
  })

  it('rejects bad writer inputs with TypeError or RangeError', () => {
    const w = new BinaryWriter()
    for (const bad of [-1, 65536, 1.5, Number.NaN]) expect(() => w.u16('r', bad)).toThrow(RangeError)
    for (const bad of [-1, 2 ** 53, 0.5, Number.POSITIVE_INFINITY]) {
      expect(() => w.u64('v', bad)).toThrow(RangeError)
      expect(() => w.uvarint('v', bad)).toThrow(RangeError)
    }
    expect(() => w.u16('r', 70000)).toThrow('r: expected an integer in [0, 65535], got 70000')
    expect(() => w.uvarint('v', -1)).toThrow('v: expected a non-negative safe integer, got -1')
    expect(() => w.append('d', 'x' as unknown as Uint8Array)).toThrow(
      new TypeError('d: expected Uint8Array, got string'),
    )
    expect(w.length).toBe(0)
  })
})
