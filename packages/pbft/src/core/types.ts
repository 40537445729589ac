/**
 * What a PBFT replica is given (crypto, membership, client policy, limits) and
 * what it hands back (`Ready`, with the application's work as commands).
 */
import type { NodeId } from '@synod/transport'
import type {
  Checkpoint,
  ClientRequest,
  CommitCertificate,
  PbftMessage,
  PreparedCertificate,
} from './messages.js'

/**
 * The signing, verifying and hashing a replica (or client) needs, bound to its
 * own secret key. The core never calls a crypto library itself: adapt a
 * `CryptoSuite` with `cryptoSuiteAdapter` (outside the core) or inject a test double.
 *
 * @example
 * ```ts
 * const crypto: PbftCrypto = cryptoSuiteAdapter(nodeCrypto, keyPair.secretKey)
 * ```
 */
export interface PbftCrypto {
  /** Signs with this node's own secret key. */
  sign(bytes: Uint8Array): Uint8Array
  /** True when `signature` is valid for `bytes` under `publicKey`; never throws for bad input. */
  verify(signature: Uint8Array, bytes: Uint8Array, publicKey: Uint8Array): boolean
  /** A collision-resistant digest (SHA-256). */
  digest(bytes: Uint8Array): Uint8Array
}

/**
 * One request as the application executes it.
 *
 * @example
 * ```ts
 * const result = myStateMachine.apply(request.operation)
 * ```
 */
export interface ExecutableRequest {
  readonly client: string
  readonly timestamp: number
  readonly operation: Uint8Array
}

/**
 * What the application must do next, in order. The core never calls the
 * application: it hands over these commands in `Ready.apply` and takes the
 * answers back through `PbftReplica.applied` and `PbftReplica.answered`.
 *
 * - `execute`: run the batch (deterministically), then call
 *   `applied(sequence, results, snapshot)`; one result per request, and the
 *   application's canonical snapshot when `checkpoint` is true. The core hands
 *   over one batch at a time.
 * - `query`: answer a read-only request against the current state, then call
 *   `answered(request, result)`.
 * - `restore`: replace the application state with `snapshot` (a state
 *   transfer, or a restart from the persisted checkpoint).
 *
 * @example
 * ```ts
 * for (const command of ready.apply) {
 *   if (command.kind === 'execute') {
 *     const results = command.requests.map((request) => app.apply(request.operation))
 *     replica.applied(command.sequence, results, command.checkpoint ? app.snapshot() : undefined)
 *   }
 * }
 * ```
 */
export type ApplyCommand =
  | {
      readonly kind: 'execute'
      readonly sequence: number
      readonly requests: readonly ExecutableRequest[]
      readonly checkpoint: boolean
    }
  | { readonly kind: 'query'; readonly request: ClientRequest }
  | { readonly kind: 'restore'; readonly sequence: number; readonly snapshot: Uint8Array }

/**
 * A replica of the membership.
 *
 * @example
 * ```ts
 * const replica: ReplicaInfo = { id: 'r0', publicKey }
 * ```
 */
export interface ReplicaInfo {
  readonly id: NodeId
  readonly publicKey: Uint8Array
}

/**
 * Which clients may submit requests: a fixed registry of client ids and keys,
 * or any key, in which case a client's id must be the lowercase hex of its
 * public key (so an id cannot be claimed by another key).
 *
 * @example
 * ```ts
 * const policy: ClientPolicy = { kind: 'registry', clients: new Map([['alice', alicePublicKey]]) }
 * ```
 */
export type ClientPolicy =
  | { readonly kind: 'registry'; readonly clients: ReadonlyMap<string, Uint8Array> }
  | { readonly kind: 'any-key' }

/**
 * A replica's options. Durations are in ticks.
 *
 * @example
 * ```ts
 * new PbftReplica({ id: 'r0', replicas, crypto, clients: { kind: 'any-key' } })
 * ```
 */
export interface PbftReplicaOptions {
  /** This replica's id; must be one of `replicas`. */
  readonly id: NodeId
  /** The membership, n ≥ 4 replicas with distinct ids and keys; f = ⌊(n−1)/3⌋. */
  readonly replicas: readonly ReplicaInfo[]
  readonly crypto: PbftCrypto
  readonly clients: ClientPolicy
  /** K: a checkpoint every K sequence numbers. Default 16. */
  readonly checkpointInterval?: number
  /** L: high watermark = low watermark + L; a multiple of K, at least 2K. Default 2K. */
  readonly watermarkWindow?: number
  /** Most requests in one batch. Default 64. */
  readonly maxBatchRequests?: number
  /** Most operation bytes in one batch. Default 1 MiB. */
  readonly maxBatchBytes?: number
  /** Most batches the primary keeps in flight (proposed, not executed). Default 8, at most L. */
  readonly maxInFlightBatches?: number
  /** Most requests a replica keeps pending (received, not yet executed). Default 10,000. */
  readonly maxPendingRequests?: number
  /** T: base view-change timeout; the n-th consecutive view change waits T·2^(n−1). Default 40. */
  readonly viewChangeTimeoutTicks?: number
  /** Cap on the backoff exponent. Default 6 (at most 64·T). */
  readonly maxViewChangeBackoffExponent?: number
  /** How often a replica re-sends its latest unacknowledged messages. Default 10. */
  readonly retransmitTicks?: number
  /** How long a replica that knows it is behind waits before fetching state. Default 20. */
  readonly stateTransferTimeoutTicks?: number
  /** Most committed batches in one state transfer message. Default 64. */
  readonly maxTransferEntries?: number
  /** Persisted state to restart from (fold `Ready.persist` with `applyPersist`). */
  readonly restore?: PbftHardState
}

/**
 * Something this replica signed for `(view, sequence)`, kept so that after a
 * restart it never signs a conflicting message there.
 *
 * @example
 * ```ts
 * { kind: 'prepare', view: 0, sequence: 3, digest }
 * ```
 */
export interface SignedVote {
  readonly kind: 'pre-prepare' | 'prepare' | 'commit'
  readonly view: number
  readonly sequence: number
  readonly digest: Uint8Array
}

/**
 * A stable checkpoint: its certificate (2f+1 matching checkpoint messages,
 * empty for the genesis checkpoint 0) and the state snapshot it certifies.
 *
 * @example
 * ```ts
 * stable.proof.length // 2f+1 (or 0 at sequence 0)
 * ```
 */
export interface StableCheckpoint {
  readonly sequence: number
  readonly stateDigest: Uint8Array
  readonly proof: readonly Checkpoint[]
  readonly snapshot: Uint8Array
}

/**
 * What `Ready.persist` asks to be made durable before any message of the same
 * `Ready` is sent. Fold it into a `PbftHardState` with `applyPersist`.
 *
 * @example
 * ```ts
 * hardState = applyPersist(hardState, ready.persist)
 * ```
 */
export interface PersistUpdate {
  /** The current view and whether a view change is in progress. */
  readonly view: number
  readonly viewChanging: boolean
  /** New votes this replica signed. */
  readonly votes: readonly SignedVote[]
  /** New prepared certificates (they feed this replica's future view-changes). */
  readonly prepared: readonly PreparedCertificate[]
  /** Newly executed batches with their commit certificates. */
  readonly committed: readonly CommitCertificate[]
  /** A new stable checkpoint; everything at or below its sequence may be dropped. */
  readonly stableCheckpoint: StableCheckpoint | undefined
}

/**
 * Everything a replica needs to restart safely.
 *
 * @example
 * ```ts
 * const replica = new PbftReplica({ ...options, restore: hardState })
 * ```
 */
export interface PbftHardState {
  readonly replica: NodeId
  readonly view: number
  readonly viewChanging: boolean
  readonly votes: readonly SignedVote[]
  readonly prepared: readonly PreparedCertificate[]
  readonly committed: readonly CommitCertificate[]
  readonly stableCheckpoint: StableCheckpoint | undefined
}

/**
 * A message to send. Broadcasts are expanded to one entry per other replica.
 *
 * @example
 * ```ts
 * for (const { to, message } of ready.messages) transport.send(to, message)
 * ```
 */
export interface OutboundMessage {
  readonly to: NodeId
  readonly message: PbftMessage
}

/**
 * A batch this replica executed, with its results and commit certificate (a
 * ledger stores these as blocks: anyone can verify the 2f+1 commits).
 *
 * @example
 * ```ts
 * for (const batch of ready.executed) store.append(batch.sequence, batch.certificate)
 * ```
 */
export interface ExecutedBatch {
  readonly sequence: number
  readonly requests: readonly ClientRequest[]
  /** One per request; `undefined` for a request skipped as already executed (same client, older or equal timestamp). */
  readonly results: readonly (Uint8Array | undefined)[]
  readonly certificate: CommitCertificate
}

/**
 * Something that happened inside the replica, for logs, metrics and tests.
 *
 * @example
 * ```ts
 * ready.events.filter((event) => event.type === 'view-change-start')
 * ```
 */
export type PbftEvent =
  | { readonly type: 'view-change-start'; readonly view: number; readonly reason: string }
  | { readonly type: 'new-view-install'; readonly view: number; readonly primary: NodeId }
  | { readonly type: 'equivocation-detect'; readonly view: number; readonly sequence: number }
  | { readonly type: 'checkpoint-stable'; readonly sequence: number }
  | { readonly type: 'state-transfer-start'; readonly fromSequence: number; readonly peer: NodeId }
  | { readonly type: 'state-transfer-install'; readonly sequence: number; readonly from: NodeId }
  | { readonly type: 'state-divergence'; readonly sequence: number }
  | { readonly type: 'message-reject'; readonly from: NodeId; readonly kind: string; readonly reason: string }
  | { readonly type: 'vote-refuse'; readonly view: number; readonly sequence: number }

/**
 * The output of the replica since the last `advance()`. The I/O contract:
 * make `persist` durable first, then send `messages`, then call `advance()`,
 * then carry out `apply` in order (answers come back as inputs).
 * `executed` (batches whose results the application reported) and
 * `checkpoints` (newly stable) are for the caller's records.
 *
 * @example
 * ```ts
 * const ready = replica.ready()
 * if (ready.persist) hardState = applyPersist(replica.id, hardState, ready.persist)
 * for (const { to, message } of ready.messages) transport.send(to, message)
 * replica.advance()
 * applyCommands(replica, application, ready.apply)
 * ```
 */
export interface Ready {
  readonly persist: PersistUpdate | undefined
  readonly messages: readonly OutboundMessage[]
  /** Work for the application, in order. */
  readonly apply: readonly ApplyCommand[]
  readonly executed: readonly ExecutedBatch[]
  readonly checkpoints: readonly StableCheckpoint[]
  readonly events: readonly PbftEvent[]
}
