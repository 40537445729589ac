/**
 * Vector clocks for the Dynamo-style store: one counter per actor (the node that
 * coordinated a put). Two versions are ordered when one clock dominates the
 * other, and concurrent (siblings) otherwise.
 */

/**
 * A vector clock: actor id → counter (missing actors count 0).
 *
 * @example
 * ```ts
 * const clock: VectorClock = { n1: 2, n3: 1 }
 * ```
 */
export type VectorClock = Readonly<Record<string, number>>

/**
 * How two clocks relate.
 *
 * @example
 * ```ts
 * const order: ClockOrder = compareClocks({ a: 1 }, { b: 1 }) // 'concurrent'
 * ```
 */
export type ClockOrder = 'before' | 'after' | 'equal' | 'concurrent'

/**
 * Compares two vector clocks: `'before'` when `a` happened before `b`, `'after'`
 * when after, `'equal'`, or `'concurrent'`.
 *
 * @example
 * ```ts
 * compareClocks({ a: 1 }, { a: 2, b: 1 }) // 'before'
 * compareClocks({ a: 2 }, { b: 1 })       // 'concurrent'
 * ```
 */
export function compareClocks(a: VectorClock, b: VectorClock): ClockOrder {
  let less = false
  let greater = false
  for (const actor in a) {
    const x = a[actor] ?? 0
    const y = b[actor] ?? 0
    if (x < y) less = true
    else if (x > y) greater = true
  }
  for (const actor in b) {
    if (actor in a) continue
    if ((b[actor] ?? 0) > 0) less = true
  }
  if (less && greater) return 'concurrent'
  if (less) return 'before'
  if (greater) return 'after'
  return 'equal'
}

/**
 * True when `descendant` is `ancestor` or happened after it.
 *
 * @example
 * ```ts
 * descends({ a: 2, b: 1 }, { a: 1 }) // true
 * ```
 */
export function descends(descendant: VectorClock, ancestor: VectorClock): boolean {
  const order = compareClocks(descendant, ancestor)
  return order === 'after' || order === 'equal'
}

/**
 * The least clock that descends from every clock given (the pointwise maximum).
 *
 * @example
 * ```ts
 * mergeClocks([{ a: 2 }, { a: 1, b: 3 }]) // { a: 2, b: 3 }
 * ```
 */
export function mergeClocks(clocks: Iterable<VectorClock>): VectorClock {
  const merged: Record<string, number> = {}
  for (const clock of clocks) {
    for (const actor in clock) {
      const value = clock[actor] ?? 0
      if (value > (merged[actor] ?? 0)) merged[actor] = value
    }
  }
  return sortedClock(merged)
}

/** The same clock with its actors in sorted order (stable output, stable hashes). */
export function sortedClock(clock: VectorClock): VectorClock {
  const sorted: Record<string, number> = {}
  for (const actor of Object.keys(clock).sort()) sorted[actor] = clock[actor] as number
  return sorted
}

export function isVectorClock(value: unknown): value is VectorClock {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  for (const actor in value) {
    const counter = (value as Record<string, unknown>)[actor]
    if (!Number.isSafeInteger(counter) || (counter as number) < 0) return false
  }
  return true
}

/**
 * One version of a key's value, with the clock that orders it.
 *
 * @example
 * ```ts
 * const sibling: Sibling<string> = { clock: { n1: 1 }, value: 'v' }
 * ```
 */
export interface Sibling<V> {
  readonly clock: VectorClock
  readonly value: V
}

/**
 * Keeps the versions that no other version supersedes: what a replica stores and
 * a read returns. Equal clocks are kept once.
 *
 * @example
 * ```ts
 * reconcile([{ clock: { a: 1 }, value: 'old' }, { clock: { a: 2 }, value: 'new' }, { clock: { b: 1 }, value: 'other' }])
 * // [{ clock: { a: 2 }, value: 'new' }, { clock: { b: 1 }, value: 'other' }]
 * ```
 */
export function reconcile<V>(siblings: Iterable<Sibling<V>>): Sibling<V>[] {
  const kept: Sibling<V>[] = []
  for (const candidate of siblings) {
    let superseded = false
    for (let i = 0; i < kept.length; i++) {
      const order = compareClocks(candidate.clock, (kept[i] as Sibling<V>).clock)
      if (order === 'before' || order === 'equal') {
        superseded = true
        break
      }
      if (order === 'after') {
        kept.splice(i, 1)
        i--
      }
    }
    if (!superseded) kept.push(candidate)
  }
  return kept
}

/** True when `have` already contains (or supersedes) every sibling of `want`. */
export function covers<V>(have: readonly Sibling<V>[], want: readonly Sibling<V>[]): boolean {
  return want.every((w) => have.some((h) => descends(h.clock, w.clock)))
}
