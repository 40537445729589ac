/**
 * The contract between the lin-kv request handlers and whatever stores the
 * data: a single leader, Raft, or a deliberately broken store for the
 * harness's negative test.
 */
import type { Codec, NodeId, Transport } from '@synod/transport'
import type { JsonValue } from '../json.js'

/**
 * A key-value store the lin-kv handlers call. Keys and values are any JSON
 * (Maelstrom's lin-kv uses integers).
 *
 * Each Promise resolves when the operation took effect, or rejects with a
 * `MaelstromRequestError` whose code tells the client what happened:
 * `KeyDoesNotExistError` (20), `PreconditionFailedError` (22),
 * `TemporarilyUnavailableError` / `NotLeaderError` (11) only when the operation
 * certainly was not and will not be applied, `OperationTimeoutError` (0) when
 * the outcome is unknown. Any other rejection is answered with code 13 (crash,
 * indefinite).
 *
 * @example
 * ```ts
 * const backend: KvBackend = createLocalUnsafeBackend()
 * await backend.write(1, 'a')
 * await backend.cas(1, 'a', 'b')
 * await backend.read(1) // 'b'
 * ```
 */
export interface KvBackend {
  /** The value of `key`; rejects with `KeyDoesNotExistError` when it was never written. */
  read(key: JsonValue): Promise<JsonValue>
  /** Sets `key` to `value`, creating it. */
  write(key: JsonValue, value: JsonValue): Promise<void>
  /**
   * Sets `key` to `to` if its value is `from`. Rejects with
   * `KeyDoesNotExistError` for a missing key (unless `createIfNotExists`, which
   * then creates it with `to`) and `PreconditionFailedError` when the value differs.
   */
  cas(key: JsonValue, from: JsonValue, to: JsonValue, options?: CasOptions): Promise<void>
  /** Stops timers and rejects what is pending. Idempotent. */
  close(): Promise<void>
}

/**
 * Options of `KvBackend.cas`.
 *
 * @example
 * ```ts
 * await backend.cas(1, 0, 5, { createIfNotExists: true })
 * ```
 */
export interface CasOptions {
  /** Maelstrom's `create_if_not_exists`: a missing key is created with `to`. */
  createIfNotExists?: boolean
}

/**
 * Options of `BackendContext.createTransport`: a codec (binary protocols, the
 * payload is base64) or a validator for JSON payloads.
 *
 * @example
 * ```ts
 * const transport = context.createTransport({ codec: raftMessageCodec() })
 * ```
 */
export interface BackendTransportOptions<M> {
  codec?: Codec<M>
  validate?: (payload: unknown) => M
  /**
   * A second (third, …) transport on the same node needs its own channel name
   * (1 to 64 of `a-z`, `0-9`, `-`), e.g. Raft on the default channel and
   * request forwarding on `forward`.
   */
  channel?: string
}

/**
 * What a backend gets when the node is initialized.
 *
 * @example
 * ```ts
 * const factory: BackendFactory = (context) => {
 *   const transport = context.createTransport<MyMessage>({ validate: parseMyMessage })
 *   return new MyBackend(context.nodeId, context.nodeIds, transport)
 * }
 * ```
 */
export interface BackendContext {
  /** This node's id, from `init`. */
  readonly nodeId: NodeId
  /** Every node of the cluster, the same list on every node, from `init`. */
  readonly nodeIds: readonly NodeId[]
  /**
   * A transport to the other nodes over Maelstrom's network (a
   * `MaelstromTransport` restricted to `nodeIds`): one per channel.
   * @throws {Error} when this node already has a transport on that channel
   */
  createTransport<M>(options?: BackendTransportOptions<M>): Transport<M>
  /** How long an operation may wait for its outcome before rejecting with `OperationTimeoutError`. */
  readonly requestTimeoutMs: number
  /** Writes a line to stderr. */
  log(text: string): void
}

/**
 * Builds a node's backend at `init`. May throw; the node then answers requests
 * with `temporarily-unavailable` and logs why.
 *
 * @example
 * ```ts
 * const factory: BackendFactory = () => createLocalUnsafeBackend()
 * ```
 */
export type BackendFactory = (context: BackendContext) => KvBackend
