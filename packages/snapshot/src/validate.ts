/** Argument guards with exact messages: `TypeError` for a wrong type, `RangeError` for a wrong value. */

/** A short description of a value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}…` : value)
  if (value === null || value === undefined) return String(value)
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`
  if (Array.isArray(value)) return `array(${value.length})`
  if (typeof value === 'object' || typeof value === 'function') return typeof value
  return String(value)
}

const encoder = new TextEncoder()

/** Bytes of `text` in UTF-8. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length
}

/** `value` (or `fallback` when it is undefined), which must be an integer within `range`. */
export function integerOption(
  name: string,
  value: unknown,
  fallback: number,
  range: readonly [number, number],
): number {
  const chosen = value ?? fallback
  if (typeof chosen !== 'number') throw new TypeError(`${name}: expected an integer, got ${typeof chosen}`)
  const [low, high] = range
  if (Number.isInteger(chosen) && chosen >= low && chosen <= high) return chosen
  throw new RangeError(`${name}: expected an integer in [${low}, ${high}], got ${describe(chosen)}`)
}

/** A non-empty string of at most `maxBytes` UTF-8 bytes. */
export function boundedString(name: string, value: unknown, maxBytes: number): string {
  if (typeof value !== 'string') throw new TypeError(`${name}: expected a string, got ${describe(value)}`)
  const bytes = utf8Bytes(value)
  if (bytes === 0 || bytes > maxBytes)
    throw new RangeError(`${name}: expected 1 to ${maxBytes} UTF-8 bytes, got ${bytes}`)
  return value
}

/** A `Uint8Array` of at most `maxBytes` bytes. */
export function boundedBytes(name: string, value: unknown, maxBytes: number): Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new TypeError(`${name}: expected a Uint8Array, got ${describe(value)}`)
  if (value.length > maxBytes)
    throw new RangeError(`${name}: expected at most ${maxBytes} bytes, got ${value.length}`)
  return value
}

/** A function. */
export function functionOption<F>(name: string, value: unknown): F {
  if (typeof value !== 'function') throw new TypeError(`${name}: expected a function, got ${describe(value)}`)
  return value as F
}

/** A plain options object. */
export function optionsObject(name: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${name}: expected an object, got ${describe(value)}`)
}
