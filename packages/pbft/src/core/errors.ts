/**
 * Typed errors of `@synod/pbft`. Decoding failures are `DecodeError` from
 * `@synod/transport`; everything else PBFT throws on purpose is below.
 */
import { SynodError } from '@synod/transport'

/** Stable error codes raised by `@synod/pbft`. @example `const code: PbftErrorCode = 'ERR_PBFT_CONFIG'` */
export type PbftErrorCode =
  | 'ERR_PBFT_CONFIG'
  | 'ERR_PBFT_CLIENT_BUSY'
  | 'ERR_PBFT_PERSISTED_STATE'
  | 'ERR_PBFT_STORAGE_CORRUPT'
  | 'ERR_PBFT_STORAGE_CLOSED'

/**
 * An invalid replica or client configuration (membership, keys, limits).
 *
 * @example
 * ```ts
 * new PbftReplica({ ...options, replicas: options.replicas.slice(0, 3) })
 * // throws PbftConfigError: invalid PBFT configuration: replicas: expected at least 4 replicas, got 3
 * ```
 */
export class PbftConfigError extends SynodError {
  /** The option that was wrong, e.g. `replicas[2].publicKey`. */
  readonly option: string
  constructor(option: string, detail: string) {
    super('ERR_PBFT_CONFIG', `invalid PBFT configuration: ${option}: ${detail}`)
    this.option = option
  }
  static override isInstance(error: unknown): error is PbftConfigError {
    return SynodError.isInstance(error) && error.code === 'ERR_PBFT_CONFIG'
  }
}

/**
 * `PbftClient.request` while a request is still outstanding (PBFT clients
 * have one request in flight at a time).
 *
 * @example
 * ```ts
 * client.request(op)
 * client.request(op) // throws PbftClientBusyError: client "alice" already has request 1 outstanding
 * ```
 */
export class PbftClientBusyError extends SynodError {
  readonly client: string
  readonly timestamp: number
  constructor(client: string, timestamp: number) {
    super('ERR_PBFT_CLIENT_BUSY', `client "${client}" already has request ${timestamp} outstanding`)
    this.client = client
    this.timestamp = timestamp
  }
  static override isInstance(error: unknown): error is PbftClientBusyError {
    return SynodError.isInstance(error) && error.code === 'ERR_PBFT_CLIENT_BUSY'
  }
}

/**
 * Persisted state that cannot be restored (it belongs to another replica or is inconsistent).
 *
 * @example
 * ```ts
 * new PbftReplica({ ...options, restore: stateOfAnotherReplica })
 * // throws PbftPersistedStateError: cannot restore persisted PBFT state: ...
 * ```
 */
export class PbftPersistedStateError extends SynodError {
  constructor(detail: string) {
    super('ERR_PBFT_PERSISTED_STATE', `cannot restore persisted PBFT state: ${detail}`)
  }
  static override isInstance(error: unknown): error is PbftPersistedStateError {
    return SynodError.isInstance(error) && error.code === 'ERR_PBFT_PERSISTED_STATE'
  }
}

/**
 * A hard-state log whose bytes are damaged somewhere other than a torn tail:
 * a record with a bad checksum followed by more data, a record whose checksum
 * holds but whose content does not decode, or a file that is not a PBFT log.
 * Nothing is repaired: the replica must not restart from a state it cannot trust.
 *
 * @example
 * ```ts
 * FileHardStateStore.open(directory)
 * // throws PbftStorageCorruptionError: corrupt PBFT hard-state log /data/r0/hard-state.log at byte 4096: checksum mismatch with 812 bytes after the record
 * ```
 */
export class PbftStorageCorruptionError extends SynodError {
  /** The log file. */
  readonly path: string
  /** Where the damaged record (or header) starts. */
  readonly offset: number
  /** What is wrong there. */
  readonly detail: string
  constructor(path: string, offset: number, detail: string, options?: { cause?: unknown }) {
    super(
      'ERR_PBFT_STORAGE_CORRUPT',
      `corrupt PBFT hard-state log ${path} at byte ${offset}: ${detail}`,
      options,
    )
    this.path = path
    this.offset = offset
    this.detail = detail
  }
  static override isInstance(error: unknown): error is PbftStorageCorruptionError {
    return SynodError.isInstance(error) && error.code === 'ERR_PBFT_STORAGE_CORRUPT'
  }
}

/**
 * A write to a hard-state store after `close()`.
 *
 * @example
 * ```ts
 * store.close()
 * store.save(state, update) // throws PbftStorageClosedError: PBFT hard-state store /data/r0/hard-state.log is closed
 * ```
 */
export class PbftStorageClosedError extends SynodError {
  readonly path: string
  constructor(path: string) {
    super('ERR_PBFT_STORAGE_CLOSED', `PBFT hard-state store ${path} is closed`)
    this.path = path
  }
  static override isInstance(error: unknown): error is PbftStorageClosedError {
    return SynodError.isInstance(error) && error.code === 'ERR_PBFT_STORAGE_CLOSED'
  }
}
