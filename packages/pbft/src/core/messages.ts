/**
 * The PBFT message set (Castro–Liskov, OSDI '99 / TOCS '02) with signatures.
 * Every message carries the signature of its sender over its canonical
 * encoding (see `codec.ts`); nested messages (the proofs inside view-changes,
 * new-views and state transfers) keep their own signatures, so a message can
 * be checked without trusting whoever relayed it.
 *
 * Replicas are named in messages by their index in the membership (0..n-1);
 * the primary of view `v` is replica `v mod n`.
 */

/**
 * A client's signed request. `timestamp` orders one client's requests
 * (exactly-once per `(client, timestamp)`); `readOnly` asks for the one
 * round-trip read optimisation.
 *
 * @example
 * ```ts
 * const unsigned = { kind: 'request', client: 'alice', publicKey, timestamp: 1, readOnly: false, operation }
 * ```
 */
export interface ClientRequest {
  readonly kind: 'request'
  /** The client's id (also the transport address replies go to). */
  readonly client: string
  /** The client's public key; checked against the client policy. */
  readonly publicKey: Uint8Array
  /** Strictly increasing per client. */
  readonly timestamp: number
  /** True for a read-only request (executed at once, never ordered). */
  readonly readOnly: boolean
  /** The application operation, opaque to PBFT. */
  readonly operation: Uint8Array
  readonly signature: Uint8Array
}

/**
 * A replica's signed reply to a client. A replica signs the replies of one
 * executed batch once: the replies are the leaves of a Merkle tree (RFC 9162
 * shape, see `signReplies`) and the signature covers `(view, replica, leaves,
 * root)`; each reply carries its `position` and the `proof` (sibling hashes,
 * leaf to root) from which the client recomputes the root (`verifyReply`).
 * A lone reply (a read, a re-sent reply) is a tree of one leaf with an empty proof.
 *
 * @example
 * ```ts
 * if (reply.kind === 'reply' && verifyReply(crypto, publicKey, reply)) console.log(reply.replica, reply.result)
 * ```
 */
export interface Reply {
  readonly kind: 'reply'
  readonly view: number
  readonly client: string
  readonly timestamp: number
  readonly replica: number
  /** True when this answers a read-only request (tentative: the client needs 2f+1 matching). */
  readonly readOnly: boolean
  readonly result: Uint8Array
  /** This reply's leaf index in its batch's reply tree. */
  readonly position: number
  /** How many replies (leaves) the tree has. */
  readonly leaves: number
  /** Sibling hashes from this reply's leaf up to the root. */
  readonly proof: readonly Uint8Array[]
  /** The replica's signature over `(view, replica, leaves, root)`. */
  readonly signature: Uint8Array
}

/**
 * The primary's proposal of `batch` at `(view, sequence)`. The signature covers
 * `(view, sequence, digest, replica)` only; `digest` binds the batch.
 *
 * @example
 * ```ts
 * prePrepare.digest // crypto.digest(encodeBatch(prePrepare.batch))
 * ```
 */
export interface PrePrepare {
  readonly kind: 'pre-prepare'
  readonly view: number
  readonly sequence: number
  readonly digest: Uint8Array
  readonly replica: number
  readonly batch: readonly ClientRequest[]
  readonly signature: Uint8Array
}

/**
 * A backup's vote that it accepted the pre-prepare `(view, sequence, digest)`.
 * It carries the primary's pre-prepare signature, so a replica that accepted a
 * different digest at the same `(view, sequence)` holds a proof that the
 * primary equivocated.
 *
 * @example
 * ```ts
 * prepare.prePrepareSignature // the primary's signature over (view, sequence, digest)
 * ```
 */
export interface Prepare {
  readonly kind: 'prepare'
  readonly view: number
  readonly sequence: number
  readonly digest: Uint8Array
  readonly replica: number
  readonly prePrepareSignature: Uint8Array
  readonly signature: Uint8Array
}

/**
 * A replica's vote that `(view, sequence, digest)` is prepared at it.
 *
 * @example
 * ```ts
 * commit.kind // 'commit'
 * ```
 */
export interface Commit {
  readonly kind: 'commit'
  readonly view: number
  readonly sequence: number
  readonly digest: Uint8Array
  readonly replica: number
  readonly signature: Uint8Array
}

/**
 * A replica's claim that its state after executing `sequence` has digest
 * `stateDigest` (the digest of the state snapshot). 2f+1 matching ones are a
 * checkpoint certificate.
 *
 * @example
 * ```ts
 * checkpoint.sequence % checkpointInterval // 0
 * ```
 */
export interface Checkpoint {
  readonly kind: 'checkpoint'
  readonly sequence: number
  readonly stateDigest: Uint8Array
  readonly replica: number
  readonly signature: Uint8Array
}

/**
 * A pre-prepare and 2f matching prepares from distinct backups: proof that a
 * batch was prepared at `(view, sequence)`.
 *
 * @example
 * ```ts
 * certificate.prepares.length // 2f
 * ```
 */
export interface PreparedCertificate {
  readonly prePrepare: PrePrepare
  readonly prepares: readonly Prepare[]
}

/**
 * A pre-prepare and 2f+1 matching commits from distinct replicas: proof that
 * a batch committed at `sequence`. State transfer ships these.
 *
 * @example
 * ```ts
 * certificate.commits.length // 2f+1
 * ```
 */
export interface CommitCertificate {
  readonly prePrepare: PrePrepare
  readonly commits: readonly Commit[]
}

/**
 * A replica's move to `view`: its stable checkpoint with the 2f+1 checkpoint
 * messages that prove it (empty for the genesis checkpoint 0) and, for every
 * sequence above it, the prepared certificate of the highest view it holds.
 *
 * @example
 * ```ts
 * viewChange.checkpointProof.length // 0 or 2f+1
 * ```
 */
export interface ViewChange {
  readonly kind: 'view-change'
  readonly view: number
  readonly checkpointSequence: number
  readonly checkpointProof: readonly Checkpoint[]
  readonly prepared: readonly PreparedCertificate[]
  readonly replica: number
  readonly signature: Uint8Array
}

/**
 * The new primary's installation of `view`: 2f+1 valid view-changes for it
 * and the pre-prepares re-issued from them (the paper's O set; an empty batch
 * is the null request).
 *
 * @example
 * ```ts
 * newView.prePrepares.every((p) => p.view === newView.view) // true
 * ```
 */
export interface NewView {
  readonly kind: 'new-view'
  readonly view: number
  readonly viewChanges: readonly ViewChange[]
  readonly prePrepares: readonly PrePrepare[]
  readonly replica: number
  readonly signature: Uint8Array
}

/**
 * A lagging replica's request for the state after `fromSequence - 1`.
 *
 * @example
 * ```ts
 * fetch.fromSequence // the first sequence the sender has not executed
 * ```
 */
export interface FetchState {
  readonly kind: 'fetch-state'
  readonly fromSequence: number
  readonly replica: number
  readonly signature: Uint8Array
}

/**
 * A stable checkpoint with its certificate and snapshot, as shipped by state transfer.
 *
 * @example
 * ```ts
 * crypto.digest(checkpoint.snapshot) // equals every proof[i].stateDigest
 * ```
 */
export interface CheckpointTransfer {
  readonly proof: readonly Checkpoint[]
  readonly snapshot: Uint8Array
}

/**
 * The answer to `fetch-state`: optionally a certified checkpoint snapshot, then
 * committed batches with their commit certificates, in sequence order.
 *
 * @example
 * ```ts
 * state.entries.map((entry) => entry.prePrepare.sequence)
 * ```
 */
export interface StateTransfer {
  readonly kind: 'state'
  readonly checkpoint: CheckpointTransfer | undefined
  readonly entries: readonly CommitCertificate[]
  readonly replica: number
  readonly signature: Uint8Array
}

/**
 * Every message PBFT replicas and clients exchange.
 *
 * @example
 * ```ts
 * function describe(message: PbftMessage) { return message.kind }
 * ```
 */
export type PbftMessage =
  | ClientRequest
  | Reply
  | PrePrepare
  | Prepare
  | Commit
  | Checkpoint
  | ViewChange
  | NewView
  | FetchState
  | StateTransfer

/** The `kind` of every PBFT message. @example `const k: PbftMessageKind = 'prepare'` */
export type PbftMessageKind = PbftMessage['kind']

/**
 * A message without its signature: what gets signed.
 *
 * @example
 * ```ts
 * const unsigned: Unsigned<Commit> = { kind: 'commit', view: 0, sequence: 1, digest, replica: 2 }
 * ```
 */
export type Unsigned<M extends PbftMessage> = M extends PbftMessage ? Omit<M, 'signature'> : never
