/**
 * Maglev hashing (Eisenbud et al., NSDI 2016): a lookup table of a prime size M is
 * filled by letting the nodes take turns claiming their next free preferred entry,
 * each node's preferences being the permutation `(offset + j × skip) mod M`. A lookup
 * is one hash and one array read, and every node gets M/N entries to within one.
 * The price is a little more movement than a ring when nodes change.
 *
 * Weights: in each round a node earns `weight / maxWeight` of a turn and claims an
 * entry per whole turn earned, so its share of the table follows its weight. Nodes
 * take turns in id order, so the table depends only on the set of nodes, not on the
 * order they were added in. `offset = murmur3(id, 1) mod M`,
 * `skip = murmur3(id, 2) mod (M − 1) + 1`, and a key goes to `table[murmur3(key) mod M]`.
 */

import { EmptyRingError } from './errors.js'
import { murmur3Unchecked } from './murmur3.js'
import { WeightedNodeSet } from './node-set.js'
import type { NodeInput, WeightedNode } from './nodes.js'
import { assertIntegerIn, assertOptions, describeType, show } from './validate.js'

/** The largest table size accepted (a prime below 2^24). */
export const MAX_MAGLEV_TABLE_SIZE = 16_777_213

/** Options of a {@link Maglev} table. */
export interface MaglevOptions {
  /** The table size M, a prime in [2, 16777213], at least the number of nodes; 65537 by default. The paper advises M ≥ 100 × nodes. */
  tableSize?: number
}

/**
 * `hash mod size` for an unsigned 32-bit hash, without the float modulo (a slow
 * library call in V8): one division, then a correction for its rounding.
 */
export function slotOf(hash: number, size: number): number {
  const slot = hash - Math.floor(hash / size) * size
  if (slot < 0) return slot + size
  return slot >= size ? slot - size : slot
}

function isPrime(value: number): boolean {
  if (value < 2) return false
  if (value % 2 === 0) return value === 2
  for (let divisor = 3; divisor * divisor <= value; divisor += 2) if (value % divisor === 0) return false
  return true
}

/**
 * A Maglev lookup table.
 *
 * @example
 * ```ts
 * const maglev = new Maglev(['backend-1', 'backend-2', { id: 'backend-3', weight: 2 }])
 * maglev.get('10.1.2.3:5555') // e.g. 'backend-3'
 * ```
 */
export class Maglev extends WeightedNodeSet {
  /** The table size M (a prime). */
  readonly tableSize: number
  private entries: Uint16Array | undefined

  /**
   * @param nodes - ids (weight 1) or `{ id, weight }`; ids must be unique
   * @param options - the table size
   * @throws {TypeError} when a node, a weight or an option has the wrong type
   * @throws {RangeError} when an id is empty or repeated, a weight is not a finite number > 0,
   *   the table size is not a prime in range, or there are more nodes than entries
   */
  constructor(nodes: Iterable<NodeInput> = [], options: MaglevOptions = {}) {
    super()
    assertOptions('options', options)
    const tableSize = options.tableSize ?? 65_537
    assertIntegerIn('tableSize', tableSize, 2, MAX_MAGLEV_TABLE_SIZE)
    if (!isPrime(tableSize)) throw new RangeError(`tableSize: expected a prime, got ${tableSize}`)
    this.tableSize = tableSize
    this.insertAll(nodes)
  }

  /**
   * The node of `key`: `table[murmur3(key) mod M]`.
   *
   * @param key - any string
   * @returns the node id
   * @throws {TypeError} when `key` is not a string
   * @throws {EmptyRingError} when there are no nodes
   * @example
   * ```ts
   * maglev.get('flow:10.0.0.1:443')
   * ```
   */
  get(key: string): string {
    if (typeof key !== 'string') throw new TypeError(`key: expected a string, got ${describeType(key)}`)
    const entries = this.entries ?? this.build('get')
    return this.table.ids[entries[slotOf(murmur3Unchecked(key, 0), this.tableSize)]!]!
  }

  /**
   * How many table entries each node holds (builds the table if it changed).
   *
   * @returns a map from node id to entry count
   * @throws {EmptyRingError} when there are no nodes
   * @example
   * ```ts
   * new Maglev(['a', 'b'], { tableSize: 7 }).entryCounts() // Map { 'a' => 4, 'b' => 3 }: a takes the first turn
   * ```
   */
  entryCounts(): Map<string, number> {
    const entries = this.entries ?? this.build('entryCounts')
    const counts = new Map<string, number>(this.table.ids.map((id) => [id, 0]))
    for (const entry of entries) {
      const id = this.table.ids[entry]!
      counts.set(id, counts.get(id)! + 1)
    }
    return counts
  }

  /**
   * Bytes held by the lookup table.
   *
   * @returns a byte count (2 × M once built, 0 before)
   */
  get byteLength(): number {
    return this.entries?.byteLength ?? 0
  }

  protected insert(node: WeightedNode): void {
    if (this.table.size >= this.tableSize) {
      throw new RangeError(`node: a table of ${this.tableSize} entries holds at most ${this.tableSize} nodes`)
    }
    if (this.table.has(node.id)) throw new RangeError(`node: ${show(node.id)} is already a node here`)
    this.table.add(node)
    this.changed()
  }

  protected changed(): void {
    this.entries = undefined
  }

  private build(operation: string): Uint16Array {
    const { ids, weights } = this.table
    const count = ids.length
    if (count === 0) throw new EmptyRingError(operation)
    const size = this.tableSize
    const order = ids.map((_, i) => i).sort((a, b) => (ids[a]! < ids[b]! ? -1 : 1))
    const position = new Float64Array(count)
    const skip = new Float64Array(count)
    const share = new Float64Array(count)
    const credit = new Float64Array(count)
    let maxWeight = 0
    for (const weight of weights) maxWeight = Math.max(maxWeight, weight)
    for (let turn = 0; turn < count; turn++) {
      const node = order[turn]!
      position[turn] = murmur3Unchecked(ids[node]!, 1) % size
      skip[turn] = (murmur3Unchecked(ids[node]!, 2) % (size - 1)) + 1
      share[turn] = weights[node]! / maxWeight
    }
    const entries = new Uint16Array(size)
    const filled = new Uint8Array(size)
    let taken = 0
    while (taken < size) {
      for (let turn = 0; turn < count && taken < size; turn++) {
        credit[turn]! += share[turn]!
        while (credit[turn]! >= 1 && taken < size) {
          credit[turn]! -= 1
          // claim the next free entry of this node's permutation
          let slot = position[turn]!
          while (filled[slot] === 1) {
            slot += skip[turn]!
            if (slot >= size) slot -= size
          }
          filled[slot] = 1
          entries[slot] = order[turn]!
          taken++
          slot += skip[turn]!
          position[turn] = slot >= size ? slot - size : slot
        }
      }
    }
    this.entries = entries
    return entries
  }
}
