/**
 * Jump consistent hash (Lamping & Veach, 2014): maps a 64-bit key to one of
 * `buckets` buckets with no memory and ideal balance; going from n to n + 1 buckets
 * moves exactly the keys that land in the new bucket. Buckets are numbered, so
 * nodes can only be added or removed at the end.
 *
 * The 64-bit linear congruential step of the paper is computed exactly on two 32-bit
 * halves (no BigInt on the hot path).
 */

import { EmptyRingError } from './errors.js'
import { murmur3Unchecked } from './murmur3.js'
import { assertNodeId, MAX_NODES } from './nodes.js'
import { assertIntegerIn, describeType, show } from './validate.js'

/** The most buckets `jumpHash` accepts (the paper's signed 32-bit bucket count). */
export const MAX_JUMP_BUCKETS = 2_147_483_647

/** 2862933555777941757, the paper's multiplier, as two 32-bit halves. */
const MULTIPLIER_HIGH = 0x27bb2ee6
const MULTIPLIER_LOW = 0x87b0b0fd
const TWO_POW_32 = 4_294_967_296
const TWO_POW_31 = 2_147_483_648

/** The multiplier in 16-bit limbs, least significant first. */
const M0 = MULTIPLIER_LOW & 0xffff
const M1 = MULTIPLIER_LOW >>> 16
const M2 = MULTIPLIER_HIGH & 0xffff
const M3 = MULTIPLIER_HIGH >>> 16

/** The jump loop on a key given as two unsigned 32-bit halves. */
export function jumpBucket(keyHigh: number, keyLow: number, buckets: number): number {
  let high = keyHigh >>> 0
  let low = keyLow >>> 0
  let bucket = -1
  let next = 0
  while (next < buckets) {
    bucket = next
    // key = key × 2862933555777941757 + 1 (mod 2^64), on 16-bit limbs so every product is exact
    const k0 = low & 0xffff
    const k1 = low >>> 16
    const k2 = high & 0xffff
    const k3 = high >>> 16
    let c0 = k0 * M0 + 1
    let c1 = c0 >>> 16
    c0 &= 0xffff
    c1 += k1 * M0
    let c2 = c1 >>> 16
    c1 &= 0xffff
    c1 += k0 * M1
    c2 += c1 >>> 16
    c1 &= 0xffff
    c2 += k2 * M0
    let c3 = c2 >>> 16
    c2 &= 0xffff
    c2 += k1 * M1
    c3 += c2 >>> 16
    c2 &= 0xffff
    c2 += k0 * M2
    c3 += c2 >>> 16
    c2 &= 0xffff
    c3 += Math.imul(k3, M0) + Math.imul(k2, M1) + Math.imul(k1, M2) + Math.imul(k0, M3)
    low = ((c1 << 16) | c0) >>> 0
    high = ((c3 << 16) | c2) >>> 0
    // j = (b + 1) × (2^31 / ((key >> 33) + 1))
    next = Math.floor((bucket + 1) * (TWO_POW_31 / ((high >>> 1) + 1)))
  }
  return bucket
}

/** Splits a key into the two halves of the 64-bit key the paper's algorithm takes. */
function keyHalves(key: unknown): [number, number] {
  if (typeof key === 'string') return [0, murmur3Unchecked(key, 0)]
  if (typeof key === 'number') {
    if (!Number.isSafeInteger(key) || key < 0) {
      throw new RangeError(`key: expected a safe integer ≥ 0, got ${show(key)}`)
    }
    return [Math.floor(key / TWO_POW_32), key >>> 0]
  }
  if (typeof key === 'bigint') {
    if (key < 0n || key > 0xffffffffffffffffn) {
      throw new RangeError(`key: expected a bigint in [0, 2^64 - 1], got ${show(key)}`)
    }
    return [Number(key >> 32n), Number(key & 0xffffffffn)]
  }
  throw new TypeError(`key: expected a string, number or bigint, got ${describeType(key)}`)
}

/**
 * Jump consistent hash: the bucket in [0, buckets) of a key.
 *
 * A string key is first hashed with MurmurHash3 x86_32 (UTF-8, seed 0) and used as the
 * 64-bit key; a number (safe integer ≥ 0) or bigint (< 2^64) is the 64-bit key itself,
 * so results for integer keys equal the paper's C++ `JumpConsistentHash`.
 *
 * @param key - a string, or an unsigned 64-bit key as a safe integer or bigint
 * @param buckets - the number of buckets, an integer in [1, 2147483647]
 * @returns the bucket number
 * @throws {TypeError} when `key` or `buckets` has the wrong type
 * @throws {RangeError} when `key` or `buckets` is out of range
 * @example
 * ```ts
 * jumpHash('user:42', 10)  // a bucket in 0…9
 * jumpHash(123456789n, 100) // the paper's JumpConsistentHash(123456789, 100)
 * ```
 */
export function jumpHash(key: string | number | bigint, buckets: number): number {
  const [high, low] = keyHalves(key)
  assertIntegerIn('buckets', buckets, 1, MAX_JUMP_BUCKETS)
  return jumpBucket(high, low, buckets)
}

/**
 * Jump consistent hash over named nodes: bucket i is the i-th node. Nodes have no
 * weights, and only the last node can be removed (that is the algorithm's price
 * for needing no memory); use {@link HashRing} or {@link Rendezvous} when any node
 * may leave.
 *
 * @example
 * ```ts
 * const shards = new JumpHash(['shard-0', 'shard-1', 'shard-2'])
 * shards.get('user:42') // e.g. 'shard-1'
 * shards.add('shard-3') // moves about a quarter of the keys, all to shard-3
 * ```
 */
export class JumpHash {
  private readonly ids: string[] = []
  private readonly present = new Set<string>()

  /**
   * @param nodes - node ids; bucket i is the i-th id
   * @throws {TypeError} when an id is not a string
   * @throws {RangeError} when an id is empty or repeated
   */
  constructor(nodes: Iterable<string> = []) {
    if (typeof nodes !== 'object' || nodes === null || !(Symbol.iterator in nodes)) {
      throw new TypeError(`nodes: expected an iterable of node ids, got ${describeType(nodes)}`)
    }
    for (const id of nodes) this.add(id)
  }

  /** How many nodes (buckets). */
  get size(): number {
    return this.ids.length
  }

  /**
   * The node ids in bucket order.
   *
   * @returns a fresh array
   */
  nodes(): string[] {
    return [...this.ids]
  }

  /**
   * Whether a node is present.
   *
   * @param id - the node id
   * @returns true when present
   */
  has(id: string): boolean {
    return this.present.has(id)
  }

  /**
   * Appends a node as the next bucket.
   *
   * @param id - a new node id
   * @returns this
   * @throws {TypeError} when `id` is not a string
   * @throws {RangeError} when `id` is empty, present already, or there are 65536 nodes
   * @example
   * ```ts
   * shards.add('shard-4')
   * ```
   */
  add(id: string): this {
    assertNodeId('id', id)
    if (this.present.has(id)) throw new RangeError(`id: ${JSON.stringify(id)} is already a node here`)
    if (this.ids.length >= MAX_NODES) throw new RangeError(`id: expected at most ${MAX_NODES} nodes`)
    this.ids.push(id)
    this.present.add(id)
    return this
  }

  /**
   * Removes the last node (jump hash cannot remove any other).
   *
   * @param id - the id of the last node
   * @returns this
   * @throws {TypeError} when `id` is not a string
   * @throws {RangeError} when `id` is not the last node
   * @example
   * ```ts
   * shards.remove('shard-4')
   * ```
   */
  remove(id: string): this {
    assertNodeId('id', id)
    const last = this.ids[this.ids.length - 1]
    if (id !== last) {
      if (!this.present.has(id)) throw new RangeError(`id: ${JSON.stringify(id)} is not a node here`)
      throw new RangeError(
        `id: jump hash removes only the last node (${JSON.stringify(last)}), got ${JSON.stringify(id)}`,
      )
    }
    this.ids.pop()
    this.present.delete(id)
    return this
  }

  /**
   * The node of a key.
   *
   * @param key - a string, or an unsigned 64-bit key as a safe integer or bigint
   * @returns the node id
   * @throws {TypeError} when `key` has the wrong type
   * @throws {RangeError} when a numeric key is out of range
   * @throws {EmptyRingError} when there are no nodes
   * @example
   * ```ts
   * shards.get('user:42')
   * ```
   */
  get(key: string | number | bigint): string {
    if (typeof key === 'string') {
      if (this.ids.length === 0) throw new EmptyRingError('get')
      return this.ids[jumpBucket(0, murmur3Unchecked(key, 0), this.ids.length)]!
    }
    const [high, low] = keyHalves(key)
    if (this.ids.length === 0) throw new EmptyRingError('get')
    return this.ids[jumpBucket(high, low, this.ids.length)]!
  }
}
