/**
 * The Raft protocol as a pure, deterministic state machine (the etcd-raft design):
 * inputs are `step(message)`, `tick()`, `propose(...)`; outputs are collected in a
 * `Ready` that the driver persists, sends and applies, then acknowledges with
 * `advance(ready)`. No I/O, no clock, no ambient randomness.
 */
import type { NodeId } from '@synod/transport'
import {
  CompactRefusedError,
  ConfigChangeRefusedError,
  ProposalDroppedError,
  RaftInvariantError,
  ReadyPendingError,
  TransferRefusedError,
} from './errors.js'
import { RaftLog } from './log.js'
import {
  allMembers,
  applyConfigChange,
  type ConfigChangeRequest,
  decodeMembership,
  encodeMembership,
  isJoint,
  isVoter,
  quorumValue,
  validateMembership,
  voteResult,
} from './membership.js'
import type {
  AppendEntriesMessage,
  AppendEntriesResponseMessage,
  HeartbeatMessage,
  InstallSnapshotMessage,
  InstallSnapshotResponseMessage,
  PreVoteMessage,
  RaftMessage,
  RequestVoteMessage,
} from './messages.js'
import { Progress, type ProgressState } from './progress.js'
import type {
  RaftEvent,
  RaftRole,
  ReadState,
  Ready,
  ReceivedSnapshotChunk,
  SnapshotChunkToSend,
} from './ready.js'
import type { HardState, LogEntry, Membership, SnapshotMeta } from './types.js'

/**
 * What a node starts from: the same shape as the storage's `PersistedState`.
 * @example
 * ```ts
 * const start: RaftStartState = await storage.load()
 * const core = new RaftCore({ id: 'a', random, start })
 * ```
 */
export interface RaftStartState {
  hardState: HardState
  snapshot: SnapshotMeta | null
  entries: LogEntry[]
}

/**
 * How reads are confirmed:
 * - `safe` (default): ReadIndex, confirmed by a heartbeat round acknowledged by a quorum.
 * - `lease`: the leader answers from its lease without a round trip while the
 *   lease holds. The lease starts when the leader sent a heartbeat round that a
 *   quorum acknowledged and lasts `electionTimeoutTicks - leaseClockDriftTicks`
 *   leader ticks: it assumes that, over one election timeout, no node's tick
 *   clock runs faster than the leader's by more than `leaseClockDriftTicks`
 *   ticks (and that a tick is not delayed by more than that). Needs check-quorum,
 *   which makes followers refuse votes for `electionTimeoutTicks` after hearing
 *   from a leader (and, in this mode, after starting).
 * @example
 * ```ts
 * new RaftCore({ id: 'a', random, readOnlyMode: 'lease', leaseClockDriftTicks: 2 })
 * ```
 */
export type ReadOnlyMode = 'safe' | 'lease'

/**
 * How a leader tells followers that the commit index moved:
 * - `immediate` (default, as etcd-raft does): at once, with an append that carries no
 *   entries when there are none to send. Each such append is also acknowledged, so under
 *   a steady load this doubles the messages each way.
 * - `piggyback`: on the next append that carries entries, or the next heartbeat
 *   (`min(match, commit)`), so a follower's state machine trails the leader's by at most
 *   one heartbeat interval when the load stops. A follower the leader answers a read
 *   for is told at once. Safety does not depend on it: only when followers apply changes.
 * @example
 * ```ts
 * new RaftCore({ id: 'a', random, commitPropagation: 'piggyback' })
 * ```
 */
export type CommitPropagation = 'immediate' | 'piggyback'

/**
 * Options of a Raft core. Units are ticks and bytes.
 * @example
 * ```ts
 * const config: RaftConfig = { id: 'a', random, initialMembership: membership(['a', 'b', 'c']), electionTimeoutTicks: 10 }
 * ```
 */
export interface RaftConfig {
  /** This node's id. */
  id: NodeId
  /** The injected PRNG: returns a number in [0, 1). Election jitter is drawn from it. */
  random: () => number
  /**
   * The configuration of a new cluster, identical on every founding node. Used when
   * the start state holds no snapshot and no configuration entry. A node joining
   * an existing cluster omits it: it votes for nobody and never campaigns until
   * the leader's log (or snapshot) tells it its membership.
   */
  initialMembership?: Membership
  /** The persisted state to start from (omitted: a fresh node). */
  start?: RaftStartState
  /** The index the state machine has applied (default: the snapshot's index). */
  applied?: number
  /** Base election timeout; each timeout is drawn in [T, 2T). Default 10. */
  electionTimeoutTicks?: number
  /** Heartbeat interval; must be below the election timeout. Default 1. */
  heartbeatIntervalTicks?: number
  /** Pre-vote (thesis §9.6). Default true. */
  preVote?: boolean
  /** Check-quorum: a leader steps down without a quorum for one election timeout. Default true. */
  checkQuorum?: boolean
  /** Default `safe`. */
  readOnlyMode?: ReadOnlyMode
  /** Lease margin for clock drift, in ticks (lease mode). Default 2. */
  leaseClockDriftTicks?: number
  /** Largest entry payload per append message, in bytes (at least one entry is sent). Default 1 MiB. */
  maxMessageBytes?: number
  /** In-flight append messages per follower. Default 256. */
  maxInflightMessages?: number
  /** In-flight append bytes per follower. Default 64 MiB. */
  maxInflightBytes?: number
  /** Uncommitted bytes a leader accepts before refusing proposals. Default 64 MiB. */
  maxUncommittedBytes?: number
  /** When followers hear of a new commit index. Default `immediate`. */
  commitPropagation?: CommitPropagation
  /** Snapshot chunk size. Default 256 KiB. */
  snapshotChunkBytes?: number
  /** Snapshot chunks in flight per follower. Default 4. */
  maxInflightSnapshotChunks?: number
  /** Ticks without a snapshot acknowledgement before resending from the acknowledged offset. Default 3. */
  snapshotRetryTicks?: number
}

/**
 * A point-in-time view of a node, for tests, metrics and drivers.
 * @example
 * ```ts
 * const { role, term, commit } = core.status()
 * ```
 */
export interface RaftStatus {
  id: NodeId
  role: RaftRole
  term: number
  votedFor: NodeId | null
  leaderId: NodeId | null
  commit: number
  applied: number
  firstIndex: number
  lastIndex: number
  lastTerm: number
  snapshotIndex: number
  membership: Membership
  /** Leader only: each peer's replication state. */
  progress: Map<NodeId, { match: number; next: number; state: ProgressState }>
  leadTransferee: NodeId | null
  uncommittedBytes: number
}

interface PendingRead {
  requestId: string
  from: NodeId | null
  index: number
  round: number
}

const EMPTY = new Uint8Array(0)
const EMPTY_MEMBERSHIP: Membership = {
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`${name}: expected a positive integer, got ${v}`)
  return v
}

function positiveLimit(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (v !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(v) || v <= 0))
    throw new RangeError(`${name}: expected a positive integer or Infinity, got ${v}`)
  return v
}

/**
 * One Raft node's protocol state. Drive it with `tick()`, `step()` and the
 * proposal methods; collect its output with `hasReady()` / `ready()`; acknowledge
 * with `advance()`. See `Ready` for the I/O contract.
 *
 * Proposals on a node that is not the leader throw `ProposalDroppedError`
 * (carrying the known leader): the driver forwards them.
 *
 * @example
 * ```ts
 * let seed = 1
 * const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
 * const core = new RaftCore({ id: 'a', random, initialMembership: membership(['a']) })
 * core.campaign()
 * core.propose(new TextEncoder().encode('x'))
 * const ready = core.ready() // persist ready.entries, send ready.messages, apply ready.committedEntries
 * core.advance(ready)
 * ```
 */
export class RaftCore {
  readonly id: NodeId
  private readonly random: () => number
  private readonly electionTimeoutTicks: number
  private readonly heartbeatIntervalTicks: number
  private readonly preVote: boolean
  private readonly checkQuorum: boolean
  private readonly readOnlyMode: ReadOnlyMode
  private readonly leaseClockDriftTicks: number
  private readonly maxMessageBytes: number
  private readonly maxInflightMessages: number
  private readonly maxInflightBytes: number
  private readonly maxUncommittedBytes: number
  private readonly snapshotChunkBytes: number
  private readonly maxInflightSnapshotChunks: number
  private readonly snapshotRetryTicks: number
  private readonly commitPropagation: CommitPropagation
  private readonly initialMembership: Membership

  private term: number
  private vote: NodeId | null
  private leaderId: NodeId | null = null
  private role: RaftRole = 'follower'
  private readonly log: RaftLog
  private membership: Membership
  private membershipIndex: number
  /** Indexes of configuration entries in the in-memory log, ascending. */
  private readonly configIndexes: number[] = []

  private electionElapsed = 0
  private heartbeatElapsed = 0
  private randomizedElectionTimeout = 0
  private tickCount = 0
  private startupQuiet: boolean

  private readonly votes = new Map<NodeId, boolean>()
  private progress = new Map<NodeId, Progress>()
  private leadTransferee: NodeId | null = null
  private pendingConfigIndex = 0
  private uncommittedBytes = 0
  private termStartIndex = 0
  private needsFlush = false

  // reads
  private round = 0
  private readonly roundSentTick = new Map<number, number>()
  private leaseStartTick = Number.NEGATIVE_INFINITY
  private pendingReads: PendingRead[] = []
  private readsAwaitingCommit: { requestId: string; from: NodeId | null }[] = []
  private readBroadcastNeeded = false

  // incoming snapshot
  private incomingSnapshot: { meta: SnapshotMeta; nextOffset: number } | null = null

  // output
  private outbox: RaftMessage[] = []
  private events: RaftEvent[] = []
  private readStates: ReadState[] = []
  private chunksToSend: SnapshotChunkToSend[] = []
  private chunksReceived: ReceivedSnapshotChunk[] = []
  private snapshotAborted = false
  private installedSnapshot: SnapshotMeta | null = null
  private lastHardState: HardState
  private pendingReady: { ready: Ready; appliedTo: number } | null = null

  /**
   * @throws {TypeError} when `random` is not a function
   * @throws {RangeError} for an invalid option or a start state without any configuration
   * @throws {RaftInvariantError} when the start state is inconsistent
   */
  constructor(config: RaftConfig) {
    if (typeof config.id !== 'string' || config.id.length === 0 || config.id.length > 256)
      throw new RangeError(
        `id: expected a non-empty node id of at most 256 characters, got ${JSON.stringify(config.id)}`,
      )
    if (typeof config.random !== 'function')
      throw new TypeError(
        `random: expected a function returning a number in [0, 1), got ${typeof config.random}`,
      )
    this.id = config.id
    this.random = config.random
    this.electionTimeoutTicks = positiveInteger('electionTimeoutTicks', config.electionTimeoutTicks, 10)
    this.heartbeatIntervalTicks = positiveInteger('heartbeatIntervalTicks', config.heartbeatIntervalTicks, 1)
    if (this.heartbeatIntervalTicks >= this.electionTimeoutTicks)
      throw new RangeError(
        `heartbeatIntervalTicks: expected less than electionTimeoutTicks (${this.electionTimeoutTicks}), got ${this.heartbeatIntervalTicks}`,
      )
    this.preVote = config.preVote ?? true
    this.checkQuorum = config.checkQuorum ?? true
    this.readOnlyMode = config.readOnlyMode ?? 'safe'
    if (this.readOnlyMode !== 'safe' && this.readOnlyMode !== 'lease')
      throw new RangeError(
        `readOnlyMode: expected 'safe' or 'lease', got ${JSON.stringify(this.readOnlyMode)}`,
      )
    if (this.readOnlyMode === 'lease' && !this.checkQuorum)
      throw new RangeError('readOnlyMode: lease reads need checkQuorum')
    this.leaseClockDriftTicks = config.leaseClockDriftTicks ?? 2
    if (
      !Number.isSafeInteger(this.leaseClockDriftTicks) ||
      this.leaseClockDriftTicks < 0 ||
      this.leaseClockDriftTicks >= this.electionTimeoutTicks
    )
      throw new RangeError(
        `leaseClockDriftTicks: expected an integer in [0, ${this.electionTimeoutTicks}), got ${this.leaseClockDriftTicks}`,
      )
    this.maxMessageBytes = positiveLimit('maxMessageBytes', config.maxMessageBytes, 1024 * 1024)
    this.maxInflightMessages = positiveInteger('maxInflightMessages', config.maxInflightMessages, 256)
    this.maxInflightBytes = positiveLimit('maxInflightBytes', config.maxInflightBytes, 64 * 1024 * 1024)
    this.maxUncommittedBytes = positiveLimit(
      'maxUncommittedBytes',
      config.maxUncommittedBytes,
      64 * 1024 * 1024,
    )
    this.snapshotChunkBytes = positiveInteger('snapshotChunkBytes', config.snapshotChunkBytes, 256 * 1024)
    this.maxInflightSnapshotChunks = positiveInteger(
      'maxInflightSnapshotChunks',
      config.maxInflightSnapshotChunks,
      4,
    )
    this.snapshotRetryTicks = positiveInteger('snapshotRetryTicks', config.snapshotRetryTicks, 3)
    this.commitPropagation = config.commitPropagation ?? 'immediate'
    if (this.commitPropagation !== 'immediate' && this.commitPropagation !== 'piggyback')
      throw new RangeError(
        `commitPropagation: expected 'immediate' or 'piggyback', got ${JSON.stringify(this.commitPropagation)}`,
      )
    if (config.initialMembership !== undefined) validateMembership(config.initialMembership)
    this.initialMembership = config.initialMembership ?? EMPTY_MEMBERSHIP
    this.startupQuiet = this.readOnlyMode === 'lease'

    const start = config.start ?? {
      hardState: { term: 0, votedFor: null, commit: 0 },
      snapshot: null,
      entries: [],
    }
    this.term = start.hardState.term
    this.vote = start.hardState.votedFor
    this.log = new RaftLog(start.snapshot, start.entries, start.hardState.commit, config.applied ?? 0)
    for (const entry of this.log.entries) if (entry.kind === 'config') this.configIndexes.push(entry.index)
    this.membershipIndex = -1
    this.membership = this.initialMembership
    this.refreshMembership()
    this.lastHardState = { term: this.term, votedFor: this.vote, commit: this.log.committed }
    this.resetRandomizedElectionTimeout()
  }

  // ---------------------------------------------------------------- inputs

  /**
   * Advances logical time by one tick: followers and candidates count toward an
   * election, the leader toward a heartbeat and a check-quorum.
   *
   * @example
   * ```ts
   * for (let i = 0; i < 20; i++) core.tick()
   * ```
   */
  tick(): void {
    this.tickCount++
    if (this.role === 'leader') this.tickLeader()
    else this.tickElection()
  }

  /**
   * Feeds one message from the network. Messages addressed to another node are ignored.
   *
   * @throws {RaftInvariantError} when the message would break a Raft invariant
   *   (e.g. truncating committed entries): stop the node
   * @example
   * ```ts
   * for (const message of inbox) core.step(message)
   * ```
   */
  step(m: RaftMessage): void {
    if (m.to !== this.id || m.from === this.id) return
    if (m.term > this.term) {
      if (m.type === 'pre-vote' || m.type === 'request-vote') {
        const inLease =
          this.checkQuorum &&
          (this.leaderId !== null || this.startupQuiet) &&
          this.electionElapsed < this.electionTimeoutTicks
        if (inLease && !m.transfer) return // leader stickiness: a leader is alive
      }
      if (m.type === 'pre-vote') {
        // a pre-vote never changes our term
      } else if (m.type === 'pre-vote-response' && m.granted) {
        // the term we would campaign in: counted below
      } else {
        const fromLeader =
          m.type === 'append-entries' || m.type === 'heartbeat' || m.type === 'install-snapshot'
        this.becomeFollower(m.term, fromLeader ? m.from : null)
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'append-entries' || m.type === 'heartbeat')) {
        // a stale leader (perhaps partitioned away) learns the new term and steps down
        this.send(this.appendResponse(m.from, false, 0, 0, 0, 0))
      } else if (m.type === 'pre-vote') {
        this.send({ type: 'pre-vote-response', from: this.id, to: m.from, term: this.term, granted: false })
      }
      return
    }

    switch (m.type) {
      case 'pre-vote':
      case 'request-vote':
        this.handleVoteRequest(m)
        return
      default:
        break
    }
    if (this.role === 'leader') this.stepLeader(m)
    else if (this.role === 'follower') this.stepFollower(m)
    else this.stepCandidate(m)
  }

  /**
   * Starts an election now (pre-vote first when enabled), as if the election timeout elapsed.
   * Does nothing on a leader or on a node that is not a voter.
   *
   * @example
   * ```ts
   * core.campaign()
   * ```
   */
  campaign(): void {
    if (this.role === 'leader') return
    this.startElection(this.preVote ? 'pre' : 'real', false)
  }

  /**
   * Appends one command to the leader's log and returns its index.
   *
   * @throws {ProposalDroppedError} when this node is not the leader, a leadership
   *   transfer is in progress, or the uncommitted log is over `maxUncommittedBytes`
   * @example
   * ```ts
   * const index = core.propose(new TextEncoder().encode('set x 1'))
   * ```
   */
  propose(data: Uint8Array): number {
    if (!(data instanceof Uint8Array)) throw new TypeError(`data: expected Uint8Array, got ${typeof data}`)
    this.checkCanPropose(data.length)
    return this.appendAsLeader('normal', data)
  }

  /**
   * Appends several commands at once (one batch, one message per follower) and
   * returns the index of the last one. All or nothing.
   *
   * @throws {ProposalDroppedError} as `propose`
   * @example
   * ```ts
   * core.proposeBatch([a, b, c]) // index of c
   * ```
   */
  proposeBatch(data: readonly Uint8Array[]): number {
    let bytes = 0
    for (const item of data) {
      if (!(item instanceof Uint8Array))
        throw new TypeError(`data: expected Uint8Array items, got ${typeof item}`)
      bytes += item.length
    }
    this.checkCanPropose(bytes)
    const log = this.log
    let index = log.lastIndex()
    const term = this.term
    for (const item of data) log.entries.push({ index: ++index, term, kind: 'normal', data: item })
    this.uncommittedBytes += bytes
    this.afterLeaderAppend()
    return index
  }

  /**
   * Proposes a membership change: a single-server step, joint consensus, or
   * (with empty `changes` in a joint configuration) leaving it. The new
   * configuration takes effect as soon as its entry is appended. Returns the entry's index.
   *
   * @throws {ProposalDroppedError} when this node is not the leader or a transfer is in progress
   * @throws {ConfigChangeRefusedError} when another change is in flight (not yet
   *   committed, or the leader has not committed an entry of its term) or the change breaks a rule
   * @example
   * ```ts
   * core.proposeConfigChange({ changes: [{ type: 'add-learner', nodeId: 'd' }] })
   * ```
   */
  proposeConfigChange(request: ConfigChangeRequest): number {
    this.checkCanPropose(0)
    // the fix of the single-server change bug (raft-dev, 2015): a new leader first commits an entry of its term
    if (this.log.committed < this.termStartIndex)
      throw new ConfigChangeRefusedError(
        'the leader has not yet committed an entry of its term',
        'term-not-committed',
      )
    if (this.pendingConfigIndex > this.log.committed)
      throw new ConfigChangeRefusedError(
        `a configuration change is already in flight (index ${this.pendingConfigIndex})`,
        'in-flight',
      )
    const next = applyConfigChange(this.membership, request)
    try {
      validateMembership(next)
    } catch (error) {
      throw new ConfigChangeRefusedError((error as Error).message)
    }
    return this.appendConfig(next)
  }

  /**
   * Asks for a linearizable read point. When confirmed, a `ReadState` with the
   * same `requestId` appears in a Ready: serve the read once the state machine has
   * applied up to its `index`. On a follower the request is forwarded to the leader.
   * If it cannot be served an event `read-index-dropped` appears (or nothing, if a
   * forwarded request or its answer is lost: the caller times out and retries).
   *
   * @example
   * ```ts
   * core.readIndex('read-42')
   * ```
   */
  readIndex(requestId: string): void {
    if (typeof requestId !== 'string')
      throw new TypeError(`requestId: expected a string, got ${typeof requestId}`)
    if (this.role === 'leader') this.handleReadRequest(requestId, null)
    else if (this.leaderId !== null)
      this.send({ type: 'read-index', from: this.id, to: this.leaderId, term: this.term, requestId })
    else this.events.push({ type: 'read-index-dropped', requestId, reason: 'no-leader' })
  }

  /**
   * Hands leadership to `to` (thesis §3.10): proposals are refused while the
   * target catches up, then it is told to campaign at once (`timeout-now`). The
   * transfer is aborted after one election timeout.
   *
   * @throws {TransferRefusedError} when this node is not the leader or `to` is not a voter
   * @example
   * ```ts
   * core.transferLeadership('b')
   * ```
   */
  transferLeadership(to: NodeId): void {
    if (this.role !== 'leader') throw new TransferRefusedError('this node is not the leader')
    if (to === this.id) return
    if (!isVoter(this.membership, to)) throw new TransferRefusedError(`"${to}" is not a voter`)
    const pr = this.progress.get(to)
    if (pr === undefined) throw new TransferRefusedError(`"${to}" is not a voter`)
    if (this.leadTransferee === to) return
    this.leadTransferee = to
    this.electionElapsed = 0
    // no lease reads across a transfer: the target may be elected without waiting for leases
    this.leaseStartTick = Number.NEGATIVE_INFINITY
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to)
    else {
      // catch the target up first (probing it even if appends were sent and lost)
      pr.forceAppend = true
      this.needsFlush = true
    }
  }

  /**
   * Describes a snapshot of the state machine at `index` (which must be applied):
   * its term and the membership in effect there.
   *
   * @throws {CompactRefusedError} when `index` is not applied or is compacted already
   * @example
   * ```ts
   * const meta = core.snapshotMeta(status.applied, bytes.length)
   * ```
   */
  snapshotMeta(index: number, sizeBytes: number): SnapshotMeta {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0)
      throw new RangeError(`sizeBytes: expected a non-negative integer, got ${sizeBytes}`)
    if (!Number.isSafeInteger(index) || index > this.log.applied)
      throw new CompactRefusedError(`index ${index} is not applied (applied ${this.log.applied})`)
    if (index < 1 || index < this.log.snapshotIndex)
      throw new CompactRefusedError(`index ${index} is below the snapshot at ${this.log.snapshotIndex}`)
    return {
      index,
      term: this.log.term(index),
      membership: structuredCloneMembership(this.membershipAt(index)),
      sizeBytes,
    }
  }

  /**
   * Records that a local snapshot `meta` (from `snapshotMeta`) is durable, and
   * drops the in-memory log up to `meta.index`. Followers that need older entries
   * are sent this snapshot.
   *
   * @throws {CompactRefusedError} when `meta.index` is not applied or not above the current snapshot
   * @example
   * ```ts
   * core.compact(meta)
   * ```
   */
  compact(meta: SnapshotMeta): void {
    if (meta.index > this.log.applied)
      throw new CompactRefusedError(`index ${meta.index} is not applied (applied ${this.log.applied})`)
    if (meta.index <= this.log.snapshotIndex)
      throw new CompactRefusedError(
        `index ${meta.index} is not above the snapshot at ${this.log.snapshotIndex}`,
      )
    if (this.log.term(meta.index) !== meta.term)
      throw new CompactRefusedError(`term ${meta.term} does not match entry ${meta.index}`)
    this.log.compact(meta)
    while (this.configIndexes.length > 0 && (this.configIndexes[0] as number) <= meta.index)
      this.configIndexes.shift()
    // peers receiving an older snapshot restart with this one
    for (const [id, pr] of this.progress) {
      if (pr.state === 'snapshot') {
        pr.becomeSnapshot(meta.index)
        this.sendSnapshotChunks(id, pr, true)
      }
    }
  }

  // ---------------------------------------------------------------- outputs

  /**
   * True when `ready()` has work. False while a Ready is awaiting `advance()`.
   *
   * @example
   * ```ts
   * if (core.hasReady()) handle(core.ready())
   * ```
   */
  hasReady(): boolean {
    if (this.pendingReady !== null) return false
    this.flush()
    return (
      this.outbox.length > 0 ||
      this.log.unstableFrom <= this.log.lastIndex() ||
      this.log.committed > this.log.applied ||
      this.events.length > 0 ||
      this.readStates.length > 0 ||
      this.chunksToSend.length > 0 ||
      this.chunksReceived.length > 0 ||
      this.snapshotAborted ||
      this.installedSnapshot !== null ||
      this.hardStateChanged()
    )
  }

  /**
   * Collects the work to do; see `Ready` for the order the driver must follow.
   * Only one Ready may be outstanding: call `advance(ready)` before the next.
   *
   * @throws {ReadyPendingError} when the previous Ready was not advanced
   * @example
   * ```ts
   * const ready = core.ready()
   * await storage.save({ hardState: ready.hardState ?? undefined, entries: ready.entries })
   * for (const message of ready.messages) transport.send(message.to, message)
   * core.advance(ready)
   * ```
   */
  ready(): Ready {
    if (this.pendingReady !== null) throw new ReadyPendingError()
    this.flush()
    const log = this.log
    const last = log.lastIndex()
    const entries = log.unstableFrom <= last ? log.slice(log.unstableFrom, last) : []
    log.unstableFrom = last + 1
    const committedEntries = log.committed > log.applied ? log.slice(log.applied + 1, log.committed) : []
    let hardState: HardState | null = null
    if (this.hardStateChanged()) {
      hardState = { term: this.term, votedFor: this.vote, commit: log.committed }
      this.lastHardState = hardState
    }
    const ready: Ready = {
      messages: this.outbox,
      hardState,
      entries,
      snapshot: this.installedSnapshot,
      snapshotChunksReceived: this.chunksReceived,
      snapshotAborted: this.snapshotAborted,
      snapshotChunksToSend: this.chunksToSend,
      committedEntries,
      readStates: this.readStates,
      events: this.events,
    }
    this.outbox = []
    this.chunksReceived = []
    this.chunksToSend = []
    this.readStates = []
    this.events = []
    this.snapshotAborted = false
    this.installedSnapshot = null
    this.pendingReady = { ready, appliedTo: Math.max(log.applied, log.committed) }
    return ready
  }

  /**
   * Acknowledges that `ready` was handled: its entries and hard state are
   * durable, its messages sent, its committed entries applied.
   *
   * @throws {RangeError} when `ready` is not the Ready last returned by `ready()`
   * @example
   * ```ts
   * core.advance(ready)
   * ```
   */
  advance(ready: Ready): void {
    if (this.pendingReady === null || this.pendingReady.ready !== ready)
      throw new RangeError('advance: expected the Ready last returned by ready()')
    if (this.pendingReady.appliedTo > this.log.applied) this.log.applied = this.pendingReady.appliedTo
    this.pendingReady = null
    // the Ready's entries (and snapshot) are durable now, as far as the log still holds them
    const log = this.log
    const last = ready.entries[ready.entries.length - 1]
    let persisted = log.persisted
    if (
      ready.snapshot !== null &&
      ready.snapshot.index === log.snapshotIndex &&
      ready.snapshot.index > persisted
    )
      persisted = ready.snapshot.index
    if (last !== undefined && last.index > persisted) persisted = last.index
    persisted = Math.min(persisted, log.unstableFrom - 1, log.lastIndex())
    if (persisted > log.persisted) {
      log.persisted = persisted
      // the leader's own entries count toward commit once durable (thesis §10.2.1)
      if (this.role === 'leader') this.maybeCommit()
    }
  }

  /**
   * Committed entries after index `after`, up to `upTo`, for a driver that applies
   * while a Ready is out (its save running): committed entries that are already
   * on this node's stable storage need not wait for that save. They are recorded
   * as applied, so no later Ready hands them out. Returns `[]` when there is
   * nothing to apply or the log no longer holds entry `after + 1`.
   *
   * @example
   * ```ts
   * for (const entry of core.takeCommitted(applied, durableIndex)) stateMachine.apply(entry.data)
   * ```
   */
  takeCommitted(after: number, upTo: number): LogEntry[] {
    const log = this.log
    const to = Math.min(log.committed, upTo, log.lastIndex())
    if (to <= after || after + 1 < log.firstIndex() || after < log.applied) return []
    const entries = log.slice(after + 1, to)
    log.applied = to
    return entries
  }

  /**
   * A snapshot of this node's state.
   *
   * @example
   * ```ts
   * core.status().role // 'leader'
   * ```
   */
  status(): RaftStatus {
    const progress = new Map<NodeId, { match: number; next: number; state: ProgressState }>()
    for (const [id, pr] of this.progress)
      progress.set(id, { match: pr.match, next: pr.next, state: pr.state })
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      votedFor: this.vote,
      leaderId: this.leaderId,
      commit: this.log.committed,
      applied: this.log.applied,
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      snapshotIndex: this.log.snapshotIndex,
      membership: structuredCloneMembership(this.membership),
      progress,
      leadTransferee: this.leadTransferee,
      uncommittedBytes: this.uncommittedBytes,
    }
  }

  /**
   * The term of the entry at `index`, or -1 when compacted or absent.
   *
   * @example
   * ```ts
   * core.termAt(core.status().lastIndex)
   * ```
   */
  termAt(index: number): number {
    return this.log.term(index)
  }

  /**
   * The in-memory entries in [from, to] (clamped to what the log holds).
   *
   * @example
   * ```ts
   * core.entries(1, core.status().lastIndex)
   * ```
   */
  entries(from: number, to: number): LogEntry[] {
    return this.log.slice(Math.max(from, this.log.firstIndex()), Math.min(to, this.log.lastIndex()))
  }

  // ---------------------------------------------------------------- roles

  private setRole(role: RaftRole): void {
    if (role !== this.role) {
      this.role = role
      this.events.push({ type: 'role-changed', role, term: this.term })
    }
  }

  private setLeader(leaderId: NodeId | null): void {
    if (leaderId !== this.leaderId) {
      this.leaderId = leaderId
      this.events.push({ type: 'leader-changed', leaderId, term: this.term })
    }
  }

  private resetRandomizedElectionTimeout(): void {
    const r = this.random()
    if (typeof r !== 'number' || !(r >= 0 && r < 1))
      throw new RangeError(`random: expected a number in [0, 1), got ${String(r)}`)
    this.randomizedElectionTimeout = this.electionTimeoutTicks + Math.floor(r * this.electionTimeoutTicks)
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term
      this.vote = null
    }
    if (this.role === 'leader') this.dropReads('leadership-lost')
    this.electionElapsed = 0
    this.heartbeatElapsed = 0
    this.resetRandomizedElectionTimeout()
    this.leadTransferee = null
    this.votes.clear()
    this.progress = new Map()
    this.uncommittedBytes = 0
    this.pendingConfigIndex = 0
    this.needsFlush = false
    this.readBroadcastNeeded = false
    this.leaseStartTick = Number.NEGATIVE_INFINITY
    this.roundSentTick.clear()
  }

  private becomeFollower(term: number, leaderId: NodeId | null): void {
    this.reset(term)
    this.setRole('follower')
    this.setLeader(leaderId)
  }

  private becomePreCandidate(): void {
    // keeps term and vote: a pre-vote changes nothing durable
    if (this.role === 'leader') this.dropReads('leadership-lost')
    this.votes.clear()
    this.electionElapsed = 0
    this.resetRandomizedElectionTimeout()
    this.setRole('pre-candidate')
    this.setLeader(null)
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1)
    this.vote = this.id
    this.setRole('candidate')
    this.setLeader(null)
  }

  private becomeLeader(): void {
    this.reset(this.term)
    this.setRole('leader')
    this.setLeader(this.id)
    this.syncProgress()
    for (const pr of this.progress.values()) pr.recentActive = true
    // no configuration change until everything before this term is committed
    this.pendingConfigIndex = this.log.lastIndex()
    this.termStartIndex = this.log.lastIndex() + 1
    this.appendAsLeader('noop', EMPTY)
  }

  /**
   * Whether this node may campaign: it is a voter in its latest configuration, or
   * in the latest committed one. The second case keeps a cluster live when an
   * uncommitted configuration demoted this node but the committed one still needs
   * its vote (and its log may be the only up-to-date one): it may then win, commit
   * the new configuration, and step down.
   */
  private get promotable(): boolean {
    if (isVoter(this.membership, this.id)) return true
    if (this.membershipIndex <= this.log.committed) return false
    return isVoter(this.membershipAt(this.log.committed), this.id)
  }

  private startElection(kind: 'pre' | 'real', transfer: boolean): void {
    if (!this.promotable) return
    if (kind === 'pre') this.becomePreCandidate()
    else this.becomeCandidate()
    const term = kind === 'pre' ? this.term + 1 : this.term
    this.votes.set(this.id, true)
    if (voteResult(this.membership, this.votes) === 'won') {
      if (kind === 'pre') this.startElection('real', transfer)
      else this.becomeLeader()
      return
    }
    const lastLogIndex = this.log.lastIndex()
    const lastLogTerm = this.log.lastTerm()
    const type = kind === 'pre' ? 'pre-vote' : 'request-vote'
    for (const id of allMembers(this.membership)) {
      if (id === this.id || !isVoter(this.membership, id)) continue
      this.send({ type, from: this.id, to: id, term, lastLogIndex, lastLogTerm, transfer })
    }
  }

  // ---------------------------------------------------------------- ticks

  private tickElection(): void {
    this.electionElapsed++
    if (this.electionElapsed >= this.electionTimeoutTicks) this.startupQuiet = false
    if (this.promotable && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0
      this.startElection(this.preVote ? 'pre' : 'real', false)
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++
    this.electionElapsed++
    if (this.electionElapsed >= this.electionTimeoutTicks) {
      this.electionElapsed = 0
      if (this.checkQuorum) {
        const active = quorumValue(this.membership, (id) =>
          id === this.id ? 1 : this.progress.get(id)?.recentActive ? 1 : 0,
        )
        for (const pr of this.progress.values()) pr.recentActive = false
        if (active < 1) {
          this.becomeFollower(this.term, null)
          return
        }
      }
      if (this.leadTransferee !== null) {
        this.events.push({ type: 'leadership-transfer-aborted', to: this.leadTransferee })
        this.leadTransferee = null
      }
    }
    for (const [id, pr] of this.progress) {
      if (pr.state !== 'snapshot') continue
      pr.snapshotStallTicks++
      if (pr.snapshotStallTicks >= this.snapshotRetryTicks) {
        pr.snapshotStallTicks = 0
        pr.snapshotRewound = false
        pr.snapshotSentOffset = pr.snapshotAckedOffset
        this.sendSnapshotChunks(id, pr, true)
      }
    }
    if (this.heartbeatElapsed >= this.heartbeatIntervalTicks) {
      this.heartbeatElapsed = 0
      this.broadcastHeartbeat()
    }
  }

  // ---------------------------------------------------------------- votes

  private handleVoteRequest(m: RequestVoteMessage | PreVoteMessage): void {
    const pre = m.type === 'pre-vote'
    const canVote =
      this.vote === m.from || (this.vote === null && this.leaderId === null) || (pre && m.term > this.term)
    const granted = canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)
    if (pre) {
      this.send({
        type: 'pre-vote-response',
        from: this.id,
        to: m.from,
        term: granted ? m.term : this.term,
        granted,
      })
      return
    }
    if (granted) {
      this.electionElapsed = 0
      this.vote = m.from
    }
    this.send({ type: 'request-vote-response', from: this.id, to: m.from, term: this.term, granted })
  }

  private stepCandidate(m: RaftMessage): void {
    switch (m.type) {
      case 'append-entries':
        this.becomeFollower(this.term, m.from)
        this.handleAppend(m)
        return
      case 'heartbeat':
        this.becomeFollower(this.term, m.from)
        this.handleHeartbeat(m)
        return
      case 'install-snapshot':
        this.becomeFollower(this.term, m.from)
        this.handleInstallSnapshot(m)
        return
      case 'pre-vote-response':
      case 'request-vote-response': {
        const expected = this.role === 'pre-candidate' ? 'pre-vote-response' : 'request-vote-response'
        if (m.type !== expected) return
        if (m.type === 'pre-vote-response' && m.granted && m.term !== this.term + 1) return
        if (!this.votes.has(m.from)) this.votes.set(m.from, m.granted)
        const result = voteResult(this.membership, this.votes)
        if (result === 'won') {
          if (this.role === 'pre-candidate') this.startElection('real', false)
          else this.becomeLeader()
        } else if (result === 'lost') {
          this.becomeFollower(this.term, null)
        }
        return
      }
      case 'read-index':
        this.send({ ...this.readResponseBase(m.from, m.requestId), index: 0, success: false })
        return
      default:
        return
    }
  }

  // ---------------------------------------------------------------- follower

  private stepFollower(m: RaftMessage): void {
    switch (m.type) {
      case 'append-entries':
        this.electionElapsed = 0
        this.setLeader(m.from)
        this.handleAppend(m)
        return
      case 'heartbeat':
        this.electionElapsed = 0
        this.setLeader(m.from)
        this.handleHeartbeat(m)
        return
      case 'install-snapshot':
        this.electionElapsed = 0
        this.setLeader(m.from)
        this.handleInstallSnapshot(m)
        return
      case 'timeout-now':
        if (this.promotable) this.startElection('real', true)
        return
      case 'read-index-response':
        if (m.success) this.readStates.push({ requestId: m.requestId, index: m.index })
        else this.events.push({ type: 'read-index-dropped', requestId: m.requestId, reason: 'not-leader' })
        return
      case 'read-index':
        this.send({ ...this.readResponseBase(m.from, m.requestId), index: 0, success: false })
        return
      default:
        return
    }
  }

  private appendResponse(
    to: NodeId,
    success: boolean,
    matchIndex: number,
    rejectIndex: number,
    conflictTerm: number,
    conflictIndex: number,
  ): AppendEntriesResponseMessage {
    return {
      type: 'append-entries-response',
      from: this.id,
      to,
      term: this.term,
      success,
      matchIndex,
      rejectIndex,
      conflictTerm,
      conflictIndex,
    }
  }

  private handleAppend(m: AppendEntriesMessage): void {
    const log = this.log
    let entries = m.entries
    let prevIndex = m.prevLogIndex
    let prevTerm = m.prevLogTerm
    // malformed: entries must be contiguous after prevLogIndex
    for (let i = 0; i < entries.length; i++) {
      if ((entries[i] as LogEntry).index !== prevIndex + 1 + i) return
    }
    const committed = log.committed
    if (prevIndex < committed) {
      // entries up to the commit index are committed here: they match the leader's.
      // Skip them instead of comparing against a possibly compacted log.
      const skip = Math.min(committed - prevIndex, entries.length)
      for (let i = 0; i < skip; i++) {
        const e = entries[i] as LogEntry
        const ours = log.term(e.index)
        if (ours !== -1 && ours !== e.term)
          throw new RaftInvariantError(
            `leader ${m.from} sent term ${e.term} at committed index ${e.index}, which has term ${ours}`,
          )
      }
      if (skip >= entries.length) {
        this.send(this.appendResponse(m.from, true, committed, 0, 0, 0))
        return
      }
      entries = entries.slice(skip)
      prevIndex = committed
      prevTerm = log.term(committed)
    }
    const termAtPrev = log.term(prevIndex)
    if (termAtPrev !== prevTerm) {
      // fast backtracking hint (thesis §5.3 optimisation)
      let conflictTerm = 0
      let conflictIndex = log.lastIndex() + 1
      if (prevIndex <= log.lastIndex()) {
        conflictTerm = termAtPrev
        let i = prevIndex
        const lowest = Math.max(committed + 1, log.firstIndex())
        while (i - 1 >= lowest && log.term(i - 1) === conflictTerm) i--
        conflictIndex = i
      }
      this.send(this.appendResponse(m.from, false, 0, m.prevLogIndex, conflictTerm, conflictIndex))
      return
    }
    const lastNew = prevIndex + entries.length
    const last = log.lastIndex()
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as LogEntry
      if (entry.index <= last && log.term(entry.index) === entry.term) continue
      if (entry.index <= last) {
        // a conflict: the suffix from here is replaced (never a committed entry)
        log.truncateFrom(entry.index)
        this.afterTruncate(entry.index)
      }
      let hasConfig = false
      for (let j = i; j < entries.length; j++) {
        const e = entries[j] as LogEntry
        log.entries.push(e)
        if (e.kind === 'config') {
          this.configIndexes.push(e.index)
          hasConfig = true
        }
      }
      if (hasConfig) this.refreshMembership()
      break
    }
    if (m.commit > log.committed) log.commitTo(Math.min(m.commit, lastNew))
    this.send(this.appendResponse(m.from, true, lastNew, 0, 0, 0))
  }

  private handleHeartbeat(m: HeartbeatMessage): void {
    if (m.commit > this.log.committed) this.log.commitTo(Math.min(m.commit, this.log.lastIndex()))
    this.send({ type: 'heartbeat-response', from: this.id, to: m.from, term: this.term, round: m.round })
  }

  private snapshotResponse(
    to: NodeId,
    snapshotIndex: number,
    nextOffset: number,
    done: boolean,
    matchIndex: number,
  ): InstallSnapshotResponseMessage {
    return {
      type: 'install-snapshot-response',
      from: this.id,
      to,
      term: this.term,
      snapshotIndex,
      nextOffset,
      done,
      matchIndex,
    }
  }

  private handleInstallSnapshot(m: InstallSnapshotMessage): void {
    const meta = m.meta
    const log = this.log
    // a snapshot just installed and not yet handed to the driver: let the leader retry later
    if (this.installedSnapshot !== null) return
    if (meta.index <= log.committed) {
      // not needed: everything up to our commit index matches the leader
      this.abortIncomingSnapshot()
      this.send(this.snapshotResponse(m.from, meta.index, meta.sizeBytes, true, log.committed))
      return
    }
    if (log.term(meta.index) === meta.term) {
      // our log holds the snapshot's last entry: it and all before match, and it is committed
      this.abortIncomingSnapshot()
      log.commitTo(meta.index)
      this.send(this.snapshotResponse(m.from, meta.index, meta.sizeBytes, true, meta.index))
      return
    }
    let incoming = this.incomingSnapshot
    if (incoming === null || !sameSnapshot(incoming.meta, meta)) {
      if (m.offset !== 0) {
        this.send(this.snapshotResponse(m.from, meta.index, 0, false, 0))
        return
      }
      incoming = { meta, nextOffset: 0 }
      this.incomingSnapshot = incoming
    }
    if (m.offset !== incoming.nextOffset || m.offset + m.data.length > meta.sizeBytes) {
      this.send(this.snapshotResponse(m.from, meta.index, incoming.nextOffset, false, 0))
      return
    }
    if (m.data.length === 0 && meta.sizeBytes !== 0) {
      this.send(this.snapshotResponse(m.from, meta.index, incoming.nextOffset, false, 0))
      return
    }
    this.chunksReceived.push({ meta, offset: m.offset, data: m.data, first: m.offset === 0 })
    incoming.nextOffset += m.data.length
    if (incoming.nextOffset < meta.sizeBytes) {
      this.send(this.snapshotResponse(m.from, meta.index, incoming.nextOffset, false, 0))
      return
    }
    // complete: install
    this.incomingSnapshot = null
    log.restore(meta)
    this.configIndexes.length = 0
    for (const entry of log.entries) if (entry.kind === 'config') this.configIndexes.push(entry.index)
    this.installedSnapshot = meta
    this.refreshMembership()
    this.send(this.snapshotResponse(m.from, meta.index, meta.sizeBytes, true, meta.index))
  }

  private abortIncomingSnapshot(): void {
    if (this.incomingSnapshot !== null) {
      this.incomingSnapshot = null
      this.snapshotAborted = true
      // chunks of it not yet handed out need not be written
      this.chunksReceived = []
    }
  }

  // ---------------------------------------------------------------- leader

  private stepLeader(m: RaftMessage): void {
    const pr = this.progress.get(m.from)
    if (pr !== undefined) pr.recentActive = true
    switch (m.type) {
      case 'append-entries-response':
        if (pr !== undefined) this.handleAppendResponse(m, pr)
        return
      case 'heartbeat-response':
        if (pr === undefined) return
        pr.probeSent = false
        if (m.round > pr.ackedRound) {
          pr.ackedRound = m.round
          this.checkReads()
        }
        if (pr.match < this.log.lastIndex()) {
          // the follower may have lost appends: probe it with an (empty) append, and never stay stuck on a full window
          pr.forceAppend = true
          if (pr.state === 'replicate') pr.freeFirstInflight()
          this.needsFlush = true
        } else if (pr.sentCommit < this.log.committed) {
          this.needsFlush = true
        }
        return
      case 'install-snapshot-response':
        if (pr !== undefined) this.handleSnapshotResponse(m, pr)
        return
      case 'read-index':
        this.handleReadRequest(m.requestId, m.from)
        return
      default:
        return
    }
  }

  private handleAppendResponse(m: AppendEntriesResponseMessage, pr: Progress): void {
    if (m.success) {
      if (pr.maybeUpdate(m.matchIndex)) {
        if (pr.state === 'probe') pr.becomeReplicate()
        else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeProbe()
        else if (pr.state === 'replicate') pr.freeInflightsTo(m.matchIndex)
        this.maybeCommit()
        if (this.role !== 'leader') return
        if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from)
      } else if (pr.state === 'replicate') {
        pr.freeInflightsTo(m.matchIndex)
      } else if (pr.state === 'probe' && m.matchIndex === pr.match) {
        // the answer to a probe that carried nothing new: the logs match at `match`
        pr.becomeReplicate()
      }
      this.needsFlush = true
      return
    }
    // rejected
    if (pr.state === 'snapshot') return
    if (pr.state === 'replicate' && m.rejectIndex <= pr.match) return // stale
    if (pr.state === 'probe' && m.rejectIndex !== pr.next - 1) return // stale
    let next: number
    if (m.conflictTerm > 0) {
      // the leader's last entry of the follower's conflicting term, if any
      const log = this.log
      let i = Math.min(m.rejectIndex, log.lastIndex())
      while (i > log.snapshotIndex && log.term(i) > m.conflictTerm) i--
      next = log.term(i) === m.conflictTerm ? i + 1 : m.conflictIndex
    } else {
      next = m.conflictIndex
    }
    next = Math.max(pr.match + 1, Math.min(next, m.rejectIndex))
    pr.state = 'probe'
    pr.probeSent = false
    pr.resetInflights()
    pr.next = next
    this.needsFlush = true
  }

  private handleSnapshotResponse(m: InstallSnapshotResponseMessage, pr: Progress): void {
    if (m.done) {
      pr.maybeUpdate(m.matchIndex)
      if (pr.state === 'snapshot') pr.becomeProbe()
      this.maybeCommit()
      this.needsFlush = true
      return
    }
    if (pr.state !== 'snapshot' || m.snapshotIndex !== pr.pendingSnapshot) return
    pr.snapshotStallTicks = 0
    if (m.nextOffset > pr.snapshotAckedOffset) {
      pr.snapshotAckedOffset = m.nextOffset
      pr.snapshotRewound = false
      if (pr.snapshotSentOffset < m.nextOffset) pr.snapshotSentOffset = m.nextOffset
    } else if (m.nextOffset < pr.snapshotSentOffset) {
      // no progress although more was sent: a chunk was lost (or the follower restarted).
      // Resume from the follower's offset, once per progress step: the answers to the
      // other chunks of the window say the same and must not multiply the resends.
      if (pr.snapshotRewound) return
      pr.snapshotRewound = true
      pr.snapshotAckedOffset = m.nextOffset
      pr.snapshotSentOffset = m.nextOffset
    }
    this.sendSnapshotChunks(m.from, pr, m.nextOffset === 0 && pr.snapshotSentOffset === 0)
  }

  private checkCanPropose(bytes: number): void {
    if (this.role !== 'leader')
      throw new ProposalDroppedError('not-leader', this.leaderId, 'this node is not the leader')
    if (this.leadTransferee !== null)
      throw new ProposalDroppedError(
        'leadership-transfer',
        this.leaderId,
        `leadership is being transferred to "${this.leadTransferee}"`,
      )
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > this.maxUncommittedBytes)
      throw new ProposalDroppedError(
        'uncommitted-limit',
        this.leaderId,
        `${this.uncommittedBytes} uncommitted bytes plus ${bytes} exceed the limit of ${this.maxUncommittedBytes}`,
      )
  }

  private appendAsLeader(kind: LogEntry['kind'], data: Uint8Array): number {
    const index = this.log.lastIndex() + 1
    this.log.entries.push({ index, term: this.term, kind, data })
    this.uncommittedBytes += data.length
    if (kind === 'config') {
      this.configIndexes.push(index)
      this.refreshMembership()
    }
    this.afterLeaderAppend()
    return index
  }

  private appendConfig(next: Membership): number {
    const index = this.appendAsLeader('config', encodeMembership(next))
    this.pendingConfigIndex = index
    return index
  }

  private afterLeaderAppend(): void {
    this.needsFlush = true
    // a new entry commits once durable on a quorum: on the leader, that is when its Ready is advanced
  }

  /** The leader's own log counts only as far as it is durable (`advance`); followers' as acknowledged. */
  private matchOf = (id: NodeId): number =>
    id === this.id ? Math.min(this.log.persisted, this.log.lastIndex()) : (this.progress.get(id)?.match ?? 0)

  /** Commits the highest index replicated on a quorum, only if it is of the current term (Figure 8). */
  private maybeCommit(): void {
    const index = quorumValue(this.membership, this.matchOf)
    const log = this.log
    if (index <= log.committed || log.term(index) !== this.term) return
    const previous = log.committed
    log.commitTo(index)
    this.onLeaderCommit(previous)
  }

  private onLeaderCommit(previous: number): void {
    const log = this.log
    for (let i = Math.max(previous + 1, this.termStartIndex); i <= log.committed; i++)
      this.uncommittedBytes -= (log.entry(i) as LogEntry).data.length
    if (this.uncommittedBytes < 0 || log.committed === log.lastIndex()) this.uncommittedBytes = 0
    // piggyback: the new commit rides on the next append or heartbeat, so there is nothing to flush
    if (this.commitPropagation === 'immediate') this.needsFlush = true
    if (previous < this.termStartIndex && log.committed >= this.termStartIndex) {
      // the first commit of the term: reads waiting for it can proceed
      const waiting = this.readsAwaitingCommit
      this.readsAwaitingCommit = []
      for (const read of waiting) this.handleReadRequest(read.requestId, read.from)
    }
    if (log.committed >= this.membershipIndex) {
      if (!isVoter(this.membership, this.id)) {
        // removed (or demoted) by a committed configuration: step down
        this.becomeFollower(this.term, null)
        return
      }
      if (isJoint(this.membership) && this.membership.autoLeave && this.pendingConfigIndex <= log.committed) {
        this.appendConfig(applyConfigChange(this.membership, { changes: [] }))
      }
    }
  }

  private syncProgress(): void {
    const members = allMembers(this.membership)
    const next = new Map<NodeId, Progress>()
    for (const id of members) {
      if (id === this.id) continue
      let pr = this.progress.get(id)
      if (pr === undefined) {
        pr = new Progress(this.log.lastIndex() + 1, this.maxInflightMessages)
        pr.recentActive = true
      }
      next.set(id, pr)
    }
    this.progress = next
    if (this.leadTransferee !== null && !next.has(this.leadTransferee)) this.leadTransferee = null
  }

  private membershipAt(index: number): Membership {
    const indexes = this.configIndexes
    for (let i = indexes.length - 1; i >= 0; i--) {
      const at = indexes[i] as number
      if (at <= index) return decodeMembership((this.log.entry(at) as LogEntry).data)
    }
    return this.log.snapshot?.membership ?? this.initialMembership
  }

  /** The configuration in effect is the last one in the log (it takes effect when appended). */
  private refreshMembership(): void {
    const indexes = this.configIndexes
    const index =
      indexes.length > 0
        ? (indexes[indexes.length - 1] as number)
        : this.log.snapshot !== null
          ? this.log.snapshotIndex
          : 0
    if (index === this.membershipIndex) return
    this.membership = this.membershipAt(this.log.lastIndex())
    this.membershipIndex = index
    this.events.push({
      type: 'membership-changed',
      membership: structuredCloneMembership(this.membership),
      index,
    })
    if (this.role === 'leader') this.syncProgress()
  }

  private afterTruncate(index: number): void {
    let removed = false
    while (
      this.configIndexes.length > 0 &&
      (this.configIndexes[this.configIndexes.length - 1] as number) >= index
    ) {
      this.configIndexes.pop()
      removed = true
    }
    if (removed) this.refreshMembership()
  }

  private flush(): void {
    if (this.role !== 'leader') return
    if (this.needsFlush) {
      this.needsFlush = false
      for (const [id, pr] of this.progress) this.sendAppends(id, pr)
    }
    if (this.readBroadcastNeeded) this.broadcastHeartbeat()
  }

  private sendAppends(to: NodeId, pr: Progress): void {
    const log = this.log
    for (let guard = 0; guard <= this.maxInflightMessages; guard++) {
      if (pr.isPaused(this.maxInflightBytes)) return
      const prevIndex = pr.next - 1
      const prevTerm = log.term(prevIndex)
      if (prevTerm === -1) {
        this.startSnapshot(to, pr)
        return
      }
      const last = log.lastIndex()
      if (pr.next > last) {
        // nothing to send but perhaps the commit index (in piggyback mode a follower
        // hears of it with the next entries or heartbeat instead)
        if ((pr.sentCommit < log.committed && this.commitPropagation === 'immediate') || pr.forceAppend) {
          pr.forceAppend = false
          pr.sentCommit = log.committed
          this.send({
            type: 'append-entries',
            from: this.id,
            to,
            term: this.term,
            prevLogIndex: prevIndex,
            prevLogTerm: prevTerm,
            entries: [],
            commit: log.committed,
          })
          if (pr.state === 'probe') pr.probeSent = true
        }
        return
      }
      pr.forceAppend = false
      const entries = log.slice(pr.next, last, this.maxMessageBytes)
      const bytes = log.lastSliceBytes
      pr.sentCommit = log.committed
      this.send({
        type: 'append-entries',
        from: this.id,
        to,
        term: this.term,
        prevLogIndex: prevIndex,
        prevLogTerm: prevTerm,
        entries,
        commit: log.committed,
      })
      if (pr.state === 'replicate') {
        pr.next = prevIndex + entries.length + 1
        pr.addInflight(pr.next - 1, bytes)
      } else {
        pr.probeSent = true
        return
      }
    }
  }

  private startSnapshot(to: NodeId, pr: Progress): void {
    const meta = this.log.snapshot
    if (meta === null)
      throw new RaftInvariantError(
        `entries before ${this.log.firstIndex()} are gone but there is no snapshot`,
      )
    pr.becomeSnapshot(meta.index)
    this.sendSnapshotChunks(to, pr, true)
  }

  private sendSnapshotChunks(to: NodeId, pr: Progress, restart = false): void {
    const meta = this.log.snapshot
    if (meta === null) return
    if (meta.index !== pr.pendingSnapshot) {
      pr.becomeSnapshot(meta.index)
      restart = true
    }
    const size = meta.sizeBytes
    const window = this.maxInflightSnapshotChunks * this.snapshotChunkBytes
    let first = restart && pr.snapshotSentOffset === 0
    while (
      (pr.snapshotSentOffset < size || first) &&
      pr.snapshotSentOffset - pr.snapshotAckedOffset < window
    ) {
      first = false
      const offset = pr.snapshotSentOffset
      const length = Math.min(this.snapshotChunkBytes, size - offset)
      this.chunksToSend.push({
        message: { type: 'install-snapshot', from: this.id, to, term: this.term, meta, offset, data: EMPTY },
        length,
      })
      pr.snapshotSentOffset = offset + length
      if (size === 0) break
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeout-now', from: this.id, to, term: this.term })
  }

  private broadcastHeartbeat(): void {
    this.readBroadcastNeeded = false
    this.round++
    this.roundSentTick.set(this.round, this.tickCount)
    const commit = this.log.committed
    for (const [id, pr] of this.progress) {
      const message: HeartbeatMessage = {
        type: 'heartbeat',
        from: this.id,
        to: id,
        term: this.term,
        commit: Math.min(pr.match, commit),
        round: this.round,
      }
      this.send(message)
    }
    this.checkReads()
  }

  // ---------------------------------------------------------------- reads

  private readResponseBase(to: NodeId, requestId: string) {
    return { type: 'read-index-response' as const, from: this.id, to, term: this.term, requestId }
  }

  private handleReadRequest(requestId: string, from: NodeId | null): void {
    if (this.log.committed < this.termStartIndex) {
      // the leader does not know the commit index until it commits an entry of its term
      this.readsAwaitingCommit.push({ requestId, from })
      return
    }
    const index = this.log.committed
    if (this.readOnlyMode === 'lease' && this.leaseValid()) {
      this.releaseRead({ requestId, from, index, round: 0 })
      return
    }
    this.pendingReads.push({ requestId, from, index, round: this.round + 1 })
    this.readBroadcastNeeded = true
  }

  private leaseValid(): boolean {
    return (
      this.leadTransferee === null &&
      this.tickCount < this.leaseStartTick + this.electionTimeoutTicks - this.leaseClockDriftTicks
    )
  }

  private checkReads(): void {
    const confirmed = quorumValue(this.membership, (id) =>
      id === this.id ? this.round : (this.progress.get(id)?.ackedRound ?? 0),
    )
    const sentTick = this.roundSentTick.get(confirmed)
    if (sentTick !== undefined && sentTick > this.leaseStartTick) this.leaseStartTick = sentTick
    for (const key of this.roundSentTick.keys()) {
      if (key >= confirmed) break
      this.roundSentTick.delete(key)
    }
    if (this.pendingReads.length === 0 || (this.pendingReads[0] as PendingRead).round > confirmed) return
    let released = 0
    for (const read of this.pendingReads) {
      if (read.round > confirmed) break
      this.releaseRead(read)
      released++
    }
    this.pendingReads = this.pendingReads.slice(released)
  }

  private releaseRead(read: PendingRead): void {
    if (read.from === null || read.from === this.id)
      this.readStates.push({ requestId: read.requestId, index: read.index })
    else {
      this.send({ ...this.readResponseBase(read.from, read.requestId), index: read.index, success: true })
      // the follower serves the read once it has applied read.index: tell it the commit now
      const pr = this.progress.get(read.from)
      if (this.commitPropagation === 'piggyback' && pr !== undefined && pr.sentCommit < read.index) {
        pr.forceAppend = true
        this.needsFlush = true
      }
    }
  }

  private dropReads(reason: 'leadership-lost'): void {
    const all = [...this.readsAwaitingCommit, ...this.pendingReads]
    this.readsAwaitingCommit = []
    this.pendingReads = []
    for (const read of all) {
      if (read.from === null)
        this.events.push({ type: 'read-index-dropped', requestId: read.requestId, reason })
      else this.send({ ...this.readResponseBase(read.from, read.requestId), index: 0, success: false })
    }
  }

  // ---------------------------------------------------------------- misc

  private send(message: RaftMessage): void {
    this.outbox.push(message)
  }

  private hardStateChanged(): boolean {
    const h = this.lastHardState
    return h.term !== this.term || h.votedFor !== this.vote || h.commit !== this.log.committed
  }
}

function sameSnapshot(a: SnapshotMeta, b: SnapshotMeta): boolean {
  return a.index === b.index && a.term === b.term && a.sizeBytes === b.sizeBytes
}

function structuredCloneMembership(m: Membership): Membership {
  return {
    voters: [...m.voters],
    learners: [...m.learners],
    votersOutgoing: [...m.votersOutgoing],
    learnersNext: [...m.learnersNext],
    autoLeave: m.autoLeave,
  }
}
