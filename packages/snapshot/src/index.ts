/**
 * `@synod/snapshot`: consistent global snapshots of a running distributed
 * application (Chandy–Lamport), over reliable FIFO channels built on any lossy
 * Synod `Transport`.
 *
 * @example
 * ```ts
 * import { SnapshotNode, type SnapshotMessage } from '@synod/snapshot'
 * import { MemoryNetwork } from '@synod/transport'
 *
 * const network = new MemoryNetwork<SnapshotMessage>()
 * const node = new SnapshotNode({ transport: network.join('a'), members: ['a'], captureState: () => Uint8Array.of(1) })
 * const snapshot = await node.snapshot()
 * ```
 * @packageDocumentation
 */

export {
  decodeGlobalSnapshot,
  encodeGlobalSnapshot,
  type SnapshotCodecOptions,
  snapshotMessageCodec,
} from './codec.js'
export type { ChannelLimits } from './core/channel.js'
export { MAX_ID_BYTES, MAX_MEMBERS, SnapshotCore, type SnapshotCoreOptions } from './core/snapshot-core.js'
export type * from './core/types.js'
export {
  ChannelFullError,
  DuplicateSnapshotError,
  SnapshotClosedError,
  type SnapshotErrorCode,
  SnapshotLimitError,
  SnapshotTimeoutError,
  TooManySnapshotsError,
} from './errors.js'
export { type Clock, intervalClock } from './node/clock.js'
export { SnapshotNode, type SnapshotNodeOptions, type SnapshotRequest } from './node/snapshot-node.js'
