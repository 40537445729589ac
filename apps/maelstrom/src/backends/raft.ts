/**
 * The wiring point for `@synod/raft` (`--backend raft`). It is not available
 * yet: `@synod/raft` has its pure core and storage, but not the driver
 * (`propose` / linearizable `read` / `status`) a backend needs. Until then the
 * factory throws `BackendNotAvailableError`, which the CLI reports and exits on.
 *
 * How it plugs in once the driver is ready (the README's "Plugging in Raft" has
 * the steps): start a `RaftNode` with `context.nodeIds` as members and
 * `context.createTransport({ codec: raftMessageCodec() })` as its transport; `read`
 * is the driver's linearizable read then a local get; `write`/`cas` propose a
 * command with a per-incarnation client session and await its result; a
 * `NotLeader` (nothing appended) is forwarded to the leader hint over
 * `context.createTransport({ channel: 'forward', … })` or answered with code 11;
 * `Timeout`/`Stopped` after a proposal may have been appended become
 * `OperationTimeoutError` (code 0), never a definite code.
 */
import { BackendNotAvailableError } from '../errors.js'
import type { BackendFactory } from './types.js'

/**
 * Options of the Raft backend.
 *
 * @example
 * ```ts
 * raftBackend({ tickMs: 10 })
 * ```
 */
export interface RaftBackendOptions {
  /** Real milliseconds per Raft tick. */
  tickMs?: number
}

/**
 * The Raft backend factory. Throws until `@synod/raft` ships its driver.
 *
 * @throws {BackendNotAvailableError} always, for now
 * @example
 * ```ts
 * try { raftBackend() } catch (error) { console.error((error as Error).message) }
 * ```
 */
export function raftBackend(_options: RaftBackendOptions = {}): BackendFactory {
  throw new BackendNotAvailableError(
    'raft',
    '@synod/raft has no driver (propose/read/status) to run it yet; use --backend single-leader',
  )
}
