/**
 * The sequential key-value state machine every backend applies operations to:
 * a map from canonical keys to values, with lin-kv's read/write/cas semantics.
 */
import { KeyDoesNotExistError, type MaelstromRequestError, PreconditionFailedError } from '../errors.js'
import { canonicalJson, type JsonValue, jsonEquals } from '../json.js'

/**
 * One lin-kv operation, as backends pass it around.
 *
 * @example
 * ```ts
 * const op: KvOperation = { type: 'cas', key: 1, from: 2, to: 3, createIfNotExists: false }
 * ```
 */
export type KvOperation =
  | { type: 'read'; key: JsonValue }
  | { type: 'write'; key: JsonValue; value: JsonValue }
  | { type: 'cas'; key: JsonValue; from: JsonValue; to: JsonValue; createIfNotExists: boolean }

/**
 * The outcome of applying a `KvOperation`: the value read (`undefined` for
 * writes and cas), or the definite error it failed with.
 *
 * @example
 * ```ts
 * const outcome: KvOutcome = new KvStore().apply({ type: 'read', key: 1 }) // { ok: false, error: KeyDoesNotExistError }
 * ```
 */
export type KvOutcome = { ok: true; value?: JsonValue } | { ok: false; error: MaelstromRequestError }

/**
 * An in-memory lin-kv map. Not replicated: backends decide who holds it.
 *
 * @example
 * ```ts
 * const store = new KvStore()
 * store.apply({ type: 'write', key: 1, value: 'a' }) // { ok: true }
 * store.apply({ type: 'read', key: 1 })              // { ok: true, value: 'a' }
 * ```
 */
export class KvStore {
  private readonly values = new Map<string, JsonValue>()

  /** Number of keys. */
  get size(): number {
    return this.values.size
  }

  /** Applies one operation and says how it ended. Never throws. */
  apply(operation: KvOperation): KvOutcome {
    const name = canonicalJson(operation.key)
    const current = this.values.get(name)
    switch (operation.type) {
      case 'read':
        return current === undefined
          ? { ok: false, error: new KeyDoesNotExistError(operation.key) }
          : { ok: true, value: current }
      case 'write':
        this.values.set(name, operation.value)
        return { ok: true }
      case 'cas':
        if (current === undefined) {
          if (!operation.createIfNotExists)
            return { ok: false, error: new KeyDoesNotExistError(operation.key) }
          this.values.set(name, operation.to)
          return { ok: true }
        }
        if (!jsonEquals(current, operation.from))
          return { ok: false, error: new PreconditionFailedError(operation.key, operation.from, current) }
        this.values.set(name, operation.to)
        return { ok: true }
    }
  }
}

/**
 * Settles a Promise from a `KvOutcome`.
 *
 * @example
 * ```ts
 * const value = await settle(store.apply({ type: 'read', key: 1 }))
 * ```
 */
export function settle(outcome: KvOutcome): Promise<JsonValue | undefined> {
  return outcome.ok ? Promise.resolve(outcome.value) : Promise.reject(outcome.error)
}
