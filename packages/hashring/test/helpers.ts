/** Deterministic key sets and small helpers shared by the tests. */

/** `count` keys of three shapes (numbers, user ids, session paths), the same on every run. */
export function fixedKeys(count: number, prefix = ''): string[] {
  const keys: string[] = []
  let state = 0x2545f491
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0
    const shape = i % 3
    keys.push(
      shape === 0
        ? `${prefix}${i}`
        : shape === 1
          ? `${prefix}user:${state.toString(16)}:${i}`
          : `${prefix}session/${state.toString(36)}${i.toString(36)}`,
    )
  }
  return keys
}

/** Node ids `node-0` … `node-(count-1)`. */
export function nodeIds(count: number, prefix = 'node-'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`)
}

/** A seeded Fisher–Yates shuffle (a copy). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items]
  let state = seed >>> 0 || 1
  for (let i = copy.length - 1; i > 0; i--) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    const j = state % (i + 1)
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}

/** Keys per node. */
export function loads(keys: readonly string[], lookup: (key: string) => string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const key of keys) {
    const node = lookup(key)
    counts.set(node, (counts.get(node) ?? 0) + 1)
  }
  return counts
}
