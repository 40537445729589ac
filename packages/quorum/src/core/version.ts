/**
 * Versions of the ABD register: a logical counter and the id of the writer that
 * issued it. Ordered by counter, then by writer id, so two writers never issue
 * equal versions. A version doubles as a fencing token.
 */
import type { NodeId } from '@synod/transport'

/**
 * A register version: `(counter, writer)`, ordered lexicographically.
 *
 * @example
 * ```ts
 * const v: Version = { counter: 3, writer: 'n1' }
 * ```
 */
export interface Version {
  readonly counter: number
  readonly writer: NodeId
}

/**
 * The version of a key never written: `{ counter: 0, writer: '' }`, below every written version.
 *
 * @example
 * ```ts
 * compareVersions(INITIAL_VERSION, { counter: 1, writer: 'a' }) // -1
 * ```
 */
export const INITIAL_VERSION: Version = Object.freeze({ counter: 0, writer: '' })

/**
 * Orders two versions: negative when `a` is older, 0 when equal, positive when `a` is newer.
 *
 * @example
 * ```ts
 * compareVersions({ counter: 2, writer: 'a' }, { counter: 1, writer: 'z' }) // 1
 * compareVersions({ counter: 2, writer: 'a' }, { counter: 2, writer: 'b' }) // -1
 * ```
 */
export function compareVersions(a: Version, b: Version): number {
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  if (a.writer === b.writer) return 0
  return a.writer < b.writer ? -1 : 1
}

export function isVersion(value: unknown): value is Version {
  if (typeof value !== 'object' || value === null) return false
  const v = value as { counter?: unknown; writer?: unknown }
  return Number.isSafeInteger(v.counter) && (v.counter as number) >= 0 && typeof v.writer === 'string'
}
