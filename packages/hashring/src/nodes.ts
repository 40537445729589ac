/**
 * The node model shared by every algorithm: a node is a non-empty string id with a
 * weight (a finite number > 0, 1 by default). Ids are unique within a structure.
 */

import { assertString, assertWeight, describeType } from './validate.js'

/** The most nodes one structure holds. */
export const MAX_NODES = 65_536
/** The longest node id accepted, in UTF-16 code units. */
export const MAX_NODE_ID_LENGTH = 256

/** A node as the structures report it. */
export interface WeightedNode {
  /** The node's unique id: a host:port, a shard name… */
  readonly id: string
  /** Its relative capacity, a finite number > 0. */
  readonly weight: number
}

/** A node as callers may give it: an id (weight 1), or an id with a weight. */
export type NodeInput = string | { readonly id: string; readonly weight?: number }

/** Throws unless `value` is a usable node id. */
export function assertNodeId(name: string, value: unknown): asserts value is string {
  assertString(name, value)
  if (value.length === 0) throw new RangeError(`${name}: expected a non-empty string, got ""`)
  if (value.length > MAX_NODE_ID_LENGTH) {
    throw new RangeError(
      `${name}: expected at most ${MAX_NODE_ID_LENGTH} characters, got length=${value.length}`,
    )
  }
}

/** Validates one node input and returns it as `{ id, weight }`. */
export function toWeightedNode(input: unknown): WeightedNode {
  if (typeof input === 'string') {
    assertNodeId('node', input)
    return { id: input, weight: 1 }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError(`node: expected a string or { id, weight }, got ${describeType(input)}`)
  }
  const { id, weight = 1 } = input as { id?: unknown; weight?: unknown }
  assertNodeId('node.id', id)
  assertWeight('node.weight', weight)
  return { id, weight }
}

/** Validates an iterable of node inputs, refusing duplicates and too many nodes. */
export function toWeightedNodes(inputs: unknown): WeightedNode[] {
  if (
    typeof inputs !== 'object' ||
    inputs === null ||
    typeof (inputs as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`nodes: expected an iterable of nodes, got ${describeType(inputs)}`)
  }
  const nodes: WeightedNode[] = []
  const seen = new Set<string>()
  for (const input of inputs as Iterable<unknown>) {
    const node = toWeightedNode(input)
    if (seen.has(node.id)) throw new RangeError(`nodes: duplicate node ${JSON.stringify(node.id)}`)
    seen.add(node.id)
    nodes.push(node)
    if (nodes.length > MAX_NODES) throw new RangeError(`nodes: expected at most ${MAX_NODES} nodes`)
  }
  return nodes
}

/** Nodes in insertion order with an id → index map; the mutable core of every structure. */
export class NodeTable {
  readonly ids: string[] = []
  readonly weights: number[] = []
  private readonly positions = new Map<string, number>()

  get size(): number {
    return this.ids.length
  }

  has(id: string): boolean {
    return this.positions.has(id)
  }

  indexOf(id: string): number {
    return this.positions.get(id) ?? -1
  }

  /** Index of `id`, or a RangeError naming the missing node. */
  existing(id: unknown): number {
    assertString('id', id)
    const index = this.positions.get(id)
    if (index === undefined) throw new RangeError(`id: ${JSON.stringify(id)} is not a node here`)
    return index
  }

  add(node: WeightedNode): void {
    if (this.positions.has(node.id))
      throw new RangeError(`node: ${JSON.stringify(node.id)} is already a node here`)
    if (this.ids.length >= MAX_NODES) throw new RangeError(`node: expected at most ${MAX_NODES} nodes`)
    this.positions.set(node.id, this.ids.length)
    this.ids.push(node.id)
    this.weights.push(node.weight)
  }

  remove(index: number): void {
    const id = this.ids[index]!
    this.ids.splice(index, 1)
    this.weights.splice(index, 1)
    this.positions.delete(id)
    for (let i = index; i < this.ids.length; i++) this.positions.set(this.ids[i]!, i)
  }

  snapshot(): WeightedNode[] {
    return this.ids.map((id, i) => ({ id, weight: this.weights[i]! }))
  }
}
