/**
 * Node ids: the values of a layout's node fields (worker, datacenter, shard…), given one
 * by one or as one combined integer — the form a worker-id lease hands out.
 */

import type { SnowflakeLayout } from './layout.js'
import { assertInteger, describe } from './validate.js'

/**
 * Joins the node field values into one integer: the fields concatenated, most
 * significant first. For Twitter, `datacenter << 5 | worker`, from 0 to 1023.
 *
 * @param layout - the layout whose node fields to join
 * @param node - one integer per node field
 * @returns the combined node id, from 0 to `layout.nodeIdMax`
 * @throws {TypeError} when `node` is not an object or a value is not a number
 * @throws {RangeError} when a field is missing, unknown or out of range:
 *   `node.worker: expected an integer from 0 to 31, got 32`
 * @example
 * ```ts
 * joinNodeId(layouts.twitter, { datacenter: 1, worker: 2 }) // 34
 * ```
 */
export function joinNodeId<Node extends string>(
  layout: SnowflakeLayout<Node>,
  node: Readonly<Record<Node, number>>,
): number {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    throw new TypeError(`node: expected an object, got ${describe(node)}`)
  }
  for (const key of Object.keys(node)) {
    if (!layout.nodeFields.some((field) => field.name === key)) {
      throw new RangeError(
        `node.${key}: not a node field of the ${layout.name} layout (expected ${nodeFieldList(layout)})`,
      )
    }
  }
  let nodeId = 0
  for (const field of layout.nodeFields) {
    const value: unknown = (node as Record<string, unknown>)[field.name]
    if (value === undefined)
      throw new RangeError(`node.${field.name}: expected an integer from 0 to ${field.max}, got undefined`)
    assertInteger(`node.${field.name}`, value, 0, field.max)
    nodeId = nodeId * 2 ** field.bits + value
  }
  return nodeId
}

/**
 * Splits a combined node id into the layout's node field values.
 *
 * @param layout - the layout whose node fields to fill
 * @param nodeId - an integer from 0 to `layout.nodeIdMax`
 * @returns one integer per node field
 * @throws {TypeError} when `nodeId` is not a number
 * @throws {RangeError} when it is out of range: `nodeId: expected an integer from 0 to 1023, got 1024`
 * @example
 * ```ts
 * splitNodeId(layouts.twitter, 34) // { datacenter: 1, worker: 2 }
 * ```
 */
export function splitNodeId<Node extends string>(
  layout: SnowflakeLayout<Node>,
  nodeId: number,
): Record<Node, number> {
  assertInteger('nodeId', nodeId, 0, layout.nodeIdMax)
  const values: number[] = []
  let rest = nodeId
  for (let index = layout.nodeFields.length - 1; index >= 0; index--) {
    const size = 2 ** layout.nodeFields[index]!.bits
    values[index] = rest % size
    rest = Math.floor(rest / size)
  }
  const node = {} as Record<Node, number>
  layout.nodeFields.forEach((field, index) => {
    node[field.name] = values[index]!
  })
  return node
}

/** @internal "datacenter, worker" or "no node field" */
export function nodeFieldList(layout: SnowflakeLayout): string {
  return layout.nodeFields.length === 0
    ? 'no node field'
    : layout.nodeFields.map((field) => field.name).join(', ')
}

/** @internal the node fields' bits in place, as one bigint to OR into every id */
export function nodeBitsOf(layout: SnowflakeLayout, nodeId: number): bigint {
  const node = splitNodeId(layout, nodeId) as Record<string, number>
  let bits = 0n
  for (const field of layout.nodeFields) bits |= BigInt(node[field.name]!) << BigInt(field.shift)
  return bits
}
