/**
 * Input guards with exact messages, noble style: `TypeError` for the wrong type,
 * `RangeError` for a wrong value.
 */

/** Describes a value's type for an error message: `string`, `null`, `Array`, `Uint16Array`… */
export function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name !== '' ? name : 'object'
}

/** True for a `Uint8Array` (or a `Buffer`), also one made in another realm. */
export function isBytes(value: unknown): value is Uint8Array {
  return (
    value instanceof Uint8Array ||
    (ArrayBuffer.isView(value) && value.constructor.name === 'Uint8Array' && 'BYTES_PER_ELEMENT' in value)
  )
}

/**
 * Throws unless `value` is a `Uint8Array`, of exactly `length` bytes when given.
 *
 * @throws TypeError `name: expected Uint8Array, got type=string`
 * @throws RangeError `name: expected Uint8Array of length 32, got length=31`
 */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!isBytes(value)) throw new TypeError(`${name}: expected Uint8Array, got type=${describeType(value)}`)
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name}: expected Uint8Array of length ${length}, got length=${value.length}`)
  }
}

/**
 * Throws unless `value` is a string.
 *
 * @throws TypeError `name: expected string, got type=number`
 */
export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string')
    throw new TypeError(`${name}: expected string, got type=${describeType(value)}`)
}

/**
 * Throws unless `value` is an array of at most `maxLength` items.
 *
 * @throws TypeError `name: expected Array, got type=string`
 * @throws RangeError `name: expected at most 65536 items, got length=65537`
 */
export function assertArray(value: unknown, name: string, maxLength: number): asserts value is unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${name}: expected Array, got type=${describeType(value)}`)
  if (value.length > maxLength) {
    throw new RangeError(`${name}: expected at most ${maxLength} items, got length=${value.length}`)
  }
}

/**
 * Throws unless `value` is an integer in `[min, max]`.
 *
 * @throws TypeError `name: expected integer, got type=string`
 * @throws RangeError `name: expected integer in [1, 64], got 0`
 */
export function assertInteger(
  value: unknown,
  name: string,
  min: number,
  max: number,
): asserts value is number {
  if (typeof value !== 'number')
    throw new TypeError(`${name}: expected integer, got type=${describeType(value)}`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected integer in [${min}, ${max}], got ${value}`)
  }
}
