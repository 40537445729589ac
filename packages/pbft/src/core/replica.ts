/**
 * The PBFT replica: a deterministic state machine with no I/O. Inputs are
 * `step(from, message)`, `request(request)` and `tick()`; outputs collect in a
 * `Ready` until `advance()`.
 */
import type { NodeId } from '@synod/transport'
import {
  batchDigest,
  type CertificateContext,
  checkCheckpointProof,
  checkCommitCertificate,
  checkPrePrepare,
  checkViewChange,
  planNewView,
  type ReplyEntry,
  safeVerify,
  signMessage,
  signReplies,
  verifyReplicaSignature,
} from './certificates.js'
import { decodeStateSnapshot, encodeStateSnapshot, signingBytes } from './codec.js'
import { PbftConfigError, PbftPersistedStateError } from './errors.js'
import { bytesEqual, Membership, toHex } from './membership.js'
import type {
  Checkpoint,
  ClientRequest,
  Commit,
  CommitCertificate,
  FetchState,
  NewView,
  PbftMessage,
  PrePrepare,
  Prepare,
  PreparedCertificate,
  Reply,
  StateTransfer,
  ViewChange,
} from './messages.js'
import type {
  ApplyCommand,
  ClientPolicy,
  ExecutedBatch,
  OutboundMessage,
  PbftCrypto,
  PbftEvent,
  PbftHardState,
  PbftReplicaOptions,
  PersistUpdate,
  Ready,
  SignedVote,
  StableCheckpoint,
} from './types.js'

interface LogEntry {
  readonly sequence: number
  prePrepare: PrePrepare | undefined
  readonly prepares: Map<number, Prepare>
  readonly commits: Map<number, Commit>
  prepared: boolean
  committed: boolean
  ownPrepare: Prepare | undefined
  ownCommit: Commit | undefined
}

interface ClientRecord {
  timestamp: number
  result: Uint8Array
  reply: Reply | undefined
}

interface OwnCheckpoint {
  readonly stateDigest: Uint8Array
  readonly snapshot: Uint8Array
  readonly message: Checkpoint
}

const MAX_CHECKPOINTS_PER_REPLICA = 4

function positiveInteger(option: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback
  if (!Number.isSafeInteger(result) || result <= 0)
    throw new PbftConfigError(option, `expected a positive integer, got ${String(result)}`)
  return result
}

function requestKey(client: string, timestamp: number): string {
  return `${client}\u0000${timestamp}`
}

/** Deletes every entry whose sequence is at or below `sequence`. */
function dropThrough<V>(map: Map<number, V>, sequence: number): void {
  for (const key of [...map.keys()]) if (key <= sequence) map.delete(key)
}

/**
 * The first `needed` votes (in arrival order) for `digest`, or `undefined`
 * when fewer have arrived: the votes of a prepared or commit certificate.
 */
function matchingVotes<V extends Prepare | Commit>(
  votes: ReadonlyMap<number, V>,
  digest: Uint8Array,
  needed: number,
): V[] | undefined {
  const matching: V[] = []
  for (const vote of votes.values()) if (bytesEqual(vote.digest, digest)) matching.push(vote)
  return matching.length < needed ? undefined : matching.slice(0, needed)
}

/**
 * Validates a client request against a client policy and checks its signature.
 * Returns `undefined` when valid, or the reason it is not.
 *
 * @example
 * ```ts
 * checkClientRequest(crypto, { kind: 'any-key' }, request) // undefined when valid
 * ```
 */
export function checkClientRequest(
  crypto: PbftCrypto,
  policy: ClientPolicy,
  request: ClientRequest,
): string | undefined {
  if (policy.kind === 'registry') {
    const key = policy.clients.get(request.client)
    if (key === undefined) return `unknown client "${request.client}"`
    if (!bytesEqual(key, request.publicKey)) return `wrong public key for client "${request.client}"`
  } else if (request.client !== toHex(request.publicKey)) {
    return 'client id is not the hex of its public key'
  }
  if (!safeVerify(crypto, request.signature, signingBytes(request), request.publicKey))
    return 'bad client signature'
  return undefined
}

/**
 * A Castro–Liskov PBFT replica with signed messages, batching, pipelining,
 * checkpoints with garbage collection, view changes with exponential backoff,
 * state transfer and read-only requests.
 *
 * @example
 * ```ts
 * const replica = new PbftReplica({ id: 'r0', replicas, crypto, clients: { kind: 'any-key' } })
 * transport.onMessage((from, message) => replica.step(from, message))
 * setInterval(() => replica.tick(), 50)
 * // after each input:
 * while (replica.hasReady()) {
 *   const ready = replica.ready()
 *   if (ready.persist) hardState = applyPersist(replica.id, hardState, ready.persist) // durable first
 *   for (const { to, message } of ready.messages) transport.send(to, message)
 *   replica.advance()
 *   applyCommands(replica, application, ready.apply)
 * }
 * ```
 */
export class PbftReplica {
  /** This replica's id. */
  readonly id: NodeId
  /** This replica's index in the membership. */
  readonly index: number
  readonly membership: Membership
  private readonly crypto: PbftCrypto
  private readonly clientPolicy: ClientPolicy
  private readonly context: CertificateContext
  private readonly checkpointInterval: number
  private readonly watermarkWindow: number
  private readonly maxBatchRequests: number
  private readonly maxBatchBytes: number
  private readonly maxInFlightBatches: number
  private readonly maxPendingRequests: number
  private readonly viewChangeTimeoutTicks: number
  private readonly maxBackoffExponent: number
  private readonly retransmitTicks: number
  private readonly stateTransferTimeoutTicks: number
  private readonly maxTransferEntries: number

  private currentView = 0
  private viewChanging = false
  private executedSequence = 0
  private stable: StableCheckpoint
  private nextSequence = 1
  private readonly log = new Map<number, LogEntry>()
  private readonly preparedCertificates = new Map<number, PreparedCertificate>()
  private readonly committedCertificates = new Map<number, CommitCertificate>()
  private readonly ownCheckpoints = new Map<number, OwnCheckpoint>()
  private readonly checkpointVotes = new Map<number, Map<number, Checkpoint>>()
  private readonly votes = new Map<string, Uint8Array>()
  private readonly clientTable = new Map<string, ClientRecord>()
  private readonly pending = new Map<string, ClientRequest>()
  private readonly assigned = new Set<string>()
  private readonly latestViewChanges = new Map<number, ViewChange>()
  private ownViewChange: ViewChange | undefined
  private currentNewView: NewView | undefined
  private latestOwnCheckpoint: Checkpoint | undefined
  private latestOwnCommit: Commit | undefined
  private viewChangeTimer: number | undefined
  private backoffExponent = 0
  private retransmitCounter = 0
  private behindHint = 0
  private fetchWaitTicks = 0
  private fetchPeerRotation = 0
  private fetchedForCheckpoint = 0
  private readonly newViewRelayedTo = new Set<number>()
  /** Requesters answered since the last retransmission round (one state answer each per round). */
  private readonly fetchAnswered = new Set<number>()
  private restoring = false
  /** The batch handed to the application and not yet `applied()`. */
  private awaiting: { certificate: CommitCertificate; fresh: ClientRequest[] } | undefined
  /** Verified commit certificates waiting for their turn (from state transfer or a restart). */
  private readonly certifiedAhead = new Map<number, CommitCertificate>()
  /** Batches up to here are a restart's replay: no replies, no persistence, no `executed`. */
  private replayUntil = 0

  private outMessages: OutboundMessage[] = []
  private outEvents: PbftEvent[] = []
  private outExecuted: ExecutedBatch[] = []
  private outCheckpoints: StableCheckpoint[] = []
  private outApply: ApplyCommand[] = []
  private persistGeneration = 0
  private persistedGeneration = 0
  private persistVotes: SignedVote[] = []
  private persistPrepared: PreparedCertificate[] = []
  private persistCommitted: CommitCertificate[] = []
  private persistStable: StableCheckpoint | undefined
  private handedOver:
    | {
        messages: number
        events: number
        executed: number
        checkpoints: number
        apply: number
        votes: number
        prepared: number
        committed: number
        stable: StableCheckpoint | undefined
        generation: number
      }
    | undefined

  /**
   * @throws {PbftConfigError} for an invalid membership, an id outside it, or a bad limit
   * @throws {PbftPersistedStateError} when `restore` belongs to another replica or is inconsistent
   */
  constructor(options: PbftReplicaOptions) {
    this.membership = new Membership(options.replicas)
    const index = this.membership.indexOf(options.id)
    if (index === undefined) throw new PbftConfigError('id', `"${options.id}" is not one of the replicas`)
    this.id = options.id
    this.index = index
    if (typeof options.crypto?.sign !== 'function' || typeof options.crypto.verify !== 'function')
      throw new PbftConfigError('crypto', 'expected { sign, verify, digest }')
    if (options.clients?.kind !== 'registry' && options.clients?.kind !== 'any-key')
      throw new PbftConfigError('clients', "expected { kind: 'registry', clients } or { kind: 'any-key' }")
    this.crypto = options.crypto
    this.clientPolicy = options.clients
    this.checkpointInterval = positiveInteger('checkpointInterval', options.checkpointInterval, 16)
    this.watermarkWindow = positiveInteger(
      'watermarkWindow',
      options.watermarkWindow,
      2 * this.checkpointInterval,
    )
    if (
      this.watermarkWindow % this.checkpointInterval !== 0 ||
      this.watermarkWindow < 2 * this.checkpointInterval
    )
      throw new PbftConfigError(
        'watermarkWindow',
        `expected a multiple of checkpointInterval (${this.checkpointInterval}) of at least ${2 * this.checkpointInterval}, got ${this.watermarkWindow}`,
      )
    this.maxBatchRequests = positiveInteger('maxBatchRequests', options.maxBatchRequests, 64)
    this.maxBatchBytes = positiveInteger('maxBatchBytes', options.maxBatchBytes, 1024 * 1024)
    this.maxInFlightBatches = positiveInteger('maxInFlightBatches', options.maxInFlightBatches, 8)
    if (this.maxInFlightBatches > this.watermarkWindow)
      throw new PbftConfigError(
        'maxInFlightBatches',
        `expected at most watermarkWindow (${this.watermarkWindow}), got ${this.maxInFlightBatches}`,
      )
    this.maxPendingRequests = positiveInteger('maxPendingRequests', options.maxPendingRequests, 10_000)
    this.viewChangeTimeoutTicks = positiveInteger(
      'viewChangeTimeoutTicks',
      options.viewChangeTimeoutTicks,
      40,
    )
    this.maxBackoffExponent = options.maxViewChangeBackoffExponent ?? 6
    if (
      !Number.isSafeInteger(this.maxBackoffExponent) ||
      this.maxBackoffExponent < 0 ||
      this.maxBackoffExponent > 30
    )
      throw new PbftConfigError(
        'maxViewChangeBackoffExponent',
        `expected an integer in [0, 30], got ${String(this.maxBackoffExponent)}`,
      )
    this.retransmitTicks = positiveInteger('retransmitTicks', options.retransmitTicks, 10)
    this.stateTransferTimeoutTicks = positiveInteger(
      'stateTransferTimeoutTicks',
      options.stateTransferTimeoutTicks,
      20,
    )
    this.maxTransferEntries = positiveInteger('maxTransferEntries', options.maxTransferEntries, 64)
    this.context = {
      membership: this.membership,
      crypto: this.crypto,
      checkpointInterval: this.checkpointInterval,
      watermarkWindow: this.watermarkWindow,
    }
    // the genesis checkpoint: never transferred, never proven
    this.stable = { sequence: 0, stateDigest: new Uint8Array(0), proof: [], snapshot: new Uint8Array(0) }
    if (options.restore !== undefined) this.restore(options.restore)
  }

  // ------------------------------------------------------------ accessors

  /** The current view. */
  get view(): number {
    return this.currentView
  }

  /** `'view-change'` between sending a view-change and installing the new view, else `'normal'`. */
  get status(): 'normal' | 'view-change' {
    return this.viewChanging ? 'view-change' : 'normal'
  }

  /** The highest sequence number executed. */
  get lastExecuted(): number {
    return this.executedSequence
  }

  /** The low watermark h: the sequence of the last stable checkpoint. */
  get lowWatermark(): number {
    return this.stable.sequence
  }

  /** The high watermark H = h + L. */
  get highWatermark(): number {
    return this.stable.sequence + this.watermarkWindow
  }

  /** The last stable checkpoint (with its certificate and snapshot). */
  get stableCheckpoint(): StableCheckpoint {
    return this.stable
  }

  /** True when this replica is the primary of the current view. */
  get isPrimary(): boolean {
    return this.membership.primaryOf(this.currentView) === this.index
  }

  /** Requests received and not yet executed. */
  get pendingRequests(): number {
    return this.pending.size
  }

  // ------------------------------------------------------------ Ready / advance

  /** True when `ready()` has something to hand over. */
  hasReady(): boolean {
    return (
      this.persistGeneration !== this.persistedGeneration ||
      this.outMessages.length > 0 ||
      this.outEvents.length > 0 ||
      this.outExecuted.length > 0 ||
      this.outCheckpoints.length > 0 ||
      this.outApply.length > 0
    )
  }

  /**
   * Everything produced since the last `advance()`. The contract: make
   * `persist` durable, then send `messages`, then call `advance()`, then carry
   * out `apply` in order (reporting back with `applied` / `answered`). Inputs
   * that arrive between `ready()` and `advance()` are kept for the next `ready()`.
   */
  ready(): Ready {
    const dirty = this.persistGeneration !== this.persistedGeneration
    const persist: PersistUpdate | undefined = dirty
      ? {
          view: this.currentView,
          viewChanging: this.viewChanging,
          votes: this.persistVotes.slice(),
          prepared: this.persistPrepared.slice(),
          committed: this.persistCommitted.slice(),
          stableCheckpoint: this.persistStable,
        }
      : undefined
    this.handedOver = {
      messages: this.outMessages.length,
      events: this.outEvents.length,
      executed: this.outExecuted.length,
      checkpoints: this.outCheckpoints.length,
      apply: this.outApply.length,
      votes: this.persistVotes.length,
      prepared: this.persistPrepared.length,
      committed: this.persistCommitted.length,
      stable: this.persistStable,
      generation: this.persistGeneration,
    }
    return {
      persist,
      messages: this.outMessages.slice(),
      apply: this.outApply.slice(),
      executed: this.outExecuted.slice(),
      checkpoints: this.outCheckpoints.slice(),
      events: this.outEvents.slice(),
    }
  }

  /** Acknowledges the last `ready()`: its content is persisted, sent and handed over. */
  advance(): void {
    const handed = this.handedOver
    if (handed === undefined) return
    this.handedOver = undefined
    this.outMessages.splice(0, handed.messages)
    this.outEvents.splice(0, handed.events)
    this.outExecuted.splice(0, handed.executed)
    this.outCheckpoints.splice(0, handed.checkpoints)
    this.outApply.splice(0, handed.apply)
    this.persistVotes.splice(0, handed.votes)
    this.persistPrepared.splice(0, handed.prepared)
    this.persistCommitted.splice(0, handed.committed)
    if (this.persistStable === handed.stable) this.persistStable = undefined
    this.persistedGeneration = handed.generation
  }

  /**
   * Reports that the application executed the batch of `sequence` (the
   * `execute` command): one result per request, and the application's
   * snapshot when the command asked for a checkpoint. A report for a batch
   * that is no longer awaited (a state transfer replaced it) is ignored.
   *
   * @throws {RangeError} when the number of results is wrong
   * @throws {TypeError} when a checkpoint's snapshot is missing
   */
  applied(sequence: number, results: readonly Uint8Array[], snapshot?: Uint8Array): void {
    const awaiting = this.awaiting
    if (awaiting === undefined || awaiting.certificate.prePrepare.sequence !== sequence) return
    if (!Array.isArray(results) || results.length !== awaiting.fresh.length)
      throw new RangeError(
        `results: expected ${awaiting.fresh.length} results for sequence ${sequence}, got ${Array.isArray(results) ? results.length : typeof results}`,
      )
    const checkpoint = sequence % this.checkpointInterval === 0
    if (checkpoint && !(snapshot instanceof Uint8Array))
      throw new TypeError(`snapshot: expected the application snapshot after checkpoint sequence ${sequence}`)
    this.awaiting = undefined
    this.finishExecute(awaiting.certificate, awaiting.fresh, results, checkpoint ? snapshot : undefined)
    this.executeCommitted()
  }

  /** Reports the application's answer to a read-only request (the `query` command). */
  answered(request: ClientRequest, result: Uint8Array): void {
    this.sendReply(request, result, true)
  }

  // ------------------------------------------------------------ inputs

  /**
   * Handles one message from `from` (the transport's authenticated sender).
   * Invalid messages are dropped with a `message-reject` event; this never throws on bad input.
   */
  step(from: NodeId, message: PbftMessage): void {
    switch (message.kind) {
      case 'request':
        this.onRequest(from, message)
        return
      case 'pre-prepare':
        this.onPrePrepare(from, message)
        return
      case 'prepare':
        this.onPrepare(from, message)
        return
      case 'commit':
        this.onCommit(from, message)
        return
      case 'checkpoint':
        this.onCheckpoint(from, message)
        return
      case 'view-change':
        this.onViewChange(from, message)
        return
      case 'new-view':
        this.onNewView(from, message)
        return
      case 'fetch-state':
        this.onFetchState(from, message)
        return
      case 'state':
        this.onState(from, message)
        return
      case 'reply':
        this.reject(from, message.kind, 'replicas do not take replies')
        return
      default:
        this.reject(from, 'unknown', 'unknown message kind')
    }
  }

  /** Submits a client request directly (as if the client had sent it to this replica). */
  request(request: ClientRequest): void {
    this.onRequest(request.client, request)
  }

  /** Advances time by one tick: timers, retransmissions, state-transfer retries. */
  tick(): void {
    if (this.viewChangeTimer !== undefined) {
      this.viewChangeTimer--
      if (this.viewChangeTimer <= 0) {
        this.viewChangeTimer = undefined
        if (this.viewChanging) this.onNewViewTimeout()
        else if (this.pending.size > 0) this.startViewChange(this.currentView + 1, 'request timeout')
      }
    }
    this.retransmitCounter++
    if (this.retransmitCounter >= this.retransmitTicks) {
      this.retransmitCounter = 0
      this.newViewRelayedTo.clear()
      this.fetchAnswered.clear()
      this.retransmit()
    }
    if (this.behindHint > this.executedSequence) {
      this.fetchWaitTicks++
      if (this.fetchWaitTicks >= this.stateTransferTimeoutTicks) {
        this.fetchWaitTicks = 0
        this.sendFetch()
      }
    } else {
      this.fetchWaitTicks = 0
    }
  }

  /**
   * Waiting for a new-view timed out. Move on to the next view only when 2f+1
   * replicas (this one included) are known to be at this view or above: a
   * replica that ran ahead of the others waits for them (re-sending its
   * view-change) instead of running further away, so honest replicas converge.
   */
  private onNewViewTimeout(): void {
    let atOrAbove = 0
    for (const viewChange of this.latestViewChanges.values())
      if (viewChange.view >= this.currentView) atOrAbove++
    if (atOrAbove >= this.membership.quorum) this.startViewChange(this.currentView + 1, 'new-view timeout')
    else this.viewChangeTimer = this.viewChangeTimeout()
  }

  // ------------------------------------------------------------ helpers

  private reject(from: NodeId, kind: string, reason: string): void {
    this.outEvents.push({ type: 'message-reject', from, kind, reason })
  }

  private send(to: number, message: PbftMessage): void {
    if (to === this.index) return
    this.outMessages.push({ to: this.membership.ids[to]!, message })
  }

  private broadcast(message: PbftMessage): void {
    for (let i = 0; i < this.membership.n; i++) if (i !== this.index) this.send(i, message)
  }

  private markPersist(): void {
    this.persistGeneration++
  }

  /** Records a vote; false (and no signature) when it would conflict with one already signed. */
  private recordVote(kind: SignedVote['kind'], view: number, sequence: number, digest: Uint8Array): boolean {
    const key = `${kind}:${view}:${sequence}`
    const existing = this.votes.get(key)
    if (existing !== undefined) {
      if (bytesEqual(existing, digest)) return true
      this.outEvents.push({ type: 'vote-refuse', view, sequence })
      return false
    }
    this.votes.set(key, digest)
    this.persistVotes.push({ kind, view, sequence, digest })
    this.markPersist()
    return true
  }

  /** This primary's signed pre-prepare for `sequence` in the current view, unless it already signed another digest there. */
  private prePrepareOnce(
    sequence: number,
    digest: Uint8Array,
    batch: readonly ClientRequest[],
  ): PrePrepare | undefined {
    if (!this.recordVote('pre-prepare', this.currentView, sequence, digest)) return undefined
    return signMessage<PrePrepare>(this.crypto, {
      kind: 'pre-prepare',
      view: this.currentView,
      sequence,
      digest,
      replica: this.index,
      batch,
    })
  }

  /** This replica's signed commit for a prepared pre-prepare, unless it already committed to another digest there. */
  private commitOnce({ view, sequence, digest }: PrePrepare): Commit | undefined {
    if (!this.recordVote('commit', view, sequence, digest)) return undefined
    return signMessage<Commit>(this.crypto, { kind: 'commit', view, sequence, digest, replica: this.index })
  }

  private signCheckpoint(sequence: number, stateDigest: Uint8Array): Checkpoint {
    return signMessage<Checkpoint>(this.crypto, {
      kind: 'checkpoint',
      sequence,
      stateDigest,
      replica: this.index,
    })
  }

  /** Checks that a replica message names a member and came from it. */
  private checkSender(from: NodeId, message: Extract<PbftMessage, { replica: number }>): boolean {
    const sender = this.membership.ids[message.replica]
    if (sender === undefined) {
      this.reject(from, message.kind, `unknown replica index ${message.replica}`)
      return false
    }
    if (sender !== from) {
      this.reject(from, message.kind, `sender "${from}" is not replica ${message.replica}`)
      return false
    }
    if (message.replica === this.index) {
      this.reject(from, message.kind, 'message claims to be from this replica')
      return false
    }
    return true
  }

  private checkSignature(from: NodeId, message: Extract<PbftMessage, { replica: number }>): boolean {
    if (verifyReplicaSignature(this.context, message)) return true
    this.reject(from, message.kind, 'bad signature')
    return false
  }

  /** Why a normal-case message cannot be taken now (another view, a view change, outside the watermarks). */
  private normalCaseRejection(message: PrePrepare | Prepare | Commit): string | undefined {
    if (message.view !== this.currentView || this.viewChanging)
      return `for view ${message.view}, current view ${this.currentView}`
    if (!this.inWindow(message.sequence)) return `sequence ${message.sequence} outside the watermarks`
    return undefined
  }

  /** Adds a prepare or commit to its log entry; false (with a reject) for a second vote or a bad signature. */
  private addVote<V extends Prepare | Commit>(from: NodeId, votes: Map<number, V>, vote: V): boolean {
    if (votes.has(vote.replica)) {
      this.reject(from, vote.kind, 'duplicate vote')
      return false
    }
    if (!this.checkSignature(from, vote)) return false
    votes.set(vote.replica, vote)
    return true
  }

  private inWindow(sequence: number): boolean {
    return sequence > this.stable.sequence && sequence <= this.stable.sequence + this.watermarkWindow
  }

  private entry(sequence: number): LogEntry {
    let entry = this.log.get(sequence)
    if (entry === undefined) {
      entry = {
        sequence,
        prePrepare: undefined,
        prepares: new Map(),
        commits: new Map(),
        prepared: false,
        committed: false,
        ownPrepare: undefined,
        ownCommit: undefined,
      }
      this.log.set(sequence, entry)
    }
    return entry
  }

  private viewChangeTimeout(): number {
    return this.viewChangeTimeoutTicks * 2 ** Math.min(this.backoffExponent, this.maxBackoffExponent)
  }

  private startRequestTimerIfIdle(): void {
    if (!this.viewChanging && this.viewChangeTimer === undefined && this.pending.size > 0)
      this.viewChangeTimer = this.viewChangeTimeout()
  }

  private noteBehind(sequence: number): void {
    if (sequence > this.behindHint) this.behindHint = sequence
  }

  /** True when the client table holds a later or the same request of the client: it never executes again. */
  private isExecuted(request: ClientRequest): boolean {
    const record = this.clientTable.get(request.client)
    return record !== undefined && request.timestamp <= record.timestamp
  }

  private forgetRequest(key: string): void {
    this.pending.delete(key)
    this.assigned.delete(key)
  }

  /** Drops the pending requests the client table has caught up with (they can never execute now). */
  private dropExecutedRequests(): void {
    for (const [key, request] of this.pending) if (this.isExecuted(request)) this.forgetRequest(key)
  }

  // ------------------------------------------------------------ requests

  private onRequest(from: NodeId, request: ClientRequest): void {
    const reason = checkClientRequest(this.crypto, this.clientPolicy, request)
    if (reason !== undefined) {
      this.reject(from, 'request', reason)
      return
    }
    if (request.readOnly) {
      this.outApply.push({ kind: 'query', request })
      return
    }
    const record = this.clientTable.get(request.client)
    if (record !== undefined && request.timestamp <= record.timestamp) {
      if (request.timestamp === record.timestamp) this.resendReply(request.client, record)
      return
    }
    const key = requestKey(request.client, request.timestamp)
    const primary = this.membership.primaryOf(this.currentView)
    if (this.pending.has(key)) {
      // a retransmission: the primary may never have seen it
      if (primary !== this.index && !this.viewChanging && from === request.client) this.send(primary, request)
      return
    }
    if (this.pending.size >= this.maxPendingRequests) {
      this.reject(from, 'request', 'pending request limit reached')
      return
    }
    this.pending.set(key, request)
    if (primary === this.index) this.propose()
    else if (!this.viewChanging && from === request.client) this.send(primary, request)
    this.startRequestTimerIfIdle()
  }

  /** One reply signed on its own (a tree of one leaf). */
  private signReply(entry: ReplyEntry): Reply {
    return signReplies(this.crypto, this.currentView, this.index, [entry])[0]!
  }

  private sendReply(request: ClientRequest, result: Uint8Array, readOnly: boolean): void {
    const reply = this.signReply({ client: request.client, timestamp: request.timestamp, readOnly, result })
    this.outMessages.push({ to: request.client, message: reply })
  }

  private resendReply(client: string, record: ClientRecord): void {
    record.reply ??= this.signReply({
      client,
      timestamp: record.timestamp,
      readOnly: false,
      result: record.result,
    })
    this.outMessages.push({ to: client, message: record.reply })
  }

  // ------------------------------------------------------------ normal case

  /** The primary cuts batches while the pipeline and the window allow. */
  private propose(): void {
    while (
      !this.viewChanging &&
      this.isPrimary &&
      this.nextSequence <= this.stable.sequence + this.watermarkWindow &&
      this.nextSequence - 1 - this.executedSequence < this.maxInFlightBatches
    ) {
      const batch: ClientRequest[] = []
      let bytes = 0
      for (const [key, request] of this.pending) {
        if (this.assigned.has(key)) continue
        if (batch.length >= this.maxBatchRequests) break
        if (batch.length > 0 && bytes + request.operation.length > this.maxBatchBytes) break
        batch.push(request)
        bytes += request.operation.length
      }
      if (batch.length === 0) return
      const sequence = this.nextSequence++
      const prePrepare = this.prePrepareOnce(sequence, batchDigest(this.crypto, batch), batch)
      if (prePrepare === undefined) continue
      for (const request of batch) this.assigned.add(requestKey(request.client, request.timestamp))
      this.entry(sequence).prePrepare = prePrepare
      this.broadcast(prePrepare)
    }
  }

  private onPrePrepare(from: NodeId, prePrepare: PrePrepare): void {
    if (!this.checkSender(from, prePrepare)) return
    const rejection = this.normalCaseRejection(prePrepare)
    if (rejection !== undefined) {
      this.reject(from, prePrepare.kind, rejection)
      return
    }
    if (prePrepare.replica !== this.membership.primaryOf(prePrepare.view)) {
      this.reject(from, prePrepare.kind, 'not from the primary of its view')
      return
    }
    if (!this.checkSignature(from, prePrepare)) return
    const entry = this.entry(prePrepare.sequence)
    if (entry.prePrepare !== undefined) {
      if (!bytesEqual(entry.prePrepare.digest, prePrepare.digest)) this.equivocation(prePrepare.sequence)
      return
    }
    const reason = checkPrePrepare(this.context, prePrepare)
    if (reason !== undefined) {
      this.reject(from, prePrepare.kind, reason)
      return
    }
    const batchReason = this.checkBatch(prePrepare.batch)
    if (batchReason !== undefined) {
      // the primary signed a digest that binds an invalid batch: it is faulty
      this.reject(from, prePrepare.kind, batchReason)
      this.startViewChange(this.currentView + 1, `invalid batch from the primary: ${batchReason}`)
      return
    }
    this.acceptPrePrepare(entry, prePrepare)
  }

  private checkBatch(batch: readonly ClientRequest[]): string | undefined {
    if (batch.length === 0) return 'empty batch outside a new view'
    if (batch.length > this.maxBatchRequests) return `batch of ${batch.length} requests exceeds the limit`
    const keys = new Set<string>()
    let bytes = 0
    for (const request of batch) {
      if (request.readOnly) return 'read-only request in a batch'
      const key = requestKey(request.client, request.timestamp)
      if (keys.has(key)) return 'duplicate request in a batch'
      keys.add(key)
      bytes += request.operation.length
      const known = this.pending.get(key)
      // a request verified on arrival needs no second check, if it is the very same request
      if (
        known !== undefined &&
        bytesEqual(known.signature, request.signature) &&
        bytesEqual(known.operation, request.operation) &&
        bytesEqual(known.publicKey, request.publicKey)
      )
        continue
      const reason = checkClientRequest(this.crypto, this.clientPolicy, request)
      if (reason !== undefined) return reason
    }
    if (batch.length > 1 && bytes > this.maxBatchBytes) return `batch of ${bytes} bytes exceeds the limit`
    return undefined
  }

  private acceptPrePrepare(entry: LogEntry, prePrepare: PrePrepare): void {
    const isBackup = this.membership.primaryOf(prePrepare.view) !== this.index
    if (isBackup && !this.recordVote('prepare', prePrepare.view, prePrepare.sequence, prePrepare.digest))
      return
    entry.prePrepare = prePrepare
    for (const request of prePrepare.batch) {
      const key = requestKey(request.client, request.timestamp)
      this.assigned.add(key)
      if (!this.pending.has(key) && !this.isExecuted(request) && this.pending.size < this.maxPendingRequests)
        this.pending.set(key, request)
    }
    this.startRequestTimerIfIdle()
    if (isBackup) {
      const prepare = signMessage<Prepare>(this.crypto, {
        kind: 'prepare',
        view: prePrepare.view,
        sequence: prePrepare.sequence,
        digest: prePrepare.digest,
        replica: this.index,
        prePrepareSignature: prePrepare.signature,
      })
      entry.ownPrepare = prepare
      entry.prepares.set(this.index, prepare)
      this.broadcast(prepare)
    }
    for (const prepare of entry.prepares.values()) {
      if (!bytesEqual(prepare.digest, prePrepare.digest) && this.provesEquivocation(prepare)) {
        this.equivocation(prePrepare.sequence)
        return
      }
    }
    this.checkPrepared(entry)
  }

  /** True when a prepare carries a valid primary signature over a digest other than ours. */
  private provesEquivocation(prepare: Prepare): boolean {
    const primary = this.membership.primaryOf(prepare.view)
    const bytes = signingBytes({
      kind: 'pre-prepare',
      view: prepare.view,
      sequence: prepare.sequence,
      digest: prepare.digest,
      replica: primary,
      batch: [],
    })
    return safeVerify(this.crypto, prepare.prePrepareSignature, bytes, this.membership.keys[primary]!)
  }

  private equivocation(sequence: number): void {
    this.outEvents.push({ type: 'equivocation-detect', view: this.currentView, sequence })
    this.startViewChange(this.currentView + 1, `equivocating primary at sequence ${sequence}`)
  }

  private onPrepare(from: NodeId, prepare: Prepare): void {
    if (!this.checkSender(from, prepare)) return
    const rejection = this.normalCaseRejection(prepare)
    if (rejection !== undefined) {
      this.reject(from, prepare.kind, rejection)
      return
    }
    if (prepare.replica === this.membership.primaryOf(prepare.view)) {
      this.reject(from, prepare.kind, 'prepare from the primary')
      return
    }
    const entry = this.entry(prepare.sequence)
    if (!this.addVote(from, entry.prepares, prepare)) return
    if (
      entry.prePrepare !== undefined &&
      !bytesEqual(entry.prePrepare.digest, prepare.digest) &&
      this.provesEquivocation(prepare)
    ) {
      this.equivocation(prepare.sequence)
      return
    }
    this.checkPrepared(entry)
  }

  private checkPrepared(entry: LogEntry): void {
    const prePrepare = entry.prePrepare
    if (entry.prepared || prePrepare === undefined || this.viewChanging) return
    const prepares = matchingVotes(entry.prepares, prePrepare.digest, 2 * this.membership.f)
    if (prepares === undefined) return
    const commit = this.commitOnce(prePrepare)
    if (commit === undefined) return
    entry.prepared = true
    const certificate: PreparedCertificate = { prePrepare, prepares }
    const previous = this.preparedCertificates.get(entry.sequence)
    if (previous === undefined || previous.prePrepare.view <= prePrepare.view) {
      this.preparedCertificates.set(entry.sequence, certificate)
      this.persistPrepared.push(certificate)
      this.markPersist()
    }
    entry.ownCommit = commit
    this.latestOwnCommit = commit
    entry.commits.set(this.index, commit)
    this.broadcast(commit)
    this.checkCommitted(entry)
  }

  private onCommit(from: NodeId, commit: Commit): void {
    if (!this.checkSender(from, commit)) return
    const rejection = this.normalCaseRejection(commit)
    if (rejection !== undefined) {
      // a signed commit still tells how far the others got
      if (commit.sequence > this.executedSequence && this.checkSignature(from, commit))
        this.noteBehind(commit.sequence)
      this.reject(from, commit.kind, rejection)
      return
    }
    const entry = this.entry(commit.sequence)
    if (!this.addVote(from, entry.commits, commit)) return
    if (commit.sequence > this.executedSequence) this.noteBehind(commit.sequence)
    this.checkCommitted(entry)
  }

  private checkCommitted(entry: LogEntry): void {
    const prePrepare = entry.prePrepare
    if (!entry.prepared || entry.committed || prePrepare === undefined) return
    if (matchingVotes(entry.commits, prePrepare.digest, this.membership.quorum) === undefined) return
    entry.committed = true
    this.executeCommitted()
  }

  /** Hands the next batch in sequence order to the application, once the previous one is applied. */
  private executeCommitted(): void {
    if (this.awaiting !== undefined) return
    const sequence = this.executedSequence + 1
    let certificate = this.certifiedAhead.get(sequence)
    if (certificate === undefined) {
      const entry = this.log.get(sequence)
      if (entry === undefined || !entry.committed || entry.prePrepare === undefined) return
      const prePrepare = entry.prePrepare
      const commits = matchingVotes(entry.commits, prePrepare.digest, this.membership.quorum)
      // commits are only ever added, and 2f+1 of them made the entry committed
      if (commits === undefined) throw new Error(`bug: committed sequence ${sequence} lost its commit quorum`)
      certificate = { prePrepare, commits }
    }
    this.certifiedAhead.delete(sequence)
    // exactly once: a request at or below its client's last executed timestamp is skipped
    const fresh: ClientRequest[] = []
    const seen = new Set<string>()
    for (const request of certificate.prePrepare.batch) {
      const key = requestKey(request.client, request.timestamp)
      if (this.isExecuted(request) || seen.has(key)) continue
      seen.add(key)
      fresh.push(request)
    }
    this.awaiting = { certificate, fresh }
    this.outApply.push({
      kind: 'execute',
      sequence,
      requests: fresh.map((request) => ({
        client: request.client,
        timestamp: request.timestamp,
        operation: request.operation,
      })),
      checkpoint: sequence % this.checkpointInterval === 0,
    })
  }

  /** The batch is executed: replies, client table, persistence, checkpoint. */
  private finishExecute(
    certificate: CommitCertificate,
    fresh: readonly ClientRequest[],
    results: readonly Uint8Array[],
    snapshot: Uint8Array | undefined,
  ): void {
    const { prePrepare } = certificate
    const sequence = prePrepare.sequence
    if (sequence !== this.executedSequence + 1)
      throw new Error(`bug: executing ${sequence} after ${this.executedSequence}`)
    const replaying = sequence <= this.replayUntil
    const resultByKey = new Map<string, Uint8Array>()
    const answered: ClientRecord[] = []
    const entries: ReplyEntry[] = []
    fresh.forEach((request, i) => {
      const result = results[i]!
      resultByKey.set(requestKey(request.client, request.timestamp), result)
      const previous = this.clientTable.get(request.client)
      if (previous === undefined || previous.timestamp < request.timestamp) {
        const record: ClientRecord = { timestamp: request.timestamp, result, reply: undefined }
        this.clientTable.set(request.client, record)
        answered.push(record)
        entries.push({ client: request.client, timestamp: request.timestamp, readOnly: false, result })
      }
    })
    // one signature for the batch's replies (a replay signs nothing: a retransmission signs lazily)
    if (!replaying && entries.length > 0) {
      const replies = signReplies(this.crypto, this.currentView, this.index, entries)
      replies.forEach((reply, i) => {
        answered[i]!.reply = reply
        this.outMessages.push({ to: reply.client, message: reply })
      })
    }
    for (const request of prePrepare.batch) this.forgetRequest(requestKey(request.client, request.timestamp))
    this.dropExecutedRequests()
    this.executedSequence = sequence
    this.committedCertificates.set(sequence, certificate)
    this.certifiedAhead.delete(sequence)
    if (!replaying) {
      this.persistCommitted.push(certificate)
      this.markPersist()
      this.outExecuted.push({
        sequence,
        requests: prePrepare.batch,
        results: prePrepare.batch.map((request) =>
          resultByKey.get(requestKey(request.client, request.timestamp)),
        ),
        certificate,
      })
    }
    if (!this.viewChanging) {
      if (prePrepare.batch.length > 0) this.backoffExponent = 0
      this.viewChangeTimer = undefined
      this.startRequestTimerIfIdle()
    }
    this.fetchWaitTicks = 0
    if (snapshot !== undefined) this.takeCheckpoint(sequence, snapshot)
    this.propose()
  }

  // ------------------------------------------------------------ checkpoints

  private clientTableEntries() {
    return [...this.clientTable].map(([client, record]) => ({
      client,
      timestamp: record.timestamp,
      result: record.result,
    }))
  }

  private takeCheckpoint(sequence: number, application: Uint8Array): void {
    const snapshot = encodeStateSnapshot(application, this.clientTableEntries())
    const stateDigest = this.crypto.digest(snapshot)
    const message = this.signCheckpoint(sequence, stateDigest)
    this.ownCheckpoints.set(sequence, { stateDigest, snapshot, message })
    this.latestOwnCheckpoint = message
    this.addCheckpointVote(message)
    this.broadcast(message)
    this.checkStable(sequence)
  }

  private addCheckpointVote(checkpoint: Checkpoint): void {
    let byReplica = this.checkpointVotes.get(checkpoint.replica)
    if (byReplica === undefined) {
      byReplica = new Map()
      this.checkpointVotes.set(checkpoint.replica, byReplica)
    }
    byReplica.set(checkpoint.sequence, checkpoint)
    if (byReplica.size > MAX_CHECKPOINTS_PER_REPLICA) {
      const lowest = Math.min(...byReplica.keys())
      byReplica.delete(lowest)
    }
  }

  private onCheckpoint(from: NodeId, checkpoint: Checkpoint): void {
    if (!this.checkSender(from, checkpoint)) return
    if (checkpoint.sequence <= this.stable.sequence) return
    if (checkpoint.sequence % this.checkpointInterval !== 0) {
      this.reject(from, checkpoint.kind, `sequence ${checkpoint.sequence} is not a checkpoint`)
      return
    }
    const known = this.checkpointVotes.get(checkpoint.replica)?.get(checkpoint.sequence)
    if (known !== undefined) return
    if (!this.checkSignature(from, checkpoint)) return
    this.addCheckpointVote(checkpoint)
    if (checkpoint.sequence > this.executedSequence) this.noteBehind(checkpoint.sequence)
    this.checkStable(checkpoint.sequence)
  }

  private checkStable(sequence: number): void {
    if (sequence <= this.stable.sequence) return
    const groups = new Map<string, Checkpoint[]>()
    for (const byReplica of this.checkpointVotes.values()) {
      const checkpoint = byReplica.get(sequence)
      if (checkpoint === undefined) continue
      const key = toHex(checkpoint.stateDigest)
      const group = groups.get(key) ?? []
      group.push(checkpoint)
      groups.set(key, group)
    }
    for (const proof of groups.values()) {
      if (proof.length < this.membership.quorum) continue
      const stateDigest = proof[0]!.stateDigest
      const own = this.ownCheckpoints.get(sequence)
      if (own !== undefined) {
        if (bytesEqual(own.stateDigest, stateDigest))
          this.makeStable(sequence, proof, own.snapshot, stateDigest)
        else {
          this.outEvents.push({ type: 'state-divergence', sequence })
          this.noteBehind(sequence)
        }
      } else if (sequence > this.executedSequence) {
        this.noteBehind(sequence)
        // a certificate proves we are behind: fetch at once, then retry on the timer
        if (sequence > this.fetchedForCheckpoint) {
          this.fetchedForCheckpoint = sequence
          this.sendFetch()
        }
      }
      return
    }
  }

  private makeStable(
    sequence: number,
    proof: readonly Checkpoint[],
    snapshot: Uint8Array,
    stateDigest: Uint8Array,
  ) {
    if (sequence <= this.stable.sequence) return
    this.stable = { sequence, stateDigest, proof: proof.slice(0, this.membership.quorum), snapshot }
    dropThrough(this.log, sequence)
    dropThrough(this.preparedCertificates, sequence)
    dropThrough(this.committedCertificates, sequence)
    dropThrough(this.ownCheckpoints, sequence)
    for (const byReplica of this.checkpointVotes.values()) dropThrough(byReplica, sequence)
    for (const [key] of this.votes) {
      const voteSequence = Number(key.split(':')[2])
      if (voteSequence <= sequence) this.votes.delete(key)
    }
    if (this.nextSequence <= sequence) this.nextSequence = sequence + 1
    this.persistStable = this.stable
    this.markPersist()
    if (!this.restoring) {
      this.outCheckpoints.push(this.stable)
      this.outEvents.push({ type: 'checkpoint-stable', sequence })
    }
    this.propose()
  }

  // ------------------------------------------------------------ view change

  private startViewChange(view: number, reason: string): void {
    if (view <= this.currentView) return // views only move forward
    this.currentView = view
    this.viewChanging = true
    this.log.clear()
    this.assigned.clear()
    this.currentNewView = undefined
    const prepared = [...this.preparedCertificates.entries()]
      .filter(([sequence]) => sequence > this.stable.sequence)
      .sort(([a], [b]) => a - b)
      .map(([, certificate]) => certificate)
    this.ownViewChange = signMessage<ViewChange>(this.crypto, {
      kind: 'view-change',
      view,
      checkpointSequence: this.stable.sequence,
      checkpointProof: this.stable.proof,
      prepared,
      replica: this.index,
    })
    this.latestViewChanges.set(this.index, this.ownViewChange)
    this.viewChangeTimer = this.viewChangeTimeout()
    this.backoffExponent++
    this.markPersist()
    if (!this.restoring) this.outEvents.push({ type: 'view-change-start', view, reason })
    this.broadcast(this.ownViewChange)
    this.tryNewView()
  }

  private onViewChange(from: NodeId, viewChange: ViewChange): void {
    if (!this.checkSender(from, viewChange)) return
    const known = this.latestViewChanges.get(viewChange.replica)
    if (known !== undefined && known.view >= viewChange.view) {
      if (known.view === viewChange.view) this.relayNewView(viewChange)
      return
    }
    if (viewChange.view < this.currentView || (viewChange.view === this.currentView && !this.viewChanging)) {
      this.relayNewView(viewChange)
      return
    }
    const reason = checkViewChange(this.context, viewChange)
    if (reason !== undefined) {
      this.reject(from, viewChange.kind, reason)
      return
    }
    this.latestViewChanges.set(viewChange.replica, viewChange)
    // liveness rule: f+1 replicas want views above ours, so join the smallest
    const above: number[] = []
    for (const [replica, latest] of this.latestViewChanges) {
      if (replica === this.index) continue
      if (latest.view > this.currentView) above.push(latest.view)
    }
    if (above.length >= this.membership.f + 1) {
      const smallest = Math.min(...above)
      if (smallest > this.currentView)
        this.startViewChange(smallest, `f+1 replicas moved to view ${smallest}`)
    }
    this.tryNewView()
  }

  /** A replica still asking for a view we already installed gets the new-view. */
  private relayNewView(viewChange: ViewChange): void {
    if (this.viewChanging || this.currentNewView === undefined) return
    if (viewChange.view > this.currentView) return
    if (this.newViewRelayedTo.has(viewChange.replica)) return
    this.newViewRelayedTo.add(viewChange.replica)
    this.send(viewChange.replica, this.currentNewView)
  }

  private tryNewView(): void {
    if (!this.viewChanging || this.membership.primaryOf(this.currentView) !== this.index) return
    const chosen: ViewChange[] = []
    const own = this.latestViewChanges.get(this.index)
    if (own === undefined || own.view !== this.currentView) return
    chosen.push(own)
    for (const [replica, viewChange] of [...this.latestViewChanges].sort(([a], [b]) => a - b)) {
      if (replica === this.index || viewChange.view !== this.currentView) continue
      if (chosen.length >= this.membership.quorum) break
      chosen.push(viewChange)
    }
    if (chosen.length < this.membership.quorum) return
    const plan = planNewView(this.crypto, chosen)
    const prePrepares: PrePrepare[] = []
    for (const slot of plan.slots) {
      const prePrepare = this.prePrepareOnce(slot.sequence, slot.digest, slot.batch)
      if (prePrepare === undefined) return
      prePrepares.push(prePrepare)
    }
    const newView = signMessage<NewView>(this.crypto, {
      kind: 'new-view',
      view: this.currentView,
      viewChanges: chosen,
      prePrepares,
      replica: this.index,
    })
    this.broadcast(newView)
    this.installNewView(newView, plan)
  }

  private onNewView(from: NodeId, newView: NewView): void {
    // a new-view is self-certifying, so any replica may relay it
    if (newView.view < this.currentView || (newView.view === this.currentView && !this.viewChanging)) return
    const reason = this.checkNewView(newView)
    if (reason !== undefined) {
      this.reject(from, newView.kind, reason)
      return
    }
    const plan = planNewView(this.crypto, newView.viewChanges)
    this.currentView = newView.view
    this.installNewView(newView, plan)
  }

  private checkNewView(newView: NewView): string | undefined {
    const { membership } = this
    const primary = membership.primaryOf(newView.view)
    if (newView.replica !== primary) return `new-view from replica ${newView.replica}, not the primary`
    if (newView.view === 0) return 'new-view for view 0'
    if (!verifyReplicaSignature(this.context, newView)) return 'bad new-view signature'
    if (newView.viewChanges.length < membership.quorum || newView.viewChanges.length > membership.n)
      return `new-view carries ${newView.viewChanges.length} view-changes, expected ${membership.quorum} to ${membership.n}`
    const seen = new Set<number>()
    for (const viewChange of newView.viewChanges) {
      if (viewChange.view !== newView.view) return 'new-view carries a view-change for another view'
      if (seen.has(viewChange.replica)) return `new-view repeats replica ${viewChange.replica}`
      seen.add(viewChange.replica)
      const reason = checkViewChange(this.context, viewChange)
      if (reason !== undefined) return `invalid view-change in new-view: ${reason}`
    }
    const plan = planNewView(this.crypto, newView.viewChanges)
    if (plan.slots.length !== newView.prePrepares.length)
      return `new-view has ${newView.prePrepares.length} pre-prepares, the view-changes give ${plan.slots.length}`
    for (let i = 0; i < plan.slots.length; i++) {
      const slot = plan.slots[i]!
      const prePrepare = newView.prePrepares[i]!
      if (prePrepare.view !== newView.view || prePrepare.sequence !== slot.sequence)
        return `new-view pre-prepare ${i} is not for (${newView.view}, ${slot.sequence})`
      if (!bytesEqual(prePrepare.digest, slot.digest))
        return `new-view pre-prepare for sequence ${slot.sequence} does not match the view-changes`
      const reason = checkPrePrepare(this.context, prePrepare)
      if (reason !== undefined) return `new-view pre-prepare for sequence ${slot.sequence}: ${reason}`
    }
    return undefined
  }

  private installNewView(newView: NewView, plan: ReturnType<typeof planNewView>): void {
    this.viewChanging = false
    this.currentNewView = newView
    this.log.clear()
    this.assigned.clear()
    for (const [replica, viewChange] of this.latestViewChanges)
      if (viewChange.view <= this.currentView) this.latestViewChanges.delete(replica)
    this.markPersist()
    if (!this.restoring)
      this.outEvents.push({
        type: 'new-view-install',
        view: this.currentView,
        primary: this.membership.ids[newView.replica]!,
      })
    // adopt the certified checkpoint min-s if it is ahead of ours
    if (plan.minSequence > this.stable.sequence) {
      const own = this.ownCheckpoints.get(plan.minSequence)
      const proof = plan.checkpoint.checkpointProof
      const stateDigest = proof[0]!.stateDigest
      if (own !== undefined && bytesEqual(own.stateDigest, stateDigest))
        this.makeStable(plan.minSequence, proof, own.snapshot, stateDigest)
      else {
        for (const checkpoint of proof) this.addCheckpointVote(checkpoint)
        this.noteBehind(plan.minSequence)
        this.sendFetch()
      }
    }
    for (const prePrepare of newView.prePrepares) {
      if (!this.inWindow(prePrepare.sequence)) continue
      this.acceptPrePrepare(this.entry(prePrepare.sequence), prePrepare)
    }
    if (this.isPrimary)
      this.nextSequence = Math.max(plan.maxSequence, this.stable.sequence, this.executedSequence) + 1
    this.viewChangeTimer = undefined
    this.startRequestTimerIfIdle()
    this.propose()
  }

  // ------------------------------------------------------------ retransmission

  private retransmit(): void {
    if (this.viewChanging) {
      if (this.ownViewChange !== undefined) this.broadcast(this.ownViewChange)
      return
    }
    for (const entry of this.log.values()) {
      if (entry.sequence <= this.executedSequence) continue
      if (entry.prePrepare !== undefined && entry.prePrepare.replica === this.index && this.isPrimary)
        this.broadcast(entry.prePrepare)
      if (entry.ownPrepare !== undefined) this.broadcast(entry.ownPrepare)
      if (entry.ownCommit !== undefined) this.broadcast(entry.ownCommit)
    }
    // let laggards learn how far we got (they fetch state when they see it)
    const last = this.committedCertificates.get(this.executedSequence)
    if (last !== undefined && this.latestOwnCommit?.sequence !== this.executedSequence)
      this.latestOwnCommit = this.commitOnce(last.prePrepare) ?? this.latestOwnCommit
    if (this.latestOwnCommit !== undefined && this.latestOwnCommit.sequence <= this.executedSequence)
      this.broadcast(this.latestOwnCommit)
    if (this.latestOwnCheckpoint !== undefined) this.broadcast(this.latestOwnCheckpoint)
  }

  // ------------------------------------------------------------ state transfer

  private sendFetch(): void {
    const peers = this.membership.n - 1
    const offset = (this.fetchPeerRotation++ % peers) + 1
    const peer = (this.index + offset) % this.membership.n
    const fetch = signMessage<FetchState>(this.crypto, {
      kind: 'fetch-state',
      fromSequence: this.executedSequence + 1,
      replica: this.index,
    })
    if (!this.restoring)
      this.outEvents.push({
        type: 'state-transfer-start',
        fromSequence: fetch.fromSequence,
        peer: this.membership.ids[peer]!,
      })
    this.send(peer, fetch)
  }

  private onFetchState(from: NodeId, fetch: FetchState): void {
    if (!this.checkSender(from, fetch)) return
    if (fetch.fromSequence > this.executedSequence) return
    if (this.fetchAnswered.has(fetch.replica)) return // bounded: snapshots are large
    if (!this.checkSignature(from, fetch)) return
    this.fetchAnswered.add(fetch.replica)
    const withCheckpoint = this.stable.sequence > 0 && fetch.fromSequence <= this.stable.sequence
    const entries: CommitCertificate[] = []
    let sequence = withCheckpoint ? this.stable.sequence + 1 : fetch.fromSequence
    while (sequence <= this.executedSequence && entries.length < this.maxTransferEntries) {
      const certificate = this.committedCertificates.get(sequence)
      if (certificate === undefined) break
      entries.push(certificate)
      sequence++
    }
    if (!withCheckpoint && entries.length === 0) return
    const state = signMessage<StateTransfer>(this.crypto, {
      kind: 'state',
      checkpoint: withCheckpoint ? { proof: this.stable.proof, snapshot: this.stable.snapshot } : undefined,
      entries,
      replica: this.index,
    })
    this.send(fetch.replica, state)
  }

  private onState(from: NodeId, state: StateTransfer): void {
    if (!this.checkSender(from, state)) return
    if (!this.checkSignature(from, state)) return
    if (state.checkpoint !== undefined) {
      const proof = state.checkpoint.proof
      const sequence = proof[0]?.sequence ?? 0
      if (sequence > this.executedSequence) {
        const stateDigest = checkCheckpointProof(this.context, sequence, proof)
        if (typeof stateDigest === 'string') {
          this.reject(from, state.kind, stateDigest)
          return
        }
        if (!bytesEqual(this.crypto.digest(state.checkpoint.snapshot), stateDigest)) {
          this.reject(from, state.kind, 'snapshot does not match the checkpoint certificate')
          return
        }
        let decoded: ReturnType<typeof decodeStateSnapshot>
        try {
          decoded = decodeStateSnapshot(state.checkpoint.snapshot)
        } catch {
          this.reject(from, state.kind, 'malformed snapshot')
          return
        }
        this.installSnapshot(sequence, proof, state.checkpoint.snapshot, stateDigest, decoded, from)
      }
    }
    let expected = this.executedSequence + 1
    for (const certificate of state.entries) {
      const sequence = certificate.prePrepare.sequence
      if (sequence < expected) continue
      if (sequence !== expected) break
      expected++
      if (this.certifiedAhead.has(sequence)) continue
      const reason = checkCommitCertificate(this.context, certificate)
      if (reason !== undefined) {
        this.reject(from, state.kind, reason)
        return
      }
      this.certifiedAhead.set(sequence, certificate)
    }
    this.executeCommitted()
  }

  private installSnapshot(
    sequence: number,
    proof: readonly Checkpoint[],
    snapshot: Uint8Array,
    stateDigest: Uint8Array,
    decoded: ReturnType<typeof decodeStateSnapshot>,
    from: NodeId,
  ): void {
    // the application installs the snapshot before any later command (commands run in order)
    this.outApply.push({ kind: 'restore', sequence, snapshot: decoded.application })
    this.awaiting = undefined
    dropThrough(this.certifiedAhead, sequence)
    this.clientTable.clear()
    for (const entry of decoded.clients)
      this.clientTable.set(entry.client, {
        timestamp: entry.timestamp,
        result: entry.result,
        reply: undefined,
      })
    this.dropExecutedRequests()
    this.executedSequence = sequence
    this.ownCheckpoints.clear()
    this.committedCertificates.clear()
    dropThrough(this.log, sequence)
    this.makeStable(sequence, proof, snapshot, stateDigest)
    // this replica now holds the certified state: it can vouch for it too
    this.latestOwnCheckpoint = this.signCheckpoint(sequence, stateDigest)
    if (!this.viewChanging) {
      this.viewChangeTimer = undefined
      this.startRequestTimerIfIdle()
    }
    this.fetchWaitTicks = 0
    if (!this.restoring) this.outEvents.push({ type: 'state-transfer-install', sequence, from })
    this.executeCommitted()
  }

  // ------------------------------------------------------------ restart

  private restore(state: PbftHardState): void {
    if (state.replica !== this.id)
      throw new PbftPersistedStateError(`it belongs to replica "${state.replica}", not "${this.id}"`)
    this.restoring = true
    try {
      if (state.stableCheckpoint !== undefined && state.stableCheckpoint.sequence > 0) {
        const checkpoint = state.stableCheckpoint
        let decoded: ReturnType<typeof decodeStateSnapshot>
        try {
          decoded = decodeStateSnapshot(checkpoint.snapshot)
        } catch {
          throw new PbftPersistedStateError('the stable checkpoint snapshot is malformed')
        }
        if (!bytesEqual(this.crypto.digest(checkpoint.snapshot), checkpoint.stateDigest))
          throw new PbftPersistedStateError('the stable checkpoint snapshot does not match its digest')
        this.installSnapshot(
          checkpoint.sequence,
          checkpoint.proof,
          checkpoint.snapshot,
          checkpoint.stateDigest,
          decoded,
          this.id,
        )
      }
      for (const vote of state.votes) {
        if (vote.sequence <= this.stable.sequence) continue
        this.votes.set(`${vote.kind}:${vote.view}:${vote.sequence}`, vote.digest)
        if (vote.kind === 'pre-prepare' && vote.view === state.view)
          this.nextSequence = Math.max(this.nextSequence, vote.sequence + 1)
      }
      for (const certificate of state.prepared) {
        const sequence = certificate.prePrepare.sequence
        if (sequence <= this.stable.sequence) continue
        const previous = this.preparedCertificates.get(sequence)
        if (previous === undefined || previous.prePrepare.view <= certificate.prePrepare.view)
          this.preparedCertificates.set(sequence, certificate)
      }
      // the committed batches are replayed through the application, in order, after the snapshot
      for (const certificate of state.committed) {
        const sequence = certificate.prePrepare.sequence
        if (sequence <= this.executedSequence) continue
        this.certifiedAhead.set(sequence, certificate)
        this.replayUntil = Math.max(this.replayUntil, sequence)
      }
      this.currentView = state.view
      if (state.viewChanging) {
        this.currentView = state.view - 1
        this.viewChanging = false
        this.startViewChange(state.view, 'restart during a view change')
      }
      this.nextSequence = Math.max(this.nextSequence, this.executedSequence + 1, this.replayUntil + 1)
    } finally {
      this.restoring = false
    }
    // what was restored is already durable
    this.persistedGeneration = this.persistGeneration
    this.persistVotes = []
    this.persistPrepared = []
    this.persistCommitted = []
    this.persistStable = undefined
    this.executeCommitted()
  }
}

/**
 * Folds a `Ready.persist` update into the replica's hard state (pure; returns a new object).
 *
 * @example
 * ```ts
 * let hardState: PbftHardState | undefined
 * const ready = replica.ready()
 * if (ready.persist) hardState = applyPersist('r0', hardState, ready.persist)
 * ```
 */
export function applyPersist(
  replica: NodeId,
  state: PbftHardState | undefined,
  update: PersistUpdate,
): PbftHardState {
  const stableCheckpoint = update.stableCheckpoint ?? state?.stableCheckpoint
  const low = stableCheckpoint?.sequence ?? 0
  const above = <T>(items: readonly T[], sequenceOf: (item: T) => number) =>
    items.filter((item) => sequenceOf(item) > low)
  return {
    replica,
    view: update.view,
    viewChanging: update.viewChanging,
    votes: above([...(state?.votes ?? []), ...update.votes], (vote) => vote.sequence),
    prepared: above([...(state?.prepared ?? []), ...update.prepared], (c) => c.prePrepare.sequence),
    committed: above([...(state?.committed ?? []), ...update.committed], (c) => c.prePrepare.sequence),
    stableCheckpoint,
  }
}
