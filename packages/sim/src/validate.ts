/** Input guards with exact messages: `TypeError` for a wrong type, `RangeError` for a wrong value. */

/** @internal How a value looks in an error message. */
export function show(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value)
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** @internal A finite number in [min, max]. */
export function assertNumberInRange(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected a number, got ${show(value)}`)
  if (!(value >= min && value <= max)) {
    const range = max === Number.MAX_VALUE ? `>= ${min}` : `from ${min} to ${max}`
    throw new RangeError(`${name}: expected a number ${range}, got ${show(value)}`)
  }
  return value
}

/** @internal A safe integer in [min, max]. */
export function assertIntegerInRange(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected an integer, got ${show(value)}`)
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`
    throw new RangeError(`${name}: expected an integer ${range}, got ${show(value)}`)
  }
  return value
}

/** @internal A function. */
export function assertFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`${name}: expected a function, got ${show(value)}`)
}

/** @internal A plain options object (or undefined). */
export function assertOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value)))
    throw new TypeError(`${name}: expected an options object, got ${show(value)}`)
}

/** @internal A boolean (or undefined). */
export function assertBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean')
    throw new TypeError(`${name}: expected a boolean, got ${show(value)}`)
}

/** @internal The longest virtual delay accepted: about 285 years, well inside float precision. */
export const MAX_DELAY_MS = 2 ** 43
