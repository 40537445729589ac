/** @internal the type of a value as error messages name it */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/**
 * @internal throws unless `value` is an integer from `min` to `max`:
 * `TypeError` for a non-number, `RangeError` for anything else out of range.
 */
export function assertInteger(
  name: string,
  value: unknown,
  min: number,
  max: number,
): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected a number, got ${describe(value)}`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected an integer from ${min} to ${max}, got ${value}`)
  }
}
