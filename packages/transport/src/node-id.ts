import type { NodeId } from './types.js'

/** The longest node id accepted, in UTF-16 code units. */
export const MAX_NODE_ID_LENGTH = 256

/**
 * Checks that `value` is a usable node id: a non-empty string of at most 256 characters.
 *
 * @param name - how the caller names the value, used in the error message
 * @throws {TypeError} when `value` is not a string
 * @throws {RangeError} when it is empty or too long
 * @example
 * ```ts
 * assertNodeId('to', 'node-1') // ok
 * assertNodeId('to', '')       // RangeError: to: expected a non-empty node id, got ""
 * ```
 */
export function assertNodeId(name: string, value: unknown): asserts value is NodeId {
  if (typeof value !== 'string') {
    throw new TypeError(`${name}: expected a node id string, got ${value === null ? 'null' : typeof value}`)
  }
  if (value.length === 0) throw new RangeError(`${name}: expected a non-empty node id, got ""`)
  if (value.length > MAX_NODE_ID_LENGTH) {
    throw new RangeError(
      `${name}: expected at most ${MAX_NODE_ID_LENGTH} characters, got length=${value.length}`,
    )
  }
}
