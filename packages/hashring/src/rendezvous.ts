/**
 * Rendezvous hashing, also called highest random weight (Thaler & Ravishankar, 1998),
 * weighted with the logarithmic method (Schindelhauer & Schomaker, 2005): for a key,
 * every node draws u = hash(key, node) in (0, 1) and scores `weight / -ln(u)`; the
 * highest score wins, and the next highest are the replicas. A node's share of keys
 * is its share of the total weight, and a change of one node moves only the keys
 * it wins or loses. A lookup costs one hash per node, so it suits tens to a few
 * hundred nodes.
 *
 * The pair hash is MurmurHash3 x86_32 of the words (murmur3(key), murmur3(id, 0),
 * murmur3(id, 1)), so results are the same in every runtime.
 */

import { EmptyRingError } from './errors.js'
import { murmur3Triple, murmur3Unchecked } from './murmur3.js'
import { WeightedNodeSet } from './node-set.js'
import type { NodeInput, WeightedNode } from './nodes.js'
import { assertIntegerIn, assertString, describeType } from './validate.js'

const TWO_POW_32 = 4_294_967_296

/**
 * Weighted rendezvous (HRW) hashing.
 *
 * @example
 * ```ts
 * const hrw = new Rendezvous(['a', 'b', { id: 'c', weight: 2 }])
 * hrw.get('user:42')     // e.g. 'c'
 * hrw.getN('user:42', 2) // e.g. ['c', 'a']: the two highest scores
 * hrw.remove('b')        // only b's keys move
 * ```
 */
export class Rendezvous extends WeightedNodeSet {
  private seedsA: number[] = []
  private seedsB: number[] = []
  /** True while every weight is equal: the winner is then the highest hash, no logarithm needed. */
  private uniform = true

  /**
   * @param nodes - ids (weight 1) or `{ id, weight }`; ids must be unique
   * @throws {TypeError} when a node or weight has the wrong type
   * @throws {RangeError} when an id is empty or repeated, or a weight is not a finite number > 0
   */
  constructor(nodes: Iterable<NodeInput> = []) {
    super()
    this.insertAll(nodes)
  }

  /**
   * The node with the highest score for `key`.
   *
   * @param key - any string
   * @returns the node id
   * @throws {TypeError} when `key` is not a string
   * @throws {EmptyRingError} when there are no nodes
   * @example
   * ```ts
   * hrw.get('user:42')
   * ```
   */
  get(key: string): string {
    if (typeof key !== 'string') throw new TypeError(`key: expected a string, got ${describeType(key)}`)
    const { ids, weights } = this.table
    const count = ids.length
    if (count === 0) throw new EmptyRingError('get')
    const keyHash = murmur3Unchecked(key, 0)
    const seedsA = this.seedsA
    const seedsB = this.seedsB
    let best = 0
    if (this.uniform) {
      let bestHash = murmur3Triple(keyHash, seedsA[0]!, seedsB[0]!)
      for (let i = 1; i < count; i++) {
        const hash = murmur3Triple(keyHash, seedsA[i]!, seedsB[i]!)
        if (hash > bestHash || (hash === bestHash && ids[i]! < ids[best]!)) {
          bestHash = hash
          best = i
        }
      }
      return ids[best]!
    }
    let bestScore = -1
    for (let i = 0; i < count; i++) {
      const score = scoreOf(murmur3Triple(keyHash, seedsA[i]!, seedsB[i]!), weights[i]!)
      if (score > bestScore || (score === bestScore && ids[i]! < ids[best]!)) {
        bestScore = score
        best = i
      }
    }
    return ids[best]!
  }

  /**
   * The `n` nodes with the highest scores for `key`, best first: the owner, then its replicas.
   *
   * @param key - any string
   * @param n - how many nodes, an integer from 1 to `size`
   * @returns `n` distinct node ids
   * @throws {TypeError} when `key` is not a string or `n` not a number
   * @throws {RangeError} when `n` is out of range
   * @throws {EmptyRingError} when there are no nodes
   * @example
   * ```ts
   * hrw.getN('user:42', 2)
   * ```
   */
  getN(key: string, n: number): string[] {
    assertString('key', key)
    const { ids, weights } = this.table
    const count = ids.length
    if (count === 0) throw new EmptyRingError('getN')
    assertIntegerIn('n', n, 1, count)
    const keyHash = murmur3Unchecked(key, 0)
    const scores: { index: number; score: number }[] = []
    for (let i = 0; i < count; i++) {
      const hash = murmur3Triple(keyHash, this.seedsA[i]!, this.seedsB[i]!)
      scores.push({ index: i, score: this.uniform ? hash : scoreOf(hash, weights[i]!) })
    }
    scores.sort((x, y) => y.score - x.score || (ids[x.index]! < ids[y.index]! ? -1 : 1))
    return scores.slice(0, n).map((entry) => ids[entry.index]!)
  }

  protected insert(node: WeightedNode): void {
    this.table.add(node)
    this.seedsA.push(murmur3Unchecked(node.id, 0))
    this.seedsB.push(murmur3Unchecked(node.id, 1))
    this.changed()
  }

  protected override removing(index: number): void {
    this.seedsA.splice(index, 1)
    this.seedsB.splice(index, 1)
  }

  /** Recomputes `uniform` after any change. */
  protected changed(): void {
    const weights = this.table.weights
    this.uniform = weights.every((weight) => weight === weights[0])
  }
}

/** `weight / -ln(u)` with u = (hash + 0.5) / 2^32, strictly inside (0, 1). */
function scoreOf(hash: number, weight: number): number {
  return weight / -Math.log((hash + 0.5) / TWO_POW_32)
}
