/**
 * Typed errors of `@synod/snapshot`. Each extends `SynodError` from
 * `@synod/transport`, carries a stable `code`, and is recognised across two
 * copies of the package by its static `isInstance`.
 */
import { SynodError } from '@synod/transport'

/**
 * Stable error codes raised by `@synod/snapshot`.
 *
 * @example
 * ```ts
 * const code: SnapshotErrorCode = 'ERR_SNAPSHOT_CHANNEL_FULL'
 * ```
 */
export type SnapshotErrorCode =
  | 'ERR_SNAPSHOT_CHANNEL_FULL'
  | 'ERR_SNAPSHOT_TOO_MANY'
  | 'ERR_SNAPSHOT_DUPLICATE_ID'
  | 'ERR_SNAPSHOT_LIMIT'
  | 'ERR_SNAPSHOT_CLOSED'
  | 'ERR_SNAPSHOT_TIMEOUT'

function isCode(error: unknown, code: SnapshotErrorCode): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * `send` found the channel to `peer` full: `limit` application messages already
 * wait for acknowledgement or for room in the send window. Back off and retry
 * (check `queuedFrames(peer)` first to avoid the error).
 *
 * @example
 * ```ts
 * try { node.send('b', payload) } catch (error) {
 *   if (ChannelFullError.isInstance(error)) setTimeout(retry, 10)
 * }
 * ```
 */
export class ChannelFullError extends SynodError {
  /** The destination whose channel is full. */
  readonly peer: string
  /** The most application messages a channel holds (in flight plus queued). */
  readonly limit: number
  constructor(peer: string, limit: number) {
    super(
      'ERR_SNAPSHOT_CHANNEL_FULL',
      `channel to "${peer}" is full: ${limit} messages await acknowledgement`,
    )
    this.peer = peer
    this.limit = limit
  }
  static override isInstance(error: unknown): error is ChannelFullError {
    return isCode(error, 'ERR_SNAPSHOT_CHANNEL_FULL')
  }
}

/**
 * `startSnapshot` was called while `limit` snapshots are already in progress at this process.
 *
 * @example
 * ```ts
 * try { core.startSnapshot('s9') } catch (error) {
 *   if (TooManySnapshotsError.isInstance(error)) console.log(error.limit)
 * }
 * ```
 */
export class TooManySnapshotsError extends SynodError {
  /** `maxActiveSnapshots`. */
  readonly limit: number
  constructor(limit: number) {
    super('ERR_SNAPSHOT_TOO_MANY', `too many snapshots in progress: the limit is ${limit}`)
    this.limit = limit
  }
  static override isInstance(error: unknown): error is TooManySnapshotsError {
    return isCode(error, 'ERR_SNAPSHOT_TOO_MANY')
  }
}

/**
 * `startSnapshot` was given an id this process already used for a snapshot it started.
 *
 * @example
 * ```ts
 * core.startSnapshot('s1')
 * core.startSnapshot('s1') // throws DuplicateSnapshotError
 * ```
 */
export class DuplicateSnapshotError extends SynodError {
  /** The reused id. */
  readonly snapshotId: string
  constructor(snapshotId: string) {
    super('ERR_SNAPSHOT_DUPLICATE_ID', `snapshot id "${snapshotId}" was already used by this process`)
    this.snapshotId = snapshotId
  }
  static override isInstance(error: unknown): error is DuplicateSnapshotError {
    return isCode(error, 'ERR_SNAPSHOT_DUPLICATE_ID')
  }
}

/**
 * A snapshot failed because some process recorded more in-flight bytes than
 * `maxRecordedBytes` allows: its channel states were dropped rather than kept unbounded.
 *
 * @example
 * ```ts
 * try { await node.snapshot() } catch (error) {
 *   if (SnapshotLimitError.isInstance(error)) console.log(error.processes)
 * }
 * ```
 */
export class SnapshotLimitError extends SynodError {
  /** The snapshot's id. */
  readonly snapshotId: string
  /** The processes whose recorded channel states went over the limit. */
  readonly processes: readonly string[]
  constructor(snapshotId: string, processes: readonly string[]) {
    super(
      'ERR_SNAPSHOT_LIMIT',
      `snapshot "${snapshotId}" failed: recorded channel states exceeded maxRecordedBytes at ${processes.map((p) => `"${p}"`).join(', ')}`,
    )
    this.snapshotId = snapshotId
    this.processes = processes
  }
  static override isInstance(error: unknown): error is SnapshotLimitError {
    return isCode(error, 'ERR_SNAPSHOT_LIMIT')
  }
}

/**
 * The node was closed: pending snapshots reject with this error and sends are refused.
 *
 * @example
 * ```ts
 * await node.close()
 * node.send('b', payload) // throws SnapshotClosedError
 * ```
 */
export class SnapshotClosedError extends SynodError {
  constructor() {
    super('ERR_SNAPSHOT_CLOSED', 'snapshot node is closed')
  }
  static override isInstance(error: unknown): error is SnapshotClosedError {
    return isCode(error, 'ERR_SNAPSHOT_CLOSED')
  }
}

/**
 * A snapshot did not complete within the `timeoutMs` given to `snapshot()`
 * (a process is unreachable). The snapshot is abandoned at the initiator.
 *
 * @example
 * ```ts
 * try { await node.snapshot({ timeoutMs: 1_000 }) } catch (error) {
 *   if (SnapshotTimeoutError.isInstance(error)) console.log(error.missing)
 * }
 * ```
 */
export class SnapshotTimeoutError extends SynodError {
  /** The snapshot's id. */
  readonly snapshotId: string
  /** The processes whose parts had not arrived. */
  readonly missing: readonly string[]
  constructor(snapshotId: string, timeoutMs: number, missing: readonly string[]) {
    super(
      'ERR_SNAPSHOT_TIMEOUT',
      `snapshot "${snapshotId}" did not complete within ${timeoutMs} ms: no part yet from ${missing.map((p) => `"${p}"`).join(', ')}`,
    )
    this.snapshotId = snapshotId
    this.missing = missing
  }
  static override isInstance(error: unknown): error is SnapshotTimeoutError {
    return isCode(error, 'ERR_SNAPSHOT_TIMEOUT')
  }
}
