/**
 * Reading ids back (a trust boundary: anything malformed is refused with an exact
 * message) and composing ids from their fields.
 */

import { isoOrNumber } from './errors.js'
import type { SnowflakeLayout } from './layout.js'
import { joinNodeId, splitNodeId } from './node-id.js'
import { assertInteger, describe } from './validate.js'

/** The longest decimal string accepted: 2 ** 64 - 1 has 20 digits. */
const MAX_DIGITS = 20
const CANONICAL_DECIMAL = /^(?:0|[1-9][0-9]*)$/

/** An id taken apart. */
export interface DecodedSnowflake<Node extends string = string> {
  /** The id as a bigint. */
  readonly id: bigint
  /** The start of the id's tick, in Unix ms. */
  readonly timestampMs: number
  /** The raw timestamp field: ticks since the layout's epoch. */
  readonly ticks: number
  /** The sequence field. */
  readonly sequence: number
  /** The node field values (`{ datacenter, worker }` for Twitter). */
  readonly node: Readonly<Record<Node, number>>
  /** The node fields joined into one integer (see `joinNodeId`). */
  readonly nodeId: number
}

/** Options of {@link decodeSnowflake}. */
export interface DecodeOptions {
  /**
   * Refuse ids whose timestamp is later than this Unix ms: an id "from the future" was
   * made with another layout or a broken clock. Default: no check.
   */
  readonly notAfterMs?: number
}

/**
 * Reads an id given as a bigint or a canonical decimal string, and checks that it is a
 * non-negative integer that fits the layout.
 *
 * @param id - the id
 * @param layout - the layout it must fit
 * @returns the id as a bigint
 * @throws {TypeError} when `id` is neither a bigint nor a string
 * @throws {RangeError} when it is malformed, negative or too large for the layout
 * @example
 * ```ts
 * parseId('1541815603606036480', layouts.twitter) // 1541815603606036480n
 * parseId('-1', layouts.twitter) // RangeError: id: expected a canonical decimal string (digits only, no sign, no leading zero), got "-1"
 * ```
 */
export function parseId(id: unknown, layout: SnowflakeLayout): bigint {
  let value: bigint
  if (typeof id === 'bigint') {
    value = id
  } else if (typeof id === 'string') {
    if (id.length > MAX_DIGITS || !CANONICAL_DECIMAL.test(id)) {
      const shown =
        id.length > 40 ? `${JSON.stringify(id.slice(0, 40))}… (length=${id.length})` : JSON.stringify(id)
      throw new RangeError(
        `id: expected a canonical decimal string (digits only, no sign, no leading zero), got ${shown}`,
      )
    }
    value = BigInt(id)
  } else {
    throw new TypeError(`id: expected a bigint or a decimal string, got ${describe(id)}`)
  }
  if (value < 0n) throw new RangeError(`id: expected a non-negative id, got ${value}`)
  if (value > layout.maxId) {
    throw new RangeError(
      `id: expected at most ${layout.maxId} (${layout.totalBits} bits, the ${layout.name} layout), got ${value}`,
    )
  }
  return value
}

/**
 * Takes an id apart: timestamp, node fields and sequence.
 *
 * @param id - a bigint or a canonical decimal string
 * @param layout - the layout the id was made with
 * @param options - `notAfterMs` to refuse ids from the future
 * @returns the decoded fields
 * @throws {TypeError} when `id` is neither a bigint nor a string
 * @throws {RangeError} when it is malformed, negative, too large for the layout, or (with
 *   `notAfterMs`) later than allowed
 * @example
 * ```ts
 * const decoded = decodeSnowflake('1541815603606036480', layouts.twitter)
 * decoded.timestampMs // 1656432460105
 * decoded.node // { datacenter: 11, worker: 26 }
 * ```
 */
export function decodeSnowflake<Node extends string>(
  id: bigint | string,
  layout: SnowflakeLayout<Node>,
  options: DecodeOptions = {},
): DecodedSnowflake<Node> {
  const value = parseId(id, layout)
  const { timestamp, sequence } = layout
  const ticks = Number((value >> BigInt(timestamp.shift)) & BigInt(timestamp.max))
  const timestampMs = layout.epochMs + ticks * layout.timeUnitMs
  const { notAfterMs } = options
  if (notAfterMs !== undefined) {
    if (typeof notAfterMs !== 'number') {
      throw new TypeError(`options.notAfterMs: expected a number, got ${describe(notAfterMs)}`)
    }
    if (Number.isNaN(notAfterMs))
      throw new RangeError('options.notAfterMs: expected a number of Unix ms, got NaN')
    if (timestampMs > notAfterMs) {
      throw new RangeError(
        `id: timestamp ${isoOrNumber(timestampMs)} is after ${isoOrNumber(notAfterMs)}; not an id of the ${layout.name} layout, or made by a clock far ahead`,
      )
    }
  }
  let nodeId = 0
  for (const field of layout.nodeFields) {
    nodeId = nodeId * 2 ** field.bits + Number((value >> BigInt(field.shift)) & BigInt(field.max))
  }
  return {
    id: value,
    timestampMs,
    ticks,
    sequence: Number((value >> BigInt(sequence.shift)) & BigInt(sequence.max)),
    node: splitNodeId(layout, nodeId),
    nodeId,
  }
}

/** What {@link composeSnowflake} builds an id from. */
export interface SnowflakeParts<Node extends string = string> {
  /** Unix ms, from the epoch to before `layout.endMs`; rounded down to the tick. */
  readonly timestampMs: number
  /** Default 0. */
  readonly sequence?: number
  /** The node field values; or give `nodeId`; or neither for all zeros. */
  readonly node?: Readonly<Record<Node, number>>
  /** The node fields as one integer. */
  readonly nodeId?: number
}

/**
 * Builds an id from its parts, without a generator: useful for range queries ("every id
 * made on that day lies between these two") and tests. It does not reserve anything: an id
 * composed this way may equal one a generator issues.
 *
 * @param layout - the layout
 * @param parts - timestamp, sequence, node values
 * @returns the id
 * @throws {TypeError} when a part has the wrong type
 * @throws {RangeError} when a part is out of range:
 *   `timestampMs: expected an integer from 1288834974657 to 3487858230208, got 0`
 * @example
 * ```ts
 * // the smallest Twitter id of 2024:
 * composeSnowflake(layouts.twitter, { timestampMs: Date.UTC(2024, 0, 1) })
 * ```
 */
export function composeSnowflake<Node extends string>(
  layout: SnowflakeLayout<Node>,
  parts: SnowflakeParts<Node>,
): bigint {
  if (typeof parts !== 'object' || parts === null) {
    throw new TypeError(`parts: expected an object, got ${describe(parts)}`)
  }
  assertInteger('timestampMs', parts.timestampMs, layout.epochMs, layout.endMs - 1)
  const sequence = parts.sequence ?? 0
  assertInteger('sequence', sequence, 0, layout.sequence.max)
  if (parts.node !== undefined && parts.nodeId !== undefined) {
    throw new TypeError('parts: expected node or nodeId, got both')
  }
  const nodeId = parts.node !== undefined ? joinNodeId(layout, parts.node) : (parts.nodeId ?? 0)
  const node = splitNodeId(layout, nodeId) as Record<string, number>
  const ticks = Math.floor((parts.timestampMs - layout.epochMs) / layout.timeUnitMs)
  let id =
    (BigInt(ticks) << BigInt(layout.timestamp.shift)) | (BigInt(sequence) << BigInt(layout.sequence.shift))
  for (const field of layout.nodeFields) id |= BigInt(node[field.name]!) << BigInt(field.shift)
  return id
}
