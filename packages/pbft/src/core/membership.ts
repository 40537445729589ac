/** The replica set: ids, keys, n, f, quorums and the primary of each view. */
import type { NodeId } from '@synod/transport'
import { PbftConfigError } from './errors.js'
import type { ReplicaInfo } from './types.js'

/**
 * A validated membership of n ≥ 4 replicas; f = ⌊(n−1)/3⌋.
 *
 * @example
 * ```ts
 * const membership = new Membership(replicas)
 * membership.primaryOf(5) // index 5 mod n
 * ```
 */
export class Membership {
  readonly ids: readonly NodeId[]
  readonly keys: readonly Uint8Array[]
  readonly n: number
  readonly f: number
  private readonly indexById: Map<NodeId, number>

  /** @throws {PbftConfigError} for fewer than 4 replicas, duplicate ids or keys, or a bad key */
  constructor(replicas: readonly ReplicaInfo[]) {
    if (!Array.isArray(replicas))
      throw new PbftConfigError('replicas', `expected an array, got ${typeof replicas}`)
    if (replicas.length < 4)
      throw new PbftConfigError('replicas', `expected at least 4 replicas, got ${replicas.length}`)
    if (replicas.length > 65_536)
      throw new PbftConfigError('replicas', `expected at most 65536 replicas, got ${replicas.length}`)
    this.indexById = new Map()
    const keys = new Set<string>()
    replicas.forEach((replica, index) => {
      if (typeof replica?.id !== 'string' || replica.id.length === 0)
        throw new PbftConfigError(`replicas[${index}].id`, 'expected a non-empty string')
      if (!(replica.publicKey instanceof Uint8Array) || replica.publicKey.length === 0)
        throw new PbftConfigError(`replicas[${index}].publicKey`, 'expected a non-empty Uint8Array')
      if (this.indexById.has(replica.id))
        throw new PbftConfigError(`replicas[${index}].id`, `duplicate replica id "${replica.id}"`)
      const key = toHex(replica.publicKey)
      if (keys.has(key)) throw new PbftConfigError(`replicas[${index}].publicKey`, 'duplicate public key')
      keys.add(key)
      this.indexById.set(replica.id, index)
    })
    this.ids = replicas.map((replica) => replica.id)
    this.keys = replicas.map((replica) => replica.publicKey.slice())
    this.n = replicas.length
    this.f = Math.floor((this.n - 1) / 3)
  }

  /** 2f+1. */
  get quorum(): number {
    return 2 * this.f + 1
  }

  /** The index of the primary of `view`. */
  primaryOf(view: number): number {
    return view % this.n
  }

  indexOf(id: NodeId): number | undefined {
    return this.indexById.get(id)
  }
}

/**
 * Lowercase hex of bytes.
 *
 * @example
 * ```ts
 * toHex(Uint8Array.of(1, 255)) // '01ff'
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0')
  return text
}

/**
 * Byte-wise equality.
 *
 * @example
 * ```ts
 * bytesEqual(Uint8Array.of(1), Uint8Array.of(1)) // true
 * ```
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic byte order. @example `compareBytes(a, b) < 0` */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}
