/**
 * The values the snapshot core exchanges and produces: wire messages, frames,
 * local parts and global snapshots.
 */
import type { NodeId } from '@synod/transport'

/**
 * What one frame of a reliable channel carries: an application message, a
 * Chandy–Lamport marker, or a process's finished part of a snapshot (sent to
 * the snapshot's initiator).
 *
 * @example
 * ```ts
 * const marker: FrameBody = { kind: 'marker', initiator: 'a', snapshotId: 's1' }
 * ```
 */
export type FrameBody =
  | { kind: 'app'; payload: Uint8Array }
  | { kind: 'marker'; initiator: NodeId; snapshotId: string }
  | {
      kind: 'part'
      snapshotId: string
      /** True when the sender's recorded channel states went over `maxRecordedBytes` (then `channels` is empty). */
      overflowed: boolean
      state: Uint8Array
      /** In-flight messages recorded on each incoming channel of the sender. */
      channels: { from: NodeId; messages: Uint8Array[] }[]
    }

/**
 * One numbered frame of the channel from the sender to the receiver. Sequence numbers start at 1.
 *
 * @example
 * ```ts
 * const frame: Frame = { seq: 1, body: { kind: 'app', payload: Uint8Array.of(1) } }
 * ```
 */
export interface Frame {
  seq: number
  body: FrameBody
}

/**
 * A message on the wire between two processes. `ack` is cumulative: every
 * frame up to `ack` of the channel from the receiver of this message back to
 * its sender has arrived.
 *
 * @example
 * ```ts
 * const message: SnapshotMessage = { kind: 'frames', ack: 0, frames: [{ seq: 1, body: { kind: 'app', payload: Uint8Array.of(7) } }] }
 * ```
 */
export type SnapshotMessage = { kind: 'frames'; ack: number; frames: Frame[] } | { kind: 'ack'; ack: number }

/**
 * The state of one channel in a snapshot: the messages sent on it before its
 * sender recorded and received after its receiver recorded, in sending order.
 *
 * @example
 * ```ts
 * const channel: ChannelState = { from: 'a', to: 'b', messages: [Uint8Array.of(5)] }
 * ```
 */
export interface ChannelState<A = Uint8Array> {
  from: NodeId
  to: NodeId
  messages: A[]
}

/**
 * A consistent global snapshot: every process's recorded state and the state
 * of every channel (one per ordered pair of distinct members, in member order).
 * Every message a recorded state counts as received was sent before its
 * sender's recorded state; every message sent before a recorded state is
 * either received in the receiver's state or in the channel's state.
 *
 * @example
 * ```ts
 * const total = [...snapshot.states.values()].reduce((sum, state) => sum + state[0], 0)
 * ```
 */
export interface GlobalSnapshot<S = Uint8Array, A = Uint8Array> {
  /** The process that started the snapshot and collected it. */
  initiator: NodeId
  /** The initiator's id for it (unique per initiator). */
  id: string
  /** Recorded local states by process, in member order. */
  states: Map<NodeId, S>
  /** In-flight messages per channel, in member order of (from, to). */
  channels: ChannelState<A>[]
}

/**
 * A process's finished part of a snapshot, reported by the process itself.
 *
 * @example
 * ```ts
 * for (const part of core.ready().parts) console.log(part.initiator, part.snapshotId)
 * ```
 */
export interface SnapshotPart {
  initiator: NodeId
  snapshotId: string
  overflowed: boolean
  state: Uint8Array
  channels: { from: NodeId; messages: Uint8Array[] }[]
}

/**
 * A snapshot the initiator could not assemble.
 *
 * @example
 * ```ts
 * for (const failure of core.ready().failed) console.log(failure.snapshotId, failure.overflowed)
 * ```
 */
export interface SnapshotFailure {
  snapshotId: string
  reason: 'overflow'
  /** Processes whose recorded channel states went over `maxRecordedBytes`. */
  overflowed: NodeId[]
}

/**
 * Things worth knowing that need no action: recordings, retransmissions,
 * dropped frames and ignored messages.
 *
 * @example
 * ```ts
 * for (const event of core.ready().events) if (event.type === 'message-ignored') console.warn(event.reason)
 * ```
 */
export type SnapshotEvent =
  | { type: 'state-recorded'; initiator: NodeId; snapshotId: string }
  | { type: 'part-completed'; initiator: NodeId; snapshotId: string }
  | { type: 'retransmitted'; to: NodeId; frames: number }
  | { type: 'frame-dropped'; from: NodeId; seq: number; reason: 'duplicate' | 'beyond-reorder-window' }
  | { type: 'message-ignored'; from: NodeId; reason: string }

/**
 * The output of the core since the last `ready()`. The I/O contract: send
 * every message in `messages` (in order; losing some is fine, the channels
 * retransmit); `completed` and `failed` are the snapshots this process
 * initiated that finished; `parts` are this process's own finished parts (for
 * observers; they already travel to their initiators inside `messages`).
 * Application messages are not in the batch: the core hands them to the
 * `deliver` callback the moment they are next in FIFO order, because a state
 * recorded later must already reflect them.
 *
 * @example
 * ```ts
 * const { messages, completed } = core.ready()
 * for (const { to, message } of messages) transport.send(to, message)
 * for (const snapshot of completed) console.log(snapshot.id, snapshot.states)
 * ```
 */
export interface SnapshotReady {
  messages: { to: NodeId; message: SnapshotMessage }[]
  parts: SnapshotPart[]
  completed: GlobalSnapshot[]
  failed: SnapshotFailure[]
  events: SnapshotEvent[]
  /** Events left out because more than the limit (1,024) piled up between two `ready()` calls. */
  droppedEvents: number
}
