/**
 * Consistent global snapshots (Chandy and Lamport 1985) as a pure state
 * machine, over reliable FIFO channels that it builds itself on a transport
 * that may lose, duplicate and reorder messages.
 *
 * Inputs: `send(to, payload)`, `startSnapshot(id)`, `step(from, message)`,
 * `tick()`. Outputs, collected until `ready()`: wire messages, finished
 * snapshots, events. Two synchronous callbacks join it to the application:
 * `deliver(from, payload)` (each application message, once, in FIFO order per
 * sender) and `captureState()` (the application's state, as bytes). No timers,
 * clocks, randomness, Promises or I/O: time is counted in ticks.
 */
import type { NodeId } from '@synod/transport'
import { ChannelFullError, DuplicateSnapshotError, TooManySnapshotsError } from '../errors.js'
import {
  boundedBytes,
  boundedString,
  describe,
  functionOption,
  integerOption,
  optionsObject,
} from '../validate.js'
import { type ChannelLimits, IncomingChannel, OutgoingChannel } from './channel.js'
import type {
  ChannelState,
  Frame,
  FrameBody,
  GlobalSnapshot,
  SnapshotEvent,
  SnapshotFailure,
  SnapshotMessage,
  SnapshotPart,
  SnapshotReady,
} from './types.js'

/**
 * The most members a snapshot group may have.
 *
 * @example
 * ```ts
 * if (members.length > MAX_MEMBERS) throw new RangeError('too many members')
 * ```
 */
export const MAX_MEMBERS = 1_024
/**
 * The longest process id or snapshot id, in UTF-8 bytes.
 *
 * @example
 * ```ts
 * const id = name.slice(0, MAX_ID_BYTES / 4) // fits whatever the characters
 * ```
 */
export const MAX_ID_BYTES = 256
const MAX_EVENTS = 1_024
/** How many finished snapshot ids a process remembers, to refuse a reused id. */
const REMEMBERED_IDS = 4_096

/**
 * Options of {@link SnapshotCore}. Every limit is per process.
 *
 * @example
 * ```ts
 * const options: SnapshotCoreOptions = {
 *   id: 'a',
 *   members: ['a', 'b', 'c'],
 *   captureState: () => Uint8Array.of(balance),
 *   deliver: (from, payload) => { balance += payload[0] ?? 0 },
 * }
 * ```
 */
export interface SnapshotCoreOptions {
  /** This process's id: one of `members`. */
  id: NodeId
  /** Every process, this one included; every ordered pair of distinct members is a channel. */
  members: readonly NodeId[]
  /**
   * Returns this process's application state, synchronously. Called when the
   * process records its part of a snapshot: after every application message
   * delivered so far, before any delivered later. Must not call the core.
   */
  captureState: () => Uint8Array
  /**
   * Receives each application message exactly once, in the order its sender
   * sent it. The application must apply it before returning (a state captured
   * later must reflect it). It may call `send`. Must not mutate `payload`.
   */
  deliver: (from: NodeId, payload: Uint8Array) => void
  /** Ticks before an unacknowledged frame is sent again (default 2). */
  retransmitTicks?: number
  /** The retransmission timeout doubles while nothing is acknowledged, up to this (default 32). */
  maxRetransmitTicks?: number
  /** Frames in flight per channel, at most: the send window (default 128). */
  maxInFlightFrames?: number
  /** Application messages held per channel (in flight plus waiting); `send` throws `ChannelFullError` beyond (default 1,024). */
  maxQueuedFrames?: number
  /** Frames buffered per channel ahead of a gap; later ones are dropped and resent (default 256). */
  maxReorderFrames?: number
  /** Frames per wire message, at most (default 64). */
  maxFramesPerMessage?: number
  /** The largest application message, in bytes (default 1 MiB). */
  maxPayloadBytes?: number
  /** The largest recorded state, in bytes (default 16 MiB). */
  maxStateBytes?: number
  /** Snapshots this process may start while others are in progress here (default 8). */
  maxActiveSnapshots?: number
  /** Bytes of in-flight messages one process records for one snapshot; beyond, the snapshot fails (default 16 MiB). */
  maxRecordedBytes?: number
  /**
   * For tests only: on a snapshot's first marker the process forwards markers
   * but records its state only after delivering one more application message.
   * This breaks consistency; it exists so tests can show that the checks catch it.
   */
  unsafeLateRecording?: boolean
}

/** A process's part of one snapshot while it records. */
interface Recording {
  initiator: NodeId
  snapshotId: string
  state: Uint8Array | undefined
  /** Incoming channels whose marker has not arrived yet: their messages are recorded. */
  open: Set<NodeId>
  messages: Map<NodeId, Uint8Array[]>
  recordedBytes: number
  overflowed: boolean
}

/** What an initiator gathers for one of its snapshots. */
interface Collection {
  snapshotId: string
  parts: Map<NodeId, SnapshotPart>
}

function keyOf(initiator: NodeId, snapshotId: string): string {
  return `${initiator}\u0000${snapshotId}`
}

/**
 * Chandy–Lamport snapshots over reliable FIFO channels, as a pure state
 * machine. A driver feeds it wire messages and ticks and carries out what
 * `ready()` returns; {@link SnapshotNode} is that driver for any `Transport`.
 *
 * @example
 * ```ts
 * let balance = 100
 * const core = new SnapshotCore({
 *   id: 'a',
 *   members: ['a', 'b'],
 *   captureState: () => Uint8Array.of(balance),
 *   deliver: (_from, payload) => { balance += payload[0] ?? 0 },
 * })
 * balance -= 10
 * core.send('b', Uint8Array.of(10))
 * core.startSnapshot('s1')
 * const { messages } = core.ready() // the transfer, then the marker, to b
 * // deliver them to b's core with b.step('a', message), feed b's replies back, call tick() every tick…
 * ```
 */
export class SnapshotCore {
  readonly id: NodeId
  readonly members: readonly NodeId[]
  /** The other members, in member order. */
  readonly peers: readonly NodeId[]
  private readonly captureState: () => Uint8Array
  private readonly deliver: (from: NodeId, payload: Uint8Array) => void
  private readonly outgoing = new Map<NodeId, OutgoingChannel>()
  private readonly incoming = new Map<NodeId, IncomingChannel>()
  private readonly recordings = new Map<string, Recording>()
  private readonly collections = new Map<string, Collection>()
  /** Keys of snapshots whose part this process finished, oldest first (bounded). */
  private readonly finished = new Set<string>()
  private readonly maxFramesPerMessage: number
  private readonly maxQueuedFrames: number
  private readonly maxPayloadBytes: number
  private readonly maxStateBytes: number
  private readonly maxActiveSnapshots: number
  private readonly maxRecordedBytes: number
  private readonly unsafeLateRecording: boolean
  private nowTick = 0
  private capturing = false
  private parts: SnapshotPart[] = []
  private completed: GlobalSnapshot[] = []
  private failed: SnapshotFailure[] = []
  private events: SnapshotEvent[] = []
  private droppedEvents = 0

  /**
   * @throws {TypeError} / {RangeError} for bad options, with the option named
   */
  constructor(options: SnapshotCoreOptions) {
    optionsObject('options', options)
    this.id = boundedString('id', options.id, MAX_ID_BYTES)
    const members = options.members
    if (!Array.isArray(members)) throw new TypeError(`members: expected an array, got ${describe(members)}`)
    if (members.length === 0 || members.length > MAX_MEMBERS)
      throw new RangeError(`members: expected 1 to ${MAX_MEMBERS} ids, got ${members.length}`)
    const seen = new Set<string>()
    members.forEach((member, i) => {
      boundedString(`members[${i}]`, member, MAX_ID_BYTES)
      if (seen.has(member)) throw new RangeError(`members: duplicate id ${describe(member)}`)
      seen.add(member)
    })
    if (!seen.has(this.id)) throw new RangeError(`members: expected to include id ${describe(this.id)}`)
    this.members = [...members]
    this.peers = this.members.filter((member) => member !== this.id)
    this.captureState = functionOption('captureState', options.captureState)
    this.deliver = functionOption('deliver', options.deliver)
    const retransmitTicks = integerOption('retransmitTicks', options.retransmitTicks, 2, [1, 1_000_000])
    const limits: ChannelLimits = {
      retransmitTicks,
      maxRetransmitTicks: integerOption(
        'maxRetransmitTicks',
        options.maxRetransmitTicks,
        Math.max(32, retransmitTicks),
        [retransmitTicks, 1_000_000],
      ),
      maxInFlightFrames: integerOption('maxInFlightFrames', options.maxInFlightFrames, 128, [1, 65_536]),
      maxQueuedFrames: integerOption('maxQueuedFrames', options.maxQueuedFrames, 1_024, [1, 1_048_576]),
      maxReorderFrames: integerOption('maxReorderFrames', options.maxReorderFrames, 256, [1, 65_536]),
    }
    this.maxQueuedFrames = limits.maxQueuedFrames
    this.maxFramesPerMessage = integerOption(
      'maxFramesPerMessage',
      options.maxFramesPerMessage,
      64,
      [1, 4_096],
    )
    this.maxPayloadBytes = integerOption('maxPayloadBytes', options.maxPayloadBytes, 1 << 20, [0, 1 << 30])
    this.maxStateBytes = integerOption('maxStateBytes', options.maxStateBytes, 16 << 20, [0, 1 << 30])
    this.maxActiveSnapshots = integerOption('maxActiveSnapshots', options.maxActiveSnapshots, 8, [1, 1_024])
    this.maxRecordedBytes = integerOption('maxRecordedBytes', options.maxRecordedBytes, 16 << 20, [
      0,
      1 << 30,
    ])
    this.unsafeLateRecording = options.unsafeLateRecording === true
    for (const peer of this.peers) {
      this.outgoing.set(peer, new OutgoingChannel(limits))
      this.incoming.set(peer, new IncomingChannel(limits))
    }
  }

  /** Ticks so far. */
  get ticks(): number {
    return this.nowTick
  }

  /** Snapshots this process records or collects right now. */
  get activeSnapshots(): number {
    let count = this.recordings.size
    for (const key of this.collections.keys()) if (!this.recordings.has(key)) count++
    return count
  }

  /**
   * Application messages to `to` held by the channel (in flight plus waiting):
   * `send` throws `ChannelFullError` when this reaches `maxQueuedFrames`.
   * @throws {TypeError} / {RangeError} when `to` is not a peer
   * @example
   * ```ts
   * if (core.queuedFrames('b') < 1_000) core.send('b', payload)
   * ```
   */
  queuedFrames(to: NodeId): number {
    return this.outgoingTo('to', to).queuedAppFrames
  }

  /**
   * Sends an application message to `to` on the reliable FIFO channel. The
   * payload is copied. It goes out at the next `ready()`.
   * @throws {TypeError} / {RangeError} for a bad peer or payload
   * @throws {ChannelFullError} when `maxQueuedFrames` messages to `to` are unacknowledged
   * @example
   * ```ts
   * core.send('b', new TextEncoder().encode('hello'))
   * ```
   */
  send(to: NodeId, payload: Uint8Array): void {
    const channel = this.outgoingTo('to', to)
    boundedBytes('payload', payload, this.maxPayloadBytes)
    if (channel.isFull()) throw new ChannelFullError(to, this.maxQueuedFrames)
    channel.push({ kind: 'app', payload: payload.slice() }, this.nowTick)
  }

  /**
   * Starts a snapshot: records this process's state now and sends a marker on
   * every outgoing channel. It completes in a later `ready().completed` (or
   * `failed`) once every process's part has arrived here.
   * @param snapshotId unique among this process's snapshots: 1 to 256 UTF-8 bytes
   * @throws {TypeError} / {RangeError} for a bad id
   * @throws {DuplicateSnapshotError} when this process already used `snapshotId`
   * @throws {TooManySnapshotsError} when `maxActiveSnapshots` are in progress here
   * @example
   * ```ts
   * core.startSnapshot('nightly-42')
   * ```
   */
  startSnapshot(snapshotId: string): void {
    boundedString('snapshotId', snapshotId, MAX_ID_BYTES)
    if (this.capturing) throw new Error('startSnapshot: called from captureState')
    const key = keyOf(this.id, snapshotId)
    if (this.collections.has(key) || this.recordings.has(key) || this.finished.has(key))
      throw new DuplicateSnapshotError(snapshotId)
    if (this.activeSnapshots >= this.maxActiveSnapshots)
      throw new TooManySnapshotsError(this.maxActiveSnapshots)
    this.collections.set(key, { snapshotId, parts: new Map() })
    this.beginRecording(this.id, snapshotId, undefined)
  }

  /**
   * Stops collecting a snapshot this process started (its parts are ignored
   * when they arrive); the other processes still finish their parts. Returns
   * the processes whose parts were missing, or `undefined` for an unknown id.
   * @example
   * ```ts
   * const missing = core.abandonSnapshot('s1') // ['c']
   * ```
   */
  abandonSnapshot(snapshotId: string): NodeId[] | undefined {
    const collection = this.collections.get(keyOf(this.id, snapshotId))
    if (collection === undefined) return undefined
    this.collections.delete(keyOf(this.id, snapshotId))
    return this.members.filter((member) => !collection.parts.has(member))
  }

  /**
   * Takes in a wire message from `from`. Malformed or unexpected messages are
   * ignored (reported in `events`), never thrown: the network is not trusted.
   * @example
   * ```ts
   * transport.onMessage((from, message) => core.step(from, message))
   * ```
   */
  step(from: NodeId, message: SnapshotMessage): void {
    const out = this.outgoing.get(from)
    const incoming = this.incoming.get(from)
    if (out === undefined || incoming === undefined) {
      this.emit({ type: 'message-ignored', from: String(from), reason: 'sender is not a peer' })
      return
    }
    const problem = wireProblem(message)
    if (problem !== undefined) {
      this.emit({ type: 'message-ignored', from, reason: problem })
      return
    }
    if (!out.acknowledge(message.ack, this.nowTick)) {
      this.emit({ type: 'message-ignored', from, reason: `ack ${message.ack} of a frame never sent` })
      return
    }
    if (message.kind === 'ack') return
    for (const frame of message.frames) {
      const arrival = incoming.arrive(frame)
      if (arrival !== 'buffered') this.emit({ type: 'frame-dropped', from, seq: frame.seq, reason: arrival })
    }
    this.drain(from, incoming)
  }

  /**
   * Advances time by one tick: unacknowledged frames whose timeout passed are
   * queued for resending, and channels held up by the snapshot limit retry.
   * @example
   * ```ts
   * setInterval(() => { core.tick(); flush() }, 10)
   * ```
   */
  tick(): void {
    this.nowTick++
    for (const [peer, channel] of this.outgoing) {
      const frames = channel.tick(this.nowTick)
      if (frames > 0) this.emit({ type: 'retransmitted', to: peer, frames })
    }
    for (const [peer, channel] of this.incoming) this.drain(peer, channel)
  }

  /**
   * True when `ready()` has something to hand out.
   * @example
   * ```ts
   * while (core.hasReady()) carryOut(core.ready())
   * ```
   */
  hasReady(): boolean {
    if (this.parts.length + this.completed.length + this.failed.length + this.events.length > 0) return true
    for (const peer of this.peers) {
      if ((this.outgoing.get(peer) as OutgoingChannel).hasTransmit()) return true
      if ((this.incoming.get(peer) as IncomingChannel).ackDue) return true
    }
    return false
  }

  /**
   * Hands out everything produced since the last call (see {@link SnapshotReady}
   * for what to do with it). Acknowledgements ride on outgoing frames, or go
   * alone when there are none.
   * @example
   * ```ts
   * const ready = core.ready()
   * for (const { to, message } of ready.messages) transport.send(to, message)
   * ```
   */
  ready(): SnapshotReady {
    const messages: SnapshotReady['messages'] = []
    for (const peer of this.peers) {
      const out = this.outgoing.get(peer) as OutgoingChannel
      const incoming = this.incoming.get(peer) as IncomingChannel
      const frames = out.takeTransmit()
      for (let i = 0; i < frames.length; i += this.maxFramesPerMessage) {
        const batch = frames.slice(i, i + this.maxFramesPerMessage)
        messages.push({ to: peer, message: { kind: 'frames', ack: incoming.ack, frames: batch } })
      }
      if (frames.length === 0 && incoming.ackDue)
        messages.push({ to: peer, message: { kind: 'ack', ack: incoming.ack } })
      incoming.ackDue = false
    }
    const ready: SnapshotReady = {
      messages,
      parts: this.parts,
      completed: this.completed,
      failed: this.failed,
      events: this.events,
      droppedEvents: this.droppedEvents,
    }
    this.parts = []
    this.completed = []
    this.failed = []
    this.events = []
    this.droppedEvents = 0
    return ready
  }

  /** Hands over every in-order frame from `from`, stopping at a marker the snapshot limit holds back. */
  private drain(from: NodeId, channel: IncomingChannel): void {
    for (let body = channel.peek(); body !== undefined; body = channel.peek()) {
      if (body.kind === 'marker' && !this.canTakeMarker(body.initiator, body.snapshotId)) return
      channel.advance()
      this.process(from, body)
    }
  }

  /**
   * A marker of a snapshot new here waits while this process takes part in
   * `maxActiveSnapshots × members` snapshots: a bound no run reaches when
   * every process has the same limits, since each initiator has at most
   * `maxActiveSnapshots` unfinished snapshots.
   */
  private canTakeMarker(initiator: NodeId, snapshotId: string): boolean {
    const key = keyOf(initiator, snapshotId)
    if (this.recordings.has(key) || this.finished.has(key)) return true
    return this.recordings.size < this.maxActiveSnapshots * this.members.length
  }

  private process(from: NodeId, body: FrameBody): void {
    switch (body.kind) {
      case 'app':
        this.receiveApp(from, body.payload)
        return
      case 'marker':
        this.receiveMarker(from, body.initiator, body.snapshotId)
        return
      case 'part':
        this.receivePart(from, body)
        return
    }
  }

  private receiveApp(from: NodeId, payload: Uint8Array): void {
    for (const recording of this.recordings.values()) {
      if (!recording.open.has(from) || recording.overflowed) continue
      recording.recordedBytes += payload.length
      if (recording.recordedBytes > this.maxRecordedBytes) {
        recording.overflowed = true
        recording.messages.clear()
      } else (recording.messages.get(from) as Uint8Array[]).push(payload)
    }
    this.deliver(from, payload)
    if (this.unsafeLateRecording)
      for (const recording of this.recordings.values())
        if (recording.state === undefined) {
          recording.state = this.capture()
          this.finishIfDone(recording)
        }
  }

  private receiveMarker(from: NodeId, initiator: NodeId, snapshotId: string): void {
    const key = keyOf(initiator, snapshotId)
    if (this.finished.has(key)) {
      this.emit({ type: 'message-ignored', from, reason: `marker of finished snapshot "${snapshotId}"` })
      return
    }
    const recording = this.recordings.get(key)
    if (recording === undefined) {
      this.beginRecording(initiator, snapshotId, from)
      return
    }
    recording.open.delete(from)
    this.finishIfDone(recording)
  }

  private receivePart(from: NodeId, body: FrameBody & { kind: 'part' }): void {
    const key = keyOf(this.id, body.snapshotId)
    const collection = this.collections.get(key)
    if (collection === undefined || collection.parts.has(from)) {
      this.emit({ type: 'message-ignored', from, reason: `part of unknown snapshot "${body.snapshotId}"` })
      return
    }
    this.collect(key, collection, from, {
      initiator: this.id,
      snapshotId: body.snapshotId,
      overflowed: body.overflowed,
      state: body.state,
      channels: body.channels,
    })
  }

  /** Records this process's state (unless recording late), opens every incoming channel but `from`'s, sends markers. */
  private beginRecording(initiator: NodeId, snapshotId: string, from: NodeId | undefined): Recording {
    const late = this.unsafeLateRecording && from !== undefined
    const recording: Recording = {
      initiator,
      snapshotId,
      state: late ? undefined : this.capture(),
      open: new Set(this.peers.filter((peer) => peer !== from)),
      messages: new Map(this.peers.map((peer) => [peer, []])),
      recordedBytes: 0,
      overflowed: false,
    }
    this.recordings.set(keyOf(initiator, snapshotId), recording)
    if (recording.state !== undefined) this.emit({ type: 'state-recorded', initiator, snapshotId })
    for (const channel of this.outgoing.values())
      channel.push({ kind: 'marker', initiator, snapshotId }, this.nowTick)
    this.finishIfDone(recording)
    return recording
  }

  private capture(): Uint8Array {
    this.capturing = true
    let state: unknown
    try {
      state = this.captureState()
    } finally {
      this.capturing = false
    }
    return boundedBytes('captureState()', state, this.maxStateBytes)
  }

  /** A part is done when every incoming channel's marker arrived: it goes to the initiator. */
  private finishIfDone(recording: Recording): void {
    if (recording.open.size > 0) return
    if (recording.state === undefined) {
      recording.state = this.capture()
      this.emit({ type: 'state-recorded', initiator: recording.initiator, snapshotId: recording.snapshotId })
    }
    const key = keyOf(recording.initiator, recording.snapshotId)
    this.recordings.delete(key)
    this.finished.add(key)
    if (this.finished.size > REMEMBERED_IDS)
      this.finished.delete(this.finished.values().next().value as string)
    const part: SnapshotPart = {
      initiator: recording.initiator,
      snapshotId: recording.snapshotId,
      overflowed: recording.overflowed,
      state: recording.state,
      channels: recording.overflowed
        ? []
        : this.peers.map((peer) => ({ from: peer, messages: recording.messages.get(peer) as Uint8Array[] })),
    }
    this.parts.push(part)
    this.emit({ type: 'part-completed', initiator: recording.initiator, snapshotId: recording.snapshotId })
    if (recording.initiator !== this.id) {
      const { initiator: _, ...body } = part
      ;(this.outgoing.get(recording.initiator) as OutgoingChannel).push(
        { kind: 'part', ...body },
        this.nowTick,
      )
      return
    }
    const collection = this.collections.get(key)
    if (collection !== undefined) this.collect(key, collection, this.id, part)
  }

  private collect(key: string, collection: Collection, from: NodeId, part: SnapshotPart): void {
    collection.parts.set(from, part)
    if (collection.parts.size < this.members.length) return
    this.collections.delete(key)
    const overflowed = this.members.filter(
      (member) => (collection.parts.get(member) as SnapshotPart).overflowed,
    )
    if (overflowed.length > 0) {
      this.failed.push({ snapshotId: collection.snapshotId, reason: 'overflow', overflowed })
      return
    }
    const states = new Map<NodeId, Uint8Array>()
    const channels: ChannelState[] = []
    for (const from of this.members) {
      states.set(from, (collection.parts.get(from) as SnapshotPart).state)
      for (const to of this.members) {
        if (to === from) continue
        const recorded = (collection.parts.get(to) as SnapshotPart).channels.find((c) => c.from === from)
        channels.push({ from, to, messages: recorded?.messages ?? [] })
      }
    }
    this.completed.push({ initiator: this.id, id: collection.snapshotId, states, channels })
  }

  private outgoingTo(name: string, to: unknown): OutgoingChannel {
    if (typeof to !== 'string') throw new TypeError(`${name}: expected a string, got ${describe(to)}`)
    const channel = this.outgoing.get(to)
    if (channel === undefined)
      throw new RangeError(
        to === this.id
          ? `${name}: cannot send to this process itself`
          : `${name}: ${describe(to)} is not a member`,
      )
    return channel
  }

  private emit(event: SnapshotEvent): void {
    if (this.events.length >= MAX_EVENTS) this.droppedEvents++
    else this.events.push(event)
  }
}

/** Why a wire message is malformed, or undefined when it is well formed. */
function wireProblem(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return 'not an object'
  const m = message as { kind?: unknown; ack?: unknown; frames?: unknown }
  if (m.kind !== 'frames' && m.kind !== 'ack') return `unknown kind ${describe(m.kind)}`
  if (typeof m.ack !== 'number' || !Number.isSafeInteger(m.ack) || m.ack < 0) return 'bad ack'
  if (m.kind === 'ack') return undefined
  if (!Array.isArray(m.frames) || m.frames.length === 0) return 'frames: expected a non-empty array'
  for (const frame of m.frames as unknown[]) {
    const f = frame as Partial<Frame> | null
    if (typeof f !== 'object' || f === null) return 'frame: not an object'
    if (typeof f.seq !== 'number' || !Number.isSafeInteger(f.seq) || f.seq < 1) return 'frame: bad seq'
    const body = f.body as { kind?: unknown } | undefined
    if (typeof body !== 'object' || body === null) return 'frame: bad body'
    if (body.kind !== 'app' && body.kind !== 'marker' && body.kind !== 'part')
      return `frame: unknown body kind ${describe(body.kind)}`
  }
  return undefined
}
