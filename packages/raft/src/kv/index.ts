/**
 * A key-value state machine for `RaftNode`, with its command codec.
 * @packageDocumentation
 */
export {
  type DecodedKvCommand,
  decodeKvCommand,
  encodeKvCommand,
  KV_LIMITS,
  type KvCommand,
  type KvSession,
} from './codec.js'
export { type KvResult, KvStateMachine, type KvStateMachineOptions } from './state-machine.js'
