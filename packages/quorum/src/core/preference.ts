/**
 * Preference lists by rendezvous (highest random weight) hashing: every member
 * gets a score per key, and the key's preference list is the members by
 * decreasing score. The first N are the key's home replicas; the rest, in
 * order, are where a sloppy quorum looks for stand-ins. Removing a member moves
 * only the keys it held.
 */
import type { NodeId } from '@synod/transport'

/** 32-bit FNV-1a over UTF-16 code units, with a murmur3 finalizer for avalanche. */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * Every member, ordered by preference for `key` (rendezvous hashing). Deterministic:
 * every node computes the same list from the same members.
 *
 * @example
 * ```ts
 * preferenceList('user:42', ['n1', 'n2', 'n3', 'n4']).slice(0, 3) // the key's 3 home replicas
 * ```
 */
export function preferenceList(key: string, members: readonly NodeId[]): NodeId[] {
  const scored = members.map((member) => ({ member, score: hash32(`${member}\u0000${key}`) }))
  scored.sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
  return scored.map((s) => s.member)
}
