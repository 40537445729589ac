/**
 * Bit layouts: which fields a snowflake id holds, how wide each is, in which order, and
 * from which epoch and in which time unit its timestamp counts.
 */

import { describe } from './validate.js'

/** The largest Unix ms a JavaScript `Date` can hold. */
const MAX_DATE_MS = 8.64e15
/** The longest time unit accepted: one minute (the generator may busy-wait one unit). */
export const MAX_TIME_UNIT_MS = 60_000
/** The widest field accepted: a field value must be a safe integer. */
export const MAX_FIELD_BITS = 53
/** The widest id: 64 bits, read as an unsigned integer. */
export const MAX_TOTAL_BITS = 64

const FIELD_NAME = /^[a-z][A-Za-z0-9]*$/

/** One field of a layout as the user writes it. */
export interface LayoutFieldSpec<Name extends string = string> {
  /** `'timestamp'`, `'sequence'`, or the name of a node field such as `'worker'`. */
  readonly name: Name
  /** Width in bits, 1 to 53. */
  readonly bits: number
}

/** What {@link defineLayout} takes. */
export interface LayoutSpec<Name extends string = string> {
  /** A label for messages and the README; default `'custom'`. */
  readonly name?: string
  /** The instant timestamp 0 stands for, in Unix ms (an integer, not in the future). */
  readonly epochMs: number
  /** The length of one timestamp tick in ms, a positive integer (default 1; Sonyflake: 10). */
  readonly timeUnitMs?: number
  /**
   * The fields, most significant first. The first must be `timestamp` (so ids sort by
   * time); exactly one must be `sequence`; the others are node fields (worker,
   * datacenter, shard…). The widths sum to at most 64.
   */
  readonly fields: readonly LayoutFieldSpec<Name>[]
}

/** One field of a validated layout. */
export interface LayoutField {
  readonly name: string
  readonly bits: number
  /** How far the field is shifted left in the id. */
  readonly shift: number
  /** The largest value the field holds, `2 ** bits - 1`. */
  readonly max: number
}

/**
 * A validated, frozen layout. `Node` is the union of its node field names, so
 * `{ datacenter, worker }` is type-checked for the Twitter layout.
 */
export interface SnowflakeLayout<Node extends string = string> {
  readonly name: string
  readonly epochMs: number
  readonly timeUnitMs: number
  /** Every field, most significant first. */
  readonly fields: readonly LayoutField[]
  /** The sum of the widths: ids are unsigned integers below `2 ** totalBits`. */
  readonly totalBits: number
  /** The largest id the layout can express. */
  readonly maxId: bigint
  readonly timestamp: LayoutField
  readonly sequence: LayoutField
  /** The node fields, most significant first. */
  readonly nodeFields: readonly (LayoutField & { readonly name: Node })[]
  /** The sum of the node field widths (0 when there is none). */
  readonly nodeBits: number
  /** The largest combined node id, `2 ** nodeBits - 1`. */
  readonly nodeIdMax: number
  /** The first Unix ms the timestamp cannot hold. */
  readonly endMs: number
  /** The most ids one generator can issue per second: `2 ** sequenceBits * 1000 / timeUnitMs`. */
  readonly idsPerSecondMax: number
}

/** The node field names of a layout type. */
export type NodeFieldOf<L> = L extends SnowflakeLayout<infer Node> ? Node : never

/**
 * Validates a custom layout and returns it frozen, with shifts and limits computed.
 *
 * @param spec - epoch, time unit and fields (most significant first)
 * @returns the validated layout
 * @throws {TypeError} when the spec or one of its members has the wrong type
 * @throws {RangeError} when a width, the epoch, the time unit or the field list is out of range:
 *   `layout.fields[2].bits: expected an integer from 1 to 53, got 0`,
 *   `layout.fields: expected the widths to sum to at most 64 bits, got 65`
 * @example
 * ```ts
 * const layout = defineLayout({
 *   name: 'orders',
 *   epochMs: Date.UTC(2024, 0, 1),
 *   fields: [
 *     { name: 'timestamp', bits: 41 },
 *     { name: 'region', bits: 4 },
 *     { name: 'worker', bits: 6 },
 *     { name: 'sequence', bits: 12 },
 *   ],
 * })
 * layout.totalBits // 63
 * ```
 */
export function defineLayout<const Name extends string>(
  spec: LayoutSpec<Name>,
): SnowflakeLayout<Exclude<Name, 'timestamp' | 'sequence'>> {
  if (typeof spec !== 'object' || spec === null) {
    throw new TypeError(`layout: expected an object, got ${describe(spec)}`)
  }
  const name = spec.name ?? 'custom'
  if (typeof name !== 'string') throw new TypeError(`layout.name: expected a string, got ${describe(name)}`)
  const epochMs = spec.epochMs
  if (typeof epochMs !== 'number') {
    throw new TypeError(`layout.epochMs: expected a number, got ${describe(epochMs)}`)
  }
  if (!Number.isInteger(epochMs) || epochMs < 0 || epochMs > MAX_DATE_MS) {
    throw new RangeError(`layout.epochMs: expected an integer from 0 to ${MAX_DATE_MS}, got ${epochMs}`)
  }
  const timeUnitMs = spec.timeUnitMs ?? 1
  if (typeof timeUnitMs !== 'number') {
    throw new TypeError(`layout.timeUnitMs: expected a number, got ${describe(timeUnitMs)}`)
  }
  if (!Number.isInteger(timeUnitMs) || timeUnitMs < 1 || timeUnitMs > MAX_TIME_UNIT_MS) {
    throw new RangeError(
      `layout.timeUnitMs: expected an integer from 1 to ${MAX_TIME_UNIT_MS}, got ${timeUnitMs}`,
    )
  }
  const specs = spec.fields
  if (!Array.isArray(specs)) throw new TypeError(`layout.fields: expected an array, got ${describe(specs)}`)
  if (specs.length < 2 || specs.length > 16) {
    throw new RangeError(`layout.fields: expected from 2 to 16 fields, got ${specs.length}`)
  }
  const seen = new Set<string>()
  const checked: { name: string; bits: number }[] = []
  let totalBits = 0
  specs.forEach((field: unknown, index) => {
    const where = `layout.fields[${index}]`
    if (typeof field !== 'object' || field === null) {
      throw new TypeError(`${where}: expected an object, got ${describe(field)}`)
    }
    const { name: fieldName, bits } = field as { name: unknown; bits: unknown }
    if (typeof fieldName !== 'string') {
      throw new TypeError(`${where}.name: expected a string, got ${describe(fieldName)}`)
    }
    if (!FIELD_NAME.test(fieldName)) {
      throw new RangeError(
        `${where}.name: expected a name matching ${FIELD_NAME}, got ${JSON.stringify(fieldName)}`,
      )
    }
    if (seen.has(fieldName))
      throw new RangeError(`${where}.name: duplicate field ${JSON.stringify(fieldName)}`)
    seen.add(fieldName)
    if (index === 0 && fieldName !== 'timestamp') {
      throw new RangeError(
        `${where}.name: expected "timestamp" first (the most significant field), got ${JSON.stringify(fieldName)}`,
      )
    }
    if (typeof bits !== 'number')
      throw new TypeError(`${where}.bits: expected a number, got ${describe(bits)}`)
    if (!Number.isInteger(bits) || bits < 1 || bits > MAX_FIELD_BITS) {
      throw new RangeError(`${where}.bits: expected an integer from 1 to ${MAX_FIELD_BITS}, got ${bits}`)
    }
    totalBits += bits
    checked.push({ name: fieldName, bits })
  })
  if (!seen.has('sequence')) throw new RangeError('layout.fields: expected a "sequence" field, got none')
  if (totalBits > MAX_TOTAL_BITS) {
    throw new RangeError(
      `layout.fields: expected the widths to sum to at most ${MAX_TOTAL_BITS} bits, got ${totalBits}`,
    )
  }

  let shift = totalBits
  // built from the values read once above, not from `specs` again
  const fields = checked.map((field) => {
    shift -= field.bits
    return Object.freeze({ name: field.name, bits: field.bits, shift, max: 2 ** field.bits - 1 })
  })
  const timestamp = fields[0]!
  const sequence = fields.find((field) => field.name === 'sequence')!
  const nodeFields = fields.filter((field) => field !== timestamp && field !== sequence)
  const nodeBits = nodeFields.reduce((sum, field) => sum + field.bits, 0)
  if (nodeBits > MAX_FIELD_BITS) {
    throw new RangeError(
      `layout.fields: expected the node fields to sum to at most ${MAX_FIELD_BITS} bits, got ${nodeBits}`,
    )
  }
  const endMs = epochMs + 2 ** timestamp.bits * timeUnitMs
  const layout = Object.freeze({
    name,
    epochMs,
    timeUnitMs,
    fields: Object.freeze(fields),
    totalBits,
    maxId: (1n << BigInt(totalBits)) - 1n,
    timestamp,
    sequence,
    nodeFields: Object.freeze(nodeFields) as SnowflakeLayout<
      Exclude<Name, 'timestamp' | 'sequence'>
    >['nodeFields'],
    nodeBits,
    nodeIdMax: 2 ** nodeBits - 1,
    endMs,
    idsPerSecondMax: (2 ** sequence.bits * 1000) / timeUnitMs,
  })
  definedLayouts.add(layout)
  return layout
}

const definedLayouts = new WeakSet<object>()

/** @internal whether `value` came out of `defineLayout` (in this copy of the package) */
export function isDefinedLayout(value: object): boolean {
  return definedLayouts.has(value)
}

/**
 * Twitter's original snowflake: 41 bits of ms since 2010-11-04T01:42:54.657Z,
 * 5 bits of datacenter, 5 bits of worker, 12 bits of sequence (63 bits, fits a signed
 * 64-bit integer). 4,096 ids per ms per generator; runs out in 2080.
 */
const twitter = defineLayout({
  name: 'twitter',
  epochMs: 1288834974657,
  fields: [
    { name: 'timestamp', bits: 41 },
    { name: 'datacenter', bits: 5 },
    { name: 'worker', bits: 5 },
    { name: 'sequence', bits: 12 },
  ],
})

/**
 * Discord's snowflake: 42 bits of ms since 2015-01-01T00:00:00.000Z, 5 bits of internal
 * worker, 5 bits of internal process, 12 bits of increment (64 bits, unsigned; the top bit
 * stays 0 until 2084).
 */
const discord = defineLayout({
  name: 'discord',
  epochMs: 1420070400000,
  fields: [
    { name: 'timestamp', bits: 42 },
    { name: 'worker', bits: 5 },
    { name: 'process', bits: 5 },
    { name: 'sequence', bits: 12 },
  ],
})

/**
 * Sonyflake: 39 bits of 10 ms units since 2014-09-01T00:00:00.000Z, then 8 bits of
 * sequence, then 16 bits of machine id (63 bits). 256 ids per 10 ms = 25,600 ids/s per
 * generator; runs out in 2188.
 */
const sonyflake = defineLayout({
  name: 'sonyflake',
  epochMs: 1409529600000,
  timeUnitMs: 10,
  fields: [
    { name: 'timestamp', bits: 39 },
    { name: 'sequence', bits: 8 },
    { name: 'machine', bits: 16 },
  ],
})

/**
 * Instagram's sharded ids: 41 bits of ms since 2011-08-24T21:07:01.721Z, 13 bits of
 * logical shard, 10 bits of sequence (64 bits, unsigned; the top bit stays 0 until 2046).
 * 1,024 ids per ms per shard.
 */
const instagram = defineLayout({
  name: 'instagram',
  epochMs: 1314220021721,
  fields: [
    { name: 'timestamp', bits: 41 },
    { name: 'shard', bits: 13 },
    { name: 'sequence', bits: 10 },
  ],
})

/**
 * The preset layouts.
 *
 * @example
 * ```ts
 * const generator = new SnowflakeGenerator({ layout: layouts.discord, node: { worker: 1, process: 0 } })
 * ```
 */
export const layouts: {
  readonly twitter: SnowflakeLayout<'datacenter' | 'worker'>
  readonly discord: SnowflakeLayout<'worker' | 'process'>
  readonly sonyflake: SnowflakeLayout<'machine'>
  readonly instagram: SnowflakeLayout<'shard'>
} = Object.freeze({ twitter, discord, sonyflake, instagram })
