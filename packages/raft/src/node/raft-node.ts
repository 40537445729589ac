/**
 * `RaftNode`: the driver that binds a `RaftCore` to a `Transport`, a
 * `RaftStorage`, a `StateMachine` and a clock, keeping the `Ready` I/O contract
 * (snapshot chunks, then save, then send, then apply, then advance).
 */
import type { NodeId, Transport } from '@synod/transport'
import {
  CompactRefusedError,
  ConfigChangeRefusedError,
  ProposalDroppedError,
  RaftInvariantError,
} from '../core/errors.js'
import type { ConfigChange } from '../core/membership.js'
import { decodeMembership, membership as simpleMembership } from '../core/membership.js'
import type { RaftMessage } from '../core/messages.js'
import { type RaftConfig, RaftCore } from '../core/raft.js'
import type { Ready } from '../core/ready.js'
import type { HardState, LogEntry, Membership, SnapshotMeta } from '../core/types.js'
import { SnapshotWriterClosedError, StorageClosedError } from '../storage/errors.js'
import type { PersistedState, RaftStorage, SnapshotWriter } from '../storage/types.js'
import {
  NotLeaderError,
  ProposalOverwrittenError,
  RaftTimeoutError,
  StoppedError,
  TransferAbortedError,
} from './errors.js'

/**
 * The application's replicated state machine. `apply` must be deterministic:
 * every replica applies the same commands in the same order.
 *
 * @example
 * ```ts
 * class Counter implements StateMachine {
 *   value = 0
 *   apply(command: Uint8Array) { return (this.value += command[0] ?? 0) }
 *   snapshot() { return Uint8Array.of(this.value) }
 *   restore(data: Uint8Array) { this.value = data[0] ?? 0 }
 * }
 * ```
 */
export interface StateMachine {
  /**
   * Applies one committed command (kind 'normal' entries only); returns the result
   * handed to the proposer. Must be deterministic. Throwing stops the node
   * (fail-stop): report bad commands in the result instead.
   */
  apply(command: Uint8Array, index: number): unknown
  /** Returns the state as of the last applied index, as bytes (chunked by the driver when sent). */
  snapshot(): Uint8Array
  /** Replaces the state with a snapshot's bytes. */
  restore(data: Uint8Array): void
}

/**
 * What cancels a timer: a function, or an object with `cancel()` (the simulator's `TimerHandle`).
 * @example
 * ```ts
 * const cancel: TimerCancel = () => clearTimeout(handle)
 * ```
 */
export type TimerCancel = (() => void) | { cancel(): unknown }

/**
 * The clock the driver runs on. Real timers by default; in the simulator pass
 * the node context itself (`timers: ctx`), whose `every`/`after` run on virtual time.
 *
 * @example
 * ```ts
 * const timers: Timers = {
 *   every: (ms, fn) => { const h = setInterval(fn, ms); return () => clearInterval(h) },
 *   after: (ms, fn) => { const h = setTimeout(fn, ms); return () => clearTimeout(h) },
 * }
 * ```
 */
export interface Timers {
  every(ms: number, fn: () => void): TimerCancel
  after(ms: number, fn: () => void): TimerCancel
}

/**
 * Options of {@link RaftNode.start}.
 * @example
 * ```ts
 * const options: RaftNodeOptions = { id: 'a', members: ['a', 'b', 'c'], transport, storage: new MemoryStorage(), stateMachine: new KvStateMachine() }
 * ```
 */
export interface RaftNodeOptions {
  id: NodeId
  /**
   * The founding voters of the cluster: identical on every founding node, and
   * passed unchanged on every restart (like etcd's bootstrap peers). They are the
   * base configuration; configuration entries and snapshots in storage override
   * them. Empty for a node that joins an existing cluster: it waits until the
   * leader adds it.
   */
  members: readonly NodeId[]
  transport: Transport<RaftMessage>
  storage: RaftStorage
  stateMachine: StateMachine
  /** Real timers by default; the simulator passes its node context (`ctx.every` / `ctx.after`). */
  timers?: Timers
  /** [0,1) for election jitter: `Math.random` by default; the simulator passes `() => ctx.random.float()`. */
  random?: () => number
  /** Milliseconds per tick (default 10). */
  tickMs?: number
  /** Election timeout in ticks (default 10): each timeout is drawn in [T, 2T). */
  electionTicks?: number
  /** Heartbeat interval in ticks (default 1). */
  heartbeatTicks?: number
  /** Snapshot and compact after this many applied entries (default 10,000; 0 = never). */
  snapshotEveryEntries?: number
  /** Default timeout of propose / read / transfer / membership changes, in ms (default 5,000). */
  requestTimeoutMs?: number
  /**
   * The core's protocol and flow-control settings, passed through to `RaftCore`
   * (each has the default documented on `RaftConfig`): for example a smaller
   * `maxMessageBytes` where the transport's frames are small, or `readOnlyMode: 'lease'`.
   */
  tuning?: RaftTuning
}

/** The `RaftConfig` settings a `RaftNode` passes through to its core. */
export type RaftTuning = Partial<Pick<RaftConfig, (typeof TUNING_KEYS)[number]>>

const TUNING_KEYS = [
  'preVote',
  'checkQuorum',
  'readOnlyMode',
  'leaseClockDriftTicks',
  'maxMessageBytes',
  'maxInflightMessages',
  'maxInflightBytes',
  'maxUncommittedBytes',
  'commitPropagation',
  'snapshotChunkBytes',
  'maxInflightSnapshotChunks',
  'snapshotRetryTicks',
] as const

function validateTuning(tuning: unknown): RaftTuning {
  if (tuning === undefined) return {}
  if (typeof tuning !== 'object' || tuning === null || Array.isArray(tuning))
    throw new TypeError(`tuning: expected an object, got ${tuning === null ? 'null' : typeof tuning}`)
  const known: readonly string[] = TUNING_KEYS
  for (const key of Object.keys(tuning))
    if (!known.includes(key))
      throw new TypeError(`tuning: unknown setting ${JSON.stringify(key)} (known: ${TUNING_KEYS.join(', ')})`)
  return tuning as RaftTuning
}

/**
 * A point-in-time view of a node.
 * @example
 * ```ts
 * const { role, leader, appliedIndex } = node.status()
 * ```
 */
export interface RaftNodeStatus {
  id: NodeId
  role: 'follower' | 'candidate' | 'pre-candidate' | 'leader'
  term: number
  leader: NodeId | null
  commitIndex: number
  appliedIndex: number
  lastIndex: number
  membership: Membership
}

/** Per-request options. */
export interface RequestOptions {
  /** Overrides `requestTimeoutMs` for this request. */
  timeoutMs?: number
}

/** One request's entries `first..last`, proposed together in `term`. */
interface Proposal {
  readonly first: number
  readonly last: number
  readonly term: number
  /** `apply` results by position (`index - first`). */
  readonly results: unknown[]
  settled: boolean
  /** Settles once (the results, or `error`), cancels the deadline and stops tracking. */
  finish(error?: unknown): void
}

interface ReadOperation {
  settled: boolean
  requestId: string | null
  index: number
  cancelAttempt: (() => void) | null
  finish(error?: unknown): void
}

interface TransferOperation {
  to: NodeId
  finish(error?: unknown): void
}

const SNAPSHOT_IO_CHUNK_BYTES = 1024 * 1024
const MAX_PENDING_READS = 100_000

const realTimers: Timers = {
  every(ms, fn) {
    const handle = setInterval(fn, ms)
    return () => clearInterval(handle)
  },
  after(ms, fn) {
    const handle = setTimeout(fn, ms)
    return () => clearTimeout(handle)
  },
}

function toCancel(cancel: TimerCancel): () => void {
  if (typeof cancel === 'function') return cancel
  return () => {
    cancel.cancel()
  }
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < min)
    throw new RangeError(
      `${name}: expected ${min === 0 ? 'a non-negative' : 'a positive'} integer, got ${String(v)}`,
    )
  return v
}

function validateOptions(options: RaftNodeOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options: expected an object, got ${options === null ? 'null' : typeof options}`)
  if (typeof options.id !== 'string' || options.id.length === 0)
    throw new TypeError(`id: expected a non-empty string, got ${JSON.stringify(options.id)}`)
  if (!Array.isArray(options.members) || options.members.some((m) => typeof m !== 'string' || m === ''))
    throw new TypeError('members: expected an array of non-empty node ids')
  if (new Set(options.members).size !== options.members.length)
    throw new RangeError('members: expected distinct node ids')
  const t = options.transport as Partial<Transport<RaftMessage>> | undefined
  if (typeof t?.send !== 'function' || typeof t.onMessage !== 'function')
    throw new TypeError('transport: expected a Transport (send, onMessage)')
  const s = options.storage as Partial<RaftStorage> | undefined
  if (typeof s?.load !== 'function' || typeof s.save !== 'function')
    throw new TypeError('storage: expected a RaftStorage (load, save, ...)')
  const m = options.stateMachine as Partial<StateMachine> | undefined
  if (typeof m?.apply !== 'function' || typeof m.snapshot !== 'function' || typeof m.restore !== 'function')
    throw new TypeError('stateMachine: expected a StateMachine (apply, snapshot, restore)')
}

/**
 * A Raft node: the pure `RaftCore` driven by a transport, a storage, a state
 * machine and a clock. One Ready loop at a time: received snapshot chunks are
 * written and an installed snapshot finished, then the Ready's hard state and
 * entries are saved in one `save` (group commit), then messages are sent, then
 * committed entries applied and proposers answered, then the core advances.
 * A failed `save` (or a broken invariant) stops the node: fail-stop, nothing is
 * sent after it, every pending request is rejected with `StoppedError`.
 *
 * @example
 * ```ts
 * import { KvStateMachine, MemoryStorage, RaftNode, encodeKvCommand, type RaftMessage } from '@synod/raft'
 * import { MemoryNetwork } from '@synod/transport'
 *
 * const ids = ['a', 'b', 'c']
 * const network = new MemoryNetwork<RaftMessage>()
 * const kvs = ids.map(() => new KvStateMachine())
 * const nodes = await Promise.all(ids.map((id, i) => RaftNode.start({
 *   id, members: ids, transport: network.join(id), storage: new MemoryStorage(), stateMachine: kvs[i]!,
 * })))
 * // once a leader is elected:
 * const leader = nodes.find((n) => n.status().role === 'leader')!
 * await leader.propose(encodeKvCommand({ type: 'put', key: 'x', value: '1' })) // { ok: true, previous: null }
 * ```
 */
export class RaftNode {
  /** This node's id. */
  readonly id: NodeId
  private readonly core: RaftCore
  private readonly transport: Transport<RaftMessage>
  private readonly storage: RaftStorage
  private readonly stateMachine: StateMachine
  private readonly timers: Timers
  private readonly tickMs: number
  private readonly electionTicks: number
  private readonly snapshotEveryEntries: number
  private readonly requestTimeoutMs: number
  private readonly nonce: string

  private appliedIndex: number
  /** The index of the storage's current snapshot (0 when none). */
  private snapshotIndex: number
  private incomingWriter: SnapshotWriter | null = null
  /** A snapshot of our own being written in the background (at most one). */
  private snapshotTask: Promise<void> | null = null
  /** A snapshot of our own that is durable, waiting for the loop to compact up to it. */
  private snapshotTaken: SnapshotMeta | null = null
  /**
   * Every entry of the core's log up to here is on stable storage (a lower
   * bound: the last index of the last save, the snapshot's after an install).
   */
  private durableIndex: number
  /** The hard state last saved (its term and vote are durable). */
  private savedHardState: HardState
  /**
   * A hard state that differs from the saved one only in `commit`, not yet saved:
   * Raft does not need the commit index durable (a restarted node learns it again),
   * so it rides along with the next save instead of costing an fsync of its own.
   */
  private unsavedHardState: HardState | null = null
  /**
   * While a Ready's save runs: committed entries up to here are on stable storage
   * and may be applied as soon as they commit (0 otherwise).
   */
  private applyWhileSavingUpTo = 0
  private running = false
  private idleWaiters: (() => void)[] = []
  private stopped = false
  private failureCause: unknown
  private readonly cancelTicker: () => void
  private readonly unsubscribe: () => void

  /** Pending proposals, ordered by index, ranges disjoint. */
  private readonly proposals: Proposal[] = []
  /** Pending proposals whose entries were skipped (a snapshot was installed over them): left to their deadline. */
  private readonly strandedProposals = new Set<Proposal>()
  private readonly reads = new Map<string, ReadOperation>()
  private readonly readsAwaitingApply: ReadOperation[] = []
  private readonly allReads = new Set<ReadOperation>()
  private readonly transfers = new Set<TransferOperation>()
  /** Woken after each Ready's entries are applied (and on stop). */
  private applyWaiters: (() => void)[] = []
  private readSequence = 0

  private constructor(options: RaftNodeOptions, core: RaftCore, state: PersistedState, random: () => number) {
    const snapshot = state.snapshot
    this.id = options.id
    this.core = core
    this.transport = options.transport
    this.storage = options.storage
    this.stateMachine = options.stateMachine
    this.timers = options.timers ?? realTimers
    this.tickMs = positiveInteger('tickMs', options.tickMs, 10)
    this.electionTicks = positiveInteger('electionTicks', options.electionTicks, 10)
    this.snapshotEveryEntries = positiveInteger(
      'snapshotEveryEntries',
      options.snapshotEveryEntries,
      10_000,
      0,
    )
    this.requestTimeoutMs = positiveInteger('requestTimeoutMs', options.requestTimeoutMs, 5_000)
    this.nonce = Math.floor(random() * 2 ** 32).toString(36)
    this.appliedIndex = snapshot?.index ?? 0
    this.snapshotIndex = snapshot?.index ?? 0
    this.savedHardState = state.hardState
    this.durableIndex = state.entries[state.entries.length - 1]?.index ?? this.snapshotIndex
    this.unsubscribe = this.transport.onMessage((from, message) => this.receive(from, message))
    this.cancelTicker = toCancel(this.timers.every(this.tickMs, () => this.tick()))
    this.kick()
  }

  /**
   * Loads `storage`, restores the state machine from its snapshot, builds the
   * core and starts ticking.
   *
   * @throws {TypeError | RangeError} for invalid options
   * @example
   * ```ts
   * const node = await RaftNode.start({ id: 'a', members: ['a', 'b', 'c'], transport, storage, stateMachine })
   * ```
   */
  static async start(options: RaftNodeOptions): Promise<RaftNode> {
    validateOptions(options)
    positiveInteger('tickMs', options.tickMs, 10)
    positiveInteger('snapshotEveryEntries', options.snapshotEveryEntries, 10_000, 0)
    positiveInteger('requestTimeoutMs', options.requestTimeoutMs, 5_000)
    const electionTicks = positiveInteger('electionTicks', options.electionTicks, 10)
    const heartbeatTicks = positiveInteger('heartbeatTicks', options.heartbeatTicks, 1)
    const tuning = validateTuning(options.tuning)
    const random = options.random ?? Math.random
    if (typeof random !== 'function')
      throw new TypeError(`random: expected a function returning a number in [0, 1), got ${typeof random}`)
    const state = await options.storage.load()
    if (state.snapshot !== null) {
      const data = await readWholeSnapshot(options.storage, state.snapshot.sizeBytes)
      options.stateMachine.restore(data)
    }
    // The founding voters are the base configuration on every start, not only the first:
    // they are in no log entry, so a founder that restarts before any configuration entry
    // or snapshot would otherwise know no voters and never campaign. Configuration entries
    // and snapshots in storage still take precedence over this base.
    const core = new RaftCore({
      ...tuning,
      id: options.id,
      random,
      start: state,
      electionTimeoutTicks: electionTicks,
      heartbeatIntervalTicks: heartbeatTicks,
      ...(options.members.length > 0 ? { initialMembership: simpleMembership([...options.members]) } : {}),
    })
    return new RaftNode(options, core, state, random)
  }

  // ------------------------------------------------------------ requests

  /**
   * Proposes one command; resolves with `stateMachine.apply`'s result once the
   * command is committed and applied on this node.
   *
   * @throws {NotLeaderError} this node is not the leader (definite: not appended)
   * @throws {ProposalDroppedError} a leadership transfer is under way, or too much is uncommitted (definite)
   * @throws {ProposalOverwrittenError} a new leader replaced the entry (definite: not committed)
   * @throws {RaftTimeoutError} no answer within the timeout (outcome unknown)
   * @throws {StoppedError} the node stopped (outcome unknown)
   * @example
   * ```ts
   * const result = await leader.propose(encodeKvCommand({ type: 'put', key: 'x', value: '1' }))
   * ```
   */
  async propose(command: Uint8Array, options: RequestOptions = {}): Promise<unknown> {
    if (!(command instanceof Uint8Array))
      throw new TypeError(`command: expected Uint8Array, got ${typeof command}`)
    const results = await this.proposeBatch([command], options)
    return results[0]
  }

  /**
   * Proposes several commands as one batch (one append, one save). Resolves with
   * the results in order once all are applied. If the batch is overwritten, the
   * rejection's `index` is the first entry that definitely did not commit
   * (commands before it may have).
   *
   * @throws as {@link RaftNode.propose}
   * @example
   * ```ts
   * const [a, b] = await leader.proposeBatch([commandA, commandB])
   * ```
   */
  async proposeBatch(commands: Uint8Array[], options: RequestOptions = {}): Promise<unknown[]> {
    if (!Array.isArray(commands) || commands.some((c) => !(c instanceof Uint8Array)))
      throw new TypeError('commands: expected an array of Uint8Array')
    const timeoutMs = this.timeoutOf(options)
    if (commands.length === 0) return []
    this.assertRunning()
    let last: number
    try {
      last = this.core.proposeBatch(commands)
    } catch (error) {
      throw this.translateDrop(error)
    }
    const first = last - commands.length + 1
    const promise = this.track(first, last, this.core.termAt(last), timeoutMs, 'propose')
    this.kick()
    return promise
  }

  /**
   * A linearizable read point (ReadIndex): resolves once this node's state
   * machine has applied everything committed before the call. Then read the
   * state machine locally. Works on followers (forwarded to the leader, retried
   * within the timeout when lost).
   *
   * @throws {RaftTimeoutError} no confirmed read point within the timeout
   * @throws {StoppedError} the node stopped
   * @example
   * ```ts
   * await node.read()
   * kv.get('x')
   * ```
   */
  async read(options: RequestOptions = {}): Promise<void> {
    const timeoutMs = this.timeoutOf(options)
    this.assertRunning()
    if (this.allReads.size >= MAX_PENDING_READS)
      throw new RangeError(`read: more than ${MAX_PENDING_READS} reads pending`)
    return new Promise<void>((resolve, reject) => {
      let cancelDeadline: () => void = () => {}
      const op: ReadOperation = {
        settled: false,
        requestId: null,
        index: -1,
        cancelAttempt: null,
        finish: (error) => {
          if (op.settled) return
          op.settled = true
          cancelDeadline()
          op.cancelAttempt?.()
          if (op.requestId !== null) this.reads.delete(op.requestId)
          this.allReads.delete(op)
          if (error === undefined) resolve()
          else reject(error)
        },
      }
      this.allReads.add(op)
      cancelDeadline = toCancel(
        this.timers.after(timeoutMs, () => op.finish(new RaftTimeoutError('read', timeoutMs))),
      )
      this.attemptRead(op)
    })
  }

  /**
   * Hands leadership to `to`; resolves once this node sees `to` lead.
   *
   * @throws {NotLeaderError} this node is not the leader
   * @throws {TransferRefusedError} `to` is not a voter
   * @throws {TransferAbortedError} the target did not take over in time, or another node did
   * @throws {RaftTimeoutError} no new leader within the timeout
   * @example
   * ```ts
   * await leader.transferLeadership('b')
   * ```
   */
  async transferLeadership(to: NodeId, options: RequestOptions = {}): Promise<void> {
    const timeoutMs = this.timeoutOf(options)
    this.assertRunning()
    const status = this.core.status()
    if (status.role !== 'leader') throw new NotLeaderError(status.leaderId)
    if (to === this.id) return
    this.core.transferLeadership(to)
    this.kick()
    return new Promise<void>((resolve, reject) => {
      let done = false
      const op: TransferOperation = {
        to,
        finish: (error) => {
          if (done) return
          done = true
          cancel()
          this.transfers.delete(op)
          if (error === undefined) resolve()
          else reject(error)
        },
      }
      const cancel = toCancel(
        this.timers.after(timeoutMs, () => op.finish(new RaftTimeoutError('transferLeadership', timeoutMs))),
      )
      this.transfers.add(op)
    })
  }

  /**
   * Proposes a membership change (see `ConfigChangeRequest` of the core:
   * single-server steps, joint consensus when more than one voter changes).
   * Resolves with the membership of the configuration entry once it is applied here.
   *
   * @throws {NotLeaderError} this node is not the leader (definite)
   * @throws {ConfigChangeRefusedError} the change breaks a rule (another change in flight, ...) (definite)
   * @throws {ProposalOverwrittenError | RaftTimeoutError | StoppedError} as {@link RaftNode.propose}
   * @example
   * ```ts
   * await leader.changeMembership([{ type: 'add-learner', nodeId: 'd' }])
   * await leader.changeMembership([{ type: 'add-voter', nodeId: 'd' }]) // promote
   * ```
   */
  async changeMembership(changes: ConfigChange[], options: RequestOptions = {}): Promise<Membership> {
    if (!Array.isArray(changes)) throw new TypeError('changes: expected an array of ConfigChange')
    const timeoutMs = this.timeoutOf(options)
    this.assertRunning()
    const deadline = { expired: false }
    const cancelDeadline = toCancel(
      this.timers.after(timeoutMs, () => {
        deadline.expired = true
        this.wakeApplyWaiters()
      }),
    )
    let index: number
    try {
      index = await this.proposeConfigChangeOnceTermCommitted(changes, deadline, timeoutMs)
    } finally {
      cancelDeadline()
    }
    const promise = this.track(index, index, this.core.termAt(index), timeoutMs, 'changeMembership')
    this.kick()
    const [result] = await promise
    return result as Membership
  }

  /**
   * Proposes a configuration change; a leader elected moments ago refuses one until it
   * has committed an entry of its term (a round trip), so that refusal is waited out
   * (within the request's timeout) instead of being returned. Other refusals are returned.
   */
  private async proposeConfigChangeOnceTermCommitted(
    changes: ConfigChange[],
    deadline: { expired: boolean },
    timeoutMs: number,
  ): Promise<number> {
    for (;;) {
      try {
        return this.core.proposeConfigChange({ changes })
      } catch (error) {
        if (!ConfigChangeRefusedError.isInstance(error) || error.kind !== 'term-not-committed')
          throw this.translateDrop(error)
      }
      if (deadline.expired) throw new RaftTimeoutError('changeMembership', timeoutMs)
      await new Promise<void>((resolve) => this.applyWaiters.push(resolve))
      this.assertRunning()
      if (deadline.expired) throw new RaftTimeoutError('changeMembership', timeoutMs)
    }
  }

  private wakeApplyWaiters(): void {
    if (this.applyWaiters.length === 0) return
    const waiters = this.applyWaiters
    this.applyWaiters = []
    for (const wake of waiters) wake()
  }

  /**
   * A point-in-time view of this node.
   * @example
   * ```ts
   * node.status().role // 'leader'
   * ```
   */
  status(): RaftNodeStatus {
    const s = this.core.status()
    return {
      id: this.id,
      role: s.role,
      term: s.term,
      leader: s.leaderId,
      commitIndex: s.commit,
      appliedIndex: this.appliedIndex,
      lastIndex: s.lastIndex,
      membership: s.membership,
    }
  }

  /**
   * The error that stopped the node (a failed save, a broken invariant), or undefined.
   * @example
   * ```ts
   * if (node.failure !== undefined) console.error('fail-stop', node.failure)
   * ```
   */
  get failure(): unknown {
    return this.failureCause
  }

  /** True once stopped (by `stop()` or a failure). */
  get isStopped(): boolean {
    return this.stopped
  }

  /**
   * Stops ticking and receiving, rejects every pending request with
   * `StoppedError`, and waits for a Ready being handled to finish. Does not
   * close the transport or the storage (the caller owns them). Idempotent.
   *
   * @example
   * ```ts
   * await node.stop()
   * await storage.close()
   * ```
   */
  async stop(): Promise<void> {
    this.shutdown(new StoppedError())
    await this.idle()
    // a snapshot being written in the background ends before the caller may close the storage
    if (this.snapshotTask !== null) await this.snapshotTask
  }

  // ------------------------------------------------------------ internals

  private timeoutOf(options: RequestOptions | undefined): number {
    const timeoutMs = options?.timeoutMs ?? this.requestTimeoutMs
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs))
      throw new RangeError(`timeoutMs: expected a positive number, got ${String(timeoutMs)}`)
    return timeoutMs
  }

  private assertRunning(): void {
    if (this.stopped) throw new StoppedError(this.failureCause === undefined ? undefined : this.failureCause)
  }

  private translateDrop(error: unknown): unknown {
    if (ProposalDroppedError.isInstance(error) && error.reason === 'not-leader')
      return new NotLeaderError(error.leaderId)
    return error
  }

  /** Tracks the entries first..last (one request) with one deadline. */
  private track(
    first: number,
    last: number,
    term: number,
    timeoutMs: number,
    operation: string,
  ): Promise<unknown[]> {
    return new Promise<unknown[]>((resolve, reject) => {
      let cancel: (() => void) | null = null
      const proposal: Proposal = {
        first,
        last,
        term,
        results: new Array(last - first + 1),
        settled: false,
        finish: (error?: unknown) => {
          if (proposal.settled) return
          proposal.settled = true
          cancel?.()
          this.untrack(proposal)
          if (error === undefined) resolve(proposal.results)
          else reject(error)
        },
      }
      // our log now holds other entries at these indexes: older proposals there can no longer commit
      const proposals = this.proposals
      let at = proposals.length
      while (at > 0 && (proposals[at - 1] as Proposal).last >= first) {
        const existing = proposals[at - 1] as Proposal
        if (existing.first <= last)
          existing.finish(new ProposalOverwrittenError(Math.max(first, existing.first), existing.term, term))
        at--
      }
      if (at === proposals.length) proposals.push(proposal)
      else proposals.splice(at, 0, proposal)
      cancel = toCancel(
        this.timers.after(timeoutMs, () => proposal.finish(new RaftTimeoutError(operation, timeoutMs))),
      )
    })
  }

  private untrack(proposal: Proposal): void {
    const proposals = this.proposals
    if (proposals[0] === proposal) proposals.shift()
    else {
      const at = proposals.lastIndexOf(proposal)
      if (at !== -1) proposals.splice(at, 1)
      else this.strandedProposals.delete(proposal)
    }
  }

  /** Pending proposals whose entries `entries` (a contiguous log slice) replace with another term are overwritten. */
  private settleOverwritten(entries: LogEntry[]): void {
    const proposals = this.proposals
    if (proposals.length === 0 || entries.length === 0) return
    const low = (entries[0] as LogEntry).index
    const high = low + entries.length - 1
    for (let at = proposals.length - 1; at >= 0; at--) {
      const proposal = proposals[at] as Proposal
      if (proposal.last < low) break
      if (proposal.first > high) continue
      const from = Math.max(low, proposal.first)
      const to = Math.min(high, proposal.last)
      // terms never decrease along a log: equal at both ends means equal throughout
      if (
        (entries[from - low] as LogEntry).term === proposal.term &&
        (entries[to - low] as LogEntry).term === proposal.term
      )
        continue
      for (let index = from; index <= to; index++) {
        const entry = entries[index - low] as LogEntry
        if (entry.term !== proposal.term) {
          proposal.finish(new ProposalOverwrittenError(index, proposal.term, entry.term))
          break
        }
      }
    }
  }

  private attemptRead(op: ReadOperation): void {
    if (op.settled || this.stopped) return
    const requestId = `${this.id}:${this.nonce}:${++this.readSequence}`
    op.requestId = requestId
    this.reads.set(requestId, op)
    // a forwarded request or its answer may be lost: retry after an election timeout
    const attemptMs = this.tickMs * this.electionTicks * 2
    op.cancelAttempt = toCancel(
      this.timers.after(attemptMs, () => {
        this.reads.delete(requestId)
        this.attemptRead(op)
      }),
    )
    try {
      this.core.readIndex(requestId)
    } catch (error) {
      this.fail(error)
      return
    }
    this.kick()
  }

  private readDropped(requestId: string): void {
    const op = this.reads.get(requestId)
    if (op === undefined) return
    this.reads.delete(requestId)
    op.cancelAttempt?.()
    // no leader right now: try again shortly (bounded by the read's deadline)
    op.cancelAttempt = toCancel(this.timers.after(this.tickMs * 2, () => this.attemptRead(op)))
  }

  private serveReads(): void {
    if (this.readsAwaitingApply.length === 0) return
    let kept = 0
    for (const op of this.readsAwaitingApply) {
      if (op.settled) continue
      if (op.index <= this.appliedIndex) op.finish()
      else this.readsAwaitingApply[kept++] = op
    }
    this.readsAwaitingApply.length = kept
  }

  private receive(from: NodeId, message: RaftMessage): void {
    if (this.stopped) return
    if (typeof message !== 'object' || message === null || message.from !== from) return
    try {
      this.core.step(message)
      // an acknowledgement may commit entries that are already durable here: apply them now
      if (this.applyWhileSavingUpTo > this.appliedIndex) this.applyWhileSaving()
    } catch (error) {
      this.fail(error)
      return
    }
    this.kick()
  }

  /** Applies committed, locally durable entries while the Ready loop waits for a save. */
  private applyWhileSaving(): void {
    const entries = this.core.takeCommitted(this.appliedIndex, this.applyWhileSavingUpTo)
    if (entries.length === 0) return
    for (const entry of entries) this.apply(entry)
    this.serveReads()
  }

  private tick(): void {
    if (this.stopped) return
    try {
      this.core.tick()
    } catch (error) {
      this.fail(error)
      return
    }
    this.kick()
  }

  private kick(): void {
    if (this.running || this.stopped) return
    void this.runLoop()
  }

  private idle(): Promise<void> {
    if (!this.running) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /**
   * The Ready loop: never runs twice at once; loops while the core has work.
   * Each Ready: incoming snapshot chunks, then one save, then send, then apply,
   * then advance. Only the storage calls are awaited (a Ready without snapshot
   * work costs one await: its save).
   */
  private async runLoop(): Promise<void> {
    this.running = true
    const core = this.core
    const storage = this.storage
    try {
      // The condition is checked after every await: work that arrives while the loop
      // awaits must never be left for the next tick.
      while (!this.stopped && (core.hasReady() || this.snapshotTaken !== null)) {
        if (this.snapshotTaken !== null) {
          // a snapshot of our own became durable: compact up to it between two Readies
          await this.compactTaken()
          continue
        }
        const ready = core.ready()
        // 1-2. incoming snapshot chunks; an installed snapshot becomes durable and current
        if (ready.snapshotAborted || ready.snapshotChunksReceived.length > 0 || ready.snapshot !== null) {
          // a snapshot of our own still being written finishes first: one writer at a time
          if (this.snapshotTask !== null) await this.snapshotTask
          if (this.stopped) return
          await this.writeIncomingSnapshot(ready)
          if (this.stopped) return
        }
        // proposals whose entries this Ready replaces can no longer commit
        this.settleOverwritten(ready.entries)
        const entries = ready.entries
        // Committed entries already on stable storage here (and not replaced by this
        // Ready's entries) need not wait for this Ready's save: apply them first.
        let applied = 0
        if (ready.snapshot === null) {
          const first = entries[0]
          const durable =
            first === undefined ? this.durableIndex : Math.min(this.durableIndex, first.index - 1)
          const committed = ready.committedEntries
          while (applied < committed.length && (committed[applied] as LogEntry).index <= durable)
            this.apply(committed[applied++] as LogEntry)
        }
        // 3. persist: one save per Ready (group commit)
        let hardState = ready.hardState
        if (
          hardState !== null &&
          entries.length === 0 &&
          hardState.term === this.savedHardState.term &&
          hardState.votedFor === this.savedHardState.votedFor
        ) {
          // only the commit index moved: no save of its own (see unsavedHardState)
          this.unsavedHardState = hardState
          hardState = null
        }
        let sentEarly = false
        if (hardState !== null || entries.length > 0) {
          // The leader's appends and heartbeats go out while its own save runs
          // (thesis §10.2.1): the core counts the leader's entries toward commit
          // only once this Ready is advanced, and followers persist before they
          // acknowledge. Only when the term and vote are already durable.
          if (hardState === null) {
            sentEarly = true
            for (const message of ready.messages)
              if (message.type === 'append-entries' || message.type === 'heartbeat') this.send(message)
          }
          hardState ??= this.unsavedHardState
          if (ready.snapshot === null) {
            const first = entries[0]
            this.applyWhileSavingUpTo =
              first === undefined ? this.durableIndex : Math.min(this.durableIndex, first.index - 1)
          }
          try {
            await storage.save(hardState === null ? { entries } : { hardState, entries })
          } finally {
            this.applyWhileSavingUpTo = 0
          }
          if (hardState !== null) this.savedHardState = hardState
          this.unsavedHardState = null
          const last = entries[entries.length - 1]
          if (last !== undefined) this.durableIndex = last.index
          if (this.stopped) return
        }
        // 4. send, only now that it is durable
        if (!sentEarly) for (const message of ready.messages) this.send(message)
        else
          for (const message of ready.messages)
            if (message.type !== 'append-entries' && message.type !== 'heartbeat') this.send(message)
        if (ready.snapshotChunksToSend.length > 0 || ready.snapshot !== null) {
          // 4-5. outgoing snapshot chunks; restore from an installed snapshot
          const completed = await this.sendChunksAndRestore(ready)
          if (!completed || this.stopped) return
        }
        // 5. apply (the rest), serve reads, handle events
        this.applyReady(ready, applied)
        core.advance(ready)
        if (
          this.snapshotEveryEntries > 0 &&
          this.snapshotTask === null &&
          this.incomingWriter === null &&
          this.appliedIndex - this.snapshotIndex >= this.snapshotEveryEntries
        )
          this.startSnapshot()
      }
    } catch (error) {
      this.fail(error)
    } finally {
      this.running = false
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const wake of waiters) wake()
    }
  }

  /** Steps 1 and 2 of a Ready: write incoming snapshot chunks, finish an installed snapshot. */
  private async writeIncomingSnapshot(ready: Ready): Promise<void> {
    const storage = this.storage
    // 1. incoming snapshot chunks
    if (ready.snapshotAborted && this.incomingWriter !== null) {
      const writer = this.incomingWriter
      this.incomingWriter = null
      await writer.abort()
    }
    for (const chunk of ready.snapshotChunksReceived) {
      if (chunk.first) {
        if (this.incomingWriter !== null) {
          const writer = this.incomingWriter
          this.incomingWriter = null
          await writer.abort()
        }
        this.incomingWriter = await storage.beginSnapshot(chunk.meta)
      }
      if (this.incomingWriter === null)
        throw new RaftInvariantError(`snapshot chunk at offset ${chunk.offset} arrived with no transfer open`)
      await this.incomingWriter.write(chunk.offset, chunk.data)
    }
    // 2. an installed snapshot becomes durable and current
    if (ready.snapshot !== null) {
      const writer = this.incomingWriter
      if (writer === null)
        throw new RaftInvariantError(`snapshot ${ready.snapshot.index} installed with no transfer open`)
      this.incomingWriter = null
      await writer.finish()
      this.snapshotIndex = ready.snapshot.index
      // the stored log may keep entries after the snapshot, but none is counted on here
      this.durableIndex = ready.snapshot.index
    }
  }

  /** Sends the Ready's snapshot chunks and restores an installed snapshot; false when the node stopped midway. */
  private async sendChunksAndRestore(ready: Ready): Promise<boolean> {
    const storage = this.storage
    for (const chunk of ready.snapshotChunksToSend) {
      const message = chunk.message
      if (message.meta.index !== this.snapshotIndex) continue
      const data = await storage.readSnapshot(message.offset, chunk.length)
      if (this.stopped) return false
      this.send({ ...message, data })
    }
    if (ready.snapshot !== null) {
      const data = await readWholeSnapshot(storage, ready.snapshot.sizeBytes)
      if (this.stopped) return false
      this.stateMachine.restore(data)
      this.appliedIndex = ready.snapshot.index
    }
    return true
  }

  /** Step 5 of a Ready (after any snapshot restore): apply, serve reads, handle events. */
  private applyReady(ready: Ready, from: number): void {
    const committed = ready.committedEntries
    for (let i = from; i < committed.length; i++) this.apply(committed[i] as LogEntry)
    for (const state of ready.readStates) {
      const op = this.reads.get(state.requestId)
      if (op === undefined || op.settled) continue
      this.reads.delete(state.requestId)
      op.cancelAttempt?.()
      op.cancelAttempt = null
      op.requestId = null
      op.index = state.index
      this.readsAwaitingApply.push(op)
    }
    this.serveReads()
    this.wakeApplyWaiters()
    for (const event of ready.events) {
      if (event.type === 'read-index-dropped') this.readDropped(event.requestId)
      else if (event.type === 'leadership-transfer-aborted') {
        for (const op of [...this.transfers])
          if (op.to === event.to) op.finish(new TransferAbortedError(event.to))
      } else if (event.type === 'leader-changed' && event.leaderId !== null) {
        for (const op of [...this.transfers]) {
          if (op.to === event.leaderId) op.finish()
          else if (event.leaderId !== this.id) op.finish(new TransferAbortedError(op.to))
        }
      }
    }
  }

  private apply(entry: LogEntry): void {
    if (entry.index <= this.appliedIndex) return
    if (entry.index !== this.appliedIndex + 1)
      throw new RaftInvariantError(`apply: expected entry ${this.appliedIndex + 1}, got ${entry.index}`)
    let result: unknown
    if (entry.kind === 'normal') result = this.stateMachine.apply(entry.data, entry.index)
    else if (entry.kind === 'config') result = decodeMembership(entry.data)
    this.appliedIndex = entry.index
    const proposals = this.proposals
    let proposal = proposals[0]
    // proposals wholly below this index will never see their entries applied (a snapshot skipped them)
    while (proposal !== undefined && proposal.last < entry.index) {
      proposals.shift()
      this.strandedProposals.add(proposal)
      proposal = proposals[0]
    }
    if (proposal === undefined || proposal.first > entry.index) return
    if (proposal.term !== entry.term)
      proposal.finish(new ProposalOverwrittenError(entry.index, proposal.term, entry.term))
    else {
      proposal.results[entry.index - proposal.first] = result
      if (entry.index === proposal.last) proposal.finish()
    }
  }

  private send(message: RaftMessage): void {
    try {
      this.transport.send(message.to, message)
    } catch {
      // a closed transport or an unknown peer: Raft retries, nothing to do
    }
  }

  /**
   * Takes a snapshot of the state machine as of `appliedIndex` and writes it in the
   * background, so the Ready loop keeps saving and sending meanwhile (the write ends
   * with fsyncs and a rename). The state machine's bytes are taken now, synchronously;
   * once they are durable, the loop compacts the core at its next safe point.
   */
  private startSnapshot(): void {
    const index = this.appliedIndex
    let meta: SnapshotMeta
    try {
      meta = this.core.snapshotMeta(index, 0)
    } catch (error) {
      // the core installed a newer snapshot from the leader, not yet restored here: skip this one
      if (CompactRefusedError.isInstance(error)) return
      throw error
    }
    // A node that joined an existing cluster does not know the founders' initial
    // configuration (it is not a log entry): before the first configuration entry
    // of its log the core reports an empty membership, which no peer could install.
    // Such a snapshot is skipped; the next one after that entry is taken.
    if (meta.membership.voters.length === 0) return
    const data = this.stateMachine.snapshot()
    meta = { ...meta, sizeBytes: data.length }
    const task = this.writeSnapshot(meta, data).then(
      (written) => {
        this.snapshotTask = null
        if (!written) return
        this.snapshotIndex = Math.max(this.snapshotIndex, meta.index)
        this.snapshotTaken = meta
        this.kick()
      },
      (error: unknown) => {
        this.snapshotTask = null
        this.fail(error)
      },
    )
    this.snapshotTask = task
  }

  /** Writes a snapshot of our own; false when an incoming snapshot superseded it or the node stopped. */
  private async writeSnapshot(meta: SnapshotMeta, data: Uint8Array): Promise<boolean> {
    const writer = await this.storage.beginSnapshot(meta)
    try {
      for (let offset = 0; offset < data.length; offset += SNAPSHOT_IO_CHUNK_BYTES) {
        if (this.stopped) {
          await writer.abort()
          return false
        }
        await writer.write(offset, data.subarray(offset, offset + SNAPSHOT_IO_CHUNK_BYTES))
      }
      await writer.finish()
    } catch (error) {
      // superseded by an incoming snapshot, or ended by stop/close: nothing of ours to keep
      if (
        SnapshotWriterClosedError.isInstance(error) ||
        (this.stopped && StorageClosedError.isInstance(error))
      )
        return false
      throw error
    }
    return !this.stopped
  }

  /** Compacts the core and the storage up to a snapshot of our own that is now durable. */
  private async compactTaken(): Promise<void> {
    const meta = this.snapshotTaken
    if (meta === null) return
    this.snapshotTaken = null
    try {
      this.core.compact(meta)
    } catch (error) {
      // a newer snapshot from the leader was installed meanwhile: it supersedes this one
      if (!CompactRefusedError.isInstance(error)) throw error
    }
    await this.storage.compact(meta.index)
  }

  private shutdown(error: StoppedError): void {
    if (this.stopped) return
    this.stopped = true
    this.cancelTicker()
    this.unsubscribe()
    const proposals = [...this.proposals, ...this.strandedProposals]
    for (const proposal of proposals) proposal.finish(error)
    for (const op of [...this.allReads]) op.finish(error)
    this.readsAwaitingApply.length = 0
    for (const op of [...this.transfers]) op.finish(error)
    this.wakeApplyWaiters()
  }

  private fail(error: unknown): void {
    if (this.stopped) return
    this.failureCause = error
    this.shutdown(new StoppedError(error))
  }
}

async function readWholeSnapshot(storage: RaftStorage, sizeBytes: number): Promise<Uint8Array> {
  const data = new Uint8Array(sizeBytes)
  let offset = 0
  while (offset < sizeBytes) {
    const chunk = await storage.readSnapshot(offset, Math.min(SNAPSHOT_IO_CHUNK_BYTES, sizeBytes - offset))
    if (chunk.length === 0)
      throw new RaftInvariantError(`snapshot data ends at byte ${offset}, expected ${sizeBytes} bytes`)
    data.set(chunk, offset)
    offset += chunk.length
  }
  return data
}
