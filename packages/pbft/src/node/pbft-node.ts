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
  StableCheckpoint,
} from '../core/types.js'

/**
 * Where a replica's hard state lives. `save` must make the state durable
 * before it returns (write and fsync): messages are sent right after it.
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
  save(state: PbftHardState): void
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

  /** Stops ticking and listening. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.stopTicking()
    this.stopListening()
  }

  /** Persist, then send, then advance, then apply (and again while the replica has more). */
  private drain(): void {
    while (this.replica.hasReady()) {
      const ready = this.replica.ready()
      if (ready.persist) {
        this.hardState = applyPersist(this.replica.id, this.hardState, ready.persist)
        this.options.store.save(this.hardState)
      }
      for (const { to, message } of ready.messages) this.sendQuietly(to, message)
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
