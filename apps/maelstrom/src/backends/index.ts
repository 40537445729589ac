/**
 * The backends a node can run, by name, and the one used by default.
 */
import { UsageError } from '../errors.js'
import { localUnsafeBackend } from './local-unsafe.js'
import { raftBackend } from './raft.js'
import { singleLeaderBackend } from './single-leader.js'
import type { BackendFactory } from './types.js'

/**
 * Every backend name `--backend` accepts.
 *
 * @example
 * ```ts
 * BACKEND_NAMES.includes('raft') // true
 * ```
 */
export const BACKEND_NAMES = ['single-leader', 'raft', 'local-unsafe'] as const

/**
 * A backend name: `raft` (the default), `single-leader` or `local-unsafe` (negative control).
 *
 * @example
 * ```ts
 * const name: BackendName = parseBackendName('single-leader')
 * ```
 */
export type BackendName = (typeof BACKEND_NAMES)[number]

/**
 * The backend used when `--backend` is not given: `raft`.
 *
 * @example
 * ```ts
 * resolveBackend(DEFAULT_BACKEND)
 * ```
 */
export const DEFAULT_BACKEND: BackendName = 'raft'

/**
 * Checks a `--backend` value.
 *
 * @throws {UsageError} for an unknown name
 * @example
 * ```ts
 * parseBackendName('single-leader') // 'single-leader'
 * parseBackendName('etcd') // UsageError: --backend: expected single-leader, raft or local-unsafe, got "etcd"
 * ```
 */
export function parseBackendName(value: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName
  throw new UsageError(
    `--backend: expected single-leader, raft or local-unsafe, got ${JSON.stringify(value)}`,
  )
}

/**
 * The factory of a named backend.
 *
 * @example
 * ```ts
 * const factory = resolveBackend('single-leader')
 * ```
 */
export function resolveBackend(name: BackendName): BackendFactory {
  switch (name) {
    case 'single-leader':
      return singleLeaderBackend()
    case 'raft':
      return raftBackend()
    case 'local-unsafe':
      return localUnsafeBackend()
  }
}
