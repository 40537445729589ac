/**
 * Per-slot values (the hot path's replacement for a `Map<number, T>` keyed by
 * slot): values live in fixed-size chunks of consecutive slots, found through a
 * map keyed by chunk number with the last chunk used cached, so a run of
 * neighbouring slots costs an array access each and no hashing. A chunk is
 * freed once it holds nothing, so dropping a prefix (compaction, or slots
 * chosen at the front of a leader's window) frees memory, and a stray far slot
 * costs one chunk, not a gap.
 */
const CHUNK = 1024

interface Chunk<T> {
  readonly items: (T | undefined)[]
  count: number
}

/** Slot numbers are safe integers, possibly past 2^31: no bitwise arithmetic on them. */
const chunkOf = (slot: number): number => Math.floor(slot / CHUNK)

export class SlotArray<T> {
  private readonly chunks = new Map<number, Chunk<T>>()
  private cachedKey = Number.NaN
  private cached: Chunk<T> | undefined = undefined
  private count = 0
  /** An emptied chunk kept for the next new one (a leader's window empties and refills a chunk per slot). */
  private spare: Chunk<T> | undefined = undefined

  /** How many slots hold a value. */
  get size(): number {
    return this.count
  }

  /** The lowest slot that holds a value (0 when none). */
  get first(): number {
    let low = Number.POSITIVE_INFINITY
    for (const key of this.chunks.keys()) if (key < low) low = key
    const chunk = this.chunks.get(low)
    if (chunk === undefined) return 0
    for (let i = 0; i < CHUNK; i++) if (chunk.items[i] !== undefined) return low * CHUNK + i
    return 0
  }

  /** One past the highest slot that holds a value (0 when none). */
  get end(): number {
    let high = Number.NEGATIVE_INFINITY
    for (const key of this.chunks.keys()) if (key > high) high = key
    const chunk = this.chunks.get(high)
    if (chunk === undefined) return 0
    for (let i = CHUNK - 1; i >= 0; i--) if (chunk.items[i] !== undefined) return high * CHUNK + i + 1
    return 0
  }

  private chunk(key: number): Chunk<T> | undefined {
    if (key === this.cachedKey) return this.cached
    const chunk = this.chunks.get(key)
    if (chunk !== undefined) {
      this.cachedKey = key
      this.cached = chunk
    }
    return chunk
  }

  get(slot: number): T | undefined {
    const key = chunkOf(slot)
    const chunk = this.chunk(key)
    return chunk === undefined ? undefined : chunk.items[slot - key * CHUNK]
  }

  has(slot: number): boolean {
    return this.get(slot) !== undefined
  }

  set(slot: number, value: T): void {
    const key = chunkOf(slot)
    let chunk = this.chunk(key)
    if (chunk === undefined) {
      chunk = this.spare ?? { items: new Array<T | undefined>(CHUNK).fill(undefined), count: 0 }
      this.spare = undefined
      this.chunks.set(key, chunk)
      this.cachedKey = key
      this.cached = chunk
    }
    const i = slot - key * CHUNK
    if (chunk.items[i] === undefined) {
      chunk.count++
      this.count++
    }
    chunk.items[i] = value
  }

  delete(slot: number): void {
    const key = chunkOf(slot)
    const chunk = this.chunk(key)
    if (chunk === undefined) return
    const i = slot - key * CHUNK
    if (chunk.items[i] === undefined) return
    chunk.items[i] = undefined
    this.count--
    if (--chunk.count === 0) {
      this.free(key)
      this.spare = chunk // every item is undefined again
    }
  }

  /** Forgets every slot up to `slot`. */
  dropUpTo(slot: number): void {
    const last = chunkOf(slot)
    for (const [key, chunk] of [...this.chunks]) {
      if (key > last) continue
      if (key < last || slot - key * CHUNK === CHUNK - 1) {
        this.count -= chunk.count
        this.free(key)
        continue
      }
      for (let i = 0, stop = slot - key * CHUNK; i <= stop; i++)
        if (chunk.items[i] !== undefined) {
          chunk.items[i] = undefined
          chunk.count--
          this.count--
        }
      if (chunk.count === 0) this.free(key)
    }
  }

  private free(key: number): void {
    this.chunks.delete(key)
    if (key === this.cachedKey) {
      this.cachedKey = Number.NaN
      this.cached = undefined
    }
  }
}
