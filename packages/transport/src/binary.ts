/**
 * A growable byte writer and a bounds-checked byte reader: the primitives the
 * protocol codecs build their message layouts from. Pure (no I/O, no clocks,
 * no randomness), so protocol cores may import it.
 *
 * Fixed-width integers are big-endian. Varints are unsigned LEB128 in
 * canonical (shortest) form, at most 2^53 - 1. Every read that would run past
 * the end throws a `DecodeError`; the writer throws `TypeError`/`RangeError`
 * on inputs it cannot encode.
 */
import { DecodeError } from './errors.js'

const textDecoder = new TextDecoder('utf-8', { fatal: true })

/**
 * A growable byte buffer written front to back.
 *
 * `u8` and `u32` write the low 8 / 32 bits of their argument without checks
 * (callers validate); the other writers check their input.
 *
 * @example
 * ```ts
 * const w = new BinaryWriter()
 * w.u8(1)
 * w.u16('replica', 3)
 * w.uvarint('term', 300)
 * w.append('data', Uint8Array.of(9, 9))
 * w.finish() // Uint8Array [1, 0, 3, 172, 2, 9, 9]
 * ```
 */
export class BinaryWriter {
  /** The backing buffer; only the first `length` bytes are written. */
  bytes: Uint8Array
  /** How many bytes have been written. */
  length = 0

  constructor(initialCapacity = 256) {
    this.bytes = new Uint8Array(Math.max(1, initialCapacity))
  }

  /** Grows the buffer so that `extra` more bytes fit. */
  protected ensure(extra: number): void {
    const needed = this.length + extra
    if (needed <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < needed) size *= 2
    const next = new Uint8Array(size)
    next.set(this.bytes.subarray(0, this.length))
    this.bytes = next
  }

  /** One byte: the low 8 bits of `value`. */
  u8(value: number): void {
    this.ensure(1)
    this.bytes[this.length++] = value
  }

  /** One byte, 1 for true and 0 for false. */
  bool(value: boolean): void {
    this.u8(value ? 1 : 0)
  }

  /** Two bytes big-endian; `RangeError` unless `value` is an integer in [0, 65535]. */
  u16(name: string, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff)
      throw new RangeError(`${name}: expected an integer in [0, 65535], got ${value}`)
    this.ensure(2)
    this.bytes[this.length++] = value >>> 8
    this.bytes[this.length++] = value & 0xff
  }

  /** Four bytes big-endian: the low 32 bits of `value`. */
  u32(value: number): void {
    this.ensure(4)
    this.bytes[this.length++] = (value >>> 24) & 0xff
    this.bytes[this.length++] = (value >>> 16) & 0xff
    this.bytes[this.length++] = (value >>> 8) & 0xff
    this.bytes[this.length++] = value & 0xff
  }

  /** Eight bytes big-endian; `RangeError` unless `value` is a non-negative safe integer. */
  u64(name: string, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`${name}: expected a non-negative safe integer, got ${value}`)
    this.u32(Math.floor(value / 0x1_0000_0000))
    this.u32(value >>> 0)
  }

  /** A canonical unsigned LEB128 varint; `RangeError` unless `value` is a non-negative safe integer. */
  uvarint(name: string, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`${name}: expected a non-negative safe integer, got ${value}`)
    this.ensure(8)
    let v = value
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.bytes[this.length++] = v
  }

  /** The bytes of `data` as they are, with no length prefix; `TypeError` unless it is a `Uint8Array`. */
  append(name: string, data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new TypeError(`${name}: expected Uint8Array, got ${typeof data}`)
    this.ensure(data.length)
    this.bytes.set(data, this.length)
    this.length += data.length
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length)
  }
}

/**
 * Reads a byte string front to back. Every read that would run past the end
 * throws `DecodeError("cannot decode message: truncated input: <what> needs <n>
 * bytes at offset <offset>")`; a codec may override {@link BinaryReader.truncated}
 * to word that error its own way.
 *
 * @example
 * ```ts
 * const r = new BinaryReader(Uint8Array.of(1, 0, 3, 172, 2))
 * r.u8('version') // 1
 * r.u16('replica') // 3
 * r.uvarint('term') // 300
 * r.remaining // 0
 * r.u8('more') // throws DecodeError: truncated input: more needs 1 bytes at offset 5
 * ```
 */
export class BinaryReader {
  /** The position of the next byte to read. */
  offset = 0

  constructor(readonly bytes: Uint8Array) {}

  /** How many bytes are left to read. */
  get remaining(): number {
    return this.bytes.length - this.offset
  }

  /** The error for a read of `size` bytes, for `what`, that would run past the end. */
  protected truncated(what: string, size: number): DecodeError {
    return new DecodeError(`truncated input: ${what} needs ${size} bytes at offset ${this.offset}`)
  }

  /** Throws the truncation error unless `size` more bytes are left. */
  need(what: string, size: number): void {
    if (size > this.bytes.length - this.offset) throw this.truncated(what, size)
  }

  /** One byte. */
  u8(what: string): number {
    if (this.offset >= this.bytes.length) throw this.truncated(what, 1)
    return this.bytes[this.offset++] as number
  }

  /** One byte that must be 0 or 1. */
  bool(what: string): boolean {
    const value = this.u8(what)
    if (value > 1) throw new DecodeError(`${what}: expected 0 or 1, got ${value}`)
    return value === 1
  }

  /** Two bytes big-endian. */
  u16(what: string): number {
    if (this.offset + 2 > this.bytes.length) throw this.truncated(what, 2)
    const b = this.bytes
    const o = this.offset
    this.offset += 2
    return ((b[o] as number) << 8) | (b[o + 1] as number)
  }

  /** Four bytes big-endian, unsigned. */
  u32(what: string): number {
    if (this.offset + 4 > this.bytes.length) throw this.truncated(what, 4)
    const b = this.bytes
    const o = this.offset
    this.offset += 4
    return (
      (((b[o] as number) << 24) >>> 0) +
      ((b[o + 1] as number) << 16) +
      ((b[o + 2] as number) << 8) +
      (b[o + 3] as number)
    )
  }

  /** Eight bytes big-endian, at most 2^53 - 1. */
  u64(what: string): number {
    const high = this.u32(what)
    const low = this.u32(what)
    if (high > 0x1fffff) throw new DecodeError(`${what} exceeds 2^53 - 1`)
    return high * 0x1_0000_0000 + low
  }

  /** A canonical unsigned LEB128 varint of at most 8 bytes, at most 2^53 - 1. */
  uvarint(what: string): number {
    let result = 0
    let multiplier = 1
    for (let i = 0; ; i++) {
      const b = this.u8(what)
      result += (b & 0x7f) * multiplier
      if (b < 0x80) {
        if (i > 0 && b === 0) throw new DecodeError(`${what}: non-canonical varint`)
        break
      }
      if (i >= 7) throw new DecodeError(`${what}: varint too long`)
      multiplier *= 0x80
    }
    if (result > Number.MAX_SAFE_INTEGER) throw new DecodeError(`${what}: ${result} exceeds 2^53 - 1`)
    return result
  }

  /**
   * The next `length` bytes as a view of the input, without a copy: for a reader over
   * bytes that nothing else will change (such as a private copy of a received message),
   * where one copy of the whole input beats one allocation per field.
   */
  view(what: string, length: number): Uint8Array {
    this.need(what, length)
    const data = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return data
  }

  /** A copy of the next `length` bytes. */
  take(what: string, length: number): Uint8Array {
    return this.view(what, length).slice()
  }

  /** The next `length` bytes decoded as strict UTF-8; `DecodeError("<what>: invalid UTF-8")` if they are not. */
  utf8(what: string, length: number): string {
    this.need(what, length)
    const data = this.bytes.subarray(this.offset, this.offset + length)
    let value: string
    try {
      value = textDecoder.decode(data)
    } catch {
      throw new DecodeError(`${what}: invalid UTF-8`)
    }
    this.offset += length
    return value
  }

  /** Returns `length`, or throws `DecodeError("<what>: <length> bytes exceeds the limit of <max>")` if it is over `max`. */
  limit(what: string, length: number, max: number): number {
    if (length > max) throw new DecodeError(`${what}: ${length} bytes exceeds the limit of ${max}`)
    return length
  }
}
