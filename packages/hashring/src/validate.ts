/** Input guards shared by every module, with exact messages in one style. */

/** How a wrong value is named in an error message: its type, with `null` and arrays told apart. */
export function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** How a value is shown in an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  return String(value)
}

/** Throws a TypeError unless `value` is a string. */
export function assertString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name}: expected a string, got ${describeType(value)}`)
}

/** Throws unless `value` is a finite number > 0. */
export function assertWeight(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected a number, got ${describeType(value)}`)
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name}: expected a finite number > 0, got ${show(value)}`)
  }
}

/** Throws unless `value` is an integer in [min, max]. */
export function assertIntegerIn(
  name: string,
  value: unknown,
  min: number,
  max: number,
): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected a number, got ${describeType(value)}`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected an integer in [${min}, ${max}], got ${show(value)}`)
  }
}

/** Throws a TypeError unless `value` is a plain options object (or undefined). */
export function assertOptions(name: string, value: unknown): asserts value is object | undefined {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new TypeError(`${name}: expected an object, got ${describeType(value)}`)
  }
}
