/** Input guards with exact messages: `TypeError` for a wrong type, `RangeError` for a wrong value. */

import { describeValue as show, utf8Length } from '@synod/transport'

export { show }

export function assertIntegerInRange(
  name: string,
  value: unknown,
  min: number,
  max: number,
  what = '',
): number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected an integer, got ${typeof value}`)
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new RangeError(`${name}: expected an integer from ${min} to ${max}${what}, got ${show(value)}`)
  return value
}

export function assertObject(name: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${name}: expected an object, got ${show(value)}`)
}

export function assertFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`${name}: expected a function, got ${show(value)}`)
}

export function assertNonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${name}: expected a string, got ${show(value)}`)
  if (value.length === 0) throw new RangeError(`${name}: expected a non-empty string, got ""`)
  return value
}

/** A key: a non-empty string of at most `maxKeyBytes` UTF-8 bytes. */
export function assertKey(key: unknown, maxKeyBytes: number): string {
  if (typeof key !== 'string') throw new TypeError(`key: expected a string, got ${show(key)}`)
  const bytes = utf8Length(key)
  if (bytes === 0 || bytes > maxKeyBytes)
    throw new RangeError(`key: expected 1 to ${maxKeyBytes} UTF-8 bytes, got ${bytes}`)
  return key
}

/** A value: a string or a Uint8Array of at most `maxValueBytes` bytes. */
export function assertValue(value: unknown, maxValueBytes: number): void {
  let bytes: number
  if (typeof value === 'string') bytes = utf8Length(value)
  else if (value instanceof Uint8Array) bytes = value.byteLength
  else throw new TypeError(`value: expected a string or a Uint8Array, got ${show(value)}`)
  if (bytes > maxValueBytes)
    throw new RangeError(`value: expected at most ${maxValueBytes} bytes, got ${bytes}`)
}
