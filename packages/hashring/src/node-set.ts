/**
 * The membership API that `HashRing`, `Maglev` and `Rendezvous` share: a set of
 * weighted nodes that can be listed, added, removed and reweighted. Each structure
 * says how a node is admitted (`insert`), what a change invalidates (`changed`) and,
 * where it keeps per-node state of its own, how that follows a removal or a new weight.
 */

import { type NodeInput, NodeTable, toWeightedNode, toWeightedNodes, type WeightedNode } from './nodes.js'
import { assertWeight } from './validate.js'

/** A set of weighted nodes with unique ids; the base of every structure whose nodes may change anywhere. */
export abstract class WeightedNodeSet {
  /** The nodes in insertion order; lookups read `ids` and `weights` directly. */
  protected readonly table = new NodeTable()

  /** How many nodes. */
  get size(): number {
    return this.table.size
  }

  /**
   * The nodes, in the order they were added.
   *
   * @returns a fresh array of `{ id, weight }`
   */
  nodes(): WeightedNode[] {
    return this.table.snapshot()
  }

  /**
   * Whether a node is present.
   *
   * @param id - the node id
   * @returns true when present
   */
  has(id: string): boolean {
    return this.table.has(id)
  }

  /**
   * Adds a node.
   *
   * @param node - an id (weight 1) or `{ id, weight }`
   * @returns this
   * @throws {TypeError} when the node or its weight has the wrong type
   * @throws {RangeError} when the id is empty or present already, the weight is out of range,
   *   or the structure holds as many nodes as it can
   * @example
   * ```ts
   * ring.add('cache-d')
   * ring.add({ id: 'cache-e', weight: 0.5 })
   * ```
   */
  add(node: NodeInput): this {
    this.insert(toWeightedNode(node))
    return this
  }

  /**
   * Removes a node.
   *
   * @param id - the node id
   * @returns this
   * @throws {TypeError} when `id` is not a string
   * @throws {RangeError} when the node is not present
   * @example
   * ```ts
   * ring.remove('cache-b')
   * ```
   */
  remove(id: string): this {
    const index = this.table.existing(id)
    this.removing(index)
    this.table.remove(index)
    this.changed()
    return this
  }

  /**
   * Changes a node's weight.
   *
   * @param id - the node id
   * @param weight - the new weight, a finite number > 0 (a positive integer in a ketama mode `HashRing`)
   * @returns this
   * @throws {TypeError} when `id` is not a string or `weight` not a number
   * @throws {RangeError} when the node is not present or the weight is out of range
   * @example
   * ```ts
   * ring.reweight('cache-a', 3)
   * ```
   */
  reweight(id: string, weight: number): this {
    const index = this.table.existing(id)
    this.checkWeight(weight)
    this.reweighting(index, weight)
    this.table.weights[index] = weight
    this.changed()
    return this
  }

  /** Validates and adds every node of a constructor's `nodes` argument. */
  protected insertAll(nodes: Iterable<NodeInput>): void {
    for (const node of toWeightedNodes(nodes)) this.insert(node)
  }

  /** Checks a validated node against this structure's limits and adds it to the table. */
  protected abstract insert(node: WeightedNode): void

  /** Drops whatever was derived from the nodes (a built table, a cached flag). */
  protected abstract changed(): void

  /** Throws unless `weight` is a weight this structure accepts; a finite number > 0 by default. */
  protected checkWeight(weight: unknown): asserts weight is number {
    assertWeight('weight', weight)
  }

  /** Called with the index of a node about to be removed, before the table forgets it. */
  protected removing(_index: number): void {}

  /** Called with a node's index and its checked new weight, before the table records it. */
  protected reweighting(_index: number, _weight: number): void {}
}
