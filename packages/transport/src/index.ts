/**
 * `@synod/transport`: the contract every Synod protocol talks through.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from '@synod/transport'
 * const network = new MemoryNetwork<string>()
 * const a = network.join('a')
 * const b = network.join('b')
 * b.onMessage((from, text) => console.log(from, text))
 * a.send('b', 'hello')
 * ```
 * @packageDocumentation
 */

export { BinaryReader, BinaryWriter } from './binary.js'
export {
  assertCodec,
  bytesCodec,
  DEFAULT_MAX_MESSAGE_BYTES,
  type JsonCodecOptions,
  jsonCodec,
} from './codec.js'
export {
  DecodeError,
  FrameTooLargeError,
  MalformedFrameError,
  SendQueueFullError,
  SynodError,
  TransportClosedError,
  type TransportErrorCode,
  TruncatedFrameError,
  UnknownPeerError,
} from './errors.js'
export {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  encodeFrames,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  type FrameOptions,
} from './framing.js'
export { describeValue, utf8Length } from './guards.js'
export { HandlerRegistry } from './handler-registry.js'
export { MemoryNetwork, type MemoryNetworkOptions } from './memory-network.js'
export { assertNodeId, MAX_NODE_ID_LENGTH } from './node-id.js'
export type { Codec, MessageHandler, NodeId, Transport } from './types.js'
