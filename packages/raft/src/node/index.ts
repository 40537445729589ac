/**
 * The Raft driver: `RaftNode` binds the pure core to a transport, a storage, a
 * state machine and a clock.
 * @packageDocumentation
 */
export {
  NotLeaderError,
  ProposalOverwrittenError,
  type RaftNodeErrorCode,
  RaftTimeoutError,
  StoppedError,
  TransferAbortedError,
} from './errors.js'
export {
  RaftNode,
  type RaftNodeOptions,
  type RaftNodeStatus,
  type RaftTuning,
  type RequestOptions,
  type StateMachine,
  type TimerCancel,
  type Timers,
} from './raft-node.js'
