/** Input guards with exact messages: `TypeError` for a wrong type, `RangeError` for a wrong value. */

import { describeValue as show } from '@synod/transport'

export { show }

/** An optional integer option in `[min, max]`, or `fallback` when undefined. */
export function integerOption(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') throw new TypeError(`${name}: expected an integer, got ${show(value)}`)
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new RangeError(`${name}: expected an integer from ${min} to ${max}, got ${show(value)}`)
  return value
}

/** An optional boolean option, or `fallback` when undefined. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new TypeError(`${name}: expected a boolean, got ${show(value)}`)
  return value
}

/** Checks that `value` is a plain object (`'object'`) or a function (`'function'`). */
export function assertIs(name: string, value: unknown, kind: 'object' | 'function'): void {
  const ok =
    kind === 'function'
      ? typeof value === 'function'
      : typeof value === 'object' && value !== null && !Array.isArray(value)
  if (!ok)
    throw new TypeError(
      `${name}: expected ${kind === 'object' ? 'an object' : 'a function'}, got ${show(value)}`,
    )
}
