/**
 * `@synod/2pc`: two-phase commit (atomic commitment) with presumed abort,
 * read-only votes and cooperative termination: pure coordinator and participant
 * cores, a strict binary codec, and drivers over any `Transport`.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from '@synod/transport'
 * import { TwoPhaseCoordinator, TwoPhaseParticipant, type TwoPhaseMessage } from '@synod/2pc'
 *
 * const network = new MemoryNetwork<TwoPhaseMessage>()
 * for (const id of ['p1', 'p2'])
 *   new TwoPhaseParticipant({ transport: network.join(id), resource: { prepare: () => 'yes', finish: () => {} } })
 * const coordinator = new TwoPhaseCoordinator({ transport: network.join('c') })
 * await coordinator.run('t1', ['p1', 'p2']) // { txId: 't1', decision: 'commit' }
 * ```
 * @packageDocumentation
 */

export { recordCodec, type TwoPhaseCodecOptions, twoPhaseCodec } from './codec.js'
export { CoordinatorCore, type CoordinatorCoreOptions, type CoordinatorReady } from './core/coordinator.js'
export {
  ParticipantCore,
  type ParticipantCoreOptions,
  type ParticipantReady,
  type PrepareRequest,
} from './core/participant.js'
export {
  type CoordinatorRecord,
  DEFAULT_LIMITS,
  type Decision,
  type Limits,
  type Outcome,
  type Outgoing,
  type ParticipantRecord,
  type TransactionId,
  type TwoPhaseMessage,
  type TwoPhaseRecord,
  type Vote,
} from './core/types.js'
export {
  DuplicateTransactionError,
  TooManyTransactionsError,
  TwoPhaseClosedError,
  type TwoPhaseErrorCode,
} from './errors.js'
export { systemTicker, type Ticker } from './node/clock.js'
export {
  type TransactionResult,
  TwoPhaseCoordinator,
  type TwoPhaseCoordinatorOptions,
} from './node/coordinator.js'
export {
  type ParticipantResource,
  TwoPhaseParticipant,
  type TwoPhaseParticipantOptions,
} from './node/participant.js'
export { MemoryStorage, type TwoPhaseStorage } from './node/storage.js'
