/**
 * A least-recently-used map with a hard size limit (TigerStyle: put a limit on
 * everything). Used to keep parsed public keys, which the ledger sees over and
 * over (one per validator), without growing without bound.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, V>()
  readonly #sizeMax: number
  readonly #onEvict: ((value: V) => void) | undefined

  /**
   * @param sizeMax - entries kept at most; 0 disables caching
   * @param onEvict - called with each value pushed out to make room
   */
  constructor(sizeMax: number, onEvict?: (value: V) => void) {
    this.#sizeMax = sizeMax
    this.#onEvict = onEvict
  }

  /** The cached value, marked as most recently used. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
    }
    return value
  }

  /** Stores `value`, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    if (this.#sizeMax === 0) return
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.#sizeMax) {
      const [oldestKey, oldestValue] = this.#entries.entries().next().value!
      this.#entries.delete(oldestKey)
      this.#onEvict?.(oldestValue)
    }
  }

  /** Number of entries held. */
  get size(): number {
    return this.#entries.size
  }
}
