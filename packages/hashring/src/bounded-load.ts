/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam, SODA 2018):
 * a ring where no node takes more than `ceil(loadFactor × m × weight / totalWeight)`
 * of the m assignments currently held. A key goes to the first node clockwise from its
 * hash that is below its capacity, so a hot region of the ring overflows to the next
 * nodes instead of overloading one. With loadFactor = 1 + ε, the paper bounds the
 * expected moves per change by O(1/ε²) times the ideal.
 *
 * It is stateful: `acquire(key)` assigns and counts, `release(id)` gives one back
 * (when the request, connection or session ends). The ring underneath is a
 * {@link HashRing} in `fast` mode.
 */

import { EmptyRingError } from './errors.js'
import { HashRing } from './hash-ring.js'
import { murmur3Unchecked } from './murmur3.js'
import { type NodeInput, toWeightedNode, toWeightedNodes, type WeightedNode } from './nodes.js'
import { assertOptions, assertString, describeType, show } from './validate.js'

/** Options of a {@link BoundedLoadRing}. */
export interface BoundedLoadOptions {
  /** c = 1 + ε, a finite number > 1 and ≤ 100: no node holds more than c × its fair share. 1.25 by default. */
  loadFactor?: number
  /** Points of a node of weight 1 on the ring underneath, an integer in [1, 65536]; 160 by default. */
  pointsPerNode?: number
}

/**
 * A consistent hash ring with bounded loads.
 *
 * @example
 * ```ts
 * const balancer = new BoundedLoadRing(['a', 'b', 'c'], { loadFactor: 1.25 })
 * const node = balancer.acquire('session/42') // the ring's choice, unless it is full
 * // … serve the request on `node` …
 * balancer.release(node)
 * ```
 */
export class BoundedLoadRing {
  /** The load factor c: capacities are ceil(c × fair share). */
  readonly loadFactor: number
  private readonly ring: HashRing
  private readonly loads = new Map<string, number>()
  private totalLoadCount = 0
  private totalWeight = 0

  /**
   * @param nodes - ids (weight 1) or `{ id, weight }`; ids must be unique
   * @param options - the load factor and the points per node
   * @throws {TypeError} when a node, weight or option has the wrong type
   * @throws {RangeError} when an id is empty or repeated, a weight is out of range,
   *   or the load factor is not a finite number in (1, 100]
   */
  constructor(nodes: Iterable<NodeInput> = [], options: BoundedLoadOptions = {}) {
    assertOptions('options', options)
    const loadFactor = options.loadFactor ?? 1.25
    if (typeof loadFactor !== 'number') {
      throw new TypeError(`loadFactor: expected a number, got ${describeType(loadFactor)}`)
    }
    if (!Number.isFinite(loadFactor) || loadFactor <= 1 || loadFactor > 100) {
      throw new RangeError(`loadFactor: expected a finite number > 1 and ≤ 100, got ${show(loadFactor)}`)
    }
    this.loadFactor = loadFactor
    const list = toWeightedNodes(nodes)
    this.ring = new HashRing(list, { pointsPerNode: options.pointsPerNode ?? 160 })
    for (const node of list) {
      this.loads.set(node.id, 0)
      this.totalWeight += node.weight
    }
  }

  /** How many nodes. */
  get size(): number {
    return this.ring.size
  }

  /** How many assignments are held in total (acquired and not released). */
  get totalLoad(): number {
    return this.totalLoadCount
  }

  /**
   * The nodes, in the order they were added.
   *
   * @returns a fresh array of `{ id, weight }`
   */
  nodes(): WeightedNode[] {
    return this.ring.nodes()
  }

  /**
   * The number of assignments a node holds.
   *
   * @param id - the node id
   * @returns its load
   * @throws {TypeError} when `id` is not a string
   * @throws {RangeError} when the node is not present
   */
  loadOf(id: string): number {
    assertString('id', id)
    const load = this.loads.get(id)
    if (load === undefined) throw new RangeError(`id: ${JSON.stringify(id)} is not a node here`)
    return load
  }

  /**
   * The capacity of a node for the next assignment: `ceil(c × (totalLoad + 1) × weight / totalWeight)`.
   *
   * @param id - the node id
   * @returns its capacity
   * @throws {TypeError} when `id` is not a string
   * @throws {RangeError} when the node is not present
   */
  capacityOf(id: string): number {
    return this.capacity(this.weightOf(id))
  }

  /**
   * Adds a node with no load.
   *
   * @param node - an id (weight 1) or `{ id, weight }`
   * @returns this
   * @throws {TypeError} when the node or weight has the wrong type
   * @throws {RangeError} when the id is empty or present, or the weight is out of range
   * @example
   * ```ts
   * balancer.add('d')
   * ```
   */
  add(node: NodeInput): this {
    const checked = toWeightedNode(node)
    this.ring.add(checked)
    this.loads.set(checked.id, 0)
    this.totalWeight += checked.weight
    return this
  }

  /**
   * Removes a node and forgets its load: the caller re-acquires the keys it held.
   *
   * @param id - the node id
   * @returns this
   * @throws {TypeError} when `id` is not a string
   * @throws {RangeError} when the node is not present
   * @example
   * ```ts
   * balancer.remove('b')
   * ```
   */
  remove(id: string): this {
    const weight = this.weightOf(id)
    this.ring.remove(id)
    this.totalLoadCount -= this.loads.get(id)!
    this.loads.delete(id)
    this.totalWeight -= weight
    return this
  }

  /**
   * Changes a node's weight (and so its capacity).
   *
   * @param id - the node id
   * @param weight - a finite number > 0
   * @returns this
   * @throws {TypeError} when `id` is not a string or `weight` not a number
   * @throws {RangeError} when the node is not present or the weight is out of range
   * @example
   * ```ts
   * balancer.reweight('a', 2)
   * ```
   */
  reweight(id: string, weight: number): this {
    const old = this.weightOf(id)
    this.ring.reweight(id, weight)
    this.totalWeight += weight - old
    return this
  }

  /**
   * Where `acquire(key)` would assign `key` now, without assigning it.
   *
   * @param key - any string
   * @returns the node id
   * @throws {TypeError} when `key` is not a string
   * @throws {EmptyRingError} when there are no nodes
   * @example
   * ```ts
   * balancer.peek('session/42')
   * ```
   */
  peek(key: string): string {
    if (typeof key !== 'string') throw new TypeError(`key: expected a string, got ${describeType(key)}`)
    return this.locate(key, 'peek')
  }

  /**
   * Assigns `key` to the first node clockwise from its hash that is below capacity,
   * and counts the assignment.
   *
   * @param key - any string
   * @returns the node id
   * @throws {TypeError} when `key` is not a string
   * @throws {EmptyRingError} when there are no nodes
   * @example
   * ```ts
   * const node = balancer.acquire('session/42')
   * ```
   */
  acquire(key: string): string {
    if (typeof key !== 'string') throw new TypeError(`key: expected a string, got ${describeType(key)}`)
    const id = this.locate(key, 'acquire')
    this.loads.set(id, this.loads.get(id)! + 1)
    this.totalLoadCount++
    return id
  }

  /**
   * Gives back one assignment of a node.
   *
   * @param id - the node `acquire` returned
   * @returns this
   * @throws {TypeError} when `id` is not a string
   * @throws {RangeError} when the node is not present or holds no assignment
   * @example
   * ```ts
   * balancer.release(node)
   * ```
   */
  release(id: string): this {
    const load = this.loadOf(id)
    if (load === 0) throw new RangeError(`id: ${JSON.stringify(id)} holds no assignment to release`)
    this.loads.set(id, load - 1)
    this.totalLoadCount--
    return this
  }

  private weightOf(id: string): number {
    this.loadOf(id)
    return this.ring._weights()[this.ring._ids().indexOf(id)]!
  }

  private capacity(weight: number): number {
    return Math.ceil((this.loadFactor * (this.totalLoadCount + 1) * weight) / this.totalWeight)
  }

  private locate(key: string, operation: string): string {
    if (this.ring.size === 0) throw new EmptyRingError(operation)
    const continuum = this.ring._continuum(operation)
    const ids = this.ring._ids()
    const weights = this.ring._weights()
    const { points, owners } = continuum
    const count = points.length
    let position = continuum.find(murmur3Unchecked(key, 0))
    // Capacities sum to at least c × (m + 1) > m, so some node is below its capacity.
    for (let step = 0; step < count; step++, position++) {
      if (position >= count) position = 0
      const owner = owners[position]!
      const id = ids[owner]!
      if (this.loads.get(id)! < this.capacity(weights[owner]!)) return id
    }
    throw new Error('bounded loads: no node below capacity (a broken invariant)')
  }
}
