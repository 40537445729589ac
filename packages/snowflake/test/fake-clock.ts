/**
 * A fake clock for tests: returns `ms`, and moves it forward by one millisecond every
 * `readsPerMs` reads (as if generation took `1 / readsPerMs` ms per read), or by a script
 * of steps (one step per read, cycling), so busy-waits finish.
 */
export class FakeClock {
  ms: number
  reads = 0
  private readonly readsPerMs: number
  private readonly script: readonly number[]

  constructor(startMs: number, options: { readsPerMs?: number; script?: readonly number[] } = {}) {
    this.ms = startMs
    this.readsPerMs = options.readsPerMs ?? 0
    this.script = options.script ?? []
  }

  readonly read = (): number => {
    const value = this.ms
    this.reads++
    if (this.script.length > 0) this.ms += this.script[(this.reads - 1) % this.script.length]!
    else if (this.readsPerMs > 0 && this.reads % this.readsPerMs === 0) this.ms += 1
    return value
  }
}

/** Throws unless every id is larger than the one before; returns how many were checked. */
export function assertStrictlyIncreasing(ids: ArrayLike<bigint>, label = 'ids'): number {
  for (let index = 1; index < ids.length; index++) {
    if (!(ids[index - 1]! < ids[index]!)) {
      throw new Error(
        `${label}: id ${index} (${ids[index]}) is not larger than id ${index - 1} (${ids[index - 1]})`,
      )
    }
  }
  return ids.length
}

/** Counts values that occur more than once (each extra copy counts one). */
export function countDuplicates(ids: readonly bigint[] | BigUint64Array): number {
  const sorted = BigUint64Array.from(ids).sort()
  let duplicates = 0
  for (let index = 1; index < sorted.length; index++) if (sorted[index] === sorted[index - 1]) duplicates++
  return duplicates
}
