/**
 * The driver that binds a `PbftReplica` to a `Transport`, a hard-state store
 * and a clock, in the order PBFT needs: persist, then send, then advance.
 * It is synchronous (the store must be durable when `save` returns), so the
 * same driver runs on a real network with `setInterval` and in `@synod/sim`
 * with its virtual clock and disks.
 */
import type { NodeId, Transport } from '@synod/transport'
import { applyCommands, type PbftApplication } from '../application.js'
import type { ClientRequest, PbftMessage } from '../core/messages.js'
import { applyPersist, PbftReplica } from '../core/replica.js'
import type {
  ExecutedBatch,
  PbftEvent,
  PbftHardState,
  PbftReplicaOptions,
  PersistUpdate,
  StableCheckpoint,
} from '../core/types.js'

/**
 * Where a replica's hard state lives. `save` must make the state durable
 * before it returns (write and fsync): messages are sent right after it.
 * It gets both the whole folded state and the increment since the previous
 * save: a simple store rewrites the state, a log appends the increment
 * (`FileHardStateStore`).
 *
 * @example
 * ```ts
 * const store: HardStateStore = {
 *   load: () => (existsSync(path) ? decodeHardState(readFileSync(path)) : undefined),
 *   save: (state) => writeFileSyncAndFsync(path, encodeHardState(state)),
 * }
 * ```
 */
export interface HardStateStore {
  load(): PbftHardState | undefined
  save(state: PbftHardState, update: PersistUpdate): void
}

/**
 * A store that can buffer several increments and make them durable with one
 * fsync: what `PbftNode`'s `groupCommit` option needs.
 *
 * @example
 * ```ts
 * store.write(state1, update1)
 * store.write(state2, update2)
 * store.sync() // one fsync for both
 * ```
 */
export interface GroupCommitStore extends HardStateStore {
  /** Buffers an increment; it is durable only after `sync()`. */
  write(state: PbftHardState, update: PersistUpdate): void
  /** Makes everything written so far durable. */
  sync(): void
}

/**
 * Options of a `PbftNode`: the replica's options (minus `restore`, which comes
 * from the store) and its surroundings.
 *
 * @example
 * ```ts
 * new PbftNode({ ...replicaOptions, transport, store, every: (ms, fn) => { const t = setInterval(fn, ms); return () => clearInterval(t) } })
 * ```
 */
export interface PbftNodeOptions extends Omit<PbftReplicaOptions, 'restore'> {
  readonly transport: Transport<PbftMessage>
  readonly store: HardStateStore
  /**
   * Group commit: with a `GroupCommitStore`, increments are buffered and every
   * message is held until one `sync()` covers them all; `groupCommit(flush)`
   * must call `flush` soon (e.g. `(flush) => setImmediate(flush)`), so inputs
   * that arrive meanwhile share the fsync. Without it, every `Ready` is saved
   * (and fsynced) on its own before its messages go out.
   */
  readonly groupCommit?: (flush: () => void) => void
  /** The replicated state machine (synchronous and deterministic). */
  readonly application: PbftApplication
  /** Calls `callback` every `ms` milliseconds until the returned function is called. */
  readonly every: (ms: number, callback: () => void) => () => void
  /** Milliseconds per tick. Default 50. */
  readonly tickMs?: number
  /** Called with every batch this replica executed (in order), e.g. to store blocks. */
  readonly onExecuted?: (batch: ExecutedBatch) => void
  /** Called with every newly stable checkpoint. */
  readonly onCheckpoint?: (checkpoint: StableCheckpoint) => void
  /** Called with every event. */
  readonly onEvent?: (event: PbftEvent) => void
}

/**
 * A running PBFT replica.
 *
 * @example
 * ```ts
 * const node = new PbftNode({
 *   id: 'r0', replicas, crypto, application, clients: { kind: 'any-key' },
 *   transport, store,
 *   every: (ms, fn) => { const timer = setInterval(fn, ms); return () => clearInterval(timer) },
 * })
 * // later
 * node.close()
 * ```
 */
export class PbftNode {
  readonly replica: PbftReplica
  private readonly options: PbftNodeOptions
  private hardState: PbftHardState | undefined
  private readonly stopTicking: () => void
  private readonly stopListening: () => void
  private closed = false
  /** Messages waiting for the group's fsync, in order. */
  private held: { to: NodeId; message: PbftMessage }[] = []
  private flushScheduled = false

  constructor(options: PbftNodeOptions) {
    this.options = options
    this.hardState = options.store.load()
    const {
      transport: _transport,
      store: _store,
      application: _application,
      every,
      tickMs,
      onExecuted: _onExecuted,
      onCheckpoint: _onCheckpoint,
      onEvent: _onEvent,
      groupCommit: _groupCommit,
      ...rest
    } = options
    this.replica = new PbftReplica({ ...rest, ...(this.hardState ? { restore: this.hardState } : {}) })
    this.stopListening = options.transport.onMessage((from, message) => {
      if (this.closed) return
      this.replica.step(from, message)
      this.drain()
    })
    this.stopTicking = every(tickMs ?? 50, () => {
      if (this.closed) return
      this.replica.tick()
      this.drain()
    })
    this.drain()
  }

  /** Submits a client request received outside the transport (an HTTP API, say). */
  request(request: ClientRequest): void {
    if (this.closed) return
    this.replica.request(request)
    this.drain()
  }

  /**
   * Stops ticking and listening. With group commit, what is buffered is
   * synced and the held messages are dropped (PBFT retransmits). Idempotent.
   */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.stopTicking()
    this.stopListening()
    if (this.held.length > 0 || this.flushScheduled) (this.options.store as GroupCommitStore).sync()
    this.held = []
  }

  /** Makes the group durable with one fsync, then sends what it held back. */
  private flush(): void {
    this.flushScheduled = false
    if (this.closed) return
    ;(this.options.store as GroupCommitStore).sync()
    const held = this.held
    this.held = []
    for (const { to, message } of held) this.sendQuietly(to, message)
  }

  /** Persist, then send, then advance, then apply (and again while the replica has more). */
  private drain(): void {
    const store = this.options.store
    const group =
      this.options.groupCommit !== undefined && 'write' in store && 'sync' in store
        ? (store as GroupCommitStore)
        : undefined
    while (this.replica.hasReady()) {
      const ready = this.replica.ready()
      if (ready.persist) {
        this.hardState = applyPersist(this.replica.id, this.hardState, ready.persist)
        if (group === undefined) store.save(this.hardState, ready.persist)
        else {
          group.write(this.hardState, ready.persist)
          if (!this.flushScheduled) {
            this.flushScheduled = true
            this.options.groupCommit!(() => this.flush())
          }
        }
      }
      // while a group is open, everything waits for its fsync (and keeps its order)
      if (this.flushScheduled) this.held.push(...ready.messages)
      else for (const { to, message } of ready.messages) this.sendQuietly(to, message)
      this.replica.advance()
      for (const batch of ready.executed) this.options.onExecuted?.(batch)
      for (const checkpoint of ready.checkpoints) this.options.onCheckpoint?.(checkpoint)
      for (const event of ready.events) this.options.onEvent?.(event)
      applyCommands(this.replica, this.options.application, ready.apply)
    }
  }

  private sendQuietly(to: NodeId, message: PbftMessage): void {
    try {
      this.options.transport.send(to, message)
    } catch {
      // a closed transport or an unknown peer: PBFT retransmits, so a lost send is just a loss
    }
  }
}
