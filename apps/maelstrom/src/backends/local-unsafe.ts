/**
 * `local-unsafe`: every node serves from its own map, with no coordination at
 * all. NOT linearizable as soon as clients talk to two nodes. It exists only
 * as the harness's negative control: the checker must find it illegal.
 */
import type { JsonValue } from '../json.js'
import { KvStore, settle } from './kv-store.js'
import type { BackendFactory, CasOptions, KvBackend } from './types.js'

/**
 * A backend over one unreplicated in-memory map.
 *
 * @example
 * ```ts
 * const backend = createLocalUnsafeBackend()
 * await backend.write('x', 1)
 * await backend.read('x') // 1, but only on this node
 * ```
 */
export function createLocalUnsafeBackend(): KvBackend {
  const store = new KvStore()
  return {
    read: (key) => settle(store.apply({ type: 'read', key })) as Promise<JsonValue>,
    write: (key, value) => settle(store.apply({ type: 'write', key, value })).then(() => undefined),
    cas: (key, from, to, options: CasOptions = {}) =>
      settle(
        store.apply({ type: 'cas', key, from, to, createIfNotExists: options.createIfNotExists === true }),
      ).then(() => undefined),
    close: async () => {},
  }
}

/**
 * The `local-unsafe` backend factory (`--backend local-unsafe`): for the
 * harness's negative test only.
 *
 * @example
 * ```ts
 * const node = new MaelstromNode({ backend: localUnsafeBackend(), write, log })
 * ```
 */
export function localUnsafeBackend(): BackendFactory {
  return () => createLocalUnsafeBackend()
}
