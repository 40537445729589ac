/**
 * A consistent hash ring with virtual nodes and weights, in three modes:
 *
 * - `fast` (default): points and keys hashed with MurmurHash3 x86_32 over UTF-8.
 *   Node `id` with weight `w` owns `max(1, round(w × pointsPerNode))` points at
 *   `murmur3("<id>#<i>")`, i = 0, 1, …; a node's points depend only on its own id and
 *   weight, so adding, removing or reweighting a node moves only the keys of the
 *   points it gains or loses, and two rings with the same nodes map every key the
 *   same way whatever the order the nodes were added in.
 * - `libketama` and `libmemcached`: exact to those C libraries (see `ketama.ts`), for
 *   clients that must agree with existing memcached deployments. Weights there are
 *   positive integers and the point counts come from the library's own arithmetic.
 */

import { Continuum } from './continuum.js'
import { EmptyRingError } from './errors.js'
import { ketamaDigestCounts, ketamaPoints } from './ketama.js'
import { ketamaHash } from './md5.js'
import { murmur3Unchecked } from './murmur3.js'
import { WeightedNodeSet } from './node-set.js'
import type { NodeInput, WeightedNode } from './nodes.js'
import { assertIntegerIn, assertOptions, assertString, assertWeight, describeType, show } from './validate.js'

/** Which hash and point arithmetic a ring uses. */
export type HashRingMode = 'fast' | 'libketama' | 'libmemcached'

/** Options of a {@link HashRing}. */
export interface HashRingOptions {
  /** `fast` (MurmurHash3, the default), or exact compatibility with `libketama` or `libmemcached`. */
  mode?: HashRingMode
  /** Points of a node of weight 1 in `fast` mode, an integer in [1, 65536]; 160 by default. Fixed by the library in the ketama modes. */
  pointsPerNode?: number
}

/** The most points one node may own in `fast` mode. */
export const MAX_POINTS_PER_NODE = 1 << 20
/** The most points a ring may hold in `fast` mode. */
export const MAX_RING_POINTS = 1 << 24

const MODES: readonly HashRingMode[] = ['fast', 'libketama', 'libmemcached']

/**
 * A consistent hash ring: `get(key)` names the node owning a key, `getN(key, n)` the
 * first n distinct nodes clockwise (replicas).
 *
 * @example
 * ```ts
 * const ring = new HashRing(['cache-a', 'cache-b', { id: 'cache-c', weight: 2 }])
 * ring.get('user:42')        // e.g. 'cache-c'
 * ring.getN('user:42', 2)    // e.g. ['cache-c', 'cache-a']
 * ring.add('cache-d')        // moves only the keys cache-d now owns
 *
 * const memcached = new HashRing(['10.0.0.1:11211', '10.0.0.2:11211'], { mode: 'libmemcached' })
 * memcached.get('session/abc') // the server libmemcached's weighted ketama picks
 * ```
 */
export class HashRing extends WeightedNodeSet {
  /** The hash and point arithmetic of this ring. */
  readonly mode: HashRingMode
  /** Points of a node of weight 1 (`fast` mode; 160 in the ketama modes at equal weights). */
  readonly pointsPerNode: number
  private readonly fast: boolean
  /** The sorted points; rebuilt lazily on the first lookup after a change. */
  private continuum: Continuum | undefined
  /** fast mode: each node's points, cached by id. ketama modes: each server's digests, cached by id. */
  private readonly pointCache = new Map<string, Uint32Array>()
  private fastPointTotal = 0
  private seen = new Uint32Array(0)
  private epoch = 0

  /**
   * @param nodes - the initial nodes: ids (weight 1) or `{ id, weight }`; ids must be unique
   * @param options - the mode and, in `fast` mode, the points per node of weight 1
   * @throws {TypeError} when a node, a weight or an option has the wrong type
   * @throws {RangeError} when an id is empty or repeated, a weight is not a finite number > 0
   *   (a positive integer in the ketama modes), or an option is out of range
   */
  constructor(nodes: Iterable<NodeInput> = [], options: HashRingOptions = {}) {
    super()
    assertOptions('options', options)
    const mode = options.mode ?? 'fast'
    if (typeof mode !== 'string') throw new TypeError(`mode: expected a string, got ${describeType(mode)}`)
    if (!MODES.includes(mode)) {
      throw new RangeError(`mode: expected 'fast', 'libketama' or 'libmemcached', got ${show(mode)}`)
    }
    this.mode = mode
    this.fast = mode === 'fast'
    if (this.fast) {
      const pointsPerNode = options.pointsPerNode ?? 160
      assertIntegerIn('pointsPerNode', pointsPerNode, 1, 65_536)
      this.pointsPerNode = pointsPerNode
    } else {
      if (options.pointsPerNode !== undefined) {
        throw new RangeError(
          `pointsPerNode: fixed by the library in ${mode} mode, got ${show(options.pointsPerNode)}`,
        )
      }
      this.pointsPerNode = 160
    }
    this.insertAll(nodes)
  }

  /** How many points the ring holds (builds the ring if it changed). */
  get pointCount(): number {
    return this.table.size === 0 ? 0 : this.build('pointCount').points.length
  }

  /**
   * The node that owns `key`: the owner of the first point at or after the key's hash.
   *
   * @param key - any string (hashed as UTF-8)
   * @returns the node id
   * @throws {TypeError} when `key` is not a string
   * @throws {EmptyRingError} when the ring has no nodes
   * @example
   * ```ts
   * ring.get('user:42') // 'cache-c'
   * ```
   */
  get(key: string): string {
    if (typeof key !== 'string') throw new TypeError(`key: expected a string, got ${describeType(key)}`)
    const continuum = this.continuum ?? this.build('get')
    const hash = this.fast ? murmur3Unchecked(key, 0) : ketamaHash(key)
    return this.table.ids[continuum.owners[continuum.find(hash)]!]!
  }

  /**
   * The first `n` distinct nodes met walking clockwise from the key's hash: the owner
   * (`get(key)`) first, then the replicas, in ring order.
   *
   * @param key - any string (hashed as UTF-8)
   * @param n - how many nodes, an integer from 1 to the number of nodes that own points
   * @returns `n` distinct node ids
   * @throws {TypeError} when `key` is not a string or `n` not a number
   * @throws {RangeError} when `n` is out of range
   * @throws {EmptyRingError} when the ring has no nodes
   * @example
   * ```ts
   * ring.getN('user:42', 3) // ['cache-c', 'cache-a', 'cache-b']
   * ```
   */
  getN(key: string, n: number): string[] {
    assertString('key', key)
    const continuum = this.continuum ?? this.build('getN')
    assertIntegerIn('n', n, 1, continuum.reachable)
    const hash = this.fast ? murmur3Unchecked(key, 0) : ketamaHash(key)
    const { points, owners } = continuum
    const count = points.length
    if (this.seen.length < this.table.size) this.seen = new Uint32Array(this.table.size)
    const seen = this.seen
    const epoch = ++this.epoch
    if (epoch === 0xffffffff) {
      seen.fill(0)
      this.epoch = 1
    }
    const result: string[] = []
    let position = continuum.find(hash)
    for (let step = 0; step < count && result.length < n; step++, position++) {
      if (position >= count) position = 0
      const owner = owners[position]!
      if (seen[owner] !== this.epoch) {
        seen[owner] = this.epoch
        result.push(this.table.ids[owner]!)
      }
    }
    return result
  }

  /**
   * The key's position on the circle: its 32-bit hash in this ring's mode.
   *
   * @param key - any string
   * @returns an unsigned 32-bit integer
   * @throws {TypeError} when `key` is not a string
   * @example
   * ```ts
   * new HashRing([], { mode: 'libketama' }).hashOf('0') // first 4 bytes of MD5("0"), little-endian
   * ```
   */
  hashOf(key: string): number {
    assertString('key', key)
    return this.fast ? murmur3Unchecked(key, 0) : ketamaHash(key)
  }

  /**
   * How many points a node owns on the ring.
   *
   * @param id - the node id
   * @returns its number of points (4 × digests in the ketama modes)
   * @throws {RangeError} when the node is not on the ring
   * @example
   * ```ts
   * new HashRing(['a']).pointsOf('a') // 160
   * ```
   */
  pointsOf(id: string): number {
    const index = this.table.existing(id)
    if (this.fast) return this.fastPointsOf(this.table.weights[index]!)
    return 4 * ketamaDigestCounts(this.table.weights, this.mode as 'libketama')[index]!
  }

  /**
   * Bytes held by the ring's lookup arrays (points, owners, bucket index).
   *
   * @returns a byte count (0 for an empty ring)
   */
  get byteLength(): number {
    return this.table.size === 0 ? 0 : this.build('byteLength').byteLength
  }

  /** @internal The built continuum, for structures layered on the ring (bounded loads). */
  _continuum(operation: string): Continuum {
    return this.continuum ?? this.build(operation)
  }

  /** @internal Node ids by index, as the continuum's owners refer to them. */
  _ids(): readonly string[] {
    return this.table.ids
  }

  /** @internal Node weights by index. */
  _weights(): readonly number[] {
    return this.table.weights
  }

  protected override checkWeight(weight: unknown): asserts weight is number {
    assertWeight('weight', weight)
    if (!this.fast && (!Number.isInteger(weight) || weight > 0xffffffff)) {
      throw new RangeError(
        `weight: expected an integer in [1, 4294967295] in ${this.mode} mode, got ${show(weight)}`,
      )
    }
    if (this.fast && weight * this.pointsPerNode > MAX_POINTS_PER_NODE) {
      throw new RangeError(
        `weight: ${show(weight)} × ${this.pointsPerNode} points exceeds ${MAX_POINTS_PER_NODE} points per node`,
      )
    }
  }

  private checkTotal(total: number): void {
    if (total > MAX_RING_POINTS) {
      throw new RangeError(`node: the ring would hold ${total} points, more than ${MAX_RING_POINTS}`)
    }
  }

  private fastPointsOf(weight: number): number {
    return Math.max(1, Math.round(weight * this.pointsPerNode))
  }

  protected insert(node: WeightedNode): void {
    if (this.table.has(node.id))
      throw new RangeError(`node: ${JSON.stringify(node.id)} is already on the ring`)
    this.checkWeight(node.weight)
    if (this.fast) {
      const total = this.fastPointTotal + this.fastPointsOf(node.weight)
      this.checkTotal(total)
      this.table.add(node)
      this.fastPointTotal = total
    } else {
      this.table.add(node)
    }
    this.changed()
  }

  /** In `fast` mode, gives back the removed node's points; forgets its cached points. */
  protected override removing(index: number): void {
    if (this.fast) this.fastPointTotal -= this.fastPointsOf(this.table.weights[index]!)
    this.pointCache.delete(this.table.ids[index]!)
  }

  /** In `fast` mode, checks the ring stays within {@link MAX_RING_POINTS} at the new weight. */
  protected override reweighting(index: number, weight: number): void {
    if (!this.fast) return
    const total =
      this.fastPointTotal - this.fastPointsOf(this.table.weights[index]!) + this.fastPointsOf(weight)
    this.checkTotal(total)
    this.fastPointTotal = total
  }

  protected changed(): void {
    this.continuum = undefined
  }

  /** The points of node `id` in fast mode: murmur3("<id>#<i>") for i < count (cached). */
  private fastPoints(id: string, count: number): Uint32Array {
    const cached = this.pointCache.get(id)
    if (cached !== undefined && cached.length >= count) return cached
    const points = new Uint32Array(count)
    let i = 0
    if (cached !== undefined) {
      points.set(cached)
      i = cached.length
    }
    for (; i < count; i++) points[i] = murmur3Unchecked(`${id}#${i}`, 0)
    this.pointCache.set(id, points)
    return points
  }

  /** The digests of server `id` in a ketama mode (cached). */
  private ketamaServerPoints(id: string, digests: number): Uint32Array {
    const cached = this.pointCache.get(id)
    if (cached !== undefined && cached.length >= digests * 4) return cached
    const points = ketamaPoints(id, digests, this.mode as 'libketama')
    this.pointCache.set(id, points)
    return points
  }

  private build(operation: string): Continuum {
    if (this.continuum !== undefined) return this.continuum
    const { ids, weights } = this.table
    const nodeCount = ids.length
    if (nodeCount === 0) throw new EmptyRingError(operation)
    const counts = this.fast
      ? weights.map((weight) => this.fastPointsOf(weight))
      : ketamaDigestCounts(weights, this.mode as 'libketama').map((digests) => digests * 4)
    let total = 0
    for (const count of counts) total += count
    if (total === 0) throw new EmptyRingError(operation)
    // Equal points sort by rank: by id in fast mode (insertion order must not matter),
    // by insertion order in the ketama modes (libmemcached sorts ties by server index,
    // glibc's qsort keeps libketama's generation order).
    const rankOf = new Uint16Array(nodeCount)
    const ownerOfRank = new Uint16Array(nodeCount)
    if (this.fast) {
      const order = ids.map((_, i) => i).sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0))
      order.forEach((node, rank) => {
        rankOf[node] = rank
        ownerOfRank[rank] = node
      })
    } else {
      for (let i = 0; i < nodeCount; i++) {
        rankOf[i] = i
        ownerOfRank[i] = i
      }
    }
    const values = new Uint32Array(total)
    const ranks = new Uint16Array(total)
    let offset = 0
    for (let node = 0; node < nodeCount; node++) {
      const count = counts[node]!
      if (count === 0) continue
      const source = this.fast
        ? this.fastPoints(ids[node]!, count)
        : this.ketamaServerPoints(ids[node]!, count / 4)
      values.set(source.length === count ? source : source.subarray(0, count), offset)
      ranks.fill(rankOf[node]!, offset, offset + count)
      offset += count
    }
    this.continuum = new Continuum(values, ranks, ownerOfRank)
    return this.continuum
  }
}
